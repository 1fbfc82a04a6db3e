//! The engine benchmark's parts: a deterministic corpus of claims, the verdict every
//! engine's answer is compared as, and latency statistics. The binaries in `src/bin`
//! time engines over them; `agreement_tests` checks, in `cargo test`, that they agree.

pub mod corpus;
pub mod engines;
pub mod rego;
pub mod stats;
pub mod verdict;
pub mod zen;

#[cfg(test)]
mod agreement_tests;
