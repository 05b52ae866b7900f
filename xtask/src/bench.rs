//! `cargo xtask bench`: run the comparison benchmarks and publish the report.

use std::fs;
use std::path::Path;

use crate::util::{banner, target_dir, workspace_root, Cmd, Result};

/// Help for `cargo xtask bench --help`.
pub const HELP: &str = "\
Run the weft-vs-peers benchmarks of crates/bench: `compare` (in-process
scenarios, weft against tokio), `tcp_echo` (TCP echo servers in their own
processes, driven by a load client in another) and `ws_echo` (the same for
WebSocket servers: weft, tokio-tungstenite, Python websockets; the Python
peers need the venv of `cargo xtask peers`).

Each bench writes a Markdown report to target/. Without --quick, the reports
are copied into docs/benchmarks.md: `compare`'s between the
`<!-- bench:begin -->` and `<!-- bench:end -->` markers, `tcp_echo`'s between
`<!-- tcp-echo:begin -->` and `<!-- tcp-echo:end -->`, `ws_echo`'s between
`<!-- ws-echo:begin -->` and `<!-- ws-echo:end -->` (the file is created if
missing).

USAGE:
    cargo xtask bench [--quick] [SCENARIO..]

OPTIONS:
    --quick      Short correctness-oriented run; docs/benchmarks.md is left alone
    SCENARIO..   Run only these `compare` scenarios, and `tcp_echo` and
                 `ws_echo` only if named (default: everything)
    -h, --help   Print this help
";

/// The markers around one bench's generated section of docs/benchmarks.md.
#[derive(Clone, Copy)]
struct Markers {
    begin: &'static str,
    end: &'static str,
}

/// `compare`'s section.
const COMPARE: Markers = Markers {
    begin: "<!-- bench:begin -->",
    end: "<!-- bench:end -->",
};
/// `tcp_echo`'s section.
const TCP_ECHO: Markers = Markers {
    begin: "<!-- tcp-echo:begin -->",
    end: "<!-- tcp-echo:end -->",
};

/// `ws_echo`'s section.
const WS_ECHO: Markers = Markers {
    begin: "<!-- ws-echo:begin -->",
    end: "<!-- ws-echo:end -->",
};

/// The benches that run whole, only when named (or when no scenario is), each with
/// its section of docs/benchmarks.md; every other scenario name is `compare`'s.
const WHOLE: [(&str, Markers); 2] = [("tcp_echo", TCP_ECHO), ("ws_echo", WS_ECHO)];

/// Entry point of `cargo xtask bench ARGS..`.
pub fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut scenarios: Vec<&str> = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--quick" => quick = true,
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unexpected option `{flag}` (see `cargo xtask bench --help`)"
                ))
            }
            scenario => scenarios.push(scenario),
        }
    }

    let compare: Vec<&str> = scenarios
        .iter()
        .copied()
        .filter(|s| WHOLE.iter().all(|(name, _)| s != name))
        .collect();
    if scenarios.is_empty() || !compare.is_empty() {
        run_bench("compare", &compare, quick, COMPARE)?;
    }
    for (name, markers) in WHOLE {
        if scenarios.is_empty() || scenarios.contains(&name) {
            run_bench(name, &[], quick, markers)?;
        }
    }
    if !scenarios.is_empty() && !quick {
        println!(
            "note: only {} ran, so the published section now covers just those; \
             run `cargo xtask bench` without scenarios for the full table",
            scenarios.join(", ")
        );
    }
    Ok(())
}

