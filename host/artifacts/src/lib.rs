//! The platform's own policies, compiled from `policies/` to Wasm components at build
//! time (see `build.rs`), so a fresh clone needs no checked-in `.wasm`.

/// The standard compensation rulebook (`policies/standard`), world `compensation-policy`.
pub const STANDARD_POLICY: &[u8] = include_bytes!(env!("ARBITER_COMPONENT_STANDARD"));

/// The platform's fraud screen (`policies/fraud`), world `fraud-screen`.
pub const FRAUD_SCREEN: &[u8] = include_bytes!(env!("ARBITER_COMPONENT_FRAUD"));

/// Path of the rulebook's core for the engine benchmark (`policies/bench-core`).
pub const BENCH_CORE_POLICY_PATH: &str = env!("ARBITER_COMPONENT_BENCH_CORE");

/// Path of the example seller policy (`policies/examples/florist`), for tests and docs.
pub const FLORIST_EXAMPLE_PATH: &str = env!("ARBITER_COMPONENT_FLORIST");

/// Path of a test fixture whose `decide` never returns (`policies/fixtures/spin-forever`).
pub const SPIN_FOREVER_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_SPIN_FOREVER");

/// Path of a test fixture that misbehaves as its `behaviour` setting names
/// (`policies/fixtures/hostile`): memory bomb, deep recursion, panic, huge or invalid
/// decisions.
pub const HOSTILE_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_HOSTILE");

/// Path of a test fixture whose `metadata` panics, so loading it fails with
/// `describe_failed` (`policies/fixtures/describe-fails`).
pub const DESCRIBE_FAILS_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_DESCRIBE_FAILS");

/// Path of a test fixture that exports `compensation-policy` but also imports an
/// interface no host provides, `acme:telemetry/beacon` (`policies/fixtures/imports-unknown`).
pub const IMPORTS_UNKNOWN_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_IMPORTS_UNKNOWN");

/// Path of a test fixture built for `wasm32-wasip2` whose `decide` reads a file, so it
/// imports `wasi:filesystem` (`policies/fixtures/imports-filesystem`).
pub const IMPORTS_FILESYSTEM_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_IMPORTS_FILESYSTEM");

/// Path of a test fixture built for `wasm32-wasip2` whose `decide` opens a TCP
/// connection, so it imports `wasi:sockets` (`policies/fixtures/imports-sockets`).
pub const IMPORTS_SOCKETS_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_IMPORTS_SOCKETS");

/// Path of a test fixture built for `wasm32-wasip2` that prints over 3000 bytes to
/// stdout and stderr in `decide`, then escalates; it imports the `wasi:cli` streams and
/// what they need (`policies/fixtures/chatty`).
pub const CHATTY_FIXTURE_PATH: &str = env!("ARBITER_COMPONENT_CHATTY");
