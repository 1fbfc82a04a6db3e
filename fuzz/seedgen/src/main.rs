//! Writes small Wasm byte strings for the `module_upload` fuzz corpus, built from the
//! real WIT contract (`wit/policy@0.1.0`), so that the fuzzer starts from inputs that
//! reach every stage of loading: refused by the sniff, invalid component, wrong world,
//! forbidden import, a policy that traps while describing itself, and policies that
//! load. The real policies are ~250 KB; these are under 4 KB, within `-max_len=4096`.
//!
//! Usage: arbiter-fuzz-seedgen <wit dir> <out dir>

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use wit_component::{ComponentEncoder, StringEncoding, embed_component_metadata};
use wit_parser::Resolve;

/// A core module implementing either world with the canonical ABI (legacy names):
/// `metadata` and `settings-schema` return fixed data, the rest trap. `$describe`
/// is spliced in as the body of `metadata` so the same module can also trap there.
fn core_module(world: &str, metadata_body: &str) -> String {
    let decide = match world {
        // claim, history, settings: more than 16 flat params, so one pointer; the
        // result is more than one flat value, so a pointer to the return area.
        "compensation-policy" => r#"(func (export "decide") (param i32) (result i32) unreachable)"#,
        "fraud-screen" => r#"(func (export "assess") (param i32) (result i32) unreachable)"#,
        other => panic!("unknown world {other}"),
    };
    format!(
        r#"(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 4096))
  ;; name "fuzz-seed" at 64, version "0.0.1" at 80, schema "{{}}" at 96
  (data (i32.const 64) "fuzz-seed")
  (data (i32.const 80) "0.0.1")
  (data (i32.const 96) "{{}}")
  ;; rules: one string "R1" at 112, list of (ptr, len) at 120
  (data (i32.const 112) "R1")
  (data (i32.const 120) "\70\00\00\00\02\00\00\00")
  ;; module-metadata return area at 128: name, version, rules
  (data (i32.const 128) "\40\00\00\00\09\00\00\00\50\00\00\00\05\00\00\00\78\00\00\00\01\00\00\00")
  ;; settings-schema return area at 160
  (data (i32.const 160) "\60\00\00\00\02\00\00\00")
  ;; validate-settings return area at 176: ok (discriminant 0)
  (data (i32.const 176) "\00\00\00\00")
  (func (export "metadata") (result i32) {metadata_body})
  (func (export "settings-schema") (result i32) i32.const 160)
  (func (export "validate-settings") (param i32 i32) (result i32) i32.const 176)
  {decide}
  ;; a bump allocator that never frees
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    global.get $next
    local.get 2
    i32.const 1
    i32.sub
    i32.add
    i32.const 0
    local.get 2
    i32.sub
    i32.and
    local.tee $at
    local.get 3
    i32.add
    global.set $next
    global.get $next
    memory.size
    i32.const 16
    i32.shl
    i32.gt_u
    if
      unreachable
    end
    local.get $at)
)"#
    )
}

fn component(resolve: &Resolve, world: &str, metadata_body: &str) -> Result<Vec<u8>> {
    let package = resolve
        .packages
        .iter()
        .find(|(_, package)| package.name.name == "policy")
        .map(|(id, _)| id)
        .context("no arbiter:policy package")?;
    let world_id = resolve.select_world(&[package], Some(world))?;
    let mut module = wat::parse_str(core_module(world, metadata_body))?;
    embed_component_metadata(&mut module, resolve, world_id, StringEncoding::UTF8, false)?;
    let component = ComponentEncoder::default()
        .module(&module)?
        .validate(true)
        .encode()
        .with_context(|| format!("encoding a `{world}` component"))?;
    Ok(without_custom_sections(&component))
}

/// The component without its top-level custom sections (`component-name`, `producers`):
/// ~500 bytes the host never reads, so that the seeds fit `-max_len=4096`.
fn without_custom_sections(component: &[u8]) -> Vec<u8> {
    let (header, mut rest) = component.split_at(8);
    let mut out = header.to_vec();
    while let Some((&id, after_id)) = rest.split_first() {
        let (mut size, mut shift, mut read) = (0usize, 0, 0);
        for &byte in after_id {
            size |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            read += 1;
            if byte < 0x80 {
                break;
            }
        }
        let end = 1 + read + size;
        if id != 0 {
            out.extend_from_slice(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out
}

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(wit), Some(out)) = (args.next(), args.next()) else {
        bail!("usage: arbiter-fuzz-seedgen <wit dir> <out dir>");
    };
    let (wit, out) = (PathBuf::from(wit), PathBuf::from(out));
    let mut resolve = Resolve::default();
    resolve
        .push_dir(&wit)
        .with_context(|| format!("reading {}", wit.display()))?;
    std::fs::create_dir_all(&out)?;

    let seeds: Vec<(&str, Vec<u8>)> = vec![
        // Load, describe themselves: the whole path, Ok for one world, wrong for the other.
        (
            "compensation-ok",
            component(&resolve, "compensation-policy", "i32.const 128")?,
        ),
        (
            "fraud-ok",
            component(&resolve, "fraud-screen", "i32.const 128")?,
        ),
        // Trap in `metadata`: a guest failure while describing itself.
        (
            "compensation-trap",
            component(&resolve, "compensation-policy", "unreachable")?,
        ),
        // Wrong world, forbidden and allowed imports, a core module.
        ("empty-component", wat::parse_str("(component)")?),
        (
            "forbidden-import",
            wat::parse_str(
                r#"(component (import "wasi:cli/environment@0.2.0" (instance (export "open" (func)))))"#,
            )?,
        ),
        (
            "types-import-only",
            wat::parse_str(r#"(component (import "arbiter:policy/types@0.1.0" (instance)))"#)?,
        ),
        (
            "core-module",
            wat::parse_str(r#"(module (func (export "metadata") (result i32) i32.const 0))"#)?,
        ),
    ];
    for (name, bytes) in seeds {
        let path = out.join(format!("{name}.wasm"));
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        println!("{} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}
