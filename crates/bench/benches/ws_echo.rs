//! WebSocket echo, weft against tokio-tungstenite on tokio's current-thread runtime,
//! with Python's `websockets` (on asyncio, and on uvloop when it imports) as a second
//! peer. Each server runs in its own process on CPU 0 (`ws_server`, or
//! `peers/ws_echo.py`), driven by the same load client (`ws_load`) in its own process
//! on CPU 1: 100 connections, one message in flight on each, 20-byte and 16 KiB binary
//! messages.
//!
//! Per message size, server and repetition it records the throughput and the server's
//! user and system CPU per message (from `/proc/PID/stat` over the measured window);
//! styles run in a rotating order, so drift on a shared machine spreads over all of
//! them. Then, per server, the memory an idle connection costs: the growth of the
//! server's `VmRSS` (`/proc/PID/status`) while the load client holds 1000 more
//! handshaken, silent connections, divided by 1000.
//!
//! The Python peer runs under `$WEFT_PYTHON`, or else the venv `cargo xtask peers`
//! builds in `target/weft-py`. Without it, a full run fails and a `--quick` one skips
//! the Python servers; without uvloop, the uvloop server is skipped.
//!
//! `cargo bench -p weft-bench --bench ws_echo -- [--quick] [--reps N]
//!  [--markdown PATH] [STYLE..]`
//!
//! With `--markdown PATH` it also writes the chart's ratios (weft against
//! tokio-tungstenite and websockets+uvloop, above 1 when weft is better) to `PATH` with
//! the extension `ratios.tsv` (see `weft_bench::write_ratios`).
//!
//! Styles: `weft`, `tokio-tungstenite`, `python-websockets`,
//! `python-websockets+uvloop` by default; `tokio-tungstenite-4k` (a 4 KiB read buffer
//! instead of tungstenite's default 128 KiB, which tungstenite zero-fills before every
//! read) only when named.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::BufReader;
use std::process::{Child, ChildStdin, ChildStdout, Command};
use std::time::Duration;

use weft_bench::{
    median_range, parse_done, read_line, report_footer, spawn_load, spawn_server, write_ratios,
    Args, MachineInfo, Python, Ratio, Server, Skips,
};

const SERVER: &str = env!("CARGO_BIN_EXE_ws_server");
const LOAD: &str = env!("CARGO_BIN_EXE_ws_load");
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/ws_echo.py");

const WEFT: &str = "weft";
const BASELINE: &str = "tokio-tungstenite";
const PYTHON: &str = "python-websockets";
const UVLOOP: &str = "python-websockets+uvloop";
/// tokio-tungstenite with a 4 KiB read buffer: a control, run only when named.
const TUNED: &str = "tokio-tungstenite-4k";
/// Server styles, the baseline second.
const STYLES: [&str; 4] = [WEFT, BASELINE, PYTHON, UVLOOP];
/// Every style that may be named on the command line.
const ALL_STYLES: [&str; 5] = [WEFT, BASELINE, TUNED, PYTHON, UVLOOP];
const SIZES: [usize; 2] = [20, 16 * 1024];
const CONNS: usize = 100;

/// One measured window.
#[derive(Clone, Copy, Debug)]
struct Sample {
    msgs_per_sec: f64,
    /// Server CPU per message, µs.
    user_us: f64,
    system_us: f64,
}

fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => fail(&e.to_string()),
    };
    if args.help {
        println!("usage: ws_echo [--quick] [--reps N] [--markdown PATH] [STYLE..]");
        println!(
            "styles: {} (default), {TUNED} (only when named)",
            STYLES.join(", ")
        );
        return;
    }
    let named = !args.scenarios.is_empty();
    let mut styles = if named {
        args.select(&ALL_STYLES)
            .unwrap_or_else(|e| fail(&e.to_string()))
    } else {
        STYLES.to_vec()
    };
    let machine = MachineInfo::detect();
    let python = Python::find(
        SERVER,
        "import sys, websockets.asyncio.server as s, websockets as w; \
         print(sys.version.split()[0] + ', websockets ' + w.__version__)",
        "websockets",
    );
    let mut skips = Skips::new("ws_echo", named);
    match &python {
        Err(why) if args.quick => {
            skips.skip(&mut styles, PYTHON, why);
            skips.skip(&mut styles, UVLOOP, why);
        }
        Err(why) if styles.iter().any(|s| s.starts_with(PYTHON)) => fail(&format!(
            "{why}\n(or run only the Rust servers: `-- {WEFT} {BASELINE}`)"
        )),
        Err(_) => {}
        Ok(py) if !py.uvloop && styles.contains(&UVLOOP) => {
            let why = format!("uvloop does not import in {}", py.path.display());
            skips.skip(&mut styles, UVLOOP, &why);
        }
        Ok(_) => {}
    }
    if styles.is_empty() {
        fail("no server left to measure");
    }
    let py = python.as_ref().ok();
    let reps = args.reps;
    let (warmup, secs) = if args.quick { (0.2, 0.5) } else { (1.0, 3.0) };

    // samples[size][style]
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); styles.len()]; SIZES.len()];
    for (z, &size) in SIZES.iter().enumerate() {
        for rep in 0..reps {
            for k in 0..styles.len() {
                let i = (k + rep) % styles.len();
                let s = window(styles[i], py, size, warmup, secs).unwrap_or_else(|e| fail(&e));
                println!(
                    "{size:>5} B rep {rep} {:<24} {:>9.0} msg/s  user {:.2} µs/msg  sys {:.2} µs/msg",
                    styles[i], s.msgs_per_sec, s.user_us, s.system_us
                );
                samples[z][i].push(s);
            }
        }
    }
    let idle_conns = if args.quick { 100 } else { 1000 };
    let idle: Vec<f64> = styles
        .iter()
        .map(|style| {
            let b = idle_memory(style, py, idle_conns, args.quick).unwrap_or_else(|e| fail(&e));
            println!("idle {style:<24} {b:.0} bytes/connection");
            b
        })
        .collect();
    let ctx = Context {
        styles: &styles,
        skipped: skips.list(),
        python: py,
        machine: &machine,
        args: &args,
        idle_conns,
    };
    let report = report(&ctx, &samples, &idle);
    println!("\n{report}");
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, &report) {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
        let ratios = ratios(&styles, &samples, &idle);
        if let Err(e) = write_ratios(path, &ratios) {
            let tsv = weft_bench::ratios_path(path);
            fail(&format!("cannot write {}: {e}", tsv.display()));
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("ws_echo: {msg}");
    std::process::exit(1)
}

/// Starts the server of `style` on CPU 0 and waits for its `listening ADDR PID` line.
fn start_server(style: &str, python: Option<&Python>) -> Result<Server, String> {
    let mut cmd = match style {
        PYTHON | UVLOOP => {
            let py = python.ok_or("no Python")?;
            let mut c = Command::new(&py.path);
            c.arg(PEER);
            if style == UVLOOP {
                c.arg("--uvloop");
            }
            c
        }
        _ => {
            let mut c = Command::new(SERVER);
            c.args(["--style", style]);
            c
        }
    };
    cmd.args(["--cpu", "0"]);
    spawn_server(cmd, style)
}

/// Starts `ws_load ADDR --cpu 1 EXTRA..`.
fn load(addr: &str, extra: &[String]) -> Result<(Child, BufReader<ChildStdout>), String> {
    let mut args = vec![addr.to_owned(), "--cpu".to_owned(), "1".to_owned()];
    args.extend_from_slice(extra);
    spawn_load(LOAD, &args)
}

/// One server, one warm-up and one measured window.
fn window(
    style: &str,
    python: Option<&Python>,
    size: usize,
    warmup: f64,
    secs: f64,
) -> Result<Sample, String> {
    let server = start_server(style, python)?;
    let extra = [
        "--conns".to_string(),
        CONNS.to_string(),
        "--size".to_string(),
        size.to_string(),
        "--warmup".to_string(),
        warmup.to_string(),
        "--secs".to_string(),
        secs.to_string(),
    ];
    let (mut client, mut out) = load(&server.addr, &extra)?;
    let line = read_line(&mut out).map_err(|e| format!("{style}: load client {e}"))?;
    if line != "start" {
        return Err(format!("{style}: load client said {line:?}"));
    }
    let before = weft_bench::process_cpu(server.pid).ok_or("server CPU unreadable")?;
    let line = read_line(&mut out).map_err(|e| format!("{style}: load client {e}"))?;
    let after = weft_bench::process_cpu(server.pid).ok_or("server CPU unreadable")?;
    let (msgs, elapsed) = parse_done(&line)?;
    let status = client.wait().map_err(|e| e.to_string())?;
    if !status.success() || msgs == 0 {
        return Err(format!(
            "{style}: the load client failed ({status}, {msgs} messages)"
        ));
    }
    let per_msg = |a: Duration, b: Duration| (b - a).as_secs_f64() * 1e6 / msgs as f64;
    Ok(Sample {
        msgs_per_sec: msgs as f64 / elapsed,
        user_us: per_msg(before.0, after.0),
        system_us: per_msg(before.1, after.1),
    })
}

/// A `ws_load --idle N` holding its connections; closing its stdin ends it.
struct Idle {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Idle {
    fn start(addr: &str, n: usize) -> Result<Idle, String> {
        let (mut child, mut out) = load(addr, &["--idle".to_string(), n.to_string()])?;
        let stdin = child.stdin.take();
        let idle = Idle { child, stdin };
        let line = read_line(&mut out).map_err(|e| format!("idle load client {e}"))?;
        if line != format!("idle {n}") {
            return Err(format!("idle load client said {line:?}"));
        }
        Ok(idle)
    }

    fn finish(mut self) -> Result<(), String> {
        drop(self.stdin.take());
        match self.child.wait() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("the idle load client failed ({s})")),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// `VmRSS` of process `pid`, in bytes.
fn vm_rss(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}

/// Server memory per idle connection: one connection first (so that what the first
/// one sets up once is not counted), then `n` more; the `VmRSS` growth over `n`.
fn idle_memory(style: &str, python: Option<&Python>, n: usize, quick: bool) -> Result<f64, String> {
    let settle = Duration::from_millis(if quick { 100 } else { 500 });
    let server = start_server(style, python)?;
    let first = Idle::start(&server.addr, 1)?;
    std::thread::sleep(settle);
    let before = vm_rss(server.pid)?;
    let rest = Idle::start(&server.addr, n)?;
    // The last handshakes' server side may still be finishing.
    std::thread::sleep(settle);
    let after = vm_rss(server.pid)?;
    rest.finish()?;
    first.finish()?;
    drop(server);
    Ok((after as f64 - before as f64) / n as f64)
}

/// What the report says besides the numbers.
struct Context<'a> {
    styles: &'a [&'a str],
    skipped: &'a [String],
    python: Option<&'a Python>,
    machine: &'a MachineInfo,
    args: &'a Args,
    idle_conns: usize,
}

fn report(ctx: &Context<'_>, samples: &[Vec<Vec<Sample>>], idle: &[f64]) -> String {
    let mut out = String::new();
    if ctx.args.quick {
        out.push_str("**Quick run: correctness only, the numbers mean nothing.**\n\n");
    }
    let base = ctx.styles.iter().position(|s| *s == BASELINE);
    let _ = writeln!(
        out,
        "| server | message | msg/s, median (range) | vs {BASELINE} \
         | user µs/msg (range) | vs {BASELINE} | system µs/msg (range) | vs {BASELINE} |"
    );
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for (z, &size) in SIZES.iter().enumerate() {
        let med = |i: usize, f: fn(&Sample) -> f64| median_range(samples[z][i].iter().map(f));
        for (i, style) in ctx.styles.iter().enumerate() {
            let vs = |f: fn(&Sample) -> f64| match base {
                Some(b) if b != i => format!("{:.2}x", med(i, f).0 / med(b, f).0),
                _ => "—".to_string(),
            };
            let (t, t_lo, t_hi) = med(i, |s| s.msgs_per_sec);
            let (u, u_lo, u_hi) = med(i, |s| s.user_us);
            let (y, y_lo, y_hi) = med(i, |s| s.system_us);
            let _ = writeln!(
                out,
                "| {style} | {} | {t:.0} ({t_lo:.0}–{t_hi:.0}) | {} \
                 | {u:.2} ({u_lo:.2}–{u_hi:.2}) | {} | {y:.2} ({y_lo:.2}–{y_hi:.2}) | {} |",
                size_name(size),
                vs(|s| s.msgs_per_sec),
                vs(|s| s.user_us),
                vs(|s| s.system_us),
            );
        }
    }
    let _ = writeln!(
        out,
        "\n| server | bytes per idle connection | vs {BASELINE} |\n|---|---|---|"
    );
    for (i, style) in ctx.styles.iter().enumerate() {
        let vs = match base {
            Some(b) if b != i => format!("{:.2}x", idle[i] / idle[b]),
            _ => "—".to_string(),
        };
        let _ = writeln!(out, "| {style} | {:.0} | {vs} |", idle[i]);
    }
    let reps = samples.first().and_then(|s| s.first()).map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "\n{CONNS} connections, binary messages of {}, one in flight on each; server on \
         CPU 0, load client (`ws_load`, mio, one thread, every echo checked) on CPU 1, \
         each its own process. {reps} repetition{} of {} per server and size, rotating \
         order; CPU from `/proc/PID/stat` over the window. Idle memory: the server's \
         `VmRSS` growth while {} more handshaken, silent connections are open (after a \
         first one), per connection; kernel socket buffers are not in it.\n",
        SIZES.map(size_name).join(" and "),
        if reps == 1 { "" } else { "s" },
        if ctx.args.quick {
            "0.5 s"
        } else {
            "3 s (after 1 s of warm-up)"
        },
        ctx.idle_conns,
    );
    let _ = writeln!(
        out,
        "Servers (`ws_server`, and `peers/ws_echo.py` for Python): `{WEFT}` (weft-ws, \
         its defaults but `ping_interval(None)`, TCP_NODELAY); `{BASELINE}` (tokio \
         current-thread runtime, a task per connection, `accept_async` with tungstenite's \
         default `WebSocketConfig`, whose 128 KiB read buffer each connection allocates up \
         front and zero-fills before every read, TCP_NODELAY){}; `{PYTHON}` on asyncio and \
         `{UVLOOP}` on uvloop, both with `compression=None` (no permessage-deflate, which \
         the Rust servers do not negotiate either) and `ping_interval=None`.{}\n",
        if ctx.styles.contains(&TUNED) {
            format!("; `{TUNED}` (the same with a 4 KiB read buffer)")
        } else {
            String::new()
        },
        match ctx.python {
            Some(py) => format!(" Python {}.", py.versions),
            None => String::new(),
        }
    );
    out.push_str(&report_footer(
        "ws_echo",
        ctx.skipped,
        ctx.machine,
        &ctx.args.raw,
    ));
    out
}

