//! docs/benchmarks.svg: the benches' ratios as one horizontal bar chart.
//!
//! Every bench of weft-bench writes, next to its Markdown report, a file of ratios
//! (`group TAB label TAB value TAB target`, the target `-` when there is none), each
//! oriented so that above 1 weft is better. `cargo xtask bench` merges them into
//! docs/benchmarks.tsv and draws it here: a bar per ratio from the 1x line (weft =
//! peer) to its value on a log-2 axis, grouped by bench, coloured by whether its
//! target is met, with the target as a tick across the bar. The SVG is written by
//! hand (no dependencies); text widths are estimated at 7 px per character of the
//! 12 px font, which is generous for the usual sans-serif fonts.

use std::fmt::Write as _;

use crate::util::Result;

/// One ratio: a line of a ratios file.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The chart's section, the bench that measured it (`compare`, `tcp_echo`, ...).
    pub group: String,
    /// What is compared with what, e.g. `spawn_many vs tokio`.
    pub label: String,
    /// The ratio, above 1 when weft is better; 0 and infinity are allowed.
    pub value: f64,
    /// The target in the same orientation, if there is one.
    pub target: Option<f64>,
}

impl Row {
    /// `Some(true)` when the target is reached, `None` without a target.
    pub fn met(&self) -> Option<bool> {
        self.target.map(|t| self.value >= t)
    }
}

/// Parses a ratios file: one `group TAB label TAB value TAB target` per line, the
/// target `-` when there is none. Blank lines and lines starting with `#` are
/// skipped. Errors name the line (1-based) and what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        rows.push(parse_line(line).map_err(|err| format!("line {}: {err}", i + 1))?);
    }
    Ok(rows)
}

fn parse_line(line: &str) -> Result<Row> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [group, label, value, target] = fields[..] else {
        return Err(format!(
            "expected 4 tab-separated fields (group, label, value, target), found {}: {line:?}",
            fields.len()
        ));
    };
    let (group, label) = (group.trim(), label.trim());
    if group.is_empty() || label.is_empty() {
        return Err(format!("empty group or label: {line:?}"));
    }
    let number = |what: &str, text: &str| -> Result<f64> {
        match text.trim().parse::<f64>() {
            Ok(v) if v >= 0.0 => Ok(v),
            Ok(_) => Err(format!("{what} `{text}` is not a ratio (0 or more)")),
            Err(_) => Err(format!("{what} `{text}` is not a number")),
        }
    };
    let value = number("value", value)?;
    let target = match target.trim() {
        "-" => None,
        t => Some(number("target", t)?),
    };
    Ok(Row {
        group: group.to_owned(),
        label: label.to_owned(),
        value,
        target,
    })
}

/// The text of docs/benchmarks.tsv: a comment saying what it is, then the rows in
/// the format [`parse`] reads (and weft-bench's `ratios_tsv` writes).
pub fn to_tsv(rows: &[Row]) -> String {
    let mut out = String::from(
        "# Ratios of the latest full run of each bench (`cargo xtask bench`), above 1 when\n\
         # weft is better; drawn into docs/benchmarks.svg. group TAB label TAB value TAB target\n",
    );
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    for row in rows {
        let target = row
            .target
            .map_or_else(|| "-".to_owned(), |t| format!("{t:.4}"));
        let _ = writeln!(
            out,
            "{}\t{}\t{:.4}\t{target}",
            clean(&row.group),
            clean(&row.label),
            row.value
        );
    }
    out
}

/// Replaces the rows of `group` (and of any group `new` has) in `rows` with `new`,
/// where the first of them was, or at the end; the other groups' rows are kept.
pub fn merge(rows: &mut Vec<Row>, group: &str, new: Vec<Row>) {
    let replaced = |r: &Row| r.group == group || new.iter().any(|n| n.group == r.group);
    // Every row before `at` is kept, so `at` is still where the group was.
    let at = rows.iter().position(replaced).unwrap_or(rows.len());
    rows.retain(|r| !replaced(r));
    rows.splice(at..at, new);
}

