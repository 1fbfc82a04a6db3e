//! Settings: they are a JSON object, and the module that will run with them checks them
//! (its `validate-settings`) before they are stored. One path for both worlds.

use crate::engine::{CompensationModule, FraudModule, GuestFailure};
use crate::world::types::SettingsError;

use super::ServiceError;

/// A module that checks settings before they are stored: both worlds export
/// `validate-settings`.
pub(super) trait ChecksSettings: Send + 'static {
    fn check(&self, settings: &str) -> Result<Result<(), SettingsError>, GuestFailure>;
}

impl ChecksSettings for CompensationModule {
    fn check(&self, settings: &str) -> Result<Result<(), SettingsError>, GuestFailure> {
        self.validate_settings(settings)
    }
}

impl ChecksSettings for FraudModule {
    fn check(&self, settings: &str) -> Result<Result<(), SettingsError>, GuestFailure> {
        self.validate_settings(settings)
    }
}

/// `settings` as the JSON text stored, once it is a JSON object.
pub(super) fn settings_text(settings: &serde_json::Value) -> Result<String, ServiceError> {
    if settings.is_object() {
        Ok(settings.to_string())
    } else {
        Err(ServiceError::SettingsRejected {
            key: None,
            message: "settings must be a JSON object".into(),
        })
    }
}

/// Asks `module` whether `settings` are acceptable (on the blocking pool: it is guest
/// code). A refusal names the key; a module that fails meanwhile is its own error.
pub(super) async fn validate_settings(
    module: impl ChecksSettings,
    settings: String,
) -> Result<(), ServiceError> {
    let verdict = tokio::task::spawn_blocking(move || module.check(&settings))
        .await
        .map_err(|error| ServiceError::Blocking("checking the settings", error))?
        .map_err(ServiceError::SettingsCheckFailed)?;
    verdict.map_err(|rejected| ServiceError::SettingsRejected {
        key: rejected.key,
        message: rejected.message,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_an_object_is_settings() {
        assert_eq!(
            settings_text(&json!({"a": 1})).ok().as_deref(),
            Some(r#"{"a":1}"#)
        );
        for value in [json!([1]), json!(1), json!(null), json!("x")] {
            assert!(matches!(
                settings_text(&value),
                Err(ServiceError::SettingsRejected { key: None, .. })
            ));
        }
    }
}
