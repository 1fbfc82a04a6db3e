//! Two hosts on one store: what decides a claim is cached on each host under the
//! store's config epoch, so a change made through one host (policy, settings, failure
//! policy, guardrails) is what the other host's very next decision uses.

use arbiter::ledger::{FailurePolicy, Rollout};
use arbiter::service::Service;
use arbiter_tests::decisions::rules;
use arbiter_tests::http::sample_claim;
use arbiter_tests::modules::florist;
use serde_json::{Value, json};

async fn decide(host: &Service, claim_id: &str, shop: &str) -> anyhow::Result<Value> {
    let claim = sample_claim(claim_id, shop, &format!("{claim_id}-u"));
    let reply = host
        .decide(claim.to_string().as_bytes(), None, None)
        .await?;
    Ok(serde_json::from_str(&reply.body)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_host_is_the_next_decision_of_the_other() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let one = Service::open(data.path(), arbiter_tests::test_limits()).await?;
    let other = Service::open(data.path(), arbiter_tests::test_limits()).await?;

    // The other host decides first, so it has the shop's configuration cached.
    let first = decide(&other, "ss-c1", "shared-shop").await?;
    assert!(rules(&first).contains(&"R1.2".to_owned()), "{first}");
    let standard = first["policy"]["module"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // A new policy through the first host: the other host's next decision uses it.
    let (module, _) = one.upload_module(florist(), None, "*", "test").await?;
    one.put_policy(
        "shared-shop",
        module.digest.as_str(),
        &json!({"promo_max": 100000}),
        Rollout::Active,
        "test",
    )
    .await?;
    let swapped = decide(&other, "ss-c2", "shared-shop").await?;
    assert_eq!(
        swapped["policy"]["module"],
        json!(module.digest),
        "{swapped}"
    );
    assert!(rules(&swapped).contains(&"FL2".to_owned()), "{swapped}");

    // New settings of the same module: seen at once.
    let version = one
        .put_settings("shared-shop", &json!({"promo_max": 30000}), "test")
        .await?
        .version;
    let resettled = decide(&other, "ss-c3", "shared-shop").await?;
    assert_eq!(
        resettled["policy"]["settings_version"], version,
        "{resettled}"
    );
    assert!(rules(&resettled).contains(&"FL3".to_owned()), "{resettled}");

    // A failure policy and the operator's caps: seen at once too.
    let spinner = std::fs::read(arbiter_artifacts::SPIN_FOREVER_FIXTURE_PATH)?;
    let (spinner, _) = one.upload_module(spinner, None, "*", "test").await?;
    one.put_policy(
        "spin-shop",
        spinner.digest.as_str(),
        &json!({}),
        Rollout::Active,
        "test",
    )
    .await?;
    let closed = decide(&other, "ss-c4", "spin-shop").await?;
    assert_eq!(closed["outcome"], "escalate", "{closed}");
    one.put_failure_policy(
        "spin-shop",
        FailurePolicy::FallbackToPlatformDefault,
        "test",
    )
    .await?;
    let fell_back = decide(&other, "ss-c5", "spin-shop").await?;
    assert_eq!(fell_back["outcome"], "compensate", "{fell_back}");
    assert_eq!(
        fell_back["policy"]["module"],
        json!(standard),
        "{fell_back}"
    );

    one.ledger()
        .put_guardrails(
            &serde_json::from_value(json!({"customer_30d_cap": 100}))?,
            "test",
            0,
        )
        .await?;
    let capped = decide(&other, "ss-c6", "other-shop").await?;
    assert_eq!(capped["outcome"], "escalate", "{capped}");
    assert!(rules(&capped).contains(&"E4".to_owned()), "{capped}");
    Ok(())
}
