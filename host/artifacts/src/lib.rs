//! The guest policies of `policies/`, compiled to Wasm components at build time (see
//! `build.rs`), so a fresh clone needs no checked-in `.wasm`.
//!
//! One constant per guest crate, generated: a new folder under `policies/fixtures/` with
//! a `Cargo.toml` is a new `<NAME>_FIXTURE_PATH` here, documented by the crate's
//! `description` (the rules are in `src/plan.rs`).

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

#[cfg(test)]
mod plan;
