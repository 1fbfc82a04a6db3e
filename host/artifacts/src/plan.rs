//! What the build script decides about the guests in `policies/`, as pure functions: the
//! target and constant of each guest crate, which crates can share one `cargo build`,
//! whether a toolchain has a target, and the Rust file of constants it generates.
//!
//! `build.rs` includes this file by `#[path]`, and `lib.rs` under `#[cfg(test)]`, so that
//! `cargo test -p arbiter-artifacts` runs the tests below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The command that installs every target a guest may need, for messages.
pub const ADD_TARGETS_COMMAND: &str = "rustup target add wasm32-unknown-unknown wasm32-wasip2";

/// A Wasm target a guest is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// No WASI at all: the build leaves a core module, which `wit-component` encodes.
    UnknownUnknown,
    /// For fixtures that import WASI on purpose: the linker (`wasm-component-ld`) emits
    /// the component itself.
    Wasip2,
}

impl Target {
    /// Every target, in the order of [`ADD_TARGETS_COMMAND`].
    pub const ALL: [Target; 2] = [Target::UnknownUnknown, Target::Wasip2];

    /// The target triple, as `--target` and `rustup` spell it.
    pub fn triple(self) -> &'static str {
        match self {
            Target::UnknownUnknown => "wasm32-unknown-unknown",
            Target::Wasip2 => "wasm32-wasip2",
        }
    }
}

/// What a generated constant holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Embed {
    /// The component file's path, `&str`.
    Path,
    /// The component's bytes, `&[u8]`.
    Bytes,
}

/// A guest crate's `[package.metadata.arbiter]` table; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuestMetadata {
    /// `"wasm32-wasip2"` for a guest that must import WASI; `wasm32-unknown-unknown`
    /// otherwise.
    target: Option<String>,
    /// The constant's name, where the rule of [`constant_name`] does not give it.
    constant: Option<String>,
    /// `true`: the constant holds the component's bytes rather than its path.
    #[serde(default)]
    bytes: bool,
}

/// One guest crate of `policies/`, and what the build makes of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guest {
    /// Its cargo package, for `cargo build --package`.
    pub package: String,
    /// The file stem of the Wasm file its build leaves (its lib name).
    pub stem: String,
    /// Its folder relative to `policies/`, with `/`: `fixtures/hostile`.
    pub folder: String,
    /// Its manifest's `description`: the constant's doc comment.
    pub description: String,
    pub target: Target,
    pub constant: String,
    pub embed: Embed,
    /// The features it asks of other members of the workspace (the SDK's world), as
    /// [`feature_key`] spells them.
    pub features: String,
}

/// Why a guest crate cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("`{package}`: its [package.metadata.arbiter] is not understood: {source}")]
    Metadata {
        package: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "`{package}`: unknown target `{target}` in [package.metadata.arbiter] \
         (wasm32-unknown-unknown, the default, or wasm32-wasip2)"
    )]
    UnknownTarget { package: String, target: String },
    #[error(
        "`{package}`: a guest folder is `<name>`, `examples/<name>` or `fixtures/<name>` \
         (of lowercase letters, digits and `-`), not `{folder}`"
    )]
    Folder { package: String, folder: String },
    #[error("`{package}`: its Cargo.toml needs a `description`, the doc comment of its constant")]
    NoDescription { package: String },
    #[error("`{first}` and `{second}` would both be the constant `{constant}`")]
    DuplicateConstant {
        constant: String,
        first: String,
        second: String,
    },
}

/// Plans one guest crate from what its manifest says.
pub fn plan_guest(
    package: &str,
    stem: &str,
    folder: &str,
    description: Option<&str>,
    metadata: &serde_json::Value,
    features: String,
) -> Result<Guest, PlanError> {
    let settings = match metadata.get("arbiter") {
        None => GuestMetadata::default(),
        Some(table) => GuestMetadata::deserialize(table).map_err(|source| PlanError::Metadata {
            package: package.to_owned(),
            source,
        })?,
    };
    let target = match settings.target.as_deref() {
        None => Target::UnknownUnknown,
        Some(triple) => Target::ALL
            .into_iter()
            .find(|target| target.triple() == triple)
            .ok_or_else(|| PlanError::UnknownTarget {
                package: package.to_owned(),
                target: triple.to_owned(),
            })?,
    };
    let embed = if settings.bytes {
        Embed::Bytes
    } else {
        Embed::Path
    };
    let constant = match settings.constant {
        Some(constant) => constant,
        None => constant_name(folder, embed).ok_or_else(|| PlanError::Folder {
            package: package.to_owned(),
            folder: folder.to_owned(),
        })?,
    };
    let description = description
        .map(str::trim)
        .filter(|description| !description.is_empty())
        .ok_or_else(|| PlanError::NoDescription {
            package: package.to_owned(),
        })?;
    Ok(Guest {
        package: package.to_owned(),
        stem: stem.replace('-', "_"),
        folder: folder.to_owned(),
        description: description.to_owned(),
        target,
        constant,
        embed,
        features,
    })
}

