//! Signed modules: once an operator trusts keys, an upload needs a signature by one
//! of them over the module's digest; missing, wrong-key, tampered and malformed
//! signatures are refused with their own codes, and nothing in the request can pick
//! or skip the key.

use std::path::{Path, PathBuf};

use arbiter::engine::ModuleDigest;
use arbiter::signing::{self, TrustedKeys};
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp};
use arbiter_tests::modules::{florist, with_custom_section};
use axum::body::Body;
use axum::http::{Method, StatusCode};

/// A new key pair written under `dir` as `name.key` and `name.pub`.
fn key_pair(dir: &Path, name: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (private, public) = signing::generate()?;
    let (private_path, public_path) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    );
    std::fs::write(&private_path, private)?;
    std::fs::write(&public_path, public)?;
    Ok((private_path, public_path))
}

fn signature(bytes: &[u8], key: &Path) -> anyhow::Result<String> {
    Ok(signing::sign(
        &signing::load_signing_key(key)?,
        &ModuleDigest::of(bytes),
    ))
}

async fn upload(
    app: &TestApp,
    bytes: &[u8],
    headers: &[(&str, &str)],
) -> anyhow::Result<arbiter_tests::http::HttpReply> {
    app.send(
        Method::POST,
        "/v1/modules",
        Some(OPERATOR_TOKEN),
        headers,
        Body::from(bytes.to_vec()),
    )
    .await
}

#[tokio::test]
async fn a_server_with_trusted_keys_takes_only_modules_they_signed() -> anyhow::Result<()> {
    let keys = tempfile::tempdir()?;
    let (seller_key, seller_pub) = key_pair(keys.path(), "seller")?;
    let (_, other_pub) = key_pair(keys.path(), "other-trusted")?;
    let (stranger_key, _) = key_pair(keys.path(), "stranger")?;
    let app = TestApp::new()
        .await?
        .trusting(TrustedKeys::load(&[&other_pub, &seller_pub])?);
    let module = florist();

    // No signature.
    upload(&app, &module, &[])
        .await?
        .assert_error(StatusCode::FORBIDDEN, "module_unsigned", None);
    // Signed by a key the server does not trust.
    let by_stranger = signature(&module, &stranger_key)?;
    upload(&app, &module, &[("arbiter-signature", &by_stranger)])
        .await?
        .assert_error(StatusCode::FORBIDDEN, "module_signature_invalid", None);
    // A trusted key's signature, but over other bytes (the module changed after).
    let signed = signature(&module, &seller_key)?;
    let tampered = with_custom_section(&module, "extra", b"changed after signing");
    upload(&app, &tampered, &[("arbiter-signature", &signed)])
        .await?
        .assert_error(StatusCode::FORBIDDEN, "module_signature_invalid", None);
    // Not a signature at all; a key id the request names changes nothing.
    for malformed in ["ed25519:abcd", "sha256:00", &signed[8..]] {
        upload(
            &app,
            &module,
            &[
                ("arbiter-signature", malformed),
                ("arbiter-key-id", "seller"),
            ],
        )
        .await?
        .assert_error(StatusCode::FORBIDDEN, "module_signature_invalid", None);
    }
    // None of those left anything behind.
    let listed = app.get("/v1/modules", Some(OPERATOR_TOKEN)).await?.json()?;
    let digest = ModuleDigest::of(&module).to_string();
    assert!(
        !listed.to_string().contains(&digest),
        "a refused module was stored: {listed}"
    );

    // Signed by a trusted key: taken.
    let reply = upload(&app, &module, &[("arbiter-signature", &signed)]).await?;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.json()?["digest"], digest.as_str());
    Ok(())
}

#[tokio::test]
async fn without_trusted_keys_uploads_need_no_signature() -> anyhow::Result<()> {
    let app = TestApp::new().await?;
    let reply = upload(&app, &florist(), &[]).await?;
    assert_eq!(reply.status, StatusCode::CREATED);
    Ok(())
}
