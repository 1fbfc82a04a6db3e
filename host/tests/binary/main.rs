//! Tests of the `arbiter` binary itself, as a seller or operator runs it: real files,
//! real processes, a real server on port 0.
//!
//! One test binary (not one per file): each links wasmtime, and a binary per file
//! multiplied the link time and the disk a clean build needs.

mod cli;
mod cli_remote;
mod common;
mod crash;
mod languages;
mod replicas;
