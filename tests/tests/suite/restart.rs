//! A restart: the shops serve the very versions they served before, with the modules
//! loaded from the compiled cache (no compiling), and an artifact the host did not
//! write is never run.

use arbiter_tests::decisions::rules;
use arbiter_tests::modules::florist;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim};
use arbiter_tests::modules::{digest_of, with_custom_section};
use axum::http::StatusCode;
use serde_json::{Value, json};

const SHOPS: usize = 100;

/// The compiled artifact of `digest` under `<data>/compiled/<engine>/`, if any.
fn artifact_path(data: &Path, digest: &str) -> Option<PathBuf> {
    let name = format!("{}.cwasm", digest.trim_start_matches("sha256:"));
    std::fs::read_dir(data.join("compiled"))
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join(&name))
        .find(|path| path.is_file())
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// What a shop's first decision says about the policy that made it.
async fn first_decision(app: &TestApp, token: &str, shop: &str, tag: &str) -> Value {
    let claim = sample_claim(&format!("{shop}-{tag}"), shop, &format!("{shop}-{tag}-u"));
    let reply = app
        .decide(token, &claim)
        .await
        .unwrap_or_else(|error| panic!("{shop}: {error:#}"));
    assert_eq!(reply.status, StatusCode::OK, "{shop}: {reply:?}");
    reply.json().unwrap_or_else(|error| panic!("{error:#}"))
}

#[tokio::test]
async fn after_a_restart_shops_serve_the_same_versions_from_the_compiled_cache()
-> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let base = florist();

    // 100 distinct modules, one per shop, each with its own promo_max: a 350.00 RUB vase
    // is a promo code (FL2) where promo_max is over it and goes to the florist (FL3)
    // elsewhere.
    let started = Instant::now();
    let mut shops = Vec::new();
    for n in 0..SHOPS {
        let bytes = with_custom_section(&base, "arbiter-restart-test", n.to_string().as_bytes());
        let reply = app.upload(OPERATOR_TOKEN, &bytes).await?;
        assert_eq!(reply.status, StatusCode::CREATED, "{n}: {reply:?}");
        let digest = reply.json()?["digest"].as_str().unwrap_or("").to_owned();
        assert_eq!(digest, digest_of(&bytes));
        let shop = format!("rs-{n}");
        let version = app
            .put_policy(
                &shop,
                &json!({"module": digest, "settings": {"promo_max": 20000 + n * 500}}),
            )
            .await?;
        shops.push((shop, digest, version));
    }
    let uploads = started.elapsed();

    let started = Instant::now();
    let mut before = Vec::new();
    for (shop, digest, version) in &shops {
        let decision = first_decision(&app, &marketplace, shop, "before").await;
        assert_eq!(decision["policy"]["module"], json!(digest));
        assert_eq!(decision["policy"]["settings_version"], json!(version));
        before.push(decision);
    }
    let warm = started.elapsed();
    let artifacts: Vec<(PathBuf, SystemTime)> = shops
        .iter()
        .map(|(shop, digest, _)| {
            let path = artifact_path(app.data_dir(), digest)
                .unwrap_or_else(|| panic!("{shop}: no compiled artifact of {digest}"));
            let at = modified(&path);
            (path, at)
        })
        .collect();

    // Restart, then the first decision of every shop.
    let started = Instant::now();
    let app = app.restart().await?;
    let reopened = started.elapsed();
    let started = Instant::now();
    let mut after = Vec::new();
    for (shop, _, _) in &shops {
        after.push(first_decision(&app, &marketplace, shop, "after").await);
    }
    let first_decisions = started.elapsed();

    for (((shop, digest, version), before), after) in shops.iter().zip(&before).zip(&after) {
        assert_eq!(after["policy"], before["policy"], "{shop}");
        assert_eq!(
            after["policy"],
            json!({"module": digest, "settings_version": version, "mode": "active"})
        );
        assert_eq!(rules(after), rules(before), "{shop}: {after}");
        let policy = app
            .get(&format!("/v1/shops/{shop}/policy"), Some(OPERATOR_TOKEN))
            .await?
            .json()?;
        assert_eq!(policy["active"]["module"], json!(digest));
    }
    let promo_codes = after.iter().filter(|d| rules(d) == ["FL2"]).count();
    assert!(0 < promo_codes && promo_codes < SHOPS, "{promo_codes}");

    // The artifacts were read, not written again: nothing was compiled.
    for (path, at) in &artifacts {
        assert_eq!(modified(path), *at, "{} was rewritten", path.display());
    }
    let restart = reopened + first_decisions;
    println!(
        "restart with {SHOPS} distinct modules: reopen {reopened:.2?}, first decision of all \
         {SHOPS} shops {first_decisions:.2?} ({:.2?} each; {:.2?} each with the modules \
         loaded, before the restart), together {restart:.2?}; uploading (compiling) them \
         took {uploads:.2?} ({:.2?} each)",
        first_decisions / SHOPS as u32,
        warm / SHOPS as u32,
        uploads / SHOPS as u32,
    );
    assert!(
        restart * 4 < uploads,
        "a restart ({restart:?}) should be far faster than compiling ({uploads:?})"
    );
    assert!(restart < Duration::from_secs(30), "{restart:?}");
    Ok(())
}