/// The constant a guest's folder gives: `fixtures/foo-bar` is `FOO_BAR_FIXTURE_PATH`,
/// `examples/florist` is `FLORIST_EXAMPLE_PATH`, `bench-core` is
/// `BENCH_CORE_POLICY_PATH`; without `_PATH` for [`Embed::Bytes`]. `None` for any other
/// folder.
pub fn constant_name(folder: &str, embed: Embed) -> Option<String> {
    let parts: Vec<&str> = folder.split('/').collect();
    let (name, kind) = match parts.as_slice() {
        ["fixtures", name] => (*name, "FIXTURE"),
        ["examples", name] => (*name, "EXAMPLE"),
        [name] if *name != "fixtures" && *name != "examples" => (*name, "POLICY"),
        _ => return None,
    };
    let valid = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        return None;
    }
    let shouty = name.to_ascii_uppercase().replace('-', "_");
    Some(match embed {
        Embed::Path => format!("{shouty}_{kind}_PATH"),
        Embed::Bytes => format!("{shouty}_{kind}"),
    })
}

/// One string for the features a guest asks of workspace members: cargo unifies the
/// features of packages built together, so only guests with the same key may share a
/// build, or a module would link both worlds of the SDK. Each entry is (dependency,
/// uses its default features, features).
pub fn feature_key<'a>(
    dependencies: impl IntoIterator<Item = (&'a str, bool, Vec<&'a str>)>,
) -> String {
    let mut entries: Vec<String> = dependencies
        .into_iter()
        .map(|(name, default_features, mut features)| {
            features.sort_unstable();
            let default = if default_features { "default," } else { "" };
            format!("{name}[{default}{}]", features.join(","))
        })
        .collect();
    entries.sort_unstable();
    entries.join(" ")
}

/// The guests in groups that one `cargo build` each can build: the same target and the
/// same [`feature_key`]. In a stable order: by target, then key.
pub fn build_groups(guests: &[Guest]) -> Vec<(Target, Vec<&Guest>)> {
    let mut groups: BTreeMap<(Target, &str), Vec<&Guest>> = BTreeMap::new();
    for guest in guests {
        groups
            .entry((guest.target, guest.features.as_str()))
            .or_default()
            .push(guest);
    }
    groups
        .into_iter()
        .map(|((target, _), members)| (target, members))
        .collect()
}

/// The targets of `needed` that the toolchain whose sysroot is `sysroot` lacks: a
/// target's standard library lives in `<sysroot>/lib/rustlib/<triple>/lib`.
pub fn missing_targets(sysroot: &Path, needed: &[Target]) -> Vec<Target> {
    needed
        .iter()
        .copied()
        .filter(|target| {
            !sysroot
                .join("lib")
                .join("rustlib")
                .join(target.triple())
                .join("lib")
                .is_dir()
        })
        .collect()
}

