//! The report: a text table for the terminal and a markdown fragment.

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::Summary;
use crate::sys::MachineInfo;

/// One line of the report: a scenario (or one metric of it) on each runtime.
///
/// ```
/// use std::time::Duration;
/// use weft_bench::{Row, Summary};
/// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
/// let row = Row { scenario: "x".into(), weft: s(10), tokio: s(20), tokio_mt: Some(s(15)) };
/// assert_eq!(row.ratio(), 2.0);
/// assert_eq!(row.ratio_mt(), Some(1.5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The label shown in the first column.
    pub scenario: String,
    /// weft's times.
    pub weft: Summary,
    /// tokio's times (its current-thread runtime: the headline comparison).
    pub tokio: Summary,
    /// The times of tokio's multi-thread runtime, if the scenario has that variant.
    pub tokio_mt: Option<Summary>,
}

impl Row {
    /// `tokio median / weft median`: above 1 means weft is faster.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_bench::{Row, Summary};
    /// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
    /// let row = Row { scenario: "x".into(), weft: s(30), tokio: s(15), tokio_mt: None };
    /// assert_eq!(row.ratio(), 0.5); // weft twice as slow
    /// ```
    pub fn ratio(&self) -> f64 {
        ratio(&self.tokio, &self.weft)
    }

    /// `tokio-mt median / weft median`, if there is a tokio-mt column.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_bench::{Row, Summary};
    /// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
    /// let row = Row { scenario: "x".into(), weft: s(30), tokio: s(15), tokio_mt: None };
    /// assert_eq!(row.ratio_mt(), None);
    /// ```
    pub fn ratio_mt(&self) -> Option<f64> {
        self.tokio_mt.as_ref().map(|mt| ratio(mt, &self.weft))
    }
}

/// `peer median / weft median`; NaN if weft's is zero.
fn ratio(peer: &Summary, weft: &Summary) -> f64 {
    let w = weft.median.as_secs_f64();
    if w == 0.0 {
        return f64::NAN;
    }
    peer.median.as_secs_f64() / w
}

/// Memory per task on each runtime (measured once, not timed): bytes of heap that a
/// pending task holds beyond its future. Added with [`Report::push_memory`].
///
/// ```
/// let mut r = weft_bench::Report::new(false, 1);
/// r.push_memory("task_memory", "64 B", 10_000, 100.0, 150.0, None);
/// let m = &r.memory[0];
/// assert_eq!((m.future.as_str(), m.tasks), ("64 B", 10_000));
/// assert_eq!(m.ratio(), 1.5);
/// assert_eq!(m.ratio_mt(), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRow {
    /// The label shown in the first column.
    pub scenario: String,
    /// The spawned future's size (which the per-task figures exclude), as shown: e.g.
    /// `64 B`, or a range for a mean over several sizes.
    pub future: String,
    /// How many tasks were measured together.
    pub tasks: u64,
    /// weft's bytes per task beyond the future.
    pub weft: f64,
    /// tokio's (current-thread runtime) bytes per task beyond the future.
    pub tokio: f64,
    /// The same for tokio's multi-thread runtime, if measured.
    pub tokio_mt: Option<f64>,
}

impl MemoryRow {
    /// `tokio bytes / weft bytes`: above 1 means weft uses less (NaN if weft's is not
    /// positive).
    ///
    /// ```
    /// let mut r = weft_bench::Report::new(false, 1);
    /// r.push_memory("m", "8 B", 100, 200.0, 100.0, Some(300.0));
    /// assert_eq!(r.memory[0].ratio(), 0.5); // weft uses twice as much
    /// ```
    pub fn ratio(&self) -> f64 {
        bytes_ratio(self.tokio, self.weft)
    }

    /// `tokio-mt bytes / weft bytes`, if tokio-mt was measured.
    ///
    /// ```
    /// let mut r = weft_bench::Report::new(false, 1);
    /// r.push_memory("m", "8 B", 100, 200.0, 100.0, Some(300.0));
    /// assert_eq!(r.memory[0].ratio_mt(), Some(1.5));
    /// ```
    pub fn ratio_mt(&self) -> Option<f64> {
        self.tokio_mt.map(|mt| bytes_ratio(mt, self.weft))
    }
}

