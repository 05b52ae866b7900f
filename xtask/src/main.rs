//! Build tooling for the weft workspace, run as `cargo xtask COMMAND`.
//!
//! Arguments are parsed by hand and the only dependency is `serde_json`, so
//! that building xtask stays cheap: CI builds it before every run.

#![forbid(unsafe_code)]

mod autobahn;
mod bench;
mod chart;
mod ci;
mod peers;
mod util;

use std::process::ExitCode;

use util::{banner, target_dir, Result};

/// Help for `cargo xtask --help`.
const HELP: &str = "\
Build tooling for the weft workspace.

USAGE:
    cargo xtask <COMMAND> [OPTIONS]

COMMANDS:
    ci      Run the CI gate (fmt, clippy, peers, test, doctest, rustdoc, loom,
            valgrind, bench-smoke, autobahn) with a timing table;
            --from STEP / --only STEP[,STEP..] rerun parts
    autobahn
            Run the Autobahn|Testsuite (WebSocket conformance) against weft-ws
            [--quick] [--server-only|--client-only]; full runs publish the
            summary to docs/conformance.md
    bench   Run the comparison benchmarks [--quick] [SCENARIO..] and publish
            the report to docs/benchmarks.md (not with --quick)
    docs    Build the API docs with warnings denied and print where to open them
    peers   Build the Python venv of the WebSocket peers in target/weft-py
    help    Print this help, or `help COMMAND` for a command's help

Run `cargo xtask COMMAND --help` for details; `.ci/run` is `cargo xtask ci`
plus tool setup.
";

/// Help for `cargo xtask docs --help`.
const DOCS_HELP: &str = "\
Build the API docs of every workspace crate (no dependencies) with
RUSTDOCFLAGS='-D warnings', then print the path of the weft crate's index.html.

USAGE:
    cargo xtask docs
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            eprint!("{HELP}");
            eprintln!("\nerror: no command given");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        "-h" | "--help" | "help" => help(rest.first().map(String::as_str)),
        "ci" => ci::run(rest),
        "autobahn" => autobahn::run(rest),
        "bench" => bench::run(rest),
        "peers" => peers::run(rest),
        "docs" => docs(rest),
        other => {
            eprint!("{HELP}");
            eprintln!("\nerror: unknown command `{other}`");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nerror: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask help [COMMAND]`.
fn help(command: Option<&str>) -> Result<()> {
    match command {
        None => print!("{HELP}"),
        Some("ci") => ci::print_help(),
        Some("autobahn") => print!("{}", autobahn::HELP),
        Some("bench") => print!("{}", bench::HELP),
        Some("docs") => print!("{DOCS_HELP}"),
        Some("peers") => print!("{}", peers::HELP),
        Some(other) => return Err(format!("unknown command `{other}`")),
    }
    Ok(())
}

/// `cargo xtask docs`: build the docs and print where to open them.
fn docs(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {}
        Some("-h" | "--help") => {
            print!("{DOCS_HELP}");
            return Ok(());
        }
        Some(other) => return Err(format!("unexpected argument `{other}` for `docs`")),
    }
    let cmd = ci::rustdoc_cmd();
    banner("docs", &cmd.display());
    cmd.run()?;
    let index = target_dir().join("doc/weft/index.html");
    if !index.is_file() {
        return Err(format!("docs built, but {} is missing", index.display()));
    }
    println!("\nopen {}", index.display());
    Ok(())
}