/// The Rust file of constants, one per guest with the path of its component, checked
/// for two guests claiming one name.
pub fn render(guests: &[(Guest, PathBuf)]) -> Result<String, PlanError> {
    let mut owners: BTreeMap<&str, &str> = BTreeMap::new();
    for (guest, _) in guests {
        if let Some(first) = owners.insert(&guest.constant, &guest.package) {
            return Err(PlanError::DuplicateConstant {
                constant: guest.constant.clone(),
                first: first.to_owned(),
                second: guest.package.clone(),
            });
        }
    }
    let mut code = String::from(
        "// Generated by host/artifacts/build.rs from the guest crates in policies/.\n",
    );
    for (guest, component) in guests {
        code.push('\n');
        for line in guest.description.lines() {
            let _ = writeln!(code, "/// {}", line.trim_end());
        }
        let what = match guest.embed {
            Embed::Path => "the path of its component",
            Embed::Bytes => "its component",
        };
        let _ = writeln!(
            code,
            "///\n/// Built from `policies/{}` for `{}`: {what}.",
            guest.folder,
            guest.target.triple()
        );
        // `{:?}` of a str is a valid Rust string literal.
        let path = component.to_string_lossy();
        let _ = match guest.embed {
            Embed::Path => writeln!(code, "pub const {}: &str = {path:?};", guest.constant),
            Embed::Bytes => writeln!(
                code,
                "pub const {}: &[u8] = include_bytes!({path:?});",
                guest.constant
            ),
        };
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn guest(folder: &str, metadata: serde_json::Value) -> Result<Guest, PlanError> {
        let package = format!("arbiter-{}", folder.replace('/', "-"));
        plan_guest(
            &package,
            &package,
            folder,
            Some("A guest.\nSecond line."),
            &metadata,
            feature_key([("arbiter-sdk", false, vec!["compensation-policy"])]),
        )
    }

    #[test]
    fn the_advised_command_adds_every_target() {
        let mut words = ADD_TARGETS_COMMAND.split(' ');
        assert_eq!(
            words.by_ref().take(3).collect::<Vec<_>>(),
            ["rustup", "target", "add"]
        );
        let triples: Vec<&str> = Target::ALL.into_iter().map(Target::triple).collect();
        assert_eq!(words.collect::<Vec<_>>(), triples);
    }

    #[test]
    fn constant_names_follow_the_folder() {
        let cases = [
            (
                "fixtures/foo-bar",
                Embed::Path,
                Some("FOO_BAR_FIXTURE_PATH"),
            ),
            (
                "fixtures/spin-forever",
                Embed::Path,
                Some("SPIN_FOREVER_FIXTURE_PATH"),
            ),
            (
                "examples/florist",
                Embed::Path,
                Some("FLORIST_EXAMPLE_PATH"),
            ),
            ("bench-core", Embed::Path, Some("BENCH_CORE_POLICY_PATH")),
            ("standard", Embed::Bytes, Some("STANDARD_POLICY")),
            ("fixtures/v2", Embed::Bytes, Some("V2_FIXTURE")),
            ("fixtures/deep/er", Embed::Path, None),
            ("tools/thing", Embed::Path, None),
            ("fixtures", Embed::Path, None),
            ("fixtures/Upper", Embed::Path, None),
            ("fixtures/under_score", Embed::Path, None),
            ("fixtures/2fast", Embed::Path, None),
            ("fixtures/", Embed::Path, None),
        ];
        for (folder, embed, expected) in cases {
            assert_eq!(
                constant_name(folder, embed).as_deref(),
                expected,
                "folder {folder}"
            );
        }
    }

    #[test]
    fn target_defaults_to_wasm32_unknown_unknown() -> Result<(), PlanError> {
        assert_eq!(
            guest("fixtures/plain", json!(null))?.target,
            Target::UnknownUnknown
        );
        assert_eq!(
            guest("fixtures/plain", json!({"other-tool": {"x": 1}}))?.target,
            Target::UnknownUnknown
        );
        assert_eq!(
            guest("fixtures/plain", json!({"arbiter": {}}))?.target,
            Target::UnknownUnknown
        );
        Ok(())
    }

    #[test]
    fn metadata_opts_into_wasip2() -> Result<(), PlanError> {
        let planned = guest(
            "fixtures/chatty",
            json!({"arbiter": {"target": "wasm32-wasip2"}}),
        )?;
        assert_eq!(planned.target, Target::Wasip2);
        assert_eq!(planned.constant, "CHATTY_FIXTURE_PATH");
        assert_eq!(planned.embed, Embed::Path);
        Ok(())
    }

    #[test]
    fn metadata_names_a_constant_of_bytes() -> Result<(), PlanError> {
        let planned = guest(
            "fraud",
            json!({"arbiter": {"constant": "FRAUD_SCREEN", "bytes": true}}),
        )?;
        assert_eq!(planned.constant, "FRAUD_SCREEN");
        assert_eq!(planned.embed, Embed::Bytes);
        assert_eq!(planned.target, Target::UnknownUnknown);
        assert_eq!(planned.stem, "arbiter_fraud");
        Ok(())
    }

    #[test]
    fn bad_metadata_is_refused() {
        assert!(matches!(
            guest("fixtures/x", json!({"arbiter": {"target": "wasm32-wasip1"}})),
            Err(PlanError::UnknownTarget { target, .. }) if target == "wasm32-wasip1"
        ));
        assert!(matches!(
            guest(
                "fixtures/x",
                json!({"arbiter": {"traget": "wasm32-wasip2"}})
            ),
            Err(PlanError::Metadata { .. })
        ));
        assert!(matches!(
            guest("fixtures/deep/x", json!(null)),
            Err(PlanError::Folder { folder, .. }) if folder == "fixtures/deep/x"
        ));
        assert!(matches!(
            plan_guest("p", "p", "fixtures/x", Some("  "), &json!(null), String::new()),
            Err(PlanError::NoDescription { package }) if package == "p"
        ));
    }

    #[test]
    fn only_guests_asking_the_same_features_share_a_build() -> Result<(), PlanError> {
        let compensation = || feature_key([("arbiter-sdk", false, vec!["compensation-policy"])]);
        let fraud = feature_key([("arbiter-sdk", false, vec!["fraud-screen"])]);
        let types_only = feature_key([("arbiter-sdk", false, vec![])]);
        let plan = |folder: &str, target: Option<&str>, features: String| {
            let metadata = match target {
                Some(target) => json!({"arbiter": {"target": target}}),
                None => json!(null),
            };
            plan_guest(folder, folder, folder, Some("d"), &metadata, features)
        };
        let guests = vec![
            plan("standard", None, compensation())?,
            plan("fraud", None, fraud)?,
            plan("fixtures/chatty", Some("wasm32-wasip2"), compensation())?,
            plan("fixtures/imports-unknown", None, types_only)?,
            plan("examples/florist", None, compensation())?,
        ];
        let groups: Vec<(Target, Vec<&str>)> = build_groups(&guests)
            .into_iter()
            .map(|(target, members)| {
                (
                    target,
                    members.iter().map(|guest| guest.package.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            groups,
            vec![
                (Target::UnknownUnknown, vec!["fixtures/imports-unknown"]),
                (Target::UnknownUnknown, vec!["standard", "examples/florist"]),
                (Target::UnknownUnknown, vec!["fraud"]),
                (Target::Wasip2, vec!["fixtures/chatty"]),
            ]
        );
        Ok(())
    }

    #[test]
    fn feature_keys_ignore_order_and_see_default_features() {
        assert_eq!(
            feature_key([("b", false, vec!["y", "x"]), ("a", true, vec![])]),
            "a[default,] b[x,y]"
        );
        assert_eq!(
            feature_key([("a", true, vec![]), ("b", false, vec!["x", "y"])]),
            feature_key([("b", false, vec!["y", "x"]), ("a", true, vec![])])
        );
        assert_ne!(
            feature_key([("arbiter-sdk", true, vec![])]),
            feature_key([("arbiter-sdk", false, vec![])])
        );
    }

    #[test]
    fn a_sysroot_without_a_targets_library_lacks_it() -> std::io::Result<()> {
        let sysroot = tempfile::tempdir()?;
        let rustlib = sysroot.path().join("lib").join("rustlib");
        std::fs::create_dir_all(rustlib.join("x86_64-unknown-linux-gnu").join("lib"))?;
        assert_eq!(
            missing_targets(sysroot.path(), &Target::ALL),
            vec![Target::UnknownUnknown, Target::Wasip2]
        );

        std::fs::create_dir_all(rustlib.join("wasm32-unknown-unknown").join("lib"))?;
        // A folder for the target without its library is not an installed target.
        std::fs::create_dir_all(rustlib.join("wasm32-wasip2"))?;
        assert_eq!(
            missing_targets(sysroot.path(), &Target::ALL),
            vec![Target::Wasip2]
        );
        assert_eq!(
            missing_targets(sysroot.path(), &[Target::UnknownUnknown]),
            vec![]
        );

        std::fs::create_dir_all(rustlib.join("wasm32-wasip2").join("lib"))?;
        assert_eq!(missing_targets(sysroot.path(), &Target::ALL), vec![]);
        Ok(())
    }

    #[test]
    fn rendered_constants_carry_their_description_and_path() -> Result<(), PlanError> {
        let fixture = guest("fixtures/foo-bar", json!(null))?;
        let standard = guest(
            "standard",
            json!({"arbiter": {"constant": "STANDARD_POLICY", "bytes": true}}),
        )?;
        let code = render(&[
            (fixture, PathBuf::from("/out/foo \"bar\".wasm")),
            (standard, PathBuf::from("/out/standard.wasm")),
        ])?;
        assert!(
            code.contains(
                "/// A guest.\n/// Second line.\n///\n/// Built from `policies/fixtures/foo-bar` \
                 for `wasm32-unknown-unknown`: the path of its component.\n\
                 pub const FOO_BAR_FIXTURE_PATH: &str = \"/out/foo \\\"bar\\\".wasm\";\n"
            ),
            "{code}"
        );
        assert!(
            code.contains(
                "pub const STANDARD_POLICY: &[u8] = include_bytes!(\"/out/standard.wasm\");\n"
            ),
            "{code}"
        );
        Ok(())
    }

    #[test]
    fn two_guests_cannot_claim_one_constant() -> Result<(), PlanError> {
        let first = guest("fixtures/a", json!({"arbiter": {"constant": "SAME"}}))?;
        let second = guest("fixtures/b", json!({"arbiter": {"constant": "SAME"}}))?;
        let path = PathBuf::from("/out/x.wasm");
        assert!(matches!(
            render(&[(first, path.clone()), (second, path)]),
            Err(PlanError::DuplicateConstant { constant, .. }) if constant == "SAME"
        ));
        Ok(())
    }
}
