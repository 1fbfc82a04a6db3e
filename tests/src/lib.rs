//! Shared helpers of the integration tests: the worked scenarios of `shared/scenarios`,
//! how a decision is held against a scenario's `expect`, an in-memory history book
//! that gives a step the history its earlier steps leave, the HTTP API in-process, and
//! module bytes for upload tests, and the console in a real browser.

pub mod browser;
pub mod decisions;
pub mod history_book;
pub mod http;
pub mod modules;
pub mod scenarios;

/// The limits tests run policies under: the defaults, but a deadline of half a second.
/// The default 10 ms is wall-clock time, and a test machine busy compiling can keep a
/// thread off its core for that long, so a trap or a memory bomb would be reported as a
/// timeout. Tests about the deadline itself set their own.
pub fn test_limits() -> arbiter::engine::Limits {
    arbiter::engine::Limits {
        deadline: std::time::Duration::from_millis(500),
        ..arbiter::engine::Limits::default()
    }
}
