//! Machine-readable ratios for the chart: every bench that writes a Markdown report
//! (`--markdown PATH`) also writes `PATH` with the extension `ratios.tsv`, one line per
//! compared figure, which `cargo xtask bench` draws into `docs/benchmarks.svg`.
//!
//! Every ratio is oriented the same way: **above 1, weft is better** (a peer's time
//! or CPU or bytes divided by weft's, or weft's throughput divided by the peer's), so
//! one chart can show them all against a line at 1.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One compared figure.
///
/// ```
/// use weft_bench::Ratio;
///
/// // weft took 50 ms where tokio took 100 ms: weft is 2x better.
/// let r = Ratio::new("compare", "spawn_many vs tokio", 100.0 / 50.0).target(1.2);
/// assert!(r.met());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Ratio {
    /// The chart's panel, usually the bench (`compare`, `tcp_echo`, `ws_echo`).
    pub group: String,
    /// What is compared with what, e.g. `spawn_many vs tokio` or
    /// `100 conns user CPU vs tokio`.
    pub label: String,
    /// The ratio, above 1 when weft is better.
    pub value: f64,
    /// The issue's target in the same orientation (e.g. 1.25 for "user CPU at most
    /// 0.8x"), if there is one.
    pub target: Option<f64>,
}

impl Ratio {
    /// A ratio without a target.
    ///
    /// ```
    /// let r = weft_bench::Ratio::new("ws_echo", "20 B msg/s vs tokio-tungstenite", 4.4);
    /// assert_eq!(r.target, None);
    /// ```
    pub fn new(group: impl Into<String>, label: impl Into<String>, value: f64) -> Ratio {
        Ratio {
            group: group.into(),
            label: label.into(),
            value,
            target: None,
        }
    }

    /// The same ratio with a target.
    ///
    /// ```
    /// let r = weft_bench::Ratio::new("compare", "timers cpu vs tokio", 1.3).target(1.5);
    /// assert!(!r.met());
    /// ```
    pub fn target(mut self, target: f64) -> Ratio {
        self.target = Some(target);
        self
    }

    /// Whether the ratio reaches its target (true without one).
    ///
    /// ```
    /// assert!(weft_bench::Ratio::new("g", "x", 0.5).met());
    /// ```
    pub fn met(&self) -> bool {
        self.target.is_none_or(|t| self.value >= t)
    }
}

/// Where the ratios of the report at `markdown` go: the same path with the extension
/// `ratios.tsv`.
///
/// ```
/// use std::path::Path;
/// let p = weft_bench::ratios_path(Path::new("target/bench-report-tcp_echo.md"));
/// assert_eq!(p, Path::new("target/bench-report-tcp_echo.ratios.tsv"));
/// ```
pub fn ratios_path(markdown: &Path) -> PathBuf {
    markdown.with_extension("ratios.tsv")
}

/// The TSV text of `ratios`: `group TAB label TAB value TAB target` per line, the
/// target `-` when there is none. Tabs and newlines in names become spaces.
///
/// ```
/// let r = [weft_bench::Ratio::new("compare", "yield_many vs tokio", 1.7).target(1.2)];
/// assert_eq!(weft_bench::ratios_tsv(&r), "compare\tyield_many vs tokio\t1.7000\t1.2000\n");
/// ```
pub fn ratios_tsv(ratios: &[Ratio]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut out = String::new();
    for r in ratios {
        let target = r
            .target
            .map_or_else(|| "-".to_string(), |t| format!("{t:.4}"));
        let _ = writeln!(
            out,
            "{}\t{}\t{:.4}\t{}",
            clean(&r.group),
            clean(&r.label),
            r.value,
            target
        );
    }
    out
}

/// Writes `ratios` next to the report at `markdown` (see [`ratios_path`]).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("weft-ratios-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let md = dir.join("report.md");
/// weft_bench::write_ratios(&md, &[weft_bench::Ratio::new("g", "x", 2.0)]).unwrap();
/// let text = std::fs::read_to_string(dir.join("report.ratios.tsv")).unwrap();
/// assert_eq!(text, "g\tx\t2.0000\t-\n");
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_ratios(markdown: &Path, ratios: &[Ratio]) -> std::io::Result<()> {
    std::fs::write(ratios_path(markdown), ratios_tsv(ratios))
}
