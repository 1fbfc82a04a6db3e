//! The platform's own modules, compiled into the binary from `policies/`.

use crate::engine::{CompensationModule, Engine, FraudModule, LoadError};

/// The standard compensation rulebook's component bytes.
pub const STANDARD_POLICY: &[u8] = arbiter_artifacts::STANDARD_POLICY;
/// The fraud screen's component bytes.
pub const FRAUD_SCREEN: &[u8] = arbiter_artifacts::FRAUD_SCREEN;

/// The standard compensation rulebook.
pub fn standard_policy(engine: &Engine) -> Result<CompensationModule, LoadError> {
    CompensationModule::load(engine, STANDARD_POLICY)
}

/// The platform's fraud screen.
pub fn fraud_screen(engine: &Engine) -> Result<FraudModule, LoadError> {
    FraudModule::load(engine, FRAUD_SCREEN)
}
