//! Strict parsing of a request: JSON syntax, shape and values, each error with the path
//! of the field at fault.

use super::DecisionRequest;
use super::validate::validate_request;

/// A request that is not acceptable, and the field to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's path, as `items[0].unit_price`; empty for the body as a whole.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Parses and validates a decision request body.
pub fn parse_request(body: &[u8]) -> Result<DecisionRequest, FieldError> {
    // serde reads a struct from a JSON array too, by position: the contract is an object.
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(FieldError::new(
            "",
            "invalid type: array, expected the request as a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let request: DecisionRequest = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| field_error(error.path().to_string(), error.into_inner()))?;
    deserializer.end().map_err(|error| {
        FieldError::new("", format!("trailing data after the JSON body: {error}"))
    })?;
    validate_request(&request)?;
    Ok(request)
}

/// serde names an unknown or missing field in its message: make sure the path ends with
/// it, so the caller always gets the field's full name.
fn field_error(path: String, error: serde_json::Error) -> FieldError {
    let message = strip_position(&error.to_string());
    // serde_path_to_error shows a key it never read (the body ended or broke before it)
    // as `?`: that names no field, so blame its parent.
    let known = path.trim_end_matches('?').trim_end_matches('.');
    let parent = if known.is_empty() {
        String::new()
    } else {
        known.to_owned()
    };
    let named = quoted_after(&message, "unknown field `")
        .or_else(|| quoted_after(&message, "missing field `"));
    match named {
        Some(name) => {
            // serde_path_to_error puts an unknown key in the path itself, a missing one not.
            let field = if parent.is_empty() {
                name.to_owned()
            } else if parent == name || parent.ends_with(&format!(".{name}")) {
                parent
            } else {
                format!("{parent}.{name}")
            };
            let message = if message.starts_with("unknown field") {
                format!("unknown field `{name}`")
            } else {
                format!("missing field `{name}`")
            };
            FieldError::new(field, message)
        }
        None if error.is_syntax() || error.is_eof() => {
            FieldError::new(parent, format!("the body is not valid JSON: {message}"))
        }
        None => FieldError::new(parent, message),
    }
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

fn strip_position(text: &str) -> String {
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}
