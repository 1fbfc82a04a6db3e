//! An input that is not acceptable, and the field to blame: what every strict parser and
//! check of the contract answers, and what the API turns into a 400 naming the field.

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
