//! The pipeline's branches on a real ledger in a temp dir: canary, shadow, fallback on a
//! failing module, suspension of one that keeps exhausting its limits, and the errors
//! of the settings check.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Service, ServiceError};
use crate::engine::{Limits, ModuleDigest, SuspensionPolicy};
use crate::ledger::{FailurePolicy, Rollout};

const SHOP: &str = "shop-1";

fn limits() -> Limits {
    Limits {
        // A busy machine must not turn a trap into a timeout.
        deadline: Duration::from_millis(500),
        suspension: SuspensionPolicy {
            after_failures: 2,
            cooldown: Duration::from_secs(60),
        },
        ..Limits::default()
    }
}

async fn service() -> (tempfile::TempDir, Service) {
    let data = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
    let service = Service::open(data.path(), limits())
        .await
        .unwrap_or_else(|error| panic!("opening the service: {error}"));
    (data, service)
}

/// Uploads a fixture for every shop and returns its digest.
async fn upload(service: &Service, path: &str) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("reading {path}: {error}"));
    let (record, _) = service
        .upload_module(bytes, None, "*", "operator")
        .await
        .unwrap_or_else(|error| panic!("uploading {path}: {error}"));
    record.digest.to_string()
}

/// The README's example claim (`tests/claims/damaged-vase.json`) as claim `claim_id` of
/// [`SHOP`], by a customer of its own and with no photos, so claims never share one.
fn claim(claim_id: &str) -> Vec<u8> {
    let mut claim: Value =
        serde_json::from_str(include_str!("../../../tests/claims/damaged-vase.json"))
            .unwrap_or_else(|error| panic!("the example claim: {error}"));
    claim["claim_id"] = json!(claim_id);
    claim["shop_id"] = json!(SHOP);
    claim["customer"]["customer_id"] = json!(format!("u-{claim_id}"));
    claim["evidence"]["photos"] = json!([]);
    claim.to_string().into_bytes()
}

async fn decide(service: &Service, claim_id: &str) -> Value {
    let reply = service
        .decide(&claim(claim_id), None, None)
        .await
        .unwrap_or_else(|error| panic!("deciding {claim_id}: {error}"));
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body))
}