/// The chart's ratios (group `ws_echo`), each above 1 when weft is better: per size,
/// throughput and user CPU per message against tokio-tungstenite and throughput
/// against websockets on uvloop, then bytes per idle connection against
/// tokio-tungstenite. A figure is left out when one of its two servers did not run,
/// or when the ratio is not a positive number (a `--quick` idle measurement can be 0).
fn ratios(styles: &[&str], samples: &[Vec<Vec<Sample>>], idle: &[f64]) -> Vec<Ratio> {
    let at = |style: &str| styles.iter().position(|s| *s == style);
    let (Some(w), base, uv) = (at(WEFT), at(BASELINE), at(UVLOOP)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |label: String, value: f64, target: Option<f64>| {
        if value.is_finite() && value > 0.0 {
            let r = Ratio::new("ws_echo", label, value);
            out.push(match target {
                Some(t) => r.target(t),
                None => r,
            });
        } else {
            println!("ratio `{label}` left out of the chart: {value}");
        }
    };
    for (z, &size) in SIZES.iter().enumerate() {
        let med = |i: usize, f: fn(&Sample) -> f64| median_range(samples[z][i].iter().map(f)).0;
        let name = size_name(size);
        let rate = |s: &Sample| s.msgs_per_sec;
        let user = |s: &Sample| s.user_us;
        if let Some(b) = base {
            push(
                format!("{name} msg/s vs {BASELINE}"),
                med(w, rate) / med(b, rate),
                Some(1.5),
            );
            // At most 0.5x tokio-tungstenite's user CPU: tokio-tungstenite's over
            // weft's at least 2.
            push(
                format!("{name} user CPU vs {BASELINE}"),
                med(b, user) / med(w, user),
                Some(2.0),
            );
        }
        if let Some(u) = uv {
            push(
                format!("{name} msg/s vs websockets+uvloop"),
                med(w, rate) / med(u, rate),
                (size == 20).then_some(3.0),
            );
        }
    }
    if let Some(b) = base {
        push(
            format!("idle connection bytes vs {BASELINE}"),
            idle[b] / idle[w],
            Some(1.0),
        );
    }
    out
}

fn size_name(size: usize) -> String {
    if size >= 1024 && size % 1024 == 0 {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}