fn bytes_ratio(peer: f64, weft: f64) -> f64 {
    if weft > 0.0 {
        peer / weft
    } else {
        f64::NAN
    }
}

/// A byte count per task, to one decimal (they are averages over many tasks).
fn fmt_bytes(b: f64) -> String {
    format!("{b:.1} B")
}

/// Formats a duration with three significant digits and a fitting unit.
///
/// ```
/// use std::time::Duration;
/// use weft_bench::fmt_duration;
/// assert_eq!(fmt_duration(Duration::from_nanos(1_234_567)), "1.23 ms");
/// assert_eq!(fmt_duration(Duration::from_micros(45_600)), "45.6 ms");
/// assert_eq!(fmt_duration(Duration::from_nanos(789)), "789 ns");
/// assert_eq!(fmt_duration(Duration::from_millis(1_500)), "1.50 s");
/// ```
pub fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if unit == "ns" || v >= 100.0 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

fn fmt_summary(s: &Summary) -> String {
    format!(
        "{} ({} – {})",
        fmt_duration(s.median),
        fmt_duration(s.min),
        fmt_duration(s.max)
    )
}

/// The whole report: rows of times, rows of memory per task, and a note per scenario.
///
/// ```
/// use std::time::Duration;
/// use weft_bench::{MachineInfo, Report, Row, Summary};
/// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
/// let mut r = Report::new(true, 1);
/// r.push(Row { scenario: "spawn".into(), weft: s(10), tokio: s(12), tokio_mt: Some(s(20)) });
/// r.push(Row { scenario: "local".into(), weft: s(10), tokio: s(12), tokio_mt: None });
/// r.note("spawn", "10 tasks");
/// assert!(r.text_table().contains("quick mode"));
/// let md = r.markdown(&MachineInfo::detect(), "cargo bench");
/// assert!(md.contains("| spawn | 10.0 ms (10.0 ms – 10.0 ms) |"));
/// assert!(md.contains("| 1.20 | 20.0 ms (20.0 ms – 20.0 ms) | 2.00 |"));
/// assert!(md.contains("| 1.20 | — | — |"));
/// assert!(md.contains("- **spawn**: 10 tasks"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Quick mode: timings are not meaningful.
    pub quick: bool,
    /// Timed repetitions per runtime.
    pub reps: usize,
    /// The rows, in order.
    pub rows: Vec<Row>,
    /// The memory rows, in order (a table of their own).
    pub memory: Vec<MemoryRow>,
    /// `(scenario, note)` pairs, in order.
    pub notes: Vec<(String, String)>,
}

const QUICK_BANNER: &str = "quick mode: correctness only, timings not meaningful";