/// The x axis: powers of two from `2^lo` to `2^hi`, log-scaled onto `x0..x1` pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    lo: i32,
    hi: i32,
    x0: f64,
    x1: f64,
}

/// The axis never goes below 1/64x or above 256x; bars beyond stop at its ends.
const MIN_EXP: i32 = -6;
const MAX_EXP: i32 = 8;

impl Scale {
    /// The smallest axis of whole powers of two holding every finite, positive value
    /// and target of `rows` and at least 0.5x..2x, drawn from `x0` to `x1`.
    pub fn fit(rows: &[Row], x0: f64, x1: f64) -> Scale {
        let (mut lo, mut hi) = (-1, 1);
        let numbers = rows
            .iter()
            .flat_map(|r| [Some(r.value), r.target])
            .flatten();
        for v in numbers.filter(|v| v.is_finite() && *v > 0.0) {
            lo = lo.min(v.log2().floor() as i32);
            hi = hi.max(v.log2().ceil() as i32);
        }
        Scale {
            lo: lo.max(MIN_EXP),
            hi: hi.min(MAX_EXP),
            x0,
            x1,
        }
    }

    /// The x position of `value`, clamped to the axis (0 and below at its left end).
    pub fn x(&self, value: f64) -> f64 {
        let exp = if value > 0.0 {
            value.log2()
        } else {
            f64::NEG_INFINITY
        };
        let exp = exp.clamp(f64::from(self.lo), f64::from(self.hi));
        let span = f64::from(self.hi - self.lo);
        self.x0 + (exp - f64::from(self.lo)) / span * (self.x1 - self.x0)
    }

    /// The ticks: every power of two on the axis.
    pub fn ticks(&self) -> impl Iterator<Item = f64> {
        (self.lo..=self.hi).map(|e| 2f64.powi(e))
    }
}

/// `0.5x`, `1x`, `16x`: a tick's label.
fn tick_label(v: f64) -> String {
    format!("{v}x")
}

/// A bar's value: `0.46x`, `4.39x`, `16.4x`, `133x`.
fn value_label(v: f64) -> String {
    if v.is_infinite() {
        "∞".to_owned()
    } else if v >= 99.95 {
        format!("{v:.0}x")
    } else if v >= 9.995 {
        format!("{v:.1}x")
    } else {
        format!("{v:.2}x")
    }
}

/// Text for SVG: `&`, `<`, `>` and `"` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// What a group's heading says after its name, for the benches weft-bench has.
fn group_note(group: &str) -> &'static str {
    match group {
        "compare" => "in-process scenarios, time against tokio's current-thread runtime",
        "tcp_echo" => "TCP echo servers against tokio's and uvloop's, 1, 100 and 1000 connections, 64-byte messages",
        "ws_echo" => "WebSocket echo servers against tokio-tungstenite and Python websockets",
        _ => "",
    }
}

/// The words around the chart.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// The title, in bold at the top.
    pub title: String,
    /// A line under the title, e.g. that a quick run's numbers mean nothing.
    pub note: Option<String>,
    /// Lines at the bottom: where the data comes from, date and machine.
    pub footer: Vec<String>,
}

/// Estimated width in pixels of `text` at the 12 px font.
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

const CHAR_W: f64 = 7.0;
const PAD: f64 = 16.0;
/// Room between the labels and the axis for the value of a bar ending at its left end.
const GUTTER: f64 = 52.0;
const PLOT_W: f64 = 600.0;
/// Room right of the axis for the value of a bar ending at its right end.
const RIGHT: f64 = 64.0;
const ROW_H: f64 = 22.0;
const BAR_H: f64 = 14.0;
const HEADING_H: f64 = 30.0;
const GROUP_GAP: f64 = 10.0;

const MET: &str = "#2e9e4f";
const MISSED: &str = "#e0533d";
const NO_TARGET: &str = "#8da2b5";
const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const GRID: &str = "#d8dee4";
const STRIPE: &str = "#f3f5f7";

