//! The pipeline's branches on a real ledger in a temp dir: canary, shadow, fallback on a
//! failing module, suspension of one that keeps exhausting its limits, and the errors
//! of the settings check.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Service, ServiceError};
use crate::engine::{Limits, SuspensionPolicy};
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
        .upload_module(bytes, "*", "operator")
        .await
        .unwrap_or_else(|error| panic!("uploading {path}: {error}"));
    record.digest
}

fn claim(claim_id: &str) -> Vec<u8> {
    json!({
        "claim_id": claim_id, "revision": 1, "shop_id": SHOP,
        "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
        "kind": "damaged", "subkind": null, "desired_outcome": "promo_code",
        "order": {"order_id": format!("o-{claim_id}"), "currency": "RUB", "total": 459000,
                  "placed_at": "2026-11-16T12:00:00Z", "delivered_at": "2026-11-19T18:00:00Z",
                  "fulfilment": "3p", "courier": "seller"},
        "items": [{"sku": "vase-1", "title": "Vase", "unit_price": 35000,
                   "quantity_ordered": 1, "quantity_affected": 1, "category": "home"}],
        "customer": {"customer_id": format!("u-{claim_id}"), "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": [], "damage_confirmed": true, "documents_match_order": null,
                     "used_signs": []},
        "confirmations": {"warehouse": null, "delivery_service": null, "category_manager": null,
                          "routing_team": null, "courier": null},
        "return_shipment": {"received_at": null, "shipping_cost": null},
        "customer_reply": {"keeps_item": null, "insists": null, "accepts_sorry_coupon": null,
                           "will_return": null},
        "last_seller_reply_at": null, "last_customer_reply_at": null
    })
    .to_string()
    .into_bytes()
}

async fn decide(service: &Service, claim_id: &str) -> Value {
    let reply = service
        .decide(&claim(claim_id), None)
        .await
        .unwrap_or_else(|error| panic!("deciding {claim_id}: {error}"));
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body))
}

fn standard(service: &Service) -> String {
    service.registry().standard().digest().to_string()
}

#[tokio::test]
async fn a_full_canary_serves_the_candidate_and_an_empty_one_the_active_version() {
    let (_data, service) = service().await;
    let florist = upload(&service, arbiter_artifacts::FLORIST_EXAMPLE_PATH).await;
    let everyone = Rollout::Canary {
        basis_points: 10_000,
    };
    service
        .put_policy(SHOP, &florist, &json!({}), everyone, "operator")
        .await
        .unwrap_or_else(|error| panic!("{error}"));
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
    let hostile = upload(&service, arbiter_artifacts::HOSTILE_FIXTURE_PATH).await;
    service
        .put_policy(
            SHOP,
            &hostile,
            &json!({"behaviour": "panic"}),
            Rollout::Active,
            "operator",
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));

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
    let hostile = upload(&service, arbiter_artifacts::HOSTILE_FIXTURE_PATH).await;
    service
        .put_policy(
            SHOP,
            &hostile,
            &json!({"behaviour": "memory_bomb"}),
            Rollout::Active,
            "operator",
        )
        .await
        .unwrap_or_else(|error| panic!("{error}"));
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
    assert!(
        versions
            .iter()
            .all(|version| version.module_digest.as_deref() != Some(&hostile))
    );
}
