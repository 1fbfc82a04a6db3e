//! Replaces some of a component's imports with stubs that trap, without its sources.
//!
//! CPython as componentize-py builds it always imports `wasi:sockets`, which the host
//! refuses. A policy never opens a socket, so those imports are satisfied inside the
//! component instead: a stub component whose every function traps (`unreachable`) is
//! built from the imports' own WIT (`wit_component::dummy_module`) and composed into
//! the policy (`wasm-compose`), which then imports only what remains.

use std::path::Path;

use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{ManglingAndAbi, Resolve, WorldItem};

/// Why stubbing failed.
#[derive(Debug, thiserror::Error)]
pub enum StubError {
    #[error("reading the component's WIT: {0:#}")]
    Decode(anyhow::Error),
    #[error("building the stub component: {0:#}")]
    Stub(anyhow::Error),
    #[error("composing the stubs into the component: {0:#}")]
    Compose(anyhow::Error),
    #[error("staging the composition: {0}")]
    Io(#[from] std::io::Error),
}

/// `component` with every import whose name `stub` accepts satisfied by a trapping
/// stub; the bytes unchanged when there is none.
pub fn stub_imports(component: &[u8], stub: impl Fn(&str) -> bool) -> Result<Vec<u8>, StubError> {
    let (resolve, world) = match decode(component).map_err(StubError::Decode)? {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => {
            return Err(StubError::Decode(anyhow::anyhow!(
                "this is a WIT package, not a component"
            )));
        }
    };
    let stubbed: Vec<String> = resolve.worlds[world]
        .imports
        .iter()
        .filter(|(_, item)| matches!(item, WorldItem::Interface { .. }))
        .map(|(key, _)| resolve.name_world_key(key))
        .filter(|name| stub(name))
        .collect();
    if stubbed.is_empty() {
        return Ok(component.to_vec());
    }
    let stubs = stub_component(&resolve, &stubbed)?;

    let dir = tempfile::tempdir()?;
    let root = dir.path().join("component.wasm");
    std::fs::write(&root, component)?;
    std::fs::write(dir.path().join("stubs.wasm"), stubs)?;
    compose(dir.path(), &root)
}

/// A component exporting the interfaces named `exports` (of `resolve`), every function
/// trapping. What those interfaces use from others (`wasi:io/poll`'s pollable) it
/// imports: the world is written as WIT so that the parser works that out.
fn stub_component(resolve: &Resolve, exports: &[String]) -> Result<Vec<u8>, StubError> {
    let mut resolve = resolve.clone();
    let lines: String = exports
        .iter()
        .map(|name| format!("    export {name};\n"))
        .collect();
    let wit = format!("package arbiter:stubs;\nworld trapping-stubs {{\n{lines}}}\n");
    let package = resolve
        .push_source("trapping-stubs.wit", &wit)
        .map_err(StubError::Stub)?;
    let world = resolve
        .select_world(&[package], Some("trapping-stubs"))
        .map_err(StubError::Stub)?;
    let mut module = dummy_module(&resolve, world, ManglingAndAbi::Standard32);
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8, false)
        .map_err(StubError::Stub)?;
    ComponentEncoder::default()
        .module(&module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(StubError::Stub)
}

/// Composes `root` with the stubs in `dir`: the stubs' exports satisfy its imports.
fn compose(dir: &Path, root: &Path) -> Result<Vec<u8>, StubError> {
    let config = wasm_compose::config::Config {
        dir: dir.to_path_buf(),
        definitions: vec![dir.join("stubs.wasm")],
        ..Default::default()
    };
    wasm_compose::composer::ComponentComposer::new(root, &config)
        .compose()
        .map_err(StubError::Compose)
}
