//! Shared helpers of the integration tests: the worked scenarios of `shared/scenarios`,
//! how a decision is held against a scenario's `expect`, an in-memory history book
//! that gives a step the history its earlier steps leave, and the HTTP API in-process.

pub mod history_book;
pub mod http;
pub mod scenarios;
