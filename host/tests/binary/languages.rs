//! Policies in JavaScript and Python, as a seller builds them: `arbiter module build` on
//! the florist examples (componentize-js, componentize-py), jco's QuickJS backend, and
//! `arbiter decide` on the same claims as the Rust florist. `arbiter policy new` writes
//! projects that test and build.
//!
//! The toolchains come from npm and PyPI (`.ci/run` installs them: `npm ci` in
//! `policies/examples/florist-js`, a `.venv` in `florist-py`). Without them these tests
//! say so and pass, unless `ARBITER_REQUIRE_TOOLCHAINS` is set, as CI sets it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use serde_json::{Value, json};

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies/examples")
}

fn componentize_js() -> PathBuf {
    examples().join("florist-js/node_modules/.bin/componentize-js")
}

fn jco() -> PathBuf {
    examples().join("florist-js/node_modules/.bin/jco")
}

fn python_venv() -> PathBuf {
    examples().join("florist-py/.venv/bin")
}

/// Whether the JS and Python toolchains are installed; panics when they must be.
fn toolchains() -> bool {
    let missing: Vec<String> = [
        componentize_js(),
        jco(),
        python_venv().join("componentize-py"),
    ]
    .into_iter()
    .filter(|tool| !tool.is_file())
    .map(|tool| tool.display().to_string())
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("ARBITER_REQUIRE_TOOLCHAINS").is_none(),
        "toolchains missing: {missing:?}"
    );
    eprintln!("skipped: no {missing:?} (npm ci / pip install, as .ci/run does)");
    false
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn cache() -> PathBuf {
    std::env::temp_dir().join("arbiter-language-tests-cache")
}

fn arbiter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(args)
        .env("ARBITER_CACHE_DIR", cache())
        .env("PATH", path_with_venv())
        .output()
        .unwrap_or_else(|e| panic!("running arbiter: {e}"))
}

fn path_with_venv() -> std::ffi::OsString {
    let mut paths = vec![python_venv()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap_or_default()
}

fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {}\n{}",
        text(&output.stderr),
        text(&output.stdout)
    );
    text(&output.stdout)
}

fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    succeeded(&output, what)
}

/// The florist in each language, built once for all the tests here.
struct Florists {
    _dir: tempfile::TempDir,
    rust: PathBuf,
    js: PathBuf,
    quickjs: PathBuf,
    python: PathBuf,
}

fn florists() -> &'static Florists {
    static BUILT: OnceLock<Florists> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = |name: &str| dir.path().join(name);
        let build = |example: &str, file: &Path| {
            let example = examples().join(example);
            let output = arbiter(&[
                "module",
                "build",
                example.to_str().unwrap_or_default(),
                "--out",
                file.to_str().unwrap_or_default(),
            ]);
            let stdout = succeeded(&output, "arbiter module build");
            // The file, then its digest.
            let lines: Vec<&str> = stdout.lines().collect();
            assert_eq!(
                lines.first(),
                Some(&file.to_str().unwrap_or_default()),
                "{stdout}"
            );
            assert!(
                lines.get(1).is_some_and(|line| line.starts_with("sha256:")),
                "{stdout}"
            );
        };
        let (js, python, quickjs) = (
            out("florist.js.wasm"),
            out("florist.py.wasm"),
            out("florist-quickjs.wasm"),
        );
        build("florist-js", &js);
        build("florist-py", &python);
        run(
            Command::new(jco())
                .current_dir(examples().join("florist-js"))
                .args([
                    "componentize",
                    "florist.js",
                    "--wit",
                    "../../../wit/policy@0.1.0",
                ])
                .args([
                    "--world-name",
                    "compensation-policy",
                    "--backend",
                    "quickjs",
                ])
                .args(["--backend-qjs-disable-async", "--out"])
                .arg(&quickjs),
            "jco componentize --backend quickjs",
        );
        Florists {
            _dir: dir,
            rust: PathBuf::from(arbiter_artifacts::FLORIST_EXAMPLE_PATH),
            js,
            quickjs,
            python,
        }
    })
}

