//! `cargo xtask ci`: the CI gate, run step by step with timings.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{self, banner, describe, fmt_duration, sub_banner, workspace_root, Cmd, Result};

/// Help for `cargo xtask ci --help`; the step list is appended at runtime.
const HELP: &str = "\
Run the CI gate: every step below, in order, stopping at the first failure.
A table of step timings is printed at the end (also on failure).

USAGE:
    cargo xtask ci [--from STEP | --only STEP[,STEP..]]

OPTIONS:
    --from STEP            Start at STEP, then run every later step
    --only STEP[,STEP..]   Run just these steps (comma-separated or repeated),
                           in CI order
    -h, --help             Print this help

EXAMPLES:
    cargo xtask ci                     # the full gate, as .ci/run does
    cargo xtask ci --from loom         # resume after fixing a loom failure
    cargo xtask ci --only fmt,clippy   # quick pre-push check
";

/// What a CI step does.
enum Action {
    /// Run one command; the banner shows it verbatim.
    Simple(fn() -> Cmd),
    /// Run custom logic; `shown` is the banner text describing it.
    Custom {
        shown: &'static str,
        run: fn() -> Result<()>,
    },
}

/// One CI step.
struct Step {
    name: &'static str,
    action: Action,
}

impl Step {
    /// The command line shown in the banner and in `--help`.
    fn shown(&self) -> String {
        match &self.action {
            Action::Simple(cmd) => cmd().display(),
            Action::Custom { shown, .. } => (*shown).to_owned(),
        }
    }

    fn run(&self) -> Result<()> {
        banner(self.name, &self.shown());
        match &self.action {
            Action::Simple(cmd) => cmd().run(),
            Action::Custom { run, .. } => run(),
        }
    }
}