/// The groups of `rows` in order of first appearance, each with its rows.
fn groups(rows: &[Row]) -> Vec<(&str, Vec<&Row>)> {
    let mut out: Vec<(&str, Vec<&Row>)> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|(g, _)| *g == row.group) {
            Some((_, members)) => members.push(row),
            None => out.push((&row.group, vec![row])),
        }
    }
    out
}

/// The layout's horizontal positions, from the longest label.
struct Columns {
    /// Right edge of the labels.
    label_end: f64,
    scale: Scale,
    width: f64,
}

impl Columns {
    fn new(rows: &[Row], labels: &Labels) -> Columns {
        let longest = rows
            .iter()
            .map(|r| text_width(&r.label))
            .fold(0.0, f64::max);
        let label_end = PAD + longest.max(120.0);
        let x0 = label_end + GUTTER;
        let scale = Scale::fit(rows, x0, x0 + PLOT_W);
        let text = labels
            .footer
            .iter()
            .chain(&labels.note)
            .map(|t| text_width(t) * 11.0 / 12.0)
            .chain(groups(rows).iter().map(|(g, _)| heading_width(g)))
            .fold(0.0, f64::max);
        let width = (x0 + PLOT_W + RIGHT).max(PAD + text + PAD).ceil();
        Columns {
            label_end,
            scale,
            width,
        }
    }
}

/// The heading of a group: its name, what it compares and how many targets it meets.
fn heading(group: &str, rows: &[&Row]) -> (String, String) {
    let with_target = rows.iter().filter(|r| r.target.is_some()).count();
    let met = rows.iter().filter(|r| r.met() == Some(true)).count();
    let mut rest = group_note(group).to_owned();
    if with_target > 0 {
        if !rest.is_empty() {
            rest.push_str("; ");
        }
        let _ = write!(rest, "targets met: {met} of {with_target}");
    }
    (group.to_owned(), rest)
}

fn heading_width(group: &str) -> f64 {
    // The bold name, a space and the note with a count of up to ~25 characters.
    (group.len() as f64 + 1.0) * 8.0 + text_width(group_note(group)) + 25.0 * CHAR_W
}

