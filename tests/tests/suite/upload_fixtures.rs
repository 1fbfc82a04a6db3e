//! Components that a host must refuse at load, built from source
//! (`policies/fixtures/describe-fails`, `imports-unknown`, `imports-filesystem`,
//! `imports-sockets`): one whose `metadata` traps (`describe_failed`), and ones that
//! import what Arbiter does not provide: an unknown interface, WASI files and WASI
//! sockets (`forbidden_imports`, naming the import).

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
fn a_wasip2_module_reading_files_is_refused() -> anyhow::Result<()> {
    let error = load_error(IMPORTS_FILESYSTEM_FIXTURE_PATH)?;
    assert_forbids(&error, "wasi:filesystem");
    Ok(())
}

#[test]
fn a_wasip2_module_opening_sockets_is_refused() -> anyhow::Result<()> {
    let error = load_error(IMPORTS_SOCKETS_FIXTURE_PATH)?;
    assert_forbids(&error, "wasi:sockets");
    Ok(())
}
