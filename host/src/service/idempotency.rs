//! Idempotency: the key a decision is stored under, the canonical hash of its request,
//! and whether a stored answer may be replayed for a request.

use crate::contract::{DecisionRequest, FieldError};

use super::ServiceError;

/// The longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// A decision's answer, and whether it was made now or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub body: String,
    pub replayed: bool,
}

/// The key a request is idempotent under: the header, or `claim_id#revision`.
pub(super) fn key_for(
    request: &DecisionRequest,
    header: Option<&str>,
) -> Result<String, FieldError> {
    match header {
        Some(key) => {
            let key = key.trim();
            if key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY_LEN
                || key.chars().any(char::is_control)
            {
                return Err(FieldError::new(
                    "Idempotency-Key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes of printable text"),
                ));
            }
            Ok(format!("key:{key}"))
        }
        None => Ok(format!("claim:{}#{}", request.claim_id, request.revision)),
    }
}

/// SHA-256 of the request in canonical form (field order fixed by the type), so that
/// whitespace or key order does not make a replay look like a conflict.
pub(super) fn request_hash(request: &DecisionRequest) -> String {
    crate::digest::sha256_hex(&serde_json::to_vec(request).unwrap_or_default())
}

/// The stored answer for `key`, if it was given to this same request; else a conflict.
pub(super) fn replay(
    key: &str,
    request_hash: &str,
    stored_hash: String,
    stored_response: String,
) -> Result<Reply, ServiceError> {
    if stored_hash != request_hash {
        let shown = key
            .strip_prefix("key:")
            .or_else(|| key.strip_prefix("claim:"))
            .unwrap_or(key);
        return Err(ServiceError::IdempotencyConflict(shown.to_owned()));
    }
    Ok(Reply {
        body: stored_response,
        replayed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_needs_the_same_request() {
        let same = replay("key:k", "h1", "h1".into(), "{}".into());
        assert!(matches!(same, Ok(Reply { replayed: true, .. })));
        let other = replay("claim:c-1#2", "h1", "h2".into(), "{}".into());
        assert!(matches!(other, Err(ServiceError::IdempotencyConflict(key)) if key == "c-1#2"));
    }
}