impl Report {
    /// An empty report.
    ///
    /// ```
    /// let r = weft_bench::Report::new(false, 7);
    /// assert!(r.rows.is_empty());
    /// ```
    pub fn new(quick: bool, reps: usize) -> Report {
        Report {
            quick,
            reps,
            rows: Vec::new(),
            memory: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Appends a row.
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = weft_bench::Summary::of([Duration::from_millis(1)]).unwrap();
    /// let mut r = weft_bench::Report::new(false, 1);
    /// r.push(weft_bench::Row { scenario: "a".into(), weft: s, tokio: s, tokio_mt: None });
    /// assert_eq!(r.rows.len(), 1);
    /// ```
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Appends a memory row: bytes per task beyond a future of size `future` (as shown),
    /// measured over `tasks` tasks, on weft, tokio and (if measured) tokio-mt.
    ///
    /// ```
    /// let mut r = weft_bench::Report::new(false, 1);
    /// r.push_memory("task_memory", "64 B", 10_000, 96.0, 192.0, Some(160.0));
    /// assert!(r.text_table().contains("96.0 B"));
    /// let md = r.markdown(&weft_bench::MachineInfo::detect(), "cargo bench");
    /// assert!(md.contains("| task_memory | 64 B | 96.0 B | 192.0 B | 2.00 | 160.0 B | 1.67 |"));
    /// ```
    pub fn push_memory(
        &mut self,
        scenario: &str,
        future: &str,
        tasks: u64,
        weft: f64,
        tokio: f64,
        tokio_mt: Option<f64>,
    ) {
        self.memory.push(MemoryRow {
            scenario: scenario.to_string(),
            future: future.to_string(),
            tasks,
            weft,
            tokio,
            tokio_mt,
        });
    }

    /// Appends a note about `scenario`.
    ///
    /// ```
    /// let mut r = weft_bench::Report::new(false, 1);
    /// r.note("a", "1,000 tasks");
    /// assert_eq!(r.notes[0].1, "1,000 tasks");
    /// ```
    pub fn note(&mut self, scenario: &str, note: impl Into<String>) {
        self.notes.push((scenario.to_string(), note.into()));
    }

    /// Whether to show the table of times: unless the report only has memory rows.
    fn has_times(&self) -> bool {
        !self.rows.is_empty() || self.memory.is_empty()
    }

    /// The tables for the terminal, aligned in columns: times, then memory per task (if
    /// measured).
    ///
    /// ```
    /// let r = weft_bench::Report::new(false, 7);
    /// assert!(r.text_table().starts_with("scenario"));
    /// ```
    pub fn text_table(&self) -> String {
        let mut out = String::new();
        if self.quick {
            let _ = writeln!(out, "{QUICK_BANNER}");
        }
        let times = self.has_times();
        if times {
            let mut lines = vec![[
                "scenario",
                "weft median (min – max)",
                "tokio median (min – max)",
                "tokio/weft",
                "tokio-mt median (min – max)",
                "tokio-mt/weft",
            ]
            .map(String::from)];
            lines.extend(self.rows.iter().map(row_cells));
            align(&mut out, &lines, &[3, 5]);
            let _ = writeln!(
                out,
                "({} timed repetition{} per runtime, alternating weft / tokio / tokio-mt, \
                 after one untimed warm-up each; tokio is the current-thread runtime, \
                 tokio-mt the multi-thread one; ratio > 1 means weft is faster)",
                self.reps,
                if self.reps == 1 { "" } else { "s" }
            );
        }
        if !self.memory.is_empty() {
            let mut lines = vec![[
                "memory per task",
                "future",
                "weft",
                "tokio",
                "tokio/weft",
                "tokio-mt",
                "tokio-mt/weft",
            ]
            .map(String::from)];
            lines.extend(self.memory.iter().map(memory_cells));
            if times {
                out.push('\n');
            }
            align(&mut out, &lines, &[1, 2, 3, 4, 5, 6]);
            let _ = writeln!(out, "({MEMORY_FOOTER})");
        }
        out
    }

    /// The markdown fragment: the tables, the machine, the command and the notes.
    ///
    /// ```
    /// let r = weft_bench::Report::new(false, 7);
    /// let md = r.markdown(&weft_bench::MachineInfo::detect(), "cargo bench -p weft-bench");
    /// assert!(md.contains("| scenario | weft median (range) |"));
    /// assert!(md.contains("| ratio (tokio/weft) | tokio-mt median (range) |"));
    /// assert!(md.contains("`cargo bench -p weft-bench`"));
    /// ```
    pub fn markdown(&self, machine: &MachineInfo, command: &str) -> String {
        let mut out = String::new();
        if self.quick {
            let _ = writeln!(out, "**{QUICK_BANNER}**\n");
        }
        if self.has_times() {
            out.push_str(
                "| scenario | weft median (range) | tokio median (range) | ratio (tokio/weft) \
                 | tokio-mt median (range) | ratio (tokio-mt/weft) |\n",
            );
            out.push_str("|---|---|---|---|---|---|\n");
            for r in &self.rows {
                let _ = writeln!(out, "| {} |", row_cells(r).join(" | "));
            }
            let _ = writeln!(
                out,
                "\n{} timed repetition{} per runtime, alternating weft / tokio / tokio-mt, \
                 after one untimed warm-up each; tokio is tokio's current-thread runtime (the \
                 headline ratio), tokio-mt its multi-thread runtime ({NONE} where a scenario \
                 has no tokio-mt variant); ratio > 1 means weft is faster.\n",
                self.reps,
                if self.reps == 1 { "" } else { "s" }
            );
        }
        if !self.memory.is_empty() {
            out.push_str(
                "| memory per task | future | weft | tokio | ratio (tokio/weft) | tokio-mt \
                 | ratio (tokio-mt/weft) |\n",
            );
            out.push_str("|---|---|---|---|---|---|---|\n");
            for m in &self.memory {
                let _ = writeln!(out, "| {} |", memory_cells(m).join(" | "));
            }
            let _ = writeln!(out, "\nMemory: {MEMORY_FOOTER}.\n");
        }
        let _ = writeln!(out, "Machine: {}.\n", machine.describe());
        let _ = writeln!(out, "Command: `{command}`\n");
        if !self.notes.is_empty() {
            out.push_str("Notes:\n\n");
            for (s, n) in &self.notes {
                let _ = writeln!(out, "- **{s}**: {n}");
            }
        }
        out
    }
}

/// The end of a network bench's report: what was not measured (if anything), the
/// machine, and the command that reproduces the run.
///
/// ```
/// let m = weft_bench::MachineInfo::detect();
/// let f = weft_bench::report_footer("tcp_echo", &[], &m, &["--quick".to_string()]);
/// assert!(f.ends_with("`cargo bench -p weft-bench --bench tcp_echo -- --quick`\n"));
/// assert!(!f.contains("Not measured"));
/// ```
pub fn report_footer(
    bench: &str,
    skipped: &[String],
    machine: &MachineInfo,
    args: &[String],
) -> String {
    let mut out = String::new();
    if !skipped.is_empty() {
        let _ = writeln!(out, "Not measured: {}.\n", skipped.join("; "));
    }
    let _ = writeln!(out, "Machine: {}.\n", machine.describe());
    let _ = writeln!(
        out,
        "Command: `cargo bench -p weft-bench --bench {bench} -- {}`",
        args.join(" ")
    );
    out
}

/// What an empty cell shows.
const NONE: &str = "—";

const MEMORY_FOOTER: &str = "heap bytes per pending task beyond its future, measured once \
     (not timed); ratio > 1 means weft uses less";

fn fmt_ratio(r: f64) -> String {
    format!("{r:.2}")
}

/// The cells of a row of times, in the order of the table's columns.
fn row_cells(r: &Row) -> [String; 6] {
    [
        r.scenario.clone(),
        fmt_summary(&r.weft),
        fmt_summary(&r.tokio),
        fmt_ratio(r.ratio()),
        r.tokio_mt
            .as_ref()
            .map_or_else(|| NONE.to_string(), fmt_summary),
        r.ratio_mt().map_or_else(|| NONE.to_string(), fmt_ratio),
    ]
}

/// The cells of a memory row, in the order of the memory table's columns.
fn memory_cells(m: &MemoryRow) -> [String; 7] {
    [
        m.scenario.clone(),
        m.future.clone(),
        fmt_bytes(m.weft),
        fmt_bytes(m.tokio),
        fmt_ratio(m.ratio()),
        m.tokio_mt.map_or_else(|| NONE.to_string(), fmt_bytes),
        m.ratio_mt().map_or_else(|| NONE.to_string(), fmt_ratio),
    ]
}

/// Appends `lines` to `out` as aligned columns; the columns in `right` are
/// right-aligned, the others left-aligned.
fn align<const N: usize>(out: &mut String, lines: &[[String; N]], right: &[usize]) {
    let mut widths = [0usize; N];
    for l in lines {
        for (w, c) in widths.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    for l in lines {
        let mut line = String::new();
        for (i, (c, w)) in l.iter().zip(widths).enumerate() {
            let pad = " ".repeat(w - c.chars().count());
            if right.contains(&i) {
                let _ = write!(line, "{pad}{c}  ");
            } else {
                let _ = write!(line, "{c}{pad}  ");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