/// The CI steps, in the order they run.
static STEPS: &[Step] = &[
    Step {
        name: "fmt",
        action: Action::Simple(|| Cmd::cargo().args(["fmt", "--all", "--", "--check"])),
    },
    Step {
        name: "clippy",
        action: Action::Simple(|| {
            Cmd::cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
        }),
    },
    Step {
        name: "peers",
        action: Action::Custom {
            shown: "cargo xtask peers  (Python venv target/weft-py for the WebSocket \
                    interop and browser tests)",
            run: || crate::peers::ensure_venv().map(drop),
        },
    },
    Step {
        name: "test",
        // Benches are left out: the bench target is `harness = false` and is
        // exercised by `bench-smoke`. INSTA_UPDATE=no + CI=true make snapshot
        // mismatches fail instead of writing `.snap.new` files.
        action: Action::Simple(|| {
            Cmd::cargo()
                .env("INSTA_UPDATE", "no")
                .env("CI", "true")
                .args([
                    "test",
                    "--workspace",
                    "--lib",
                    "--bins",
                    "--tests",
                    "--examples",
                ])
        }),
    },
    Step {
        name: "doctest",
        action: Action::Simple(|| Cmd::cargo().args(["test", "--workspace", "--doc"])),
    },
    Step {
        name: "rustdoc",
        action: Action::Simple(rustdoc_cmd),
    },
    Step {
        name: "loom",
        action: Action::Custom {
            shown: "RUSTFLAGS='--cfg loom' CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
                    cargo test -p PKG --release --test STEM  (for each crates/*/tests/loom*.rs)",
            run: loom,
        },
    },
    Step {
        name: "valgrind",
        action: Action::Custom {
            shown: "valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
                    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
                    --track-origins=no -q TEST-EXE --test-threads=1  \
                    (test binaries of the crates with `unsafe` code)",
            run: valgrind,
        },
    },
    Step {
        name: "bench-smoke",
        action: Action::Custom {
            shown: "cargo xtask bench --quick  (every bench: compare, tcp_echo, ws_echo, \
                    checksums and echoes checked, no timing asserted; the chart drawn to \
                    target/benchmarks-quick.svg)",
            run: || crate::bench::run(&["--quick".to_owned()]),
        },
    },
    Step {
        name: "autobahn",
        action: Action::Custom {
            shown: "cargo xtask autobahn --no-publish  (Autobahn|Testsuite cases 1-10, weft-ws \
                    as server and as client; 0 FAILED required)",
            run: || crate::autobahn::run(&["--no-publish".to_owned()]),
        },
    },
];

/// `cargo doc --workspace --no-deps` with rustdoc warnings denied; shared
/// with `cargo xtask docs`.
pub fn rustdoc_cmd() -> Cmd {
    Cmd::cargo()
        .env("RUSTDOCFLAGS", "-D warnings")
        .args(["doc", "--workspace", "--no-deps"])
}

/// Prints `cargo xtask ci --help`.
pub fn print_help() {
    print!("{HELP}");
    println!("\nSTEPS:");
    let width = STEPS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for step in STEPS {
        println!("    {:width$}  {}", step.name, step.shown());
    }
}

/// Entry point of `cargo xtask ci ARGS..`.
pub fn run(args: &[String]) -> Result<()> {
    let Some(selected) = parse_args(args)? else {
        print_help();
        return Ok(());
    };

    let started = Instant::now();
    let mut done: Vec<(&Step, Duration, bool)> = Vec::new();
    for (index, step) in selected.iter().enumerate() {
        let step_started = Instant::now();
        let result = step.run();
        done.push((step, step_started.elapsed(), result.is_ok()));
        if let Err(err) = result {
            print_table(&done, started.elapsed());
            let rest: Vec<&str> = selected[index + 1..].iter().map(|s| s.name).collect();
            if !rest.is_empty() {
                println!("not run: {}", rest.join(", "));
            }
            println!("rerun from here with: cargo xtask ci --from {}", step.name);
            return Err(format!("step `{}` failed: {err}", step.name));
        }
    }
    print_table(&done, started.elapsed());
    println!("ci passed ({} of {} steps run)", done.len(), STEPS.len());
    Ok(())
}

/// Parses the `ci` options into the steps to run, or `None` for `--help`.
fn parse_args(args: &[String]) -> Result<Option<Vec<&'static Step>>> {
    let mut from: Option<&'static Step> = None;
    let mut only: BTreeSet<&'static str> = BTreeSet::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("`{flag}` needs a step name (see `cargo xtask ci --help`)"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--from" => {
                if from.is_some() {
                    return Err("`--from` given twice".to_owned());
                }
                from = Some(find_step(&value()?)?);
            }
            "--only" => {
                for name in value()?.split(',').filter(|n| !n.trim().is_empty()) {
                    only.insert(find_step(name.trim())?.name);
                }
            }
            _ => {
                return Err(format!(
                    "unexpected argument `{arg}` (see `cargo xtask ci --help`)"
                ))
            }
        }
    }
    if from.is_some() && !only.is_empty() {
        return Err("use either `--from` or `--only`, not both".to_owned());
    }
    let steps = match from {
        Some(first) => STEPS.iter().skip_while(|s| s.name != first.name).collect(),
        None if !only.is_empty() => STEPS.iter().filter(|s| only.contains(s.name)).collect(),
        None => STEPS.iter().collect(),
    };
    Ok(Some(steps))
}

/// Looks a step up by name.
fn find_step(name: &str) -> Result<&'static Step> {
    STEPS.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        format!("unknown step `{name}`; steps are: {}", names.join(", "))
    })
}

/// Prints the timing table for the steps run so far.
fn print_table(done: &[(&Step, Duration, bool)], total: Duration) {
    let width = done
        .iter()
        .map(|(s, ..)| s.name.len())
        .chain(["total".len()])
        .max()
        .unwrap_or(0);
    let times: Vec<String> = done.iter().map(|(_, d, _)| fmt_duration(*d)).collect();
    let total = fmt_duration(total);
    let time_width = times
        .iter()
        .chain([&total])
        .map(String::len)
        .max()
        .unwrap_or(0);
    println!("\n==> summary");
    for ((step, _, ok), time) in done.iter().zip(&times) {
        let result = if *ok { "ok" } else { "FAILED" };
        println!("{:width$}  {time:>time_width$}  {result}", step.name);
    }
    println!("{:width$}  {total:>time_width$}", "total");
}

/// A workspace member, as reported by `cargo metadata`.
struct Package {
    name: String,
    /// Directory holding the package's Cargo.toml.
    dir: PathBuf,
}

/// The workspace members that live under `crates/`, sorted by directory.
fn crate_packages() -> Result<Vec<Package>> {
    let cmd = Cmd::cargo().args(["metadata", "--no-deps", "--format-version", "1"]);
    let (stdout, status) = cmd.stdout()?;
    if !status.success() {
        return Err(format!("`{}` failed ({})", cmd.display(), describe(status)));
    }
    let metadata: Value = serde_json::from_str(&stdout)
        .map_err(|err| format!("cannot parse `cargo metadata` output: {err}"))?;
    let crates_dir = workspace_root().join("crates");
    let mut packages: Vec<Package> = metadata["packages"]
        .as_array()
        .ok_or("`cargo metadata` output has no `packages`")?
        .iter()
        .filter_map(|pkg| {
            let name = pkg["name"].as_str()?.to_owned();
            let dir = Path::new(pkg["manifest_path"].as_str()?)
                .parent()?
                .to_path_buf();
            Some(Package { name, dir })
        })
        .filter(|pkg| pkg.dir.starts_with(&crates_dir))
        .collect();
    packages.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(packages)
}

/// Step `loom`: runs every `crates/*/tests/loom*.rs` model with `--cfg loom`.
fn loom() -> Result<()> {
    let mut models: Vec<(String, String)> = Vec::new();
    for pkg in crate_packages()? {
        let tests_dir = pkg.dir.join("tests");
        let Ok(entries) = fs::read_dir(&tests_dir) else {
            continue;
        };
        let mut stems: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path())
            .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "rs"))
            .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
            .filter(|stem| stem.starts_with("loom"))
            .collect();
        stems.sort();
        models.extend(stems.into_iter().map(|stem| (pkg.name.clone(), stem)));
    }
    if models.is_empty() {
        println!("no loom models found");
        return Err(
            "no loom models found: the gate requires at least one crates/*/tests/loom*.rs"
                .to_owned(),
        );
    }

    let mut rustflags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !rustflags.trim().is_empty() {
        rustflags.push(' ');
    }
    rustflags.push_str("--cfg loom");
    for (pkg, stem) in &models {
        let cmd = Cmd::cargo()
            .env("RUSTFLAGS", &rustflags)
            .env("CARGO_TARGET_DIR", util::target_dir().join("loom"))
            .env("LOOM_MAX_PREEMPTIONS", "3")
            .args(["test", "-p", pkg, "--release", "--test", stem]);
        sub_banner(&cmd.display());
        cmd.run()?;
    }
    println!("loom: {} model(s) passed", models.len());
    Ok(())
}

/// Step `valgrind`: runs the unit and integration test binaries of every
/// crate with `unsafe` code under memcheck.
fn valgrind() -> Result<()> {
    let version = Cmd::new("valgrind").arg("--version");
    match version.stdout() {
        Ok((out, status)) if status.success() => println!("using {}", out.trim()),
        _ => {
            return Err(
                "valgrind is not installed (not found on PATH); install it, e.g. \
                 `apt-get install valgrind` (.ci/run does this)"
                    .to_owned(),
            )
        }
    }

    let mut packages = Vec::new();
    for pkg in crate_packages()? {
        if uses_unsafe(&pkg.dir)? {
            packages.push(pkg);
        }
    }
    if packages.is_empty() {
        println!("no crate under crates/ contains `unsafe` code; nothing to check");
        return Ok(());
    }
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    println!("crates with `unsafe` code: {}", names.join(", "));

    let mut build = Cmd::cargo().arg("test");
    for name in &names {
        build = build.args(["-p", name]);
    }
    let build = build.args(["--tests", "--lib", "--no-run", "--message-format=json"]);
    sub_banner(&build.display());
    let (stdout, status) = build.stdout()?;
    let binaries = test_executables(&stdout);
    if !status.success() {
        return Err(format!(
            "`{}` failed ({})",
            build.display(),
            describe(status)
        ));
    }
    if binaries.is_empty() {
        return Err("cargo built no test binaries for the crates with `unsafe` code".to_owned());
    }

    let root = workspace_root();
    let mut ran = Vec::new();
    for (exe, pkg_dir) in &binaries {
        // Run it the way `cargo test` would: from the package directory,
        // with CARGO_MANIFEST_DIR pointing there (tests may read fixtures).
        let cmd = Cmd::new("valgrind")
            .args([
                "--tool=memcheck",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--show-leak-kinds=definite",
                "--track-origins=no",
                "-q",
            ])
            .arg(exe)
            .arg("--test-threads=1")
            .env("CARGO_MANIFEST_DIR", pkg_dir)
            .env("INSTA_UPDATE", "no")
            .env("CI", "true")
            .current_dir(pkg_dir);
        sub_banner(&cmd.display());
        let status = cmd.status()?;
        let shown = exe.strip_prefix(&root).unwrap_or(exe).display().to_string();
        match status.code() {
            Some(0) => ran.push(shown),
            Some(99) => {
                return Err(format!(
                    "memcheck reported errors in {shown} (see the valgrind output above)"
                ))
            }
            _ => {
                return Err(format!(
                    "{shown} failed under valgrind ({}): a test failed or crashed",
                    describe(status)
                ))
            }
        }
    }
    println!(
        "valgrind: memcheck found 0 errors in {} test binaries:",
        ran.len()
    );
    for exe in &ran {
        println!("    {exe}");
    }
    Ok(())
}

/// Whether the crate in `dir` has `unsafe` code: `src/` mentions the
/// `unsafe` keyword outside `//` comments and `src/lib.rs` does not say
/// `#![forbid(unsafe_code)]`.
fn uses_unsafe(dir: &Path) -> Result<bool> {
    let lib = dir.join("src/lib.rs");
    if let Ok(text) = fs::read_to_string(&lib) {
        if text.contains("#![forbid(unsafe_code)]") {
            return Ok(false);
        }
    }
    let mut stack = vec![dir.join("src")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            let entries = fs::read_dir(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            stack.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            if text.lines().any(mentions_unsafe) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether a source line uses the `unsafe` keyword (as a whole word, so
/// `unsafe_code` or `unsafe_op_in_unsafe_fn` don't count); comment lines
/// are ignored.
fn mentions_unsafe(line: &str) -> bool {
    let line = line.trim_start();
    if line.starts_with("//") || line.starts_with("/*") || line.starts_with('*') {
        return false;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices("unsafe").any(|(at, word)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Extracts `(executable, package dir)` of every test binary from the
/// `--message-format=json` output of cargo, echoing compiler diagnostics
/// (which JSON mode would otherwise swallow) to stderr.
fn test_executables(json_lines: &str) -> Vec<(PathBuf, PathBuf)> {
    let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
    for line in json_lines.lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-message") => {
                if let Some(rendered) = msg["message"]["rendered"].as_str() {
                    eprint!("{rendered}");
                }
            }
            Some("compiler-artifact") if msg["profile"]["test"] == Value::Bool(true) => {
                let Some(exe) = msg["executable"].as_str() else {
                    continue;
                };
                let pkg_dir = msg["manifest_path"]
                    .as_str()
                    .and_then(|p| Path::new(p).parent())
                    .map_or_else(workspace_root, Path::to_path_buf);
                let exe = PathBuf::from(exe);
                if !found.iter().any(|(seen, _)| *seen == exe) {
                    found.push((exe, pkg_dir));
                }
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_detection() {
        assert!(mentions_unsafe("    unsafe { ptr.read() }"));
        assert!(mentions_unsafe("unsafe impl Send for Foo {}"));
        assert!(mentions_unsafe("let x = unsafe{ f() };"));
        assert!(!mentions_unsafe("#![deny(unsafe_op_in_unsafe_fn)]"));
        assert!(!mentions_unsafe("#![forbid(unsafe_code)]"));
        assert!(!mentions_unsafe("    // SAFETY: not unsafe at all"));
        assert!(!mentions_unsafe("/// Never uses unsafe code."));
    }

    #[test]
    fn picks_test_executables() {
        let out = r#"{"reason":"compiler-artifact","manifest_path":"/w/crates/a/Cargo.toml","profile":{"test":true},"executable":"/w/target/debug/deps/a-1"}
{"reason":"compiler-artifact","manifest_path":"/w/crates/a/Cargo.toml","profile":{"test":false},"executable":null}
{"reason":"compiler-artifact","manifest_path":"/w/crates/b/Cargo.toml","profile":{"test":true},"executable":"/w/target/debug/deps/t-2"}
{"reason":"build-finished","success":true}"#;
        let found = test_executables(out);
        assert_eq!(
            found,
            vec![
                ("/w/target/debug/deps/a-1".into(), "/w/crates/a".into()),
                ("/w/target/debug/deps/t-2".into(), "/w/crates/b".into()),
            ]
        );
    }

    #[test]
    fn step_selection() {
        let names = |args: &[&str]| -> Result<Vec<&str>> {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            Ok(parse_args(&args)?.unwrap().iter().map(|s| s.name).collect())
        };
        assert_eq!(names(&[]).unwrap().len(), STEPS.len());
        assert_eq!(
            names(&["--from", "valgrind"]).unwrap(),
            ["valgrind", "bench-smoke", "autobahn"]
        );
        assert_eq!(names(&["--from=autobahn"]).unwrap(), ["autobahn"]);
        assert_eq!(names(&["--only", "test,fmt"]).unwrap(), ["fmt", "test"]);
        assert_eq!(
            names(&["--only", "loom", "--only", "fmt"]).unwrap(),
            ["fmt", "loom"]
        );
        assert!(names(&["--only", "nope"]).is_err());
        assert!(names(&["--from", "fmt", "--only", "fmt"]).is_err());
        assert!(names(&["--from"]).is_err());
        assert!(parse_args(&["--help".to_owned()]).unwrap().is_none());
    }
}
