//! The service's tests against the real engine, components, router and ledger.
//!
//! One test binary with a module per area (not one binary per file): each binary links
//! wasmtime, and twenty-odd of them multiplied the link time and the disk a clean build
//! needs. `policies_native` stays a binary of its own: it runs a nested `cargo test`, and
//! alone it does not share its cores with the timing tests here.

mod console_browser;
mod disk_full;
mod engine;
mod engine_scenarios;
mod front_door;
mod hostile;
mod hot_swap;
mod http_access;
mod http_backtests;
mod http_bodies_and_ids;
mod http_explain;
mod http_failure_policy;
mod http_feedback;
mod http_fraud_list;
mod http_guardrails;
mod http_health;
mod http_hostile;
mod http_idempotency;
mod http_input;
mod http_insights;
mod http_modules;
mod http_observe;
mod http_progressive;
mod http_rollouts;
mod http_scenarios;
mod http_settings;
mod languages;
mod restart;
mod shared_store;
mod signed_modules;
mod upload_fixtures;
