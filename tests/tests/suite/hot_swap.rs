//! Hot swap under load: clients keep asking for decisions while a shop's policy is
//! swapped, over and over, between two modules that decide differently. No request
//! fails, and every decision was made entirely by the version it names: its module, and
//! that version's settings.

use arbiter_tests::decisions::rules;
use arbiter_tests::modules::florist;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, json_body, sample_claim, send};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const CLIENTS: usize = 8;
const SWAPS: usize = 120;
const SHOP: &str = "hot-shop";

/// What the swapper puts: the standard with its defaults, then the florist, whose
/// `promo_max` alternates so that its settings show in its answer too (a 350.00 RUB
/// vase is a promo code, FL2, under 1000.00 RUB and goes to the florist, FL3, under
/// 300.00 RUB).
fn swap_body(swap: usize, standard: &str, florist: &str) -> Value {
    match swap % 4 {
        0 => json!({"module": florist, "settings": {"promo_max": 100000}}),
        2 => json!({"module": florist, "settings": {"promo_max": 30000}}),
        _ => json!({"module": standard, "settings": {}}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swapping_under_load_fails_nothing_and_mixes_no_versions() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;
    app.put_policy(SHOP, &json!({"module": standard, "settings": {}}))
        .await?;

    let swapping = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let router = app.router();
        let token = marketplace.clone();
        let swapping = Arc::clone(&swapping);
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut failures = Vec::new();
            let mut n = 0;
            // Until the swaps are done, and a few decisions each at the least.
            while swapping.load(Ordering::Relaxed) || n < 5 {
                let claim_id = format!("hot-c{client}-{n}");
                let claim = sample_claim(&claim_id, SHOP, &format!("hot-u{client}-{n}"));
                n += 1;
                match send(
                    router.clone(),
                    Method::POST,
                    "/v1/decisions",
                    Some(&token),
                    &[],
                    json_body(&claim),
                )
                .await
                {
                    Ok(reply) if reply.status == StatusCode::OK => answers.push(reply.json()?),
                    Ok(reply) => failures.push(format!(
                        "{claim_id}: {} {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    )),
                    Err(error) => failures.push(format!("{claim_id}: {error:#}")),
                }
            }
            Ok::<_, anyhow::Error>((answers, failures))
        }));
    }

    // The swapper, at its own pace beside the clients.
    let router = app.router();
    let mut swap_versions = Vec::new();
    for swap in 0..SWAPS {
        let body = swap_body(swap, &standard, &florist);
        let reply = send(
            router.clone(),
            Method::PUT,
            &format!("/v1/shops/{SHOP}/policy"),
            Some(OPERATOR_TOKEN),
            &[],
            json_body(&body),
        )
        .await?;
        assert_eq!(reply.status, StatusCode::OK, "swap {swap}: {reply:?}");
        swap_versions.push(reply.json()?["version"].as_u64().unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    swapping.store(false, Ordering::Relaxed);

    let mut decisions = Vec::new();
    let mut failures = Vec::new();
    for client in clients {
        let (answers, failed) = client.await??;
        decisions.extend(answers);
        failures.extend(failed);
    }
    let elapsed = started.elapsed();
    assert!(
        failures.is_empty(),
        "{} failed: {failures:#?}",
        failures.len()
    );
    assert_eq!(swap_versions, (2..2 + SWAPS as u64).collect::<Vec<_>>());

    // Every version, as the shop's history lists it.
    let listed = app
        .get(
            &format!("/v1/shops/{SHOP}/policy/versions"),
            Some(OPERATOR_TOKEN),
        )
        .await?
        .json()?;
    let versions: BTreeMap<u64, (String, Value)> = listed["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|version| {
            (
                version["version"].as_u64().unwrap_or_default(),
                (
                    version["module"].as_str().unwrap_or_default().to_owned(),
                    version["settings"].clone(),
                ),
            )
        })
        .collect();
    assert_eq!(versions.len(), SWAPS + 1);

    // Each decision: a known module, a version of that module, and the answer that
    // module gives with that version's settings.
    let mut seen_versions = BTreeSet::new();
    let mut by_module: BTreeMap<&str, usize> = BTreeMap::new();
    for decision in &decisions {
        let policy = &decision["policy"];
        let module = policy["module"].as_str().unwrap_or_default();
        let version = policy["settings_version"].as_u64().unwrap_or_default();
        let (version_module, settings) = versions
            .get(&version)
            .unwrap_or_else(|| panic!("unknown version {version}: {decision}"));
        assert_eq!(module, version_module, "{decision}");
        assert_eq!(policy["mode"], "active", "{decision}");
        assert_eq!(decision["fallback_applied"], false, "{decision}");
        let rules = rules(decision);
        if module == florist {
            let expected = match settings["promo_max"].as_i64() {
                Some(100_000) => "FL2",
                _ => "FL3",
            };
            assert_eq!(rules, [expected], "{settings}: {decision}");
            *by_module.entry("florist").or_default() += 1;
        } else {
            assert_eq!(module, standard, "{decision}");
            assert!(
                !rules.is_empty()
                    && rules
                        .iter()
                        .all(|rule| rule.starts_with(['R', 'F', 'E']) && !rule.starts_with("FL")),
                "{decision}"
            );
            *by_module.entry("standard").or_default() += 1;
        }
        seen_versions.insert(version);
    }

    // The ledger explains a sample with the same module, version and settings.
    for decision in decisions.iter().step_by(25) {
        let decision_id = decision["decision_id"].as_str().unwrap_or_default();
        let explained = app
            .get(
                &format!("/v1/decisions/{decision_id}"),
                Some(OPERATOR_TOKEN),
            )
            .await?
            .json()?;
        assert_eq!(&explained["decision"], decision);
        assert_eq!(explained["policy"]["module"], decision["policy"]["module"]);
        let version = decision["policy"]["settings_version"]
            .as_u64()
            .unwrap_or_default();
        assert_eq!(
            explained["policy"]["settings_version"],
            decision["policy"]["settings_version"]
        );
        assert_eq!(
            Some(&explained["policy"]["settings"]),
            versions.get(&version).map(|(_, settings)| settings)
        );
    }
    assert_eq!(app.decision_count().await?, decisions.len() as u64);

    println!(
        "hot swap: {} decisions from {CLIENTS} clients, {SWAPS} swaps, {} versions seen \
         ({by_module:?}), 0 failed, in {elapsed:.2?}",
        decisions.len(),
        seen_versions.len(),
    );
    // The load really ran across the swaps, on both modules.
    assert!(seen_versions.len() >= 20, "{seen_versions:?}");
    assert!(by_module.get("florist").is_some_and(|count| *count > 0));
    assert!(by_module.get("standard").is_some_and(|count| *count > 0));
    Ok(())
}