/// Makes the hostile fixture, misbehaving as `behaviour`, the shop's active policy.
async fn hostile_policy(service: &Service, behaviour: &str) -> String {
    let hostile = upload(service, arbiter_artifacts::HOSTILE_FIXTURE_PATH).await;
    service
        .put_policy(
            SHOP,
            &hostile,
            &json!({"behaviour": behaviour}),
            Rollout::Active,
            "operator",
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    hostile
}

/// Uploads the florist and makes it the shop's canary for every claim; its digest.
async fn florist_canary_for_everyone(service: &Service) -> String {
    let florist = upload(service, arbiter_artifacts::FLORIST_EXAMPLE_PATH).await;
    let everyone = Rollout::Canary {
        basis_points: 10_000,
    };
    service
        .put_policy(SHOP, &florist, &json!({}), everyone, "operator")
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    florist
}

fn standard(service: &Service) -> String {
    service.registry().standard().digest().to_string()
}

#[tokio::test]
async fn a_full_canary_serves_the_candidate_and_an_empty_one_the_active_version() {
    let (_data, service) = service().await;
    let florist = florist_canary_for_everyone(&service).await;
    let decision = decide(&service, "c-canary-1").await;
    assert_eq!(decision["policy"]["module"], json!(florist));
    assert_eq!(decision["policy"]["mode"], json!("canary"));
    assert_eq!(decision["policy"]["settings_version"], json!(1));

    let nobody = Rollout::Canary { basis_points: 0 };
    service
        .put_policy(SHOP, &florist, &json!({}), nobody, "operator")
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let decision = decide(&service, "c-canary-2").await;
    assert_eq!(decision["policy"]["module"], json!(standard(&service)));
    assert_eq!(decision["policy"]["mode"], json!("active"));
}

#[tokio::test]
async fn a_shadow_decides_the_same_claim_beside_the_active_version_and_is_only_recorded() {
    let (_data, service) = service().await;
    let florist = upload(&service, arbiter_artifacts::FLORIST_EXAMPLE_PATH).await;
    service
        .put_policy(SHOP, &florist, &json!({}), Rollout::Shadow, "operator")
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let decision = decide(&service, "c-shadow-1").await;
    assert_eq!(decision["policy"]["module"], json!(standard(&service)));
    assert_eq!(decision["policy"]["mode"], json!("active"));

    let id = decision["decision_id"].as_str().unwrap_or_default();
    let shadows = service
        .shadow_decisions(id)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(shadows.len(), 1, "{shadows:?}");
    let shadow: Value = serde_json::from_str(&shadows[0]).unwrap_or_default();
    assert_eq!(shadow["decision_id"], json!(id));
    assert_eq!(shadow["policy"]["module"], json!(florist));
    assert_eq!(shadow["policy"]["mode"], json!("shadow"));
    // The same fraud assessment: the same risk on both sides.
    assert_eq!(shadow["risk"], decision["risk"]);
}

#[tokio::test]
async fn a_failing_module_fails_closed_or_falls_back_to_the_platform_default() {
    let (_data, service) = service().await;
    let hostile = hostile_policy(&service, "panic").await;

    let closed = decide(&service, "c-fail-1").await;
    assert_eq!(closed["outcome"], json!("escalate"));
    assert_eq!(closed["fallback_applied"], json!(true));
    assert_eq!(closed["failure"], json!("guest_trap"));
    assert_eq!(closed["policy"]["module"], json!(hostile));

    service
        .put_failure_policy(SHOP, FailurePolicy::FallbackToPlatformDefault, "operator")
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let fallen_back = decide(&service, "c-fail-2").await;
    assert_eq!(fallen_back["fallback_applied"], json!(true));
    assert_eq!(fallen_back["failure"], json!("guest_trap"));
    assert_eq!(fallen_back["policy"]["module"], json!(standard(&service)));
    assert_eq!(fallen_back["policy"]["settings_version"], json!(0));
    assert_ne!(fallen_back["outcome"], json!("escalate"), "{fallen_back}");

    let (_, failures) = service
        .module(&hostile, None)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(failures.get("guest_trap"), Some(&2));
}

#[tokio::test]
async fn a_module_that_keeps_exhausting_its_limits_is_suspended() {
    let (_data, service) = service().await;
    hostile_policy(&service, "memory_bomb").await;
    for claim_id in ["c-bomb-1", "c-bomb-2"] {
        let decision = decide(&service, claim_id).await;
        assert_eq!(
            decision["failure"],
            json!("guest_memory_limit"),
            "{decision}"
        );
    }
    let suspended = decide(&service, "c-bomb-3").await;
    assert_eq!(
        suspended["failure"],
        json!("module_suspended"),
        "{suspended}"
    );
    assert_eq!(suspended["outcome"], json!("escalate"));
}

#[tokio::test]
async fn settings_are_an_object_checked_by_the_module_and_a_failing_check_is_its_own_error() {
    let (_data, service) = service().await;
    let refused = service.put_settings(SHOP, &json!([1]), "operator").await;
    assert!(matches!(
        refused,
        Err(ServiceError::SettingsRejected { key: None, .. })
    ));
    let refused = service
        .put_settings(SHOP, &json!({"promo_max": -1}), "operator")
        .await;
    assert!(
        matches!(&refused, Err(ServiceError::SettingsRejected { key: Some(key), .. }) if key == "promo_max"),
        "{refused:?}"
    );

    let hostile = upload(&service, arbiter_artifacts::HOSTILE_FIXTURE_PATH).await;
    let refused = service
        .put_policy(
            SHOP,
            &hostile,
            &json!({"behaviour": "sing"}),
            Rollout::Active,
            "operator",
        )
        .await;
    assert!(
        matches!(&refused, Err(ServiceError::SettingsRejected { key: Some(key), .. }) if key == "behaviour"),
        "{refused:?}"
    );
    // A module that traps while checking is its own error (a 422 with its code), and
    // nothing is stored.
    let trapped = service
        .put_policy(
            SHOP,
            &hostile,
            &json!({"behaviour": "panic_in_validate"}),
            Rollout::Active,
            "operator",
        )
        .await;
    assert!(
        matches!(&trapped, Err(ServiceError::SettingsCheckFailed(failure)) if failure.kind.code() == "guest_trap"),
        "{trapped:?}"
    );
    let versions = service
        .policy_versions(SHOP)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(versions.iter().all(
        |version| version.module_digest.as_ref().map(ModuleDigest::as_str)
            != Some(hostile.as_str())
    ));
}

#[tokio::test]
async fn a_replay_reproduces_uploaded_modules_and_tells_a_tampered_record_and_a_failure_apart() {
    let (_data, service) = service().await;
    decide(&service, "c-replay-standard").await;
    hostile_policy(&service, "panic").await;
    let failed = decide(&service, "c-replay-failed").await;
    assert!(failed["failure"].is_string(), "{failed}");
    florist_canary_for_everyone(&service).await;
    let canary = decide(&service, "c-replay-canary").await;
    assert_eq!(canary["policy"]["mode"], json!("canary"));

    let audit = service
        .replay_shop(SHOP, (0, i64::MAX))
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(audit.decisions, 3);
    assert_eq!(audit.reproduced, 2, "{audit:#?}");
    assert_eq!(audit.module_failed, 1);
    assert!(audit.differing.is_empty());

    // A record whose history is not the one its answer came from does not reproduce.
    let id = canary["decision_id"].as_str().unwrap_or_default();
    let mut stored = service
        .ledger()
        .decision(id)
        .await
        .unwrap_or_else(|error| panic!("{error}"))
        .unwrap_or_else(|| panic!("{id} is not stored"));
    assert!(stored.history_json.contains("\"on_hard_fraud_list\":false"));
    stored.history_json = stored.history_json.replace(
        "\"on_hard_fraud_list\":false",
        "\"on_hard_fraud_list\":true",
    );
    let replay = service
        .replay(&stored)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(
        matches!(&replay, super::Replay::Differs { replayed } if *replayed != stored.response_json),
        "{replay:?}"
    );

    // Another shop's range holds none of them.
    let other = service
        .replay_shop("shop-2", (0, i64::MAX))
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(other.decisions, 0);
}

/// Runs a backtest of `spec` on [`SHOP`] to its end; its report.
async fn backtest(service: &Service, spec: super::BacktestSpec) -> super::BacktestReport {
    let started = service
        .start_backtest(SHOP, spec, "operator")
        .await
        .unwrap_or_else(|error| panic!("starting a backtest: {error}"));
    for _ in 0..2_000 {
        let record = service
            .backtest(&started.backtest_id, None)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        if record.status != crate::ledger::BacktestStatus::Running {
            let report = record
                .report_json
                .clone()
                .unwrap_or_else(|| panic!("no report: {record:?}"));
            return serde_json::from_str(&report).unwrap_or_else(|error| panic!("{error}"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the backtest did not end");
}

#[tokio::test]
async fn a_backtest_takes_the_recorded_fraud_assessment_and_screens_older_records_again() {
    let (_data, service) = service().await;
    let mut decision_ids = Vec::new();
    for n in 0..3 {
        let answer = decide(&service, &format!("c-assessed-{n}")).await;
        decision_ids.push(
            answer["decision_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let stored = service
        .ledger()
        .decision(&decision_ids[0])
        .await
        .unwrap_or_else(|error| panic!("{error}"))
        .unwrap_or_else(|| panic!("not stored"));
    let recorded: Value = serde_json::from_str(stored.assessment_json.as_deref().unwrap_or("null"))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(recorded["risk"], json!("None"), "{recorded}");
    assert_eq!(recorded["signals"], json!([]), "{recorded}");

    // As recorded: nothing changes.
    let audit = backtest(&service, super::BacktestSpec::default()).await;
    assert_eq!((audit.decisions, audit.changed), (3, 0), "{audit:#?}");

    // The recorded assessment is what the policy is given: a signal written into the
    // record shows in the backtest's answer, the screen not being run again.
    let mut flagged = recorded.clone();
    flagged["signals"] = json!([{"rule": "F9", "text": "a signal only the record holds"}]);
    sqlx::query("UPDATE decisions SET assessment_json = $1 WHERE decision_id = $2")
        .bind(flagged.to_string())
        .bind(&decision_ids[0])
        .execute(service.ledger().pool())
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let report = backtest(&service, super::BacktestSpec::default()).await;
    assert_eq!(report.changed, 1, "{report:#?}");
    let change = &report.changes[0];
    assert_eq!(change.claim_id, "c-assessed-0");
    assert_eq!(change.after.reasons[0].rule, "F9", "{change:#?}");

    // Records older than the recorded assessment are screened again, as recorded.
    sqlx::query("UPDATE decisions SET assessment_json = NULL")
        .execute(service.ledger().pool())
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let older = backtest(&service, super::BacktestSpec::default()).await;
    assert_eq!((older.decisions, older.changed), (3, 0), "{older:#?}");
}
