//! Every scenario of `shared/scenarios` through the engine: the built fraud screen and
//! standard policy components, with the history the earlier steps leave.

use arbiter::builtin;
use arbiter::contract::{PolicyMode, parse_request};
use arbiter::decide::{ShopPolicy, decide};
use arbiter::engine::Engine;
use arbiter_tests::history_book::HistoryBook;
use arbiter_tests::scenarios::{self, check};

#[test]
fn every_scenario_decides_as_expected() -> anyhow::Result<()> {
    let engine = Engine::new(arbiter_tests::test_limits())?;
    let fraud = builtin::fraud_screen(&engine)?;
    let standard = builtin::standard_policy(&engine)?;
    let mut failures = Vec::new();
    let all = scenarios::load_all();

    for scenario in &all {
        let mut book = HistoryBook::default();
        for (index, step) in scenario.steps.iter().enumerate() {
            let request = parse_request(&serde_json::to_vec(&step.request)?)
                .map_err(|error| anyhow::anyhow!("{} step {index}: {error}", scenario.name))?;
            let settings = scenario
                .settings
                .get(&request.shop_id)
                .map_or_else(|| "{}".to_owned(), ToString::to_string);
            if let Err(rejected) = standard.validate_settings(&settings)? {
                anyhow::bail!("{}: settings rejected: {rejected:?}", scenario.name);
            }
            let history = book.history_for(&request);
            let policy = ShopPolicy {
                fraud: &fraud,
                fraud_settings: "{}",
                compensation: &standard,
                settings: &settings,
                settings_version: u64::from(scenario.settings.contains_key(&request.shop_id)),
                mode: PolicyMode::Active,
                guardrails: Default::default(),
                fallback: None,
                suspended: None,
            };
            let decided = decide(policy, &request, &history, format!("d-{index}"));
            if let Err(problem) = check(&decided.response, &step.expect) {
                failures.push(format!(
                    "{} ({}) step {index}: {problem}\n  reasons: {:?}",
                    scenario.name, scenario.note, decided.response.reasons
                ));
            }
            assert_eq!(decided.response.policy.module, standard.digest().as_str());
            assert!(!decided.response.fallback_applied, "{}", scenario.name);
            book.record(request, decided.response);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    Ok(())
}
