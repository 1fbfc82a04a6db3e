//! Strict parsing of a decision request: JSON syntax, shape and values, each error with
//! the path of the field at fault.

use super::DecisionRequest;
use super::field_error::FieldError;
use super::json::parse_object;
use super::validate::validate_request;

/// Parses and validates a decision request body.
pub fn parse_request(body: &[u8]) -> Result<DecisionRequest, FieldError> {
    let request: DecisionRequest = parse_object(body)?;
    validate_request(&request)?;
    Ok(request)
}
