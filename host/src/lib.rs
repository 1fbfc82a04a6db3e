//! Arbiter's host: runs sandboxed Wasm policies to decide marketplace claims.
//!
//! Data flows one way: a request in the marketplace's contract ([`contract`]) becomes
//! the WIT claim ([`convert`]), the fraud screen and the shop's policy run in the
//! [`engine`], the [`envelope`] enforces the platform's guardrails, and [`decide`]
//! puts the answer back in the contract's shape.

pub mod access;
pub mod api;
pub mod builtin;
pub mod clock;
pub mod console;
pub mod contract;
pub mod convert;
pub mod decide;
pub mod digest;
pub mod engine;
pub mod envelope;
pub mod guardrails;
pub mod history;
pub mod insights;
pub mod job_threads;
pub mod ledger;
pub mod metrics;
pub mod money;
pub mod progressive;
pub mod registry;
pub mod server;
pub mod service;
pub mod signing;
pub mod suspension;
pub mod toolchain;
pub mod world;
