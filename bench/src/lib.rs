//! The engine benchmark's parts: a deterministic corpus of claims, the verdict every
//! engine's answer is compared as, and latency statistics. The binaries in `src/bin`
//! time engines over them; `tests/` checks that the engines agree.

pub mod corpus;
pub mod engines;
pub mod rego;
pub mod stats;
pub mod verdict;
pub mod zen;
