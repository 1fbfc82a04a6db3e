//! Components that a host must refuse at load, built from source
//! (`policies/fixtures/describe-fails`, `imports-unknown`, `imports-sockets`): one whose
//! `metadata` traps (`describe_failed`), and ones that import what Arbiter does not
//! provide: an unknown interface and WASI sockets (`forbidden_imports`, naming the
//! import). And one it loads: `imports-filesystem`, which finds no files.

use arbiter::engine::{CompensationModule, Engine, LoadError};
use arbiter_artifacts::{
    DESCRIBE_FAILS_FIXTURE_PATH, IMPORTS_FILESYSTEM_FIXTURE_PATH, IMPORTS_SOCKETS_FIXTURE_PATH,
    IMPORTS_UNKNOWN_FIXTURE_PATH,
};

/// Why the component at `path` was refused as a `compensation-policy`.
fn load_error(path: &str) -> anyhow::Result<LoadError> {
    let bytes = std::fs::read(path)?;
    let engine = Engine::new(arbiter_tests::test_limits())?;
    match CompensationModule::load(&engine, &bytes) {
        Ok(module) => anyhow::bail!("{path} was accepted: {module:?}"),
        Err(error) => Ok(error),
    }
}

/// Asserts the refusal is `forbidden_imports` and its message names `import`.
fn assert_forbids(error: &LoadError, import: &str) {
    assert_eq!(error.code(), "forbidden_imports", "{error}");
    assert!(
        error.to_string().contains(import),
        "the message should name `{import}`: {error}"
    );
}

#[test]
fn a_module_whose_metadata_traps_fails_to_describe_itself() -> anyhow::Result<()> {
    let error = load_error(DESCRIBE_FAILS_FIXTURE_PATH)?;
    assert_eq!(error.code(), "describe_failed", "{error}");
    assert!(matches!(error, LoadError::Describe(_)), "{error:?}");
    Ok(())
}

#[test]
fn an_unknown_import_is_refused_by_name() -> anyhow::Result<()> {
    let error = load_error(IMPORTS_UNKNOWN_FIXTURE_PATH)?;
    assert_forbids(&error, "acme:telemetry/beacon");
    // The contract's own types are allowed, so they are not listed.
    assert!(!error.to_string().contains("arbiter:policy"), "{error}");
    Ok(())
}

#[test]
fn a_wasip2_module_reading_files_loads_and_finds_none() -> anyhow::Result<()> {
    let bytes = std::fs::read(IMPORTS_FILESYSTEM_FIXTURE_PATH)?;
    let engine = Engine::new(arbiter_tests::test_limits())?;
    let module = CompensationModule::load(&engine, &bytes)?;
    let request: arbiter::contract::DecisionRequest = serde_json::from_value(
        arbiter_tests::http::sample_claim("fs-c1", "fs-shop", "fs-u1"),
    )?;
    let history = arbiter::history::CustomerHistory::default();
    let decision = module
        .decide(
            &arbiter::convert::claim(&request),
            &arbiter::convert::history(&history, &request),
            "{}",
        )?
        .map_err(|refused| anyhow::anyhow!("{refused:?}"))?;
    let reason = &decision.reasons[0].text;
    assert!(reason.starts_with("could not read /etc/passwd"), "{reason}");
    Ok(())
}

#[test]
fn a_wasip2_module_opening_sockets_is_refused() -> anyhow::Result<()> {
    let error = load_error(IMPORTS_SOCKETS_FIXTURE_PATH)?;
    assert_forbids(&error, "wasi:sockets");
    Ok(())
}