/// Claims where the florist's three rules and its money formatting all show.
fn claims() -> Vec<(&'static str, Value, Option<Value>)> {
    let base: Value = serde_json::from_str(include_str!("../../../tests/claims/damaged-vase.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let with = |claim_id: &str, edit: &dyn Fn(&mut Value)| {
        let mut claim = base.clone();
        claim["claim_id"] = json!(claim_id);
        edit(&mut claim);
        claim
    };
    vec![
        ("expensive damage: FL3", with("fl-1", &|_| {}), None),
        (
            "cheap damage: FL2",
            with("fl-2", &|claim| {
                claim["items"][0]["unit_price"] = json!(99_999)
            }),
            None,
        ),
        (
            "a return: FL1",
            with("fl-3", &|claim| {
                claim["kind"] = json!("return");
                claim["subkind"] = json!("proper_quality");
            }),
            None,
        ),
        (
            "an incomplete set at its part's price, in yen",
            with("fl-4", &|claim| {
                claim["kind"] = json!("incomplete_set");
                claim["order"]["currency"] = json!("JPY");
                claim["items"][0]["quantity_ordered"] = json!(2);
                claim["items"][0]["quantity_affected"] = json!(2);
                claim["items"][0]["component_price"] = json!(30_000);
            }),
            None,
        ),
        (
            "the limit as a setting",
            with("fl-5", &|claim| {
                claim["items"][0]["unit_price"] = json!(35_000)
            }),
            Some(json!({"promo_max": 30_000})),
        ),
    ]
}

/// `arbiter decide --json` with `module`; the decision and stderr.
fn decide(module: &Path, claim: &Value, settings: Option<&Value>, dir: &Path) -> (Value, String) {
    let claim_file = dir.join("claim.json");
    std::fs::write(&claim_file, claim.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let mut args = vec![
        "decide".to_owned(),
        claim_file.display().to_string(),
        "--module".into(),
        module.display().to_string(),
        "--json".into(),
        // A runtime's first call in a fresh process, beside the other tests' builds on a
        // busy machine, can take longer than the 10 ms a server allows by default.
        "--deadline-ms".into(),
        "1000".into(),
    ];
    if let Some(settings) = settings {
        let file = dir.join("settings.json");
        std::fs::write(&file, settings.to_string()).unwrap_or_else(|e| panic!("{e}"));
        args.extend(["--settings".into(), file.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = arbiter(&args);
    let stdout = succeeded(&output, "arbiter decide");
    let decision = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (decision, text(&output.stderr))
}

/// The decision without what names the module and the run.
fn comparable(mut decision: Value) -> Value {
    if let Some(fields) = decision.as_object_mut() {
        fields.remove("decision_id");
        fields.remove("policy");
    }
    decision
}

#[test]
fn the_florist_decides_alike_in_rust_javascript_and_python() {
    if !toolchains() {
        return;
    }
    let florists = florists();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (case, claim, settings) in claims() {
        let (rust, _) = decide(&florists.rust, &claim, settings.as_ref(), dir.path());
        assert_eq!(rust["fallback_applied"], false, "{case}: {rust}");
        for (language, module) in [
            ("JavaScript (SpiderMonkey)", &florists.js),
            ("JavaScript (QuickJS)", &florists.quickjs),
            ("Python", &florists.python),
        ] {
            let (decision, printed) = decide(module, &claim, settings.as_ref(), dir.path());
            assert_eq!(
                comparable(decision.clone()),
                comparable(rust.clone()),
                "{case}, {language}"
            );
            // What the policy printed, on stderr beside the contract's JSON (jco's
            // QuickJS has neither `console` nor `print`).
            let claim_id = claim["claim_id"].as_str().unwrap_or_default();
            if language != "JavaScript (QuickJS)" {
                assert!(
                    printed.contains(&format!("  claim {claim_id}: worth ")),
                    "{case}, {language}: {printed}"
                );
            }
        }
    }
    // The cases are what they say.
    let (cheap, _) = decide(&florists.python, &claims()[1].1, None, dir.path());
    assert_eq!(
        cheap["actions"],
        json!([{"type": "promo_code", "amount": 99_999, "currency": "RUB"}])
    );
    assert_eq!(
        cheap["reasons"][0]["text"],
        "claim worth 999.99 RUB, below promo_max 1000.00 RUB: promo code"
    );
    let (yen, _) = decide(&florists.js, &claims()[3].1, None, dir.path());
    assert_eq!(yen["actions"][0]["amount"], 60_000, "{yen}");
    assert_eq!(yen["outcome"], "compensate", "{yen}");
}

#[test]
fn a_javascript_module_is_decided_in_under_a_second_the_second_time() {
    if !toolchains() {
        return;
    }
    let florists = florists();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let claim = &claims()[1].1;
    // The first run compiles into the cache (or finds it there from another test).
    decide(&florists.js, claim, None, dir.path());
    let started = Instant::now();
    let (decision, _) = decide(&florists.js, claim, None, dir.path());
    let took = started.elapsed();
    eprintln!("arbiter decide with the SpiderMonkey florist, compiled cache warm: {took:?}");
    assert_eq!(decision["outcome"], "compensate");
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
}

#[test]
fn builds_that_import_the_network_or_lift_async_are_refused_with_the_flag_to_build_with() {
    if !toolchains() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let example = examples().join("florist-js");
    let wit = examples().join("../../wit/policy@0.1.0");
    // componentize-js as it builds by default: it imports wasi:http.
    let default_js = dir.path().join("default-js.wasm");
    run(
        Command::new(componentize_js())
            .current_dir(&example)
            .arg("florist.js")
            .arg("--wit")
            .arg(&wit)
            .args(["--world-name", "compensation-policy", "--out"])
            .arg(&default_js),
        "componentize-js",
    );
    // jco's QuickJS backend as it builds by default: exports lifted async.
    let async_js = dir.path().join("async-js.wasm");
    run(
        Command::new(jco())
            .current_dir(&example)
            .args(["componentize", "florist.js", "--wit"])
            .arg(&wit)
            .args([
                "--world-name",
                "compensation-policy",
                "--backend",
                "quickjs",
                "--out",
            ])
            .arg(&async_js),
        "jco componentize --backend quickjs",
    );
    // componentize-py as it builds by default: CPython imports wasi:sockets.
    let default_py = dir.path().join("default-py.wasm");
    run(
        Command::new(python_venv().join("componentize-py"))
            .current_dir(examples().join("florist-py"))
            .arg("-d")
            .arg(&wit)
            .args([
                "-w",
                "compensation-policy",
                "componentize",
                "-p",
                ".",
                "florist",
                "-o",
            ])
            .arg(&default_py),
        "componentize-py",
    );
    let claim = dir.path().join("claim.json");
    std::fs::write(&claim, claims()[1].1.to_string()).unwrap_or_else(|e| panic!("{e}"));
    for (module, expected) in [
        (&default_js, ["`wasi:http/", "--disable http fetch-event"]),
        (&async_js, ["async", "--backend-qjs-disable-async"]),
        (&default_py, ["`wasi:sockets/", "arbiter module build"]),
    ] {
        let output = arbiter(&[
            "decide",
            claim.to_str().unwrap_or_default(),
            "--module",
            module.to_str().unwrap_or_default(),
        ]);
        assert!(!output.status.success(), "{}", text(&output.stdout));
        let stderr = text(&output.stderr);
        for words in expected {
            assert!(stderr.contains(words), "{}: {stderr}", module.display());
        }
    }
}

#[test]
fn policy_new_writes_projects_that_test_and_build() {
    if !toolchains() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let claim = dir.path().join("claim.json");
    std::fs::write(&claim, claims()[1].1.to_string()).unwrap_or_else(|e| panic!("{e}"));
    for (lang, name) in [
        ("js", "rose-shop"),
        ("python", "tulip-shop"),
        ("rust", "lily-shop"),
    ] {
        let project = dir.path().join(name);
        let written = succeeded(
            &arbiter(&[
                "policy",
                "new",
                project.to_str().unwrap_or_default(),
                "--lang",
                lang,
            ]),
            "arbiter policy new",
        );
        for file in ["README.md", "wit/worlds.wit", "wit/types.wit"] {
            assert!(
                project.join(file).is_file(),
                "{lang}: no {file} in {written}"
            );
        }
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap_or_default();
        assert!(readme.lines().count() <= 16, "{readme}");
        // A second time into the same folder is refused.
        let again = arbiter(&[
            "policy",
            "new",
            project.to_str().unwrap_or_default(),
            "--lang",
            lang,
        ]);
        assert!(!again.status.success());
        assert!(
            text(&again.stderr).contains("not empty"),
            "{}",
            text(&again.stderr)
        );

        // The project's own tests, then its build.
        match lang {
            "js" => {
                let modules = examples().join("florist-js/node_modules");
                std::os::unix::fs::symlink(&modules, project.join("node_modules"))
                    .unwrap_or_else(|e| panic!("{e}"));
                run(
                    Command::new("node").arg("--test").current_dir(&project),
                    "node --test",
                );
            }
            "python" => {
                run(
                    Command::new(python_venv().join("python"))
                        .args(["-m", "unittest", "-q"])
                        .current_dir(&project),
                    "python -m unittest",
                );
            }
            _ => {
                // Its own target dir under this workspace's, kept between runs.
                let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/policy-new");
                run(
                    Command::new(env!("CARGO"))
                        .args(["test", "--quiet"])
                        .env("CARGO_TARGET_DIR", &target)
                        .current_dir(&project),
                    "cargo test",
                );
            }
        }
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/policy-new");
        let built = Command::new(env!("CARGO_BIN_EXE_arbiter"))
            .args(["module", "build", project.to_str().unwrap_or_default()])
            .env("ARBITER_CACHE_DIR", cache())
            .env("PATH", path_with_venv())
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = succeeded(&built, "arbiter module build");
        let file = project.join("target").join(format!("{name}.wasm"));
        assert_eq!(
            stdout.lines().next(),
            Some(file.to_str().unwrap_or_default()),
            "{stdout}"
        );
        assert!(
            text(&built.stderr).contains(&format!("ok: {name} 0.1.0")),
            "{}",
            text(&built.stderr)
        );

        let (decision, _) = decide(&file, &claims()[1].1, None, dir.path());
        assert_eq!(decision["outcome"], "compensate", "{lang}: {decision}");
        assert_eq!(decision["reasons"][0]["rule"], "FL2", "{lang}: {decision}");
    }
}
