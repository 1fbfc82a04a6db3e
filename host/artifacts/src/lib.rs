//! The platform's own policies, compiled from `policies/` to Wasm components at build
//! time (see `build.rs`), so a fresh clone needs no checked-in `.wasm`.

/// The standard compensation rulebook (`policies/standard`), world `compensation-policy`.
pub const STANDARD_POLICY: &[u8] = include_bytes!(env!("ARBITER_COMPONENT_STANDARD"));

/// The platform's fraud screen (`policies/fraud`), world `fraud-screen`.
pub const FRAUD_SCREEN: &[u8] = include_bytes!(env!("ARBITER_COMPONENT_FRAUD"));

/// Path of the example seller policy (`policies/examples/florist`), for tests and docs.
pub const FLORIST_EXAMPLE_PATH: &str = env!("ARBITER_COMPONENT_FLORIST");

/// Path of a test fixture whose `decide` never returns (`policies/fixtures/spin-forever`).
pub const SPIN_FOREVER_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_SPIN_FOREVER");

/// Path of a test fixture that misbehaves as its `behaviour` setting names
/// (`policies/fixtures/hostile`): memory bomb, deep recursion, panic, huge or invalid
/// decisions.
pub const HOSTILE_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_HOSTILE");
