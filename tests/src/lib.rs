//! Shared helpers of the integration tests: the worked scenarios of `shared/scenarios`,
//! how a decision is held against a scenario's `expect`, an in-memory history book
//! that gives a step the history its earlier steps leave, the HTTP API in-process, and
//! module bytes for upload tests.

pub mod decisions;
pub mod history_book;
pub mod http;
pub mod modules;
pub mod scenarios;
