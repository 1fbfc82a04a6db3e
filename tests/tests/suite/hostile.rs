//! Misbehaving guests, built from source (`policies/fixtures/hostile`): each failure is a
//! typed outcome with its own code, the claim goes to office staff, and the engine goes
//! on deciding correctly for everyone else.

use arbiter::builtin;
use arbiter::contract::{Action, DecisionRequest, Outcome, PolicyMode, parse_request};
use arbiter::decide::{ShopPolicy, decide};
use arbiter::engine::{CompensationModule, Engine, FraudModule, GuestFailureKind};
use arbiter::history::CustomerHistory;
use arbiter_tests::scenarios::shared_dir;

fn p01() -> anyhow::Result<DecisionRequest> {
    let path = shared_dir().join("scenarios/p01.json");
    let scenario: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    Ok(parse_request(&serde_json::to_vec(
        &scenario["steps"][0]["request"],
    )?)?)
}

fn shop<'a>(
    fraud: &'a FraudModule,
    compensation: &'a CompensationModule,
    settings: &'a str,
) -> ShopPolicy<'a> {
    ShopPolicy {
        fraud,
        fraud_settings: "{}",
        compensation,
        settings,
        settings_version: 1,
        mode: PolicyMode::Active,
        guardrails: Default::default(),
        fallback: None,
        suspended: None,
    }
}

#[test]
fn each_misbehaviour_is_a_typed_failure_and_the_engine_stays_healthy() -> anyhow::Result<()> {
    let engine = Engine::new(arbiter_tests::test_limits())?;
    let fraud = builtin::fraud_screen(&engine)?;
    let standard = builtin::standard_policy(&engine)?;
    let hostile = CompensationModule::load(
        &engine,
        &std::fs::read(arbiter_artifacts::HOSTILE_FIXTURE_PATH)?,
    )?;
    let request = p01()?;
    let history = CustomerHistory::default();

    // The healthy answer, to compare with after every failure.
    let healthy = decide(
        shop(&fraud, &standard, "{}"),
        &request,
        &history,
        "d".into(),
    )
    .response;
    assert_eq!(healthy.outcome, Outcome::Compensate);
    let behaving = decide(
        shop(&fraud, &hostile, r#"{"behaviour": "behave"}"#),
        &request,
        &history,
        "d".into(),
    );
    assert!(!behaving.response.fallback_applied);

    let cases = [
        ("memory_bomb", GuestFailureKind::GuestMemoryLimit),
        ("recurse", GuestFailureKind::GuestStackOverflow),
        ("panic", GuestFailureKind::GuestTrap),
        ("huge_decision", GuestFailureKind::OutputTooLarge),
        ("negative_amount", GuestFailureKind::InvalidDecision),
        ("wrong_currency", GuestFailureKind::InvalidDecision),
    ];
    for (behaviour, kind) in cases {
        let settings = format!(r#"{{"behaviour": "{behaviour}"}}"#);
        let decided = decide(
            shop(&fraud, &hostile, &settings),
            &request,
            &history,
            "d".into(),
        );
        let response = &decided.response;
        assert_eq!(
            response.outcome,
            Outcome::Escalate,
            "{behaviour}: {response:?}"
        );
        assert!(response.fallback_applied, "{behaviour}");
        assert_eq!(
            response.failure.as_deref(),
            Some(kind.code()),
            "{behaviour}"
        );
        assert!(
            !response.actions.iter().any(Action::is_compensation),
            "{behaviour}: no money after a failure"
        );
        let failure = decided
            .failure
            .ok_or_else(|| anyhow::anyhow!("{behaviour}: no failure"))?;
        assert_eq!(failure.kind, kind, "{behaviour}: {}", failure.detail);
        assert_eq!(&failure.module, hostile.digest());

        // The next decision, on the same engine, is exactly the healthy one.
        let after = decide(
            shop(&fraud, &standard, "{}"),
            &request,
            &history,
            "d".into(),
        );
        assert_eq!(after.response, healthy, "after {behaviour}");
    }
    Ok(())
}
