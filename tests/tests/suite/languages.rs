//! JavaScript and Python policies behind the HTTP API: the florist examples built with
//! their own toolchains (`arbiter::toolchain`, as `arbiter module build` does) are
//! accepted by a default server, decide like the Rust florist, have what they print
//! shown by explain, and are replayed exactly by a replay audit.
//!
//! The toolchains come from npm and PyPI (`.ci/run` installs them); without them this
//! test says so and passes, unless `ARBITER_REQUIRE_TOOLCHAINS` is set, as CI sets it.

use std::path::PathBuf;

use arbiter::toolchain::{self, Language};
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use serde_json::{Value, json};

use crate::http_backtests::backtest_at;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../policies/examples")
        .join(name)
}

fn toolchains() -> bool {
    let tools = [
        example("florist-js").join("node_modules/.bin/componentize-js"),
        example("florist-py").join(".venv/bin/componentize-py"),
    ];
    if tools.iter().all(|tool| tool.is_file()) {
        return true;
    }
    assert!(
        std::env::var_os("ARBITER_REQUIRE_TOOLCHAINS").is_none(),
        "toolchains missing: {tools:?}"
    );
    eprintln!("skipped: no {tools:?} (npm ci / pip install, as .ci/run does)");
    false
}

#[tokio::test]
async fn javascript_and_python_policies_decide_print_and_replay_exactly() -> anyhow::Result<()> {
    if !toolchains() {
        return Ok(());
    }
    let out = tempfile::tempdir()?;
    let (js, python) = {
        let out = out.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let js = toolchain::build(
                &example("florist-js"),
                Language::Js,
                Some(&out.join("js.wasm")),
            );
            let python = toolchain::build(
                &example("florist-py"),
                Language::Python,
                Some(&out.join("py.wasm")),
            );
            (js, python)
        })
        .await?
    };
    let (js, python) = (js?, python?);

    // The default server: no --max-module-mib, no --compile-timeout-s.
    let app = TestApp::new().await?;
    let marketplace = app.marketplace_token().await?;
    let rust = app
        .upload_module(&std::fs::read(arbiter_artifacts::FLORIST_EXAMPLE_PATH)?)
        .await?;
    let shops = [
        ("rust-florist", rust, "Rust"),
        (
            "js-florist",
            app.upload_module(&js.bytes).await?,
            "JavaScript",
        ),
        (
            "py-florist",
            app.upload_module(&python.bytes).await?,
            "Python",
        ),
    ];
    for (shop, module, _) in &shops {
        app.put_policy(
            shop,
            &json!({"module": module, "settings": {"promo_max": 50_000}}),
        )
        .await?;
    }

    // Three claims per shop: a cheap one (FL2), a dear one (FL3), a return (FL1).
    let mut answers: Vec<Vec<Value>> = Vec::new();
    for (shop, module, language) in &shops {
        let mut decided = Vec::new();
        for (n, price, kind) in [
            (1, 35_000, "damaged"),
            (2, 60_000, "damaged"),
            (3, 35_000, "return"),
        ] {
            let claim_id = format!("{shop}-c{n}");
            let mut claim = sample_claim(&claim_id, shop, &format!("{shop}-u{n}"));
            claim = with(claim, "items.0.unit_price", json!(price));
            if kind == "return" {
                claim = with(
                    with(claim, "kind", json!("return")),
                    "subkind",
                    json!("proper_quality"),
                );
            }
            let answer = app.decide(&marketplace, &claim).await?.json()?;
            assert_eq!(
                answer["policy"]["module"],
                json!(module),
                "{language}: {answer}"
            );
            assert_eq!(answer["fallback_applied"], false, "{language}: {answer}");

            let id = answer["decision_id"].as_str().unwrap_or_default();
            let explained = app
                .get(&format!("/v1/decisions/{id}"), Some(OPERATOR_TOKEN))
                .await?
                .json()?;
            let printed = explained["guest_output"].as_str();
            if *language == "Rust" {
                assert_eq!(printed, None, "{explained}");
            } else {
                let expected = format!("claim {claim_id}: worth ");
                assert!(
                    printed.is_some_and(|output| output.starts_with(&expected)),
                    "{language}: {explained}"
                );
            }
            decided.push(answer);
        }
        answers.push(decided);
    }
    let essence = |answer: &Value| {
        json!([
            answer["outcome"],
            answer["actions"],
            answer["payer"],
            answer["reasons"]
        ])
    };
    for (n, rust) in answers[0].iter().enumerate() {
        for (language, theirs) in [("JavaScript", &answers[1][n]), ("Python", &answers[2][n])] {
            assert_eq!(essence(theirs), essence(rust), "claim {n}, {language}");
        }
    }
    assert_eq!(answers[0][0]["actions"][0]["type"], "promo_code");
    assert_eq!(answers[0][1]["outcome"], "escalate");
    assert_eq!(answers[0][2]["outcome"], "reject");

    // Re-deciding each recorded decision with its own module and settings changes none.
    for (shop, _, language) in &shops[1..] {
        let audit = backtest_at(
            &app,
            &format!("/v1/shops/{shop}/backtests"),
            OPERATOR_TOKEN,
            &json!({"module": null, "settings": null}),
        )
        .await?;
        assert_eq!(audit["report"]["decisions"], 3, "{language}: {audit}");
        assert_eq!(audit["report"]["changed"], 0, "{language}: {audit}");
        assert_eq!(audit["report"]["not_replayed"], 0, "{language}: {audit}");
    }
    Ok(())
}
