//! The report: a text table for the terminal and a markdown fragment.

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::Summary;
use crate::sys::MachineInfo;

/// One line of the report: a scenario (or one metric of it) on both runtimes.
///
/// ```
/// use std::time::Duration;
/// use weft_bench::{Row, Summary};
/// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
/// let row = Row { scenario: "x".into(), weft: s(10), tokio: s(20) };
/// assert_eq!(row.ratio(), 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The label shown in the first column.
    pub scenario: String,
    /// weft's times.
    pub weft: Summary,
    /// tokio's times.
    pub tokio: Summary,
}

impl Row {
    /// `tokio median / weft median`: above 1 means weft is faster.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_bench::{Row, Summary};
    /// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
    /// let row = Row { scenario: "x".into(), weft: s(30), tokio: s(15) };
    /// assert_eq!(row.ratio(), 0.5); // weft twice as slow
    /// ```
    pub fn ratio(&self) -> f64 {
        let w = self.weft.median.as_secs_f64();
        if w == 0.0 {
            return f64::NAN;
        }
        self.tokio.median.as_secs_f64() / w
    }
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

/// The whole report: rows plus a note per scenario.
///
/// ```
/// use std::time::Duration;
/// use weft_bench::{MachineInfo, Report, Row, Summary};
/// let s = |ms| Summary::of([Duration::from_millis(ms)]).unwrap();
/// let mut r = Report::new(true, 1);
/// r.push(Row { scenario: "spawn".into(), weft: s(10), tokio: s(12) });
/// r.note("spawn", "10 tasks");
/// assert!(r.text_table().contains("quick mode"));
/// let md = r.markdown(&MachineInfo::detect(), "cargo bench");
/// assert!(md.contains("| spawn | 10.0 ms (10.0 ms – 10.0 ms) |"));
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
            notes: Vec::new(),
        }
    }

    /// Appends a row.
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = weft_bench::Summary::of([Duration::from_millis(1)]).unwrap();
    /// let mut r = weft_bench::Report::new(false, 1);
    /// r.push(weft_bench::Row { scenario: "a".into(), weft: s, tokio: s });
    /// assert_eq!(r.rows.len(), 1);
    /// ```
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
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

    /// The table for the terminal, aligned in columns.
    ///
    /// ```
    /// let r = weft_bench::Report::new(false, 7);
    /// assert!(r.text_table().starts_with("scenario"));
    /// ```
    pub fn text_table(&self) -> String {
        let header = [
            "scenario".to_string(),
            "weft median (min – max)".to_string(),
            "tokio median (min – max)".to_string(),
            "tokio/weft".to_string(),
        ];
        let mut lines = vec![header];
        for r in &self.rows {
            lines.push([
                r.scenario.clone(),
                fmt_summary(&r.weft),
                fmt_summary(&r.tokio),
                format!("{:.2}", r.ratio()),
            ]);
        }
        let mut widths = [0usize; 4];
        for l in &lines {
            for (w, c) in widths.iter_mut().zip(l) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        if self.quick {
            let _ = writeln!(out, "{QUICK_BANNER}");
        }
        for l in &lines {
            let mut line = String::new();
            for (i, (c, w)) in l.iter().zip(widths).enumerate() {
                let pad = w - c.chars().count();
                if i == 3 {
                    let _ = write!(line, "{}{c}", " ".repeat(pad));
                } else {
                    let _ = write!(line, "{c}{}  ", " ".repeat(pad));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(
            out,
            "({} timed repetition{} per runtime, alternating, after one untimed warm-up each; \
             tokio/weft > 1 means weft is faster)",
            self.reps,
            if self.reps == 1 { "" } else { "s" }
        );
        out
    }

    /// The markdown fragment: the table, the machine, the command and the notes.
    ///
    /// ```
    /// let r = weft_bench::Report::new(false, 7);
    /// let md = r.markdown(&weft_bench::MachineInfo::detect(), "cargo bench -p weft-bench");
    /// assert!(md.contains("| scenario | weft median (range) |"));
    /// assert!(md.contains("`cargo bench -p weft-bench`"));
    /// ```
    pub fn markdown(&self, machine: &MachineInfo, command: &str) -> String {
        let mut out = String::new();
        if self.quick {
            let _ = writeln!(out, "**{QUICK_BANNER}**\n");
        }
        out.push_str(
            "| scenario | weft median (range) | tokio median (range) | ratio (tokio/weft) |\n",
        );
        out.push_str("|---|---|---|---|\n");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.2} |",
                r.scenario,
                fmt_summary(&r.weft),
                fmt_summary(&r.tokio),
                r.ratio()
            );
        }
        let _ = writeln!(
            out,
            "\n{} timed repetitions per runtime, alternating weft / tokio, after one untimed \
             warm-up each; ratio > 1 means weft is faster.\n",
            self.reps
        );
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
