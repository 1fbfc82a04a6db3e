//! Shared helpers of the integration tests: the worked scenarios of `shared/scenarios`,
//! how a decision is held against a scenario's `expect`, and an in-memory history book
//! that gives a step the history its earlier steps leave.

pub mod history_book;
pub mod scenarios;
