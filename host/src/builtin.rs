//! The platform's own modules, compiled into the binary from `policies/`.

use crate::engine::{CompensationModule, Engine, FraudModule, LoadError};

/// The standard compensation rulebook.
pub fn standard_policy(engine: &Engine) -> Result<CompensationModule, LoadError> {
    CompensationModule::load(engine, arbiter_artifacts::STANDARD_POLICY)
}

/// The platform's fraud screen.
pub fn fraud_screen(engine: &Engine) -> Result<FraudModule, LoadError> {
    FraudModule::load(engine, arbiter_artifacts::FRAUD_SCREEN)
}
