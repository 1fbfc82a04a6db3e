//! `POST /v1/decisions` bodies: whatever the bytes, `parse_request` (JSON syntax, shape,
//! then `validate_request`) answers `Ok` or a `FieldError`, never a panic.
//!
//! An accepted request also goes through what the service does with it next, without
//! a ledger or an engine: `convert::claim` (the WIT claim policies see) and the
//! canonical JSON the service hashes for idempotency and stores for audits. That JSON
//! must itself be an acceptable request, equal to the one parsed.
//!
//! `ARBITER_FUZZ_VERBOSE=1` prints each input's outcome (for `cargo fuzz run` on one
//! file, or the seeds).

#![no_main]

use std::sync::OnceLock;

use arbiter::contract::parse_request;
use libfuzzer_sys::fuzz_target;

fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("ARBITER_FUZZ_VERBOSE").is_some_and(|v| v != "0"))
}

fuzz_target!(|data: &[u8]| {
    let request = match parse_request(data) {
        Ok(request) => request,
        Err(error) => {
            if verbose() {
                eprintln!("rejected: {error}");
            }
            return;
        }
    };
    if verbose() {
        eprintln!("accepted: claim {} #{}", request.claim_id, request.revision);
    }

    let claim = arbiter::convert::claim(&request);
    assert_eq!(claim.claim_id, request.claim_id);

    let canonical = serde_json::to_vec(&request).expect("an accepted request serializes");
    match parse_request(&canonical) {
        Ok(again) => assert_eq!(
            again,
            request,
            "the canonical form parses to another request: {}",
            String::from_utf8_lossy(&canonical)
        ),
        Err(error) => panic!(
            "the canonical form of an accepted request is refused ({error}): {}",
            String::from_utf8_lossy(&canonical)
        ),
    }
});
