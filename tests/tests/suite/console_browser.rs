//! The console in a real headless browser (Debian's `chromium`, driven over WebDriver
//! by `chromedriver`): a seller signs in, meets an error at the field the server names,
//! previews and saves settings, reads a decision's reasons (a hostile item title shown
//! as text), runs a backtest, rolls back, and cannot reach another shop; an operator
//! reads the platform pages. Each page's screenshot is written under
//! `target/console-screenshots/`.
//!
//! Without `/usr/bin/chromedriver` the test says so and passes, unless `CI` is set
//! (`.ci/run` installs it), where a missing browser fails.

use arbiter::server::FrontDoor;
use arbiter_tests::browser::{CHROMEDRIVER, Console, Session, available};
use arbiter_tests::http::{OPERATOR_TOKEN, TestApp, sample_claim, with};
use axum::http::StatusCode;
use serde_json::{Value, json};

const SHOP: &str = "web-shop";
const OTHER: &str = "web-other";
const HOSTILE_TITLE: &str = "<img src=x onerror=alert(1)>";

/// A ledger for the seller to look at: claims of two shops, one with a hostile title.
async fn seed(app: &TestApp) -> anyhow::Result<()> {
    let mut claims: Vec<Value> = (0..8)
        .map(|n| sample_claim(&format!("web-{n}"), SHOP, &format!("u-web-{n}")))
        .collect();
    claims.push(with(
        sample_claim("web-xss", SHOP, "u-web-xss"),
        "items.0.title",
        json!(HOSTILE_TITLE),
    ));
    claims.push(sample_claim("web-elsewhere", OTHER, "u-web-o"));
    for claim in &claims {
        let reply = app.decide(OPERATOR_TOKEN, claim).await?;
        anyhow::ensure!(
            reply.status == StatusCode::OK,
            "seeding: {:?}",
            reply.json()
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_seller_and_an_operator_use_the_console_in_a_real_browser() -> anyhow::Result<()> {
    if !available() {
        anyhow::ensure!(
            std::env::var_os("CI").is_none(),
            "{CHROMEDRIVER} is missing; .ci/run installs chromium and chromium-driver"
        );
        eprintln!(
            "skipped: no {CHROMEDRIVER} (apt-get install chromium chromium-driver to run it)"
        );
        return Ok(());
    }
    let app = TestApp::new().await?;
    seed(&app).await?;
    let seller = app.seller_token(SHOP).await?;
    let served = app.serve(FrontDoor::default()).await?;
    let session = Session::start(served.address()).await?;
    let outcome = walk(&session.console, &app, &seller).await;
    session.close().await?;
    outcome
}

async fn walk(console: &Console, app: &TestApp, seller: &str) -> anyhow::Result<()> {
    // Sign in as the shop's seller: the overview, version 0.
    console.open("/signin").await?;
    console.page("signin").await?;
    console.screenshot("01-sign-in").await?;
    console.sign_in(seller, "overview").await?;
    let version = console.text("#active-settings-version").await?;
    assert!(version.contains('0'), "{version}");
    console.screenshot("02-overview").await?;

    // An invalid setting: the server's message at that field, nothing saved.
    console.open(&format!("/shops/{SHOP}/settings")).await?;
    console.page("settings").await?;
    console.fill("#setting-repeat_window_days", "0").await?;
    console.click("#save").await?;
    let error = console
        .text_until("#error-repeat_window_days", |text| !text.trim().is_empty())
        .await?;
    assert!(!error.is_empty());
    console.screenshot("03-settings-error").await?;
    assert_eq!(
        app.get(&format!("/v1/shops/{SHOP}/settings"), Some(seller))
            .await?
            .json()?["version"],
        json!(0)
    );

    // A valid change previewed over the last 30 days: the claims it would change.
    console.fill("#setting-repeat_window_days", "365").await?;
    console.fill("#setting-promo_max", "20000").await?;
    console.click("#preview").await?;
    let changed = console.some("#preview-changes tr.change").await?;
    assert!(
        changed >= 1,
        "a lower promo cap changes the 350.00 promo codes"
    );
    console.show("#preview-result").await?;
    console.screenshot("04-settings-preview").await?;

    // Saved: the next version.
    console.click("#save").await?;
    console
        .text_until("#settings-version", |text| text.contains("Version 1"))
        .await?;
    console.screenshot("05-settings-saved").await?;
    let stored = app
        .get(&format!("/v1/shops/{SHOP}/settings"), Some(seller))
        .await?
        .json()?;
    assert_eq!(stored["version"], json!(1));
    assert_eq!(stored["settings"]["promo_max"], json!(20000));

    // Decisions: the list, then the hostile claim's decision, its title as text.
    console.open(&format!("/shops/{SHOP}/decisions")).await?;
    console.page("decisions").await?;
    assert_eq!(console.some("#decisions-table tr.decision").await?, 9);
    console.screenshot("06-decisions").await?;
    console.fill("#filter-claim", "web-xss").await?;
    console.click("#apply-filters").await?;
    console
        .text_until("#decisions-table", |text| {
            text.contains("web-xss") && !text.contains("web-1")
        })
        .await?;
    console.click("#decisions-table a.decision-link").await?;
    console.page("decision").await?;
    assert!(console.some("#decision-reasons li").await? >= 1);
    let reasons = console.text("#decision-reasons").await?;
    assert!(!reasons.trim().is_empty());
    let items = console.text("#decision-items").await?;
    assert!(items.contains(HOSTILE_TITLE), "{items}");
    let injected = console
        .client
        .execute(
            "return document.querySelectorAll('img[src=\"x\"]').length;",
            vec![],
        )
        .await?;
    assert_eq!(injected, json!(0), "the title was rendered as HTML");
    console.screenshot("07-decision").await?;

    // A backtest of a candidate setting: progress, then the charts and the table.
    console.open(&format!("/shops/{SHOP}/backtests")).await?;
    console.page("backtests").await?;
    console
        .fill("#bt-settings", r#"{"promo_max": 10000}"#)
        .await?;
    console.click("#bt-run").await?;
    console.wait("svg#bt-chart-money").await?;
    console.wait("svg#bt-chart-outcomes").await?;
    assert!(console.some("#bt-changes tr.change").await? >= 1);
    console.show("svg#bt-chart-money").await?;
    console.screenshot("08-backtest").await?;

    // Insights of the seeded claims.
    console.open(&format!("/shops/{SHOP}/insights")).await?;
    console.page("insights").await?;
    console.wait("svg#chart-series").await?;
    console.screenshot("09-insights").await?;

    // Roll back to version 0, confirmed on the page.
    console.open(&format!("/shops/{SHOP}/overview")).await?;
    console.page("overview").await?;
    console.click("#rollback").await?;
    console.screenshot("10-rollback-confirm").await?;
    console.click("#confirm-yes").await?;
    console
        .text_until("#active-settings-version", |text| {
            text.contains("Version 0")
        })
        .await?;
    console.screenshot("11-rolled-back").await?;
    let policy = app
        .get(&format!("/v1/shops/{SHOP}/policy"), Some(seller))
        .await?
        .json()?;
    assert_eq!(policy["active"]["version"], json!(0));

    // Another shop's pages, the URL edited by hand: not found.
    console.open(&format!("/shops/{OTHER}/overview")).await?;
    console.wait(r#"#page[data-page="not-found"]"#).await?;
    console.screenshot("12-other-shop-not-found").await?;
    console.open(&format!("/shops/{OTHER}/decisions")).await?;
    console.wait(r#"#page[data-page="not-found"]"#).await?;

    // At a phone's width.
    console.client.set_window_size(390, 844).await?;
    console.open(&format!("/shops/{SHOP}/decisions")).await?;
    console.page("decisions").await?;
    console.screenshot("13-decisions-phone").await?;
    console.client.set_window_size(1280, 1000).await?;

    assert_eq!(
        console.errors().await?,
        json!([]),
        "script errors or CSP violations"
    );

    // The operator: platform pages.
    console.click("#sign-out").await?;
    console.sign_in(OPERATOR_TOKEN, "platform-insights").await?;
    console.wait("#by-shop").await?;
    console.screenshot("14-platform-insights").await?;
    // Each platform page with what it must list: the built-in modules; the settings
    // saved and the rollback in the audit log; the fraud list's form; the guardrails.
    for (page, shot, rows, at_least) in [
        (
            "platform-modules",
            "15-platform-modules",
            "#modules tbody tr",
            2,
        ),
        ("platform-audit", "16-platform-audit", "#audit tbody tr", 2),
        (
            "platform-fraud-list",
            "17-platform-fraud-list",
            "#fraud-add",
            1,
        ),
        (
            "platform-guardrails",
            "18-platform-guardrails",
            "#guardrails-form input",
            1,
        ),
    ] {
        console
            .open(&format!(
                "/platform/{}",
                page.trim_start_matches("platform-")
            ))
            .await?;
        console.page(page).await?;
        assert!(console.some(rows).await? >= at_least, "{page}: {rows}");
        console.screenshot(shot).await?;
    }
    assert_eq!(
        console.errors().await?,
        json!([]),
        "script errors or CSP violations"
    );
    Ok(())
}
