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

/// `settings` as the JSON text stored, once it is a JSON object. A whole-number float
/// (`3.0`) is written as the integer it equals, as JSON Schema counts it (and as a
/// module reading an integer setting expects); any other number is kept as sent.
pub(super) fn settings_text(settings: &serde_json::Value) -> Result<String, ServiceError> {
    if settings.is_object() {
        Ok(whole_numbers_as_integers(settings.clone()).to_string())
    } else {
        Err(ServiceError::SettingsRejected {
            key: None,
            message: "settings must be a JSON object".into(),
        })
    }
}

/// `value` with every float that equals an integer (within i64 or u64) written as that
/// integer.
fn whole_numbers_as_integers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::{Number, Value};
    match value {
        Value::Number(number) if number.is_f64() => {
            let integer = number
                .as_f64()
                .and_then(crate::contract::whole_number)
                .map(|whole| match whole {
                    Ok(unsigned) => Number::from(unsigned),
                    Err(negative) => Number::from(negative),
                });
            Value::Number(integer.unwrap_or(number))
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(whole_numbers_as_integers).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, whole_numbers_as_integers(value)))
                .collect(),
        ),
        other => other,
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
    fn only_an_object_is_settings_and_whole_floats_are_integers() {
        assert_eq!(
            settings_text(&json!({"a": 1})).ok().as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(
            settings_text(&json!({"a": 3.0, "b": [2.5, 1e3], "c": {"d": -4.0}}))
                .ok()
                .as_deref(),
            Some(r#"{"a":3,"b":[2.5,1000],"c":{"d":-4}}"#)
        );
        for value in [json!([1]), json!(1), json!(null), json!("x")] {
            assert!(matches!(
                settings_text(&value),
                Err(ServiceError::SettingsRejected { key: None, .. })
            ));
        }
    }
}