/// Runs bench `name` of weft-bench and, unless `quick`, publishes its report between
/// `markers` in docs/benchmarks.md.
fn run_bench(name: &str, scenarios: &[&str], quick: bool, markers: Markers) -> Result<()> {
    // Absolute path: cargo runs bench binaries from the package directory.
    let report = target_dir().join(format!("bench-report-{name}.md"));
    // Never publish a stale report if the bench fails to write a new one.
    if report.exists() {
        fs::remove_file(&report)
            .map_err(|err| format!("cannot remove old {}: {err}", report.display()))?;
    }

    let mut cmd = Cmd::cargo().args(["bench", "-p", "weft-bench", "--bench", name, "--"]);
    if quick {
        cmd = cmd.arg("--quick");
    }
    let cmd = cmd.args(scenarios).arg("--markdown").arg(&report);
    banner("bench", &cmd.display());
    cmd.run()?;

    let text = fs::read_to_string(&report).map_err(|err| {
        format!(
            "the bench did not write its report to {}: {err}",
            report.display()
        )
    })?;
    println!("\nreport: {}", report.display());
    if quick {
        println!("--quick run: docs/benchmarks.md left unchanged");
        return Ok(());
    }

    let doc = workspace_root().join("docs/benchmarks.md");
    publish(&doc, &text, markers)?;
    println!(
        "updated {} (between {} and {})",
        doc.display(),
        markers.begin,
        markers.end
    );
    Ok(())
}

/// Writes `report` into the marked section of the Markdown file `doc`.
fn publish(doc: &Path, report: &str, markers: Markers) -> Result<()> {
    let old = match fs::read_to_string(doc) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(format!("cannot read {}: {err}", doc.display())),
    };
    let new = splice(old.as_deref(), report, markers)
        .map_err(|err| format!("cannot update {}: {err}", doc.display()))?;
    if let Some(dir) = doc.parent() {
        fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    }
    fs::write(doc, new).map_err(|err| format!("cannot write {}: {err}", doc.display()))
}

/// Returns `doc` with the text between the markers replaced by `report`.
///
/// A missing document becomes a heading plus the markers; a document without
/// the markers gets them appended at the end.
fn splice(doc: Option<&str>, report: &str, markers: Markers) -> Result<String> {
    let intro = "# Benchmarks\n\n\
                 The section below is generated by `cargo xtask bench`; edit outside it.\n";
    crate::util::splice_section(doc, report, (markers.begin, markers.end), intro)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_missing_doc() {
        let doc = splice(None, "| a | 1 |\n", COMPARE).unwrap();
        assert!(doc.starts_with("# Benchmarks\n"));
        assert!(doc.ends_with("<!-- bench:begin -->\n| a | 1 |\n<!-- bench:end -->\n"));
    }

    #[test]
    fn replaces_between_markers() {
        let doc = "# B\n\nintro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n";
        assert_eq!(
            splice(Some(doc), "new", COMPARE).unwrap(),
            "# B\n\nintro\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nafter\n"
        );
    }

    #[test]
    fn appends_markers_when_absent() {
        assert_eq!(
            splice(Some("# B\n"), "new", COMPARE).unwrap(),
            "# B\n\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\n"
        );
    }

    #[test]
    fn rejects_broken_markers() {
        assert!(splice(
            Some("<!-- bench:end --> <!-- bench:begin -->"),
            "x",
            COMPARE
        )
        .is_err());
        assert!(splice(Some("<!-- bench:begin -->"), "x", COMPARE).is_err());
    }

    #[test]
    fn sections_are_independent() {
        let doc = "<!-- bench:begin -->\na\n<!-- bench:end -->\n";
        let doc = splice(Some(doc), "t", TCP_ECHO).unwrap();
        let doc = splice(Some(&doc), "b", COMPARE).unwrap();
        assert_eq!(
            doc,
            "<!-- bench:begin -->\nb\n<!-- bench:end -->\n\n<!-- tcp-echo:begin -->\nt\n<!-- tcp-echo:end -->\n"
        );
        let doc = splice(Some(&doc), "w", WS_ECHO).unwrap();
        let doc = splice(Some(&doc), "t2", TCP_ECHO).unwrap();
        assert!(doc.ends_with(
            "<!-- tcp-echo:begin -->\nt2\n<!-- tcp-echo:end -->\n\n<!-- ws-echo:begin -->\nw\n<!-- ws-echo:end -->\n"
        ));
    }
}
