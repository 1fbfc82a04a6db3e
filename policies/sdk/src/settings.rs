//! Settings: the values a seller tunes without code, parsed from JSON with defaults.
//!
//! A settings type derives `Deserialize` and `JsonSchema`, has `#[serde(default,
//! deny_unknown_fields)]` and a `Default` that holds the documented defaults; its doc
//! comments become the descriptions a console shows. Errors name the key at fault.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::SettingsError;

/// A policy's settings.
pub trait PolicySettings: Default + DeserializeOwned + JsonSchema {
    /// Checks relations between values once they are parsed (`promo_max <= refund_max`).
    fn validate(&self) -> Result<(), SettingsError> {
        Ok(())
    }
}

/// For a policy that has nothing to tune: only `{}` (or empty text) is accepted.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

impl PolicySettings for NoSettings {}

/// A settings error that names `key`.
pub fn setting_error(key: &str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        key: Some(key.to_owned()),
        message: message.into(),
    }
}

/// Parses a settings document: empty text means all defaults; keys that are absent take
/// their defaults; unknown keys and wrong types are rejected naming the key.
pub fn parse_settings<S: PolicySettings>(text: &str) -> Result<S, SettingsError> {
    let settings = if text.trim().is_empty() {
        S::default()
    } else if !text.trim_start().starts_with('{') {
        // serde would also read a struct from a JSON array; settings are an object.
        return Err(SettingsError {
            key: None,
            message: "settings must be a JSON object".to_owned(),
        });
    } else {
        deserialize_keyed(text)?
    };
    settings.validate()?;
    Ok(settings)
}

/// Deserializes a settings document, naming the key at fault. A bad value's key comes
/// from its path; serde reports an unknown key only in its message.
fn deserialize_keyed<S: DeserializeOwned>(text: &str) -> Result<S, SettingsError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: S = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = strip_position(&inner.to_string());
        let key = unknown_field(&message)
            .map(str::to_owned)
            .or_else(|| (path != ".").then_some(path));
        let message = match &key {
            Some(key) if message.starts_with("unknown field") => format!("unknown setting `{key}`"),
            Some(key) => format!("`{key}`: {message}"),
            None => format!("settings are not a valid JSON object: {message}"),
        };
        SettingsError { key, message }
    })?;
    deserializer.end().map_err(|error| SettingsError {
        key: None,
        message: format!("trailing characters after the settings object: {error}"),
    })?;
    Ok(parsed)
}

fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

fn strip_position(text: &str) -> String {
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Example {
        /// The most a promo code may be worth.
        promo_max: i64,
        first_case_only: bool,
    }

    impl Default for Example {
        fn default() -> Self {
            Self {
                promo_max: 50_000,
                first_case_only: true,
            }
        }
    }

    impl PolicySettings for Example {
        fn validate(&self) -> Result<(), SettingsError> {
            if self.promo_max <= 0 {
                return Err(setting_error("promo_max", "must be greater than 0"));
            }
            Ok(())
        }
    }

    #[test]
    fn empty_text_and_empty_object_give_the_defaults() {
        assert_eq!(parse_settings::<Example>(""), Ok(Example::default()));
        assert_eq!(parse_settings::<Example>("{}"), Ok(Example::default()));
    }

    #[test]
    fn absent_keys_take_their_defaults() {
        let parsed = parse_settings::<Example>(r#"{"promo_max": 100000}"#);
        assert_eq!(
            parsed,
            Ok(Example {
                promo_max: 100_000,
                first_case_only: true
            })
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let error = parse_settings::<Example>(r#"{"promo_maxx": 1}"#).unwrap_err();
        assert_eq!(error.key.as_deref(), Some("promo_maxx"));
    }

    #[test]
    fn wrong_type_is_named() {
        let error = parse_settings::<Example>(r#"{"first_case_only": true, "promo_max": "lots"}"#)
            .unwrap_err();
        assert_eq!(error.key.as_deref(), Some("promo_max"));
        assert!(error.message.contains("promo_max"), "{}", error.message);
    }

    #[test]
    fn validation_names_the_key() {
        let error = parse_settings::<Example>(r#"{"promo_max": 0}"#).unwrap_err();
        assert_eq!(error.key.as_deref(), Some("promo_max"));
    }

    #[test]
    fn not_an_object_is_refused() {
        assert!(parse_settings::<Example>("[1]").is_err());
        assert!(parse_settings::<Example>("{").is_err());
        assert!(parse_settings::<NoSettings>(r#"{"x": 1}"#).is_err());
    }

    #[test]
    fn schema_carries_defaults_and_descriptions() {
        let schema = crate::runtime::settings_schema::<Example>();
        let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
        let promo = &schema["properties"]["promo_max"];
        assert_eq!(promo["default"], 50_000);
        assert_eq!(promo["description"], "The most a promo code may be worth.");
    }
}
