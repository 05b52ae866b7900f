//! `cargo xtask bench`: run the comparison benchmarks, publish their reports and
//! draw the chart of their ratios.

use std::fs;
use std::path::{Path, PathBuf};

use crate::chart::{self, Labels, Row};
use crate::util::{banner, target_dir, workspace_root, Cmd, Result};

/// Help for `cargo xtask bench --help`.
pub const HELP: &str = "\
Run the weft-vs-peers benchmarks of crates/bench: `compare` (in-process
scenarios, weft against tokio's current-thread and multi-thread runtimes),
`tcp_echo` (TCP echo servers in their own processes, driven by a load client
in another: weft, tokio, Python asyncio and uvloop; 1, 100 and 1000
connections) and `ws_echo` (the same for WebSocket servers: weft,
tokio-tungstenite, Python websockets). The Python peers need the venv of
`cargo xtask peers`.

Each bench writes a Markdown report to target/. Without --quick, the reports
are copied into docs/benchmarks.md: `compare`'s between the
`<!-- bench:begin -->` and `<!-- bench:end -->` markers, `tcp_echo`'s between
`<!-- tcp-echo:begin -->` and `<!-- tcp-echo:end -->`, `ws_echo`'s between
`<!-- ws-echo:begin -->` and `<!-- ws-echo:end -->` (the file is created if
missing).

Each bench also writes its ratios (above 1 when weft is better, with the
issues' targets) next to its report, as target/bench-report-NAME.ratios.tsv.
Without --quick, the rows of every bench that ran replace that bench's rows
in docs/benchmarks.tsv (the other benches' rows are kept), and the whole file
is drawn as a bar chart into docs/benchmarks.svg. With --quick, this run's
ratios are drawn into target/benchmarks-quick.svg and docs/ is left alone.

USAGE:
    cargo xtask bench [--quick] [SCENARIO..]
    cargo xtask bench --chart-only

OPTIONS:
    --quick       Short correctness-oriented run; docs/ is left alone
    --chart-only  Run no bench: draw docs/benchmarks.svg from docs/benchmarks.tsv
    SCENARIO..    Run only these `compare` scenarios, and `tcp_echo` and
                  `ws_echo` only if named (default: everything)
    -h, --help    Print this help
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

/// The ratios of every bench's latest full run, committed.
const RATIOS: &str = "docs/benchmarks.tsv";
/// Their chart.
const CHART: &str = "docs/benchmarks.svg";
/// The chart of a `--quick` run, in the target directory.
const QUICK_CHART: &str = "benchmarks-quick.svg";

/// Entry point of `cargo xtask bench ARGS..`.
pub fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut chart_only = false;
    let mut scenarios: Vec<&str> = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--quick" => quick = true,
            "--chart-only" => chart_only = true,
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unexpected option `{flag}` (see `cargo xtask bench --help`)"
                ))
            }
            scenario => scenarios.push(scenario),
        }
    }
    if chart_only {
        if quick || !scenarios.is_empty() {
            return Err("--chart-only runs no bench: it takes no other argument".into());
        }
        let rows = read_ratios(&workspace_root().join(RATIOS), false)?;
        return draw_docs_chart(&rows);
    }

    let compare: Vec<&str> = scenarios
        .iter()
        .copied()
        .filter(|s| WHOLE.iter().all(|(name, _)| s != name))
        .collect();
    // A quick run's ratios, for its own chart.
    let mut ratios: Vec<Row> = Vec::new();
    if scenarios.is_empty() || !compare.is_empty() {
        ratios.extend(run_bench("compare", &compare, quick, COMPARE)?);
    }
    for (name, markers) in WHOLE {
        if scenarios.is_empty() || scenarios.contains(&name) {
            ratios.extend(run_bench(name, &[], quick, markers)?);
        }
    }
    if quick {
        let svg = target_dir().join(QUICK_CHART);
        let labels = Labels {
            title: "weft vs peers (quick run)".into(),
            note: Some("Quick run: correctness only, the numbers mean nothing.".into()),
            footer: footer("this run's target/bench-report-*.ratios.tsv"),
        };
        write(&svg, &chart::svg(&ratios, &labels))?;
        println!("\nchart: {} (docs/ left unchanged)", svg.display());
    }
    if !scenarios.is_empty() && !quick {
        println!(
            "note: only {} ran, so the published section and the chart's group now \
             cover just those; run `cargo xtask bench` without scenarios for the full table",
            scenarios.join(", ")
        );
    }
    Ok(())
}

