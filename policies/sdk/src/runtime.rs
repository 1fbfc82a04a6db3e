//! The glue between the exported WIT functions and a policy's trait implementation.
//!
//! The export macros call these; a policy's tests may call them too, to run exactly the
//! path a Wasm call takes (settings text in, decision out) without building Wasm.

use crate::settings::{PolicySettings, parse_settings};
use crate::{Assessment, Claim, Decision, History, PolicyError, SettingsError};

/// Parses `settings` and asks `P` for the next step.
pub fn decide<P: crate::CompensationPolicy>(
    claim: &Claim,
    history: &History,
    settings: &str,
) -> Result<Decision, PolicyError> {
    let settings = parse_settings::<P::Settings>(settings).map_err(PolicyError::InvalidSettings)?;
    P::decide(claim, history, &settings)
}

/// Parses `settings` and asks `F` for its assessment.
pub fn assess<F: crate::FraudScreen>(
    claim: &Claim,
    history: &History,
    settings: &str,
    shop_settings: &str,
) -> Result<Assessment, PolicyError> {
    let settings = parse_settings::<F::Settings>(settings).map_err(PolicyError::InvalidSettings)?;
    F::assess(claim, history, &settings, shop_settings)
}

/// Parses and checks a settings document.
pub fn validate_settings<S: PolicySettings>(settings: &str) -> Result<(), SettingsError> {
    parse_settings::<S>(settings).map(|_| ())
}

/// The JSON Schema of `S`, as text.
pub fn settings_schema<S: PolicySettings>() -> String {
    let schema = schemars::schema_for!(S);
    serde_json::to_string(&schema).unwrap_or_else(|_| String::from("{}"))
}