#[tokio::test]
async fn an_artifact_the_host_did_not_write_for_a_module_is_never_run() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let standard = app.standard_module().await?;
    let florist = app.upload_module(&florist()).await?;
    app.put_policy("tamper-shop", &json!({"module": florist}))
        .await?;

    // Put the standard policy's artifact, with its valid MAC, in the florist's place: a
    // host that trusted it would run the standard rules under the florist's name.
    let planted = artifact_path(app.data_dir(), &florist).unwrap_or_default();
    let genuine = artifact_path(app.data_dir(), &standard).unwrap_or_default();
    let genuine_bytes = std::fs::read(&genuine)?;
    assert_ne!(std::fs::read(&planted)?, genuine_bytes);
    std::fs::copy(&genuine, &planted)?;
    std::fs::copy(genuine.with_extension("mac"), planted.with_extension("mac"))?;

    let app = app.restart().await?;
    let decision = first_decision(&app, &marketplace, "tamper-shop", "after").await;
    assert_eq!(decision["policy"]["module"], json!(florist));
    assert_eq!(rules(&decision), ["FL2"], "{decision}");
    assert_eq!(decision["fallback_applied"], false, "{decision}");
    // ...and the florist was compiled again and kept in place of the plant.
    assert_ne!(std::fs::read(&planted)?, genuine_bytes);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_restart_a_cached_module_does_not_wait_for_an_uploads_compile() -> anyhow::Result<()>
{
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let base = florist();
    let cached = app
        .upload_module(&with_custom_section(&base, "arbiter-test", b"cached"))
        .await?;
    app.put_policy("wait-shop", &json!({"module": cached}))
        .await?;
    let app = app.restart().await?;
    // A decision of another shop first, on the standard policy: what any first decision
    // pays after a restart (the ledger's connections, the config cache) is paid here, so
    // the decision timed below is the cached module's load and nothing else.
    first_decision(&app, &marketplace, "warm-shop", "warm-up").await;

    // An upload compiles on the one compile worker; meanwhile the shop's first decision
    // after the restart loads its module from the cache, beside the worker: the upload
    // is the only job the compile workers get. (A decision that queued there would be
    // a second job, and would finish after the upload.)
    let jobs_before = app.service().registry().compile_jobs();
    let router = app.router();
    let fresh = with_custom_section(arbiter_artifacts::STANDARD_POLICY, "arbiter-test", b"new");
    let upload = tokio::spawn(async move {
        let started = Instant::now();
        let reply = arbiter_tests::http::send(
            router,
            axum::http::Method::POST,
            "/v1/modules",
            Some(OPERATOR_TOKEN),
            &[],
            axum::body::Body::from(fresh),
        )
        .await;
        (started.elapsed(), reply.map(|reply| reply.status).ok())
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = Instant::now();
    let decision = first_decision(&app, &marketplace, "wait-shop", "during").await;
    let deciding = started.elapsed();
    let (uploading, status) = upload.await?;
    assert_eq!(status, Some(StatusCode::CREATED));
    assert_eq!(decision["policy"]["module"], json!(cached));
    println!("first decision after a restart {deciding:.2?}, beside an upload of {uploading:.2?}");
    assert_eq!(
        app.service().registry().compile_jobs(),
        jobs_before + 1,
        "the decision's module went to the compile workers"
    );
    // Timed on two shared cores, so only the coarse bound: it did not wait it out.
    assert!(
        deciding < uploading,
        "the decision ({deciding:?}) waited for the upload's compile ({uploading:?})"
    );
    Ok(())
}
