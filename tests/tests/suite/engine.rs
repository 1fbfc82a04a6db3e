//! The engine with real components: loading, world checks, isolation from the host,
//! settings, determinism and the per-call deadline.

use std::time::{Duration, Instant};

use arbiter::builtin;
use arbiter::contract::{Action, Outcome, PolicyMode, parse_request};
use arbiter::decide::{ShopPolicy, decide};
use arbiter::engine::{
    CompensationModule, Engine, FraudModule, GuestFailureKind, Limits, LoadError,
};
use arbiter::history::CustomerHistory;
use arbiter::world::types as w;
use arbiter_tests::scenarios::shared_dir;

fn engine() -> Engine {
    Engine::new(arbiter_tests::test_limits()).unwrap_or_else(|error| panic!("engine: {error}"))
}

fn scenario_request(name: &str) -> arbiter::contract::DecisionRequest {
    let path = shared_dir().join("scenarios").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let scenario: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let body = serde_json::to_vec(&scenario["steps"][0]["request"]).unwrap_or_default();
    parse_request(&body).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// A shop on `compensation` with `settings` (version `version`), screened by `fraud`.
fn shop<'a>(
    fraud: &'a FraudModule,
    compensation: &'a CompensationModule,
    settings: &'a str,
    version: u64,
) -> ShopPolicy<'a> {
    ShopPolicy {
        fraud,
        fraud_settings: "{}",
        compensation,
        settings,
        settings_version: version,
        mode: PolicyMode::Active,
        guardrails: Default::default(),
        fallback: None,
        suspended: None,
    }
}

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|error| panic!("wat: {error}"))
}

#[test]
fn the_standard_policy_describes_itself() -> anyhow::Result<()> {
    let standard = builtin::standard_policy(&engine())?;
    assert_eq!(standard.metadata().name, "standard");
    for rule in ["R1.1", "R1.2", "R2.5", "R6.1", "R9", "R10.1", "R11"] {
        assert!(
            standard.metadata().rules.iter().any(|known| known == rule),
            "missing {rule}"
        );
    }
    let schema: serde_json::Value = serde_json::from_str(standard.settings_schema())?;
    assert_eq!(schema["properties"]["promo_max"]["default"], 50_000);
    assert_eq!(schema["properties"]["refund_max"]["default"], 200_000);
    assert!(standard.digest().as_str().starts_with("sha256:"));
    Ok(())
}

#[test]
fn the_fraud_screen_describes_itself() -> anyhow::Result<()> {
    let fraud = builtin::fraud_screen(&engine())?;
    assert_eq!(fraud.metadata().name, "fraud");
    assert!(fraud.metadata().rules.iter().any(|rule| rule == "F7"));
    Ok(())
}

#[test]
fn a_module_must_implement_the_world_it_is_loaded_as() {
    let engine = engine();
    let as_policy = CompensationModule::load(&engine, arbiter_artifacts::FRAUD_SCREEN);
    assert!(
        matches!(
            as_policy,
            Err(LoadError::WrongWorld {
                world: "compensation-policy",
                ..
            })
        ),
        "{as_policy:?}"
    );
    let as_screen = FraudModule::load(&engine, arbiter_artifacts::STANDARD_POLICY);
    assert!(
        matches!(
            as_screen,
            Err(LoadError::WrongWorld {
                world: "fraud-screen",
                ..
            })
        ),
        "{as_screen:?}"
    );
    let empty = CompensationModule::load(&engine, &wat("(component)"));
    assert!(
        matches!(empty, Err(LoadError::WrongWorld { .. })),
        "{empty:?}"
    );
}