/// Runs bench `name` of weft-bench and returns its ratios; unless `quick`, publishes
/// its report between `markers` in docs/benchmarks.md, its ratios into
/// docs/benchmarks.tsv and redraws docs/benchmarks.svg.
fn run_bench(name: &str, scenarios: &[&str], quick: bool, markers: Markers) -> Result<Vec<Row>> {
    // Absolute path: cargo runs bench binaries from the package directory.
    let report = target_dir().join(format!("bench-report-{name}.md"));
    let ratios_file = ratios_path(&report);
    // Never publish a stale report if the bench fails to write a new one.
    for old in [&report, &ratios_file] {
        if old.exists() {
            fs::remove_file(old)
                .map_err(|err| format!("cannot remove old {}: {err}", old.display()))?;
        }
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
    if !ratios_file.exists() {
        return Err(format!(
            "bench `{name}` wrote its report but not its ratios to {} (with \
             `--markdown PATH` every bench must also write PATH.ratios.tsv: \
             `weft_bench::write_ratios`)",
            ratios_file.display()
        ));
    }
    let ratios = read_ratios(&ratios_file, false)?;
    println!("\nreport: {}", report.display());
    println!("ratios: {} ({} rows)", ratios_file.display(), ratios.len());
    if quick {
        println!("--quick run: docs/benchmarks.md left unchanged");
        return Ok(ratios);
    }

    let doc = workspace_root().join("docs/benchmarks.md");
    publish(&doc, &text, markers)?;
    println!(
        "updated {} (between {} and {})",
        doc.display(),
        markers.begin,
        markers.end
    );
    // The TSV and the chart follow the Markdown bench by bench, so that a later
    // bench's failure leaves the three consistent.
    let tsv = workspace_root().join(RATIOS);
    let mut rows = read_ratios(&tsv, true)?;
    chart::merge(&mut rows, name, ratios.clone());
    write(&tsv, &chart::to_tsv(&rows))?;
    println!("updated {} (the rows of group `{name}`)", tsv.display());
    draw_docs_chart(&rows)?;
    Ok(ratios)
}

/// Where a bench writes the ratios of the report at `report` (as
/// `weft_bench::ratios_path`): the extension `md` becomes `ratios.tsv`.
fn ratios_path(report: &Path) -> PathBuf {
    report.with_extension("ratios.tsv")
}

/// The rows of the ratios file `path`; a missing file is an error unless
/// `missing_ok`, then it has no rows.
fn read_ratios(path: &Path, missing_ok: bool) -> Result<Vec<Row>> {
    match fs::read_to_string(path) {
        Ok(text) => chart::parse(&text).map_err(|err| format!("{}: {err}", path.display())),
        Err(err) if missing_ok && err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(err) => Err(format!("cannot read {}: {err}", path.display())),
    }
}

/// Draws `rows` (those of docs/benchmarks.tsv) into docs/benchmarks.svg.
fn draw_docs_chart(rows: &[Row]) -> Result<()> {
    let svg = workspace_root().join(CHART);
    let labels = Labels {
        title: "weft vs peers: the ratios of docs/benchmarks.md".into(),
        note: None,
        footer: footer(&format!(
            "{RATIOS}, the medians of each bench's latest full run (ranges, method and \
             machine in docs/benchmarks.md); `cargo xtask bench` writes both"
        )),
    };
    write(&svg, &chart::svg(rows, &labels))?;
    println!("drew {} ({} ratios)", svg.display(), rows.len());
    Ok(())
}

/// The chart's footer: where the numbers come from (`data`), when and where it was
/// drawn.
fn footer(data: &str) -> Vec<String> {
    let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown model".into());
    vec![
        format!("Data: {data}."),
        format!(
            "Drawn {} on {nproc} CPU{} ({model}).",
            crate::util::today(),
            if nproc == 1 { "" } else { "s" }
        ),
    ]
}

/// Writes `text` to `path`, creating its directory.
fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    }
    fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
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
    fn ratios_sit_next_to_the_report() {
        assert_eq!(
            ratios_path(Path::new("/t/bench-report-tcp_echo.md")),
            Path::new("/t/bench-report-tcp_echo.ratios.tsv")
        );
    }

    #[test]
    fn missing_ratios_are_an_error_unless_allowed() {
        let path = target_dir().join("xtask-test-no-such-file.ratios.tsv");
        assert!(read_ratios(&path, true).unwrap().is_empty());
        let err = read_ratios(&path, false).unwrap_err();
        assert!(err.starts_with("cannot read "), "{err}");
    }

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
