//! A full disk under the ledger: every write that cannot be made durable is answered 503
//! `storage_unavailable` with `Retry-After`, never 2xx, and `/readyz` is not ready; once
//! space is back the same process recovers by itself, and after a restart everything
//! that was acknowledged is there.
//!
//! The data directory lives on a small tmpfs of its own (tests run as root here; where
//! mounting is not allowed the test says it is skipped and passes).

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write as _};
use std::path::Path;
use std::process::Command;

use anyhow::Context as _;
use arbiter_tests::http::{HttpReply, OPERATOR_TOKEN, TestApp, json_body, sample_claim, send};
use axum::http::{Method, StatusCode};
use serde_json::json;

const SHOP: &str = "df-shop";
/// Decisions in flight at once while the disk is full, to fill group-commit batches.
const CONCURRENT: usize = 50;
/// Decisions that may still fit in the space the ledger's files already hold.
const MAX_DRAIN: usize = 5_000;

/// A tmpfs mounted on a fresh directory, unmounted (lazily) when dropped: also when the
/// test fails.
struct Tmpfs {
    mount: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`24m`); `Err` with the reason when this machine does not
    /// allow it.
    fn mount(size: &str) -> anyhow::Result<Result<Self, String>> {
        let mount = tempfile::tempdir().context("creating the mount point")?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(mount.path())
            .output();
        Ok(match output {
            Ok(output) if output.status.success() => Ok(Self { mount }),
            Ok(output) => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
            Err(error) => Err(error.to_string()),
        })
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.mount.path())
            .status();
    }
}

/// Appends to `path` until its file system has not one byte left.
fn fill(path: &Path) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    for size in [1 << 20, 4096, 1] {
        let block = vec![0xa5_u8; size];
        loop {
            match file.write_all(&block) {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::StorageFull => break,
                Err(error) => return Err(error).context("filling the disk"),
            }
        }
    }
    Ok(())
}

/// Holds `reply` to a refusal for want of storage: 503 `storage_unavailable`, retry in 1 s.
fn assert_storage_unavailable(reply: &HttpReply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", None);
    assert_eq!(reply.header("retry-after"), Some("1"), "{what}");
}

/// A decision's reply: its id when acknowledged (200), `None` when refused for want of
/// storage; anything else fails the test.
fn acknowledged(reply: &HttpReply, what: &str) -> anyhow::Result<Option<String>> {
    if reply.status == StatusCode::OK {
        let id = reply.json()?["decision_id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{what}: a 200 without a decision_id"))?;
        return Ok(Some(id));
    }
    assert_storage_unavailable(reply, what);
    Ok(None)
}

