//! Every scenario of `shared/scenarios` through the HTTP API, all against one server
//! (their ids are prefixed): settings by `PUT`, steps by `POST /v1/decisions` with a
//! marketplace token, history from the real ledger.

use std::collections::BTreeMap;

use arbiter::contract::DecisionResponse;
use arbiter_tests::http::TestApp;
use arbiter_tests::scenarios::{self, check};
use axum::http::StatusCode;

#[tokio::test]
async fn every_scenario_decides_as_expected_over_http() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let module = app.standard_module().await?;
    assert!(module.starts_with("sha256:"), "{module}");

    let all = scenarios::load_all();
    let mut failures = Vec::new();
    let mut decided = 0;
    for scenario in &all {
        let mut versions = BTreeMap::new();
        for (shop_id, settings) in &scenario.settings {
            let version = app.put_settings(shop_id, settings).await?;
            versions.insert(shop_id.clone(), version);
        }
        for (index, step) in scenario.steps.iter().enumerate() {
            let at = format!("{} ({}) step {index}", scenario.name, scenario.note);
            let reply = app.decide(&marketplace, &step.request).await?;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{at}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            assert_eq!(reply.header("idempotent-replayed"), None, "{at}");
            let decision: DecisionResponse = serde_json::from_slice(&reply.body)?;
            decided += 1;

            let shop_id = step.request["shop_id"].as_str().unwrap_or_default();
            let version = versions.get(shop_id).copied().unwrap_or(0);
            assert_eq!(decision.policy.settings_version, version, "{at}");
            assert_eq!(decision.policy.module, module, "{at}");
            assert!(!decision.fallback_applied, "{at}: {:?}", decision.failure);
            assert_eq!(decision.claim_id, step.request["claim_id"], "{at}");
            assert!(!decision.reasons.is_empty(), "{at}: no reasons");

            if let Err(problem) = check(&decision, &step.expect) {
                failures.push(format!(
                    "{at}: {problem}\n  reasons: {:?}",
                    decision.reasons
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    let steps: usize = all.iter().map(|scenario| scenario.steps.len()).sum();
    assert_eq!(decided, steps);
    assert_eq!(app.decision_count().await?, u64::try_from(steps)?);

    // Replay is exact: every decision the scenarios recorded, decided again from what
    // the ledger holds of it, answers byte for byte what was answered.
    let shops: std::collections::BTreeSet<&str> = all
        .iter()
        .flat_map(|scenario| &scenario.steps)
        .filter_map(|step| step.request["shop_id"].as_str())
        .collect();
    let mut replayed = 0;
    for shop_id in shops {
        let audit = app.service().replay_shop(shop_id, (0, i64::MAX)).await?;
        assert!(
            audit.differing.is_empty(),
            "{shop_id}: {} of {} decisions did not reproduce: {:#?}",
            audit.differing.len(),
            audit.decisions,
            audit.differing
        );
        assert_eq!(audit.module_failed, 0, "{shop_id}");
        assert_eq!(audit.reproduced, audit.decisions, "{shop_id}");
        replayed += audit.reproduced;
    }
    assert_eq!(replayed, u64::try_from(steps)?);
    Ok(())
}