/// The chart of `rows` as an SVG document.
pub fn svg(rows: &[Row], labels: &Labels) -> String {
    let cols = Columns::new(rows, labels);
    let scale = cols.scale;
    let one = scale.x(1.0);
    let groups = groups(rows);

    // Vertical layout: title, note, legend, the 1x caption, ticks, then the groups.
    let mut y = 30.0;
    // Row stripes go under the grid, the grid under the bars and labels.
    let mut stripes = String::new();
    let mut body = String::new();
    // Each group's rows, from top to bottom: the grid spans them, not the headings.
    let mut spans: Vec<(f64, f64)> = Vec::new();
    let title_y = y;
    y += 20.0;
    let note_y = labels.note.as_ref().map(|_| {
        let at = y;
        y += 18.0;
        at
    });
    let legend_y = y + 8.0;
    y += 40.0;
    let caption_y = y;
    y += 18.0;
    let top_ticks_y = y;
    y += 8.0;
    for (group, members) in &groups {
        let (name, rest) = heading(group, members);
        let _ = writeln!(
            body,
            r#"<text x="{PAD}" y="{:.1}"><tspan font-weight="bold" font-size="13">{}</tspan><tspan fill="{MUTED}" dx="8">{}</tspan></text>"#,
            y + 19.0,
            escape(&name),
            escape(&rest)
        );
        y += HEADING_H;
        let rows_top = y;
        for (i, row) in members.iter().enumerate() {
            if i % 2 == 0 {
                let _ = writeln!(
                    stripes,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{ROW_H}" fill="{STRIPE}"/>"#,
                    PAD / 2.0,
                    cols.width - PAD
                );
            }
            bar(&mut body, &scale, cols.label_end, y, row);
            y += ROW_H;
        }
        spans.push((rows_top, y));
        y += GROUP_GAP;
    }
    if groups.is_empty() {
        let _ = writeln!(
            body,
            r#"<text x="{one:.1}" y="{:.1}" text-anchor="middle" fill="{MUTED}">no ratios</text>"#,
            y + 20.0
        );
        y += 32.0;
    }
    let bottom_ticks_y = y + 14.0;
    y += 36.0;
    let footer_y = y;
    y += 16.0 * labels.footer.len() as f64;
    let height = y.ceil();

    let mut out = String::new();
    let width = cols.width;
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Verdana, Helvetica, Arial, sans-serif" font-size="12" fill="{INK}">"#
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&labels.title));
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{PAD}" y="{title_y}" font-size="17" font-weight="bold">{}</text>"#,
        escape(&labels.title)
    );
    if let (Some(note), Some(at)) = (&labels.note, note_y) {
        let _ = writeln!(
            out,
            r#"<text x="{PAD}" y="{at}" fill="{MISSED}" font-weight="bold">{}</text>"#,
            escape(note)
        );
    }
    legend(&mut out, legend_y);

    // Stripes, then grid, ticks and the 1x line, under the bars.
    out.push_str(&stripes);
    for tick in scale.ticks() {
        let x = scale.x(tick);
        let (stroke, w) = if tick == 1.0 { (INK, 1.5) } else { (GRID, 1.0) };
        for (top, bottom) in &spans {
            let _ = writeln!(
                out,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{stroke}" stroke-width="{w}"/>"#,
                top - 4.0,
                bottom + 4.0
            );
        }
        for ty in [top_ticks_y, bottom_ticks_y] {
            let _ = writeln!(
                out,
                r#"<text x="{x:.1}" y="{ty:.1}" text-anchor="middle" fill="{MUTED}">{}</text>"#,
                tick_label(tick)
            );
        }
    }
    let _ = writeln!(
        out,
        r#"<text x="{one:.1}" y="{caption_y:.1}" text-anchor="middle" font-weight="bold">peer = weft</text>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{caption_y:.1}" text-anchor="end" fill="{MUTED}">← peer better</text>"#,
        one - 50.0
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{caption_y:.1}" fill="{MUTED}">weft better →</text>"#,
        one + 50.0
    );
    out.push_str(&body);
    for (i, line) in labels.footer.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<text x="{PAD}" y="{:.1}" font-size="11" fill="{MUTED}">{}</text>"#,
            footer_y + 16.0 * i as f64,
            escape(line)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The colour of a bar: met, missed, or no target.
fn colour(row: &Row) -> &'static str {
    match row.met() {
        Some(true) => MET,
        Some(false) => MISSED,
        None => NO_TARGET,
    }
}

/// One row at `y`: its label, its bar from 1x, its target tick and its value.
fn bar(out: &mut String, scale: &Scale, label_end: f64, y: f64, row: &Row) {
    let text_y = y + ROW_H / 2.0 + 4.0;
    let _ = writeln!(
        out,
        r#"<text x="{label_end:.1}" y="{text_y:.1}" text-anchor="end">{}</text>"#,
        escape(&row.label)
    );
    let (one, end) = (scale.x(1.0), scale.x(row.value));
    let bar_y = y + (ROW_H - BAR_H) / 2.0;
    let (left, w) = (one.min(end), (end - one).abs().max(1.5));
    let _ = writeln!(
        out,
        r#"<rect x="{left:.1}" y="{bar_y:.1}" width="{w:.1}" height="{BAR_H}" fill="{}"><title>{}: {}</title></rect>"#,
        colour(row),
        escape(&row.label),
        value_label(row.value)
    );
    // The value goes beyond the bar's end, and beyond the target tick if that is
    // further out on the same side.
    let mut reach = end;
    if let Some(t) = row.target {
        let tx = scale.x(t);
        let _ = writeln!(
            out,
            r#"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="{INK}" stroke-width="2"/>"#,
            bar_y - 3.0,
            bar_y + BAR_H + 3.0
        );
        if row.value >= 1.0 {
            reach = reach.max(tx);
        } else {
            reach = reach.min(tx);
        }
    }
    let (x, anchor) = if row.value >= 1.0 {
        (reach + 5.0, "start")
    } else {
        (reach - 5.0, "end")
    };
    let weight = if row.met() == Some(false) {
        r#" font-weight="bold""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{text_y:.1}" text-anchor="{anchor}"{weight}>{}</text>"#,
        value_label(row.value)
    );
}