#[test]
fn what_is_not_a_component_is_refused_with_a_reason() {
    let engine = engine();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"definitely not wasm".to_vec(), "not WebAssembly"),
        (wat("(module)"), "core Wasm module"),
        (b"\x7fELF\x02\x01\x01\0".to_vec(), "precompiled"),
        (
            arbiter_artifacts::STANDARD_POLICY[..200].to_vec(),
            "not a Wasm component",
        ),
    ];
    for (bytes, expected) in cases {
        let error = CompensationModule::load(&engine, &bytes).unwrap_err();
        assert!(
            matches!(error, LoadError::NotAComponent { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn a_component_that_imports_anything_is_refused() {
    let engine = engine();
    for import in [
        "wasi:http/types@0.2.0",
        "wasi:sockets/tcp@0.2.0",
        "acme:anything/else",
    ] {
        for instance in ["(instance)", "(instance (export \"open\" (func)))"] {
            let bytes = wat(&format!("(component (import \"{import}\" {instance}))"));
            let error = CompensationModule::load(&engine, &bytes).unwrap_err();
            assert!(
                matches!(error, LoadError::ForbiddenImports(_)),
                "{import}: {error:?}"
            );
            assert!(error.to_string().contains(import), "{error}");
        }
    }
}

#[test]
fn settings_are_checked_by_the_module_and_name_the_key() -> anyhow::Result<()> {
    let standard = builtin::standard_policy(&engine())?;
    assert_eq!(
        standard.validate_settings(r#"{"promo_max": 100000}"#)?,
        Ok(())
    );
    for (settings, key) in [
        (r#"{"promo_max": 0}"#, "promo_max"),
        (r#"{"promo_max": 300000}"#, "promo_max"),
        (r#"{"return_window_days": 400}"#, "return_window_days"),
        (r#"{"sorry_coupon": 0}"#, "sorry_coupon"),
        (r#"{"promo_maks": 1}"#, "promo_maks"),
        (r#"{"first_case_only": "yes"}"#, "first_case_only"),
    ] {
        let rejected = standard.validate_settings(settings)?.unwrap_err();
        assert_eq!(
            rejected.key.as_deref(),
            Some(key),
            "{settings}: {rejected:?}"
        );
    }
    Ok(())
}

#[test]
fn a_decision_is_a_pure_function_of_its_inputs() -> anyhow::Result<()> {
    let engine = engine();
    let fraud = builtin::fraud_screen(&engine)?;
    let standard = builtin::standard_policy(&engine)?;
    let request = scenario_request("p02");
    let policy = shop(&fraud, &standard, "{}", 0);
    let first = decide(policy, &request, &CustomerHistory::default(), "d-1".into());
    for _ in 0..20 {
        let again = decide(policy, &request, &CustomerHistory::default(), "d-1".into());
        assert_eq!(again.response, first.response);
    }
    Ok(())
}

#[test]
fn a_seller_module_replaces_the_rules() -> anyhow::Result<()> {
    let engine = engine();
    let fraud = builtin::fraud_screen(&engine)?;
    let florist = CompensationModule::load(
        &engine,
        &std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH)?,
    )?;
    assert_eq!(florist.metadata().name, "florist");
    // 1500.00 RUB: the standard policy refunds it, the florist gives a promo code.
    let request = scenario_request("p02");
    let policy = ShopPolicy {
        fraud: &fraud,
        fraud_settings: "{}",
        compensation: &florist,
        settings: r#"{"promo_max": 200000}"#,
        settings_version: 3,
        mode: PolicyMode::Active,
        guardrails: Default::default(),
        fallback: None,
        suspended: None,
    };
    let decided = decide(policy, &request, &CustomerHistory::default(), "d-1".into());
    assert_eq!(decided.response.outcome, Outcome::Compensate);
    assert_eq!(
        decided.response.actions,
        vec![Action::PromoCode {
            amount: 150_000,
            currency: "RUB".into()
        }]
    );
    assert_eq!(decided.response.policy.module, florist.digest().as_str());
    assert_eq!(decided.response.policy.settings_version, 3);
    Ok(())
}

#[test]
fn hard_fraud_blocks_whatever_the_policy_would_do() -> anyhow::Result<()> {
    let engine = engine();
    let fraud = builtin::fraud_screen(&engine)?;
    let standard = builtin::standard_policy(&engine)?;
    let request = scenario_request("p01");
    let history = CustomerHistory {
        on_hard_fraud_list: true,
        ..CustomerHistory::default()
    };
    let policy = shop(&fraud, &standard, "{}", 0);
    let decided = decide(policy, &request, &history, "d-1".into());
    let response = &decided.response;
    assert_eq!(response.outcome, Outcome::Escalate);
    assert_eq!(response.risk, arbiter::contract::Risk::Hard);
    assert!(response.actions.contains(&Action::BlockAccount));
    assert!(!response.actions.iter().any(Action::is_compensation));
    assert!(response.reasons.iter().any(|reason| reason.rule == "F1"));
    Ok(())
}

#[test]
fn a_policy_that_never_returns_is_stopped_at_its_deadline() -> anyhow::Result<()> {
    let limits = Limits {
        deadline: Duration::from_millis(20),
        ..Limits::default()
    };
    let engine = Engine::new(limits)?;
    let fraud = builtin::fraud_screen(&engine)?;
    let spinner = CompensationModule::load(
        &engine,
        &std::fs::read(arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH)?,
    )?;
    let request = scenario_request("p01");
    let claim = arbiter::convert::claim(&request);
    let history = w::History {
        earlier_claims: Vec::new(),
        photos: Vec::new(),
        on_hard_fraud_list: false,
    };

    let started = Instant::now();
    let failure = spinner.decide(&claim, &history, "{}").unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure.kind, GuestFailureKind::GuestTimeout);
    assert_eq!(&failure.module, spinner.digest());
    // Stopped within its deadline plus one epoch tick, asserted loosely (a busy test
    // machine may not schedule the thread at once): `bench/run` measures the overrun.
    let limits = engine.limits();
    assert!(
        took >= limits.deadline - limits.epoch_tick,
        "stopped early: {took:?}"
    );
    let slack = Duration::from_millis(250);
    assert!(
        took < limits.deadline + limits.epoch_tick + slack,
        "stopped late: {took:?}"
    );

    // Through the pipeline the claim goes to office staff and the failure is named.
    let policy = shop(&fraud, &spinner, "{}", 0);
    let decided = decide(policy, &request, &CustomerHistory::default(), "d-1".into());
    assert_eq!(decided.response.outcome, Outcome::Escalate);
    assert!(decided.response.fallback_applied);
    assert_eq!(decided.response.failure.as_deref(), Some("guest_timeout"));
    assert_eq!(
        decided.failure.map(|failure| failure.kind),
        Some(GuestFailureKind::GuestTimeout)
    );
    Ok(())
}