async fn decide(app: &TestApp, token: &str, claim_id: &str) -> anyhow::Result<Option<String>> {
    let claim = sample_claim(claim_id, SHOP, &format!("{claim_id}-u"));
    let reply = app.decide(token, &claim).await?;
    acknowledged(&reply, claim_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_is_answered_503_and_nothing_acknowledged_is_lost() -> anyhow::Result<()> {
    let tmpfs = match Tmpfs::mount("24m")? {
        Ok(tmpfs) => tmpfs,
        Err(reason) => {
            eprintln!("skipped: cannot mount tmpfs ({reason})");
            return Ok(());
        }
    };
    let filler = tmpfs.path().join("filler");
    let app = TestApp::in_dir(tempfile::tempdir_in(tmpfs.path())?).await?;
    let marketplace = app.marketplace_token().await?;
    let mut decided = Vec::new();
    for n in 0..5 {
        let claim_id = format!("df-before-{n}");
        let id = decide(&app, &marketplace, &claim_id).await?;
        decided.push(id.with_context(|| format!("{claim_id} refused with space left"))?);
    }

    // Not one byte left. Writes may still fit where the ledger's files hold space from
    // earlier writes (a WAL restarted after a checkpoint keeps its length); each that is
    // acknowledged must be durable. Decide until one is refused and the readiness check's
    // own write (one row) is refused too: then nothing fits.
    fill(&filler)?;
    let mut full = false;
    let mut drained = 0;
    for n in 0..MAX_DRAIN {
        if let Some(id) = decide(&app, &marketplace, &format!("df-drain-{n}")).await? {
            drained += 1;
            decided.push(id);
            continue;
        }
        let ready = app.get("/readyz", None).await?;
        if ready.status == StatusCode::OK {
            continue;
        }
        assert_storage_unavailable(&ready, "/readyz with the disk full");
        full = true;
        break;
    }
    assert!(full, "{MAX_DRAIN} decisions fitted on a full disk");
    eprintln!("{drained} decisions fitted in the ledger's files after the disk was full");

    for n in 0..3 {
        let claim_id = format!("df-full-{n}");
        let reply = app
            .decide(
                &marketplace,
                &sample_claim(&claim_id, SHOP, &format!("{claim_id}-u")),
            )
            .await?;
        assert_storage_unavailable(&reply, &claim_id);
    }

    // Concurrent decisions share group commits: each is acknowledged or refused, and a
    // refused batch does not leave the writer in a state that acknowledges later ones.
    let mut tasks = Vec::new();
    for n in 0..CONCURRENT {
        let router = app.router();
        let token = marketplace.clone();
        let claim_id = format!("df-burst-{n}");
        tasks.push(tokio::spawn(async move {
            let claim = sample_claim(&claim_id, SHOP, &format!("{claim_id}-u"));
            let reply = send(
                router,
                Method::POST,
                "/v1/decisions",
                Some(&token),
                &[],
                json_body(&claim),
            )
            .await?;
            acknowledged(&reply, &claim_id)
        }));
    }
    let mut refused = 0;
    for task in tasks {
        match task.await?? {
            Some(id) => decided.push(id),
            None => refused += 1,
        }
    }
    assert_eq!(refused, CONCURRENT, "decisions acknowledged on a full disk");

    let settings_path = format!("/v1/shops/{SHOP}/settings");
    let changes = [
        (
            Method::PUT,
            settings_path.clone(),
            json!({"promo_max": 100000}),
        ),
        (
            Method::POST,
            "/v1/tokens".to_owned(),
            json!({"role": "marketplace", "label": "disk full"}),
        ),
        (
            Method::PUT,
            "/v1/platform/guardrails".to_owned(),
            json!({"shop_daily_cap": 60000, "customer_30d_cap": null}),
        ),
        (
            Method::PUT,
            "/v1/platform/fraud-list/df-listed".to_owned(),
            json!({"reason": "chargebacks"}),
        ),
        (
            Method::PUT,
            format!("/v1/shops/{SHOP}/failure-policy"),
            json!({"failure_policy": "fallback_to_platform_default"}),
        ),
    ];
    for (method, path, body) in &changes {
        let reply = app
            .send(
                method.clone(),
                path,
                Some(OPERATOR_TOKEN),
                &[],
                json_body(body),
            )
            .await?;
        assert_storage_unavailable(&reply, &format!("{method} {path}"));
    }
    let ready = app.get("/readyz", None).await?;
    assert_storage_unavailable(&ready, "/readyz with the disk still full");
    // Reads need no space.
    let first = app
        .get(
            &format!("/v1/decisions/{}", decided[0]),
            Some(OPERATOR_TOKEN),
        )
        .await?;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");

    // Space is back: the same process recovers by itself, with no restart.
    std::fs::remove_file(&filler)?;
    let ready = app.get("/readyz", None).await?;
    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
    for n in 0..5 {
        let claim_id = format!("df-after-{n}");
        let id = decide(&app, &marketplace, &claim_id).await?;
        decided.push(id.with_context(|| format!("{claim_id} refused with space back"))?);
    }
    let version = app
        .put_settings(SHOP, &json!({"promo_max": 100000}))
        .await?;
    let issued = app.marketplace_token().await?;
    let caps = json!({"shop_daily_cap": 60000, "customer_30d_cap": null});
    let reply = app
        .put_json("/v1/platform/guardrails", Some(OPERATOR_TOKEN), &caps)
        .await?;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");

    // After a restart every acknowledged decision and change is there, and only those.
    let app = app.restart().await?;
    for id in &decided {
        let reply = app
            .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
            .await?;
        assert_eq!(reply.status, StatusCode::OK, "{id} lost: {reply:?}");
        assert_eq!(reply.json()?["decision"]["decision_id"], json!(id));
    }
    assert_eq!(
        app.decision_count().await?,
        u64::try_from(decided.len())?,
        "decisions stored beside the acknowledged ones"
    );
    let settings = app
        .get(&settings_path, Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(settings["version"], json!(version), "{settings}");
    assert_eq!(settings["settings"]["promo_max"], 100000, "{settings}");
    let guardrails = app
        .get("/v1/platform/guardrails", Some(OPERATOR_TOKEN))
        .await?
        .json()?;
    assert_eq!(guardrails, caps);
    for (token, tag) in [(&marketplace, "old-token"), (&issued, "new-token")] {
        let id = decide(&app, token, &format!("df-restarted-{tag}")).await?;
        assert!(id.is_some(), "{tag} refused after the restart");
    }
    assert_eq!(
        app.service().ledger().integrity_check().await?.as_deref(),
        Some("ok")
    );
    Ok(())
}