/// The legend: the three bar colours and the target tick.
fn legend(out: &mut String, y: f64) {
    let mut x = PAD;
    for (fill, text) in [
        (MET, "target met"),
        (MISSED, "target missed"),
        (NO_TARGET, "no target"),
    ] {
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="22" height="{BAR_H}" fill="{fill}"/><text x="{:.1}" y="{:.1}">{text}</text>"#,
            y - 11.0,
            x + 28.0,
            y
        );
        x += 28.0 + text_width(text) + 22.0;
    }
    let _ = writeln!(
        out,
        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{INK}" stroke-width="2"/><text x="{:.1}" y="{y:.1}">target</text>"#,
        x + 6.0,
        y - 14.0,
        x + 6.0,
        y + 6.0,
        x + 16.0
    );
    x += 16.0 + text_width("target") + 22.0;
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" fill="{MUTED}">Bars start at 1x; every ratio is oriented so that above 1x weft is better. Log scale.</text>"#
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, label: &str, value: f64, target: Option<f64>) -> Row {
        Row {
            group: group.into(),
            label: label.into(),
            value,
            target,
        }
    }

    #[test]
    fn parses_rows_comments_and_blank_lines() {
        let text = "# a comment\n\ncompare\tspawn_many vs tokio\t2.2300\t1.2000\r\n\
                    ws_echo\tidle bytes\tinf\t-\n";
        let rows = parse(text).unwrap();
        assert_eq!(
            rows,
            [
                row("compare", "spawn_many vs tokio", 2.23, Some(1.2)),
                row("ws_echo", "idle bytes", f64::INFINITY, None),
            ]
        );
        assert_eq!(rows[0].met(), Some(true));
        assert_eq!(rows[1].met(), None);
    }

    #[test]
    fn bad_lines_name_the_line_and_the_problem() {
        let err = parse("g\tx\t1.0\t-\ng\tx 1.0 -\n").unwrap_err();
        assert!(
            err.starts_with("line 2: expected 4 tab-separated fields"),
            "{err}"
        );
        assert!(err.contains("found 2"), "{err}");
        let err = parse("g\tx\tfast\t-\n").unwrap_err();
        assert_eq!(err, "line 1: value `fast` is not a number");
        let err = parse("g\tx\t1.5\t2x\n").unwrap_err();
        assert_eq!(err, "line 1: target `2x` is not a number");
        let err = parse("g\tx\t-1\t-\n").unwrap_err();
        assert_eq!(err, "line 1: value `-1` is not a ratio (0 or more)");
        assert!(parse("g\tx\tNaN\t-\n").is_err());
        assert!(parse("\tx\t1\t-\n").unwrap_err().contains("empty group"));
        assert!(parse("g\tx\t1\t-\textra\n")
            .unwrap_err()
            .contains("found 5"));
    }

    #[test]
    fn tsv_round_trips() {
        let rows = vec![
            row("compare", "a vs tokio", 1.5, Some(1.2)),
            row("ws_echo", "b", 0.25, None),
        ];
        let text = to_tsv(&rows);
        assert!(text.contains("compare\ta vs tokio\t1.5000\t1.2000\n"));
        assert!(text.contains("ws_echo\tb\t0.2500\t-\n"));
        assert_eq!(parse(&text).unwrap(), rows);
    }

    #[test]
    fn merge_replaces_only_the_bench_that_ran() {
        let mut rows = vec![
            row("compare", "a", 1.0, None),
            row("tcp_echo", "b", 1.0, None),
            row("tcp_echo", "c", 1.0, None),
            row("ws_echo", "d", 1.0, None),
        ];
        merge(&mut rows, "tcp_echo", vec![row("tcp_echo", "e", 2.0, None)]);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["a", "e", "d"]);
        // A new group goes at the end; an empty file empties its group.
        merge(&mut rows, "new", vec![row("new", "f", 3.0, None)]);
        merge(&mut rows, "compare", Vec::new());
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["e", "d", "f"]);
    }

    #[test]
    fn scale_is_log2_and_fits_the_data() {
        let rows = [row("g", "a", 0.3, None), row("g", "b", 5.0, Some(1.5))];
        let s = Scale::fit(&rows, 100.0, 700.0);
        // 0.3 needs 0.25x, 5.0 needs 8x: five octaves over 600 px.
        assert_eq!(
            s.ticks().collect::<Vec<_>>(),
            [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
        );
        assert_eq!(s.x(0.25), 100.0);
        assert_eq!(s.x(1.0), 340.0);
        assert_eq!(s.x(2.0), 460.0);
        assert_eq!(s.x(8.0), 700.0);
        // Out of range and degenerate values stay on the axis.
        assert_eq!(s.x(100.0), 700.0);
        assert_eq!(s.x(0.0), 100.0);
        assert_eq!(s.x(f64::INFINITY), 700.0);
    }

    #[test]
    fn scale_covers_half_to_double_at_least_and_is_bounded() {
        let s = Scale::fit(&[row("g", "a", 1.1, None)], 0.0, 200.0);
        assert_eq!(s.ticks().collect::<Vec<_>>(), [0.5, 1.0, 2.0]);
        assert_eq!(s.x(1.0), 100.0);
        let s = Scale::fit(&[row("g", "a", 1e9, Some(1e-9))], 0.0, 1.0);
        assert_eq!(s.ticks().count() as i32, MAX_EXP - MIN_EXP + 1);
    }

    #[test]
    fn labels() {
        assert_eq!(tick_label(0.25), "0.25x");
        assert_eq!(tick_label(1.0), "1x");
        assert_eq!(tick_label(16.0), "16x");
        assert_eq!(value_label(0.4567), "0.46x");
        assert_eq!(value_label(16.42), "16.4x");
        assert_eq!(value_label(133.6), "134x");
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }

    #[test]
    fn svg_has_a_bar_per_row_the_one_line_and_unclipped_labels() {
        let long = "weft-protocol 100 conns user CPU vs tokio";
        let rows = [
            row("compare", "spawn_many vs tokio", 2.23, Some(1.2)),
            row("compare", "timers (cpu) vs tokio", 1.3, Some(1.5)),
            row("tcp_echo", long, 0.99, None),
        ];
        let labels = Labels {
            title: "weft vs peers".into(),
            note: None,
            footer: vec!["drawn today".into()],
        };
        let svg = svg(&rows, &labels);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<title>").count(), 1 + rows.len());
        assert!(svg.contains(&format!("fill=\"{MET}\"><title>spawn_many")));
        assert!(svg.contains(&format!("fill=\"{MISSED}\"><title>timers")));
        assert!(svg.contains(&format!("fill=\"{NO_TARGET}\"><title>weft-protocol")));
        assert!(svg.contains(">peer = weft<"));
        assert!(svg.contains("targets met: 1 of 2"));
        assert!(svg.contains(">drawn today<"));
        // The labels end where the gutter begins, and the longest fits left of it.
        let label_end = PAD + text_width(long);
        assert!(svg.contains(&format!("<text x=\"{label_end:.1}\"")));
        let one = Scale::fit(&rows, label_end + GUTTER, label_end + GUTTER + PLOT_W).x(1.0);
        assert!(svg.contains(&format!("<line x1=\"{one:.1}\"")));
    }

    #[test]
    fn svg_without_rows_says_so() {
        assert!(svg(&[], &Labels::default()).contains(">no ratios<"));
    }
}
