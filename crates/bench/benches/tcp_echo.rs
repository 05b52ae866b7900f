//! TCP echo, weft against tokio's current-thread runtime (the baseline), with tokio's
//! multi-thread runtime and Python's asyncio and uvloop as further peers. Each server
//! runs in its own process pinned to CPU 0 (`echo_server`, or `peers/tcp_echo.py`),
//! driven by the same load client (`echo_load`) in its own process on CPU 1: 64-byte
//! messages, one in flight per connection, at 1, 100 and 1000 connections.
//!
//! Per connection count, server style and repetition it records the throughput and
//! the server's user and system CPU per message (from `/proc/PID/stat` over the
//! measured window); styles run in a rotating order, so drift on a shared machine
//! spreads over all of them. Then, at 100 connections and if `strace` is installed,
//! each server's syscalls per message: `strace -c -f` over two runs of different
//! lengths, whose difference leaves out the server's start and the connections' setup.
//!
//! Full run: 5 repetitions of 2 s (after 0.5 s of warm-up) at 1 connection, 11 of 5 s
//! (after 0.5 s) at 100 and 5 of 1.5 s (after 0.5 s) at 1000, then strace runs of 50,000
//! and 5,000 messages; about 14 minutes with every style.
//!
//! The 100-connection windows are long and many because `/proc`'s split of CPU time
//! into user and system is sampled at the kernel's tick (250 Hz here): user time is
//! about a tenth of an echo server's CPU, so a 2.5 s window held some 35 to 55 user
//! ticks, ±15% or so from sampling alone, before the shared machine's own noise.
//!
//! `--quick`: one 0.3 s window per style and count, and strace runs of 5,000 and 500
//! messages; about 25 s.
//!
//! Styles (`echo_server`): `weft-protocol`, `weft-streams`, `weft-tcp`, `tokio-mt`
//! (2 workers; on CPU 0 like every server, so both share one CPU) and `tokio`; `mio`:
//! no runtime, one mio `Poll` loop making the same system calls per message (the floor
//! under every server's CPU, which the report subtracts to show what each runtime adds);
//! (`peers/tcp_echo.py`): `asyncio-protocol`, `asyncio-streams`, `uvloop-protocol`,
//! `uvloop-streams`. The Python peers run under `$WEFT_PYTHON`, or else the venv that
//! `cargo xtask peers` builds in `target/weft-py`. Without it, a full run fails and a
//! `--quick` one skips the Python servers; without uvloop, the uvloop servers are
//! skipped.
//!
//! With `--markdown PATH` it writes the report there and its ratios (weft against
//! tokio and uvloop, see [`weft_bench::Ratio`]) next to it.
//!
//! `cargo bench -p weft-bench --bench tcp_echo -- [--quick] [--reps N]
//!  [--markdown PATH] [STYLE..] [CONNS..]` (`CONNS`: `1`, `100`, `1000`; default all;
//!  `--reps` applies to every count).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::BufReader;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use weft_bench::{
    median_range, parse_done, read_line, report_footer, spawn_load, spawn_server, Args,
    MachineInfo, Python, Ratio, Server, Skips,
};

const SERVER: &str = env!("CARGO_BIN_EXE_echo_server");
const LOAD: &str = env!("CARGO_BIN_EXE_echo_load");
const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/tcp_echo.py");

/// The baseline of every "vs tokio".
const TOKIO: &str = "tokio";
const TOKIO_MT: &str = "tokio-mt";
/// The weft styles, which the ratios file covers.
const WEFT: [&str; 3] = ["weft-protocol", "weft-streams", "weft-tcp"];
/// The Python peers (`peers/tcp_echo.py`).
const PYTHON: [&str; 4] = [
    "asyncio-protocol",
    "asyncio-streams",
    UVLOOP_PROTOCOL,
    "uvloop-streams",
];
/// The Python peer weft's user CPU is held against.
const UVLOOP_PROTOCOL: &str = "uvloop-protocol";
/// No runtime at all (`echo_server mio`): the control every server's user CPU is read
/// against.
const FLOOR: &str = "mio";
/// Every style, in the order of the tables: weft's, the peers, the baseline last.
const STYLES: [&str; 10] = [
    WEFT[0], WEFT[1], WEFT[2], TOKIO_MT, FLOOR, PYTHON[0], PYTHON[1], PYTHON[2], PYTHON[3], TOKIO,
];
/// Connection counts (1, 100, 1000), as named on the command line.
const CONN_NAMES: [&str; 3] = ["1", "100", "1000"];
/// The count of the targets, the syscall counts and the comparison with uvloop.
const MAIN_CONNS: usize = 100;
const SIZE: usize = 64;

/// One measured window.
#[derive(Clone, Copy, Debug)]
struct Sample {
    msgs_per_sec: f64,
    /// Server CPU per message, µs.
    user_us: f64,
    system_us: f64,
}

/// How one connection count is measured.
#[derive(Clone, Copy, Debug)]
struct Plan {
    conns: usize,
    reps: usize,
    /// Seconds.
    warmup: f64,
    secs: f64,
}

impl Plan {
    fn new(conns: usize, args: &Args) -> Plan {
        let (reps, warmup, secs) = match (args.quick, conns) {
            (true, _) => (1, 0.1, 0.3),
            (false, 1) => (5, 0.5, 2.0),
            (false, MAIN_CONNS) => (11, 0.5, 5.0),
            (false, _) => (5, 0.5, 1.5),
        };
        let explicit = args
            .raw
            .iter()
            .any(|a| a == "--reps" || a.starts_with("--reps="));
        Plan {
            conns,
            reps: if explicit { args.reps } else { reps },
            warmup,
            secs,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} × {} s (after {} s of warm-up)",
            self.reps, self.secs, self.warmup
        )
    }
}

/// Syscalls per message (`strace -c`): the total, and per syscall.
struct Syscalls {
    per_msg: f64,
    /// Largest first.
    top: Vec<(String, f64)>,
}

fn main() {
    let started = Instant::now();
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => fail(&e.to_string()),
    };
    if args.help {
        println!("usage: tcp_echo [--quick] [--reps N] [--markdown PATH] [STYLE..] [CONNS..]");
        println!("styles: {} (default: all)", STYLES.join(", "));
        println!("connection counts: {}", CONN_NAMES.join(", "));
        return;
    }
    // Positional arguments: connection counts (numbers) and styles (the rest).
    let (counts, names): (Vec<String>, Vec<String>) = args
        .scenarios
        .iter()
        .cloned()
        .partition(|s| s.parse::<usize>().is_ok());
    let named = !names.is_empty();
    let pick = |scenarios: Vec<String>, from: &[&'static str]| {
        let only = Args {
            scenarios,
            ..args.clone()
        };
        only.select(from).unwrap_or_else(|e| fail(&e.to_string()))
    };
    let mut styles = pick(names, &STYLES);
    let plans: Vec<Plan> = pick(counts, &CONN_NAMES)
        .iter()
        .map(|n| Plan::new(n.parse().expect("a count"), &args))
        .collect();

    let machine = MachineInfo::detect();
    let python = Python::find(
        SERVER,
        "import sys, asyncio; print(sys.version.split()[0])",
        "asyncio (3.11+)",
    );
    let mut skips = Skips::new("tcp_echo", named);
    match &python {
        Err(why) if args.quick => {
            for style in PYTHON {
                skips.skip(&mut styles, style, why);
            }
        }
        Err(why) if styles.iter().any(|s| PYTHON.contains(s)) => fail(&format!(
            "{why}\n(or run only the Rust servers: `-- {} {TOKIO_MT} {TOKIO}`)",
            WEFT.join(" ")
        )),
        Err(_) => {}
        Ok(py) if !py.uvloop => {
            let why = format!("uvloop does not import in {}", py.path.display());
            for style in PYTHON.iter().filter(|s| s.starts_with("uvloop-")) {
                skips.skip(&mut styles, style, &why);
            }
        }
        Ok(_) => {}
    }
    if styles.is_empty() {
        fail("no server left to measure");
    }
    let py = python.as_ref().ok();

    // samples[plan][style]
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); styles.len()]; plans.len()];
    for (p, plan) in plans.iter().enumerate() {
        for rep in 0..plan.reps {
            for k in 0..styles.len() {
                let i = (k + rep) % styles.len();
                let s = window(styles[i], py, plan).unwrap_or_else(|e| fail(&e));
                println!(
                    "{:>4} conns rep {rep} {:<16} {:>9.0} msg/s  user {:.2} µs/msg  sys {:.2} µs/msg",
                    plan.conns, styles[i], s.msgs_per_sec, s.user_us, s.system_us
                );
                samples[p][i].push(s);
            }
        }
    }

    let count: u64 = if args.quick { 5_000 } else { 50_000 };
    let strace_ran = plans.iter().any(|p| p.conns == MAIN_CONNS) && strace_available();
    let syscalls: Vec<Option<Syscalls>> = if strace_ran {
        styles
            .iter()
            .map(|style| {
                let t = Instant::now();
                let s = strace(style, py, count).unwrap_or_else(|e| fail(&e));
                println!(
                    "strace {style:<16} {:.3} syscalls/msg ({:.1} s)",
                    s.per_msg,
                    t.elapsed().as_secs_f64()
                );
                Some(s)
            })
            .collect()
    } else {
        if plans.iter().any(|p| p.conns == MAIN_CONNS) {
            println!("strace is not installed: syscalls per message not measured");
        }
        styles.iter().map(|_| None).collect()
    };

    let results = Results {
        styles: &styles,
        plans: &plans,
        samples: &samples,
        syscalls: &syscalls,
    };
    let ctx = Context {
        skipped: skips.list(),
        python: py,
        machine: &machine,
        args: &args,
        count,
    };
    let report = report(&results, &ctx);
    println!("\n{report}");
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, &report) {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
        let ratios = ratios(&results);
        if let Err(e) = weft_bench::write_ratios(path, &ratios) {
            fail(&format!(
                "cannot write the ratios next to {}: {e}",
                path.display()
            ));
        }
    }
    println!("tcp_echo took {:.0} s", started.elapsed().as_secs_f64());
}

fn fail(msg: &str) -> ! {
    eprintln!("tcp_echo: {msg}");
    std::process::exit(1)
}

/// Starts the server of `style` on CPU 0, optionally under `wrapper` (strace), and
/// waits for its `listening ADDR PID` line.
fn start_server(style: &str, python: Option<&Python>, wrapper: &[&str]) -> Result<Server, String> {
    let mut argv: Vec<OsString> = wrapper.iter().map(OsString::from).collect();
    if PYTHON.contains(&style) {
        argv.push(python.ok_or("no Python")?.path.clone().into());
        argv.push(PEER.into());
    } else {
        argv.push(SERVER.into());
    }
    argv.extend([style, "--cpu", "0"].map(OsString::from));
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    spawn_server(cmd, style)
}

/// Starts `echo_load ADDR --conns N --size 64 --cpu 1 EXTRA..`.
fn load(
    addr: &str,
    conns: usize,
    extra: &[String],
) -> Result<(Child, BufReader<ChildStdout>), String> {
    let mut args = vec![addr.to_owned()];
    args.extend(
        [
            "--conns",
            &conns.to_string(),
            "--size",
            &SIZE.to_string(),
            "--cpu",
            "1",
        ]
        .map(String::from),
    );
    args.extend_from_slice(extra);
    spawn_load(LOAD, &args)
}

/// One server, one warm-up and one measured window.
fn window(style: &str, python: Option<&Python>, plan: &Plan) -> Result<Sample, String> {
    let server = start_server(style, python, &[])?;
    let extra = [
        "--warmup".to_string(),
        plan.warmup.to_string(),
        "--secs".to_string(),
        plan.secs.to_string(),
    ];
    let (mut client, mut out) = load(&server.addr, plan.conns, &extra)?;
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
            "{style}, {} conns: the load client failed ({status}, {msgs} messages)",
            plan.conns
        ));
    }
    let per_msg = |a: Duration, b: Duration| (b - a).as_secs_f64() * 1e6 / msgs as f64;
    Ok(Sample {
        msgs_per_sec: msgs as f64 / elapsed,
        user_us: per_msg(before.0, after.0),
        system_us: per_msg(before.1, after.1),
    })
}

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Syscalls per message of `style` at 100 connections: two runs under `strace -c -f`,
/// of `count` and of `count / 10` messages; the difference of their counts over the
/// difference of their messages leaves out what both share (the server's start, the
/// connections' setup).
fn strace(style: &str, python: Option<&Python>, count: u64) -> Result<Syscalls, String> {
    let short = count / 10;
    let long = strace_run(style, python, count)?;
    let base = strace_run(style, python, short)?;
    let msgs = (count - short) as f64;
    let per = |name: &str| {
        let n = long.get(name).copied().unwrap_or(0) as f64
            - base.get(name).copied().unwrap_or(0) as f64;
        n.max(0.0) / msgs
    };
    let mut top: Vec<(String, f64)> = long
        .keys()
        .filter(|name| *name != "total")
        .map(|name| (name.clone(), per(name)))
        .filter(|(_, n)| *n >= 0.005)
        .collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(Syscalls {
        per_msg: per("total"),
        top,
    })
}

/// One run of `style` under `strace -c -f` for `count` messages at 100 connections:
/// calls per syscall, and `total`.
fn strace_run(
    style: &str,
    python: Option<&Python>,
    count: u64,
) -> Result<BTreeMap<String, u64>, String> {
    let file = std::env::temp_dir().join(format!(
        "weft-tcp-echo-{style}-{count}-{}.strace",
        std::process::id()
    ));
    let file_arg = file.display().to_string();
    {
        let wrapper = ["strace", "-f", "-c", "-o", &file_arg, "--"];
        let server = start_server(style, python, &wrapper)?;
        let (mut client, mut out) = load(
            &server.addr,
            MAIN_CONNS,
            &["--count".into(), count.to_string()],
        )?;
        let line = read_line(&mut out).map_err(|e| format!("{style}: load client {e}"))?;
        let (msgs, _) = parse_done(&line)?;
        if !client.wait().is_ok_and(|s| s.success()) || msgs != count {
            return Err(format!("{style} under strace: the load client failed"));
        }
        // Time for the server to see the connections close, so that both runs count
        // their teardown alike; dropping `server` then ends it, and strace writes its
        // summary and exits.
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("strace output: {e}"))?;
    let _ = std::fs::remove_file(&file);
    parse_strace(&text).ok_or_else(|| format!("cannot parse strace output:\n{text}"))
}

/// Reads the `calls` column of `strace -c`, per syscall and `total`.
fn parse_strace(text: &str) -> Option<BTreeMap<String, u64>> {
    let mut calls = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors,] syscall
        if f.len() < 5 || f[0].parse::<f64>().is_err() {
            continue;
        }
        calls.insert(f[f.len() - 1].to_string(), f[3].parse().ok()?);
    }
    calls.contains_key("total").then_some(calls)
}

/// What was measured.
struct Results<'a> {
    styles: &'a [&'a str],
    plans: &'a [Plan],
    /// `samples[plan][style]`.
    samples: &'a [Vec<Vec<Sample>>],
    /// Per style, at 100 connections.
    syscalls: &'a [Option<Syscalls>],
}

impl Results<'_> {
    fn style(&self, name: &str) -> Option<usize> {
        self.styles.iter().position(|s| *s == name)
    }

    /// Median of `f` over the windows of plan `p` and style `i`.
    fn median(&self, p: usize, i: usize, f: fn(&Sample) -> f64) -> f64 {
        median_range(self.samples[p][i].iter().map(f)).0
    }
}

/// What the report says besides the numbers.
struct Context<'a> {
    skipped: &'a [String],
    python: Option<&'a Python>,
    machine: &'a MachineInfo,
    args: &'a Args,
    /// Messages of the long strace run.
    count: u64,
}

/// `a / b` as `1.23x`, or a dash when it is not a number (a window too short for the
/// CPU clock's ticks, in a quick run).
fn times(a: f64, b: f64) -> String {
    let r = a / b;
    if r.is_finite() {
        format!("{r:.2}x")
    } else {
        "—".to_string()
    }
}

fn report(res: &Results<'_>, ctx: &Context<'_>) -> String {
    let mut out = String::new();
    if ctx.args.quick {
        out.push_str("**Quick run: correctness only, the numbers mean nothing.**\n\n");
    }
    let tokio = res.style(TOKIO);
    for (p, plan) in res.plans.iter().enumerate() {
        let main = plan.conns == MAIN_CONNS;
        let _ = writeln!(
            out,
            "**{} connection{}**\n",
            plan.conns,
            if plan.conns == 1 { "" } else { "s" }
        );
        out.push_str(
            "| server | msg/s, median (range) | vs tokio | user µs/msg (range) | vs tokio \
             | system µs/msg (range) |",
        );
        out.push_str(if main { " syscalls/msg |\n" } else { "\n" });
        out.push_str("|---|---|---|---|---|---|");
        out.push_str(if main { "---|\n" } else { "\n" });
        for (i, style) in res.styles.iter().enumerate() {
            let range = |f: fn(&Sample) -> f64| median_range(res.samples[p][i].iter().map(f));
            let (t, t_lo, t_hi) = range(|s| s.msgs_per_sec);
            let (u, u_lo, u_hi) = range(|s| s.user_us);
            let (y, y_lo, y_hi) = range(|s| s.system_us);
            let vs = |mine: f64, f: fn(&Sample) -> f64| match tokio {
                Some(k) if k != i => times(mine, res.median(p, k, f)),
                _ => "—".to_string(),
            };
            let _ = write!(
                out,
                "| {style} | {t:.0} ({t_lo:.0}–{t_hi:.0}) | {} | {u:.2} ({u_lo:.2}–{u_hi:.2}) \
                 | {} | {y:.2} ({y_lo:.2}–{y_hi:.2}) |",
                vs(t, |s| s.msgs_per_sec),
                vs(u, |s| s.user_us),
            );
            if main {
                let sys = match &res.syscalls[i] {
                    Some(s) => {
                        let top: Vec<String> = s
                            .top
                            .iter()
                            .take(3)
                            .map(|(n, c)| format!("{n} {c:.2}"))
                            .collect();
                        format!("{:.2} ({})", s.per_msg, top.join(", "))
                    }
                    None => "not measured".to_string(),
                };
                let _ = write!(out, " {sys} |");
            }
            out.push('\n');
        }
        out.push('\n');
    }

    out.push_str(&against_uvloop(res));

    let mut plans: Vec<String> = res
        .plans
        .iter()
        .map(|p| {
            let s = if p.conns == 1 { "" } else { "s" };
            format!("{} at {} connection{s}", p.describe(), p.conns)
        })
        .collect();
    if let Some(first) = res.plans.first() {
        if res.plans.len() > 1 && res.plans.iter().all(|p| p.describe() == first.describe()) {
            plans = vec![format!("{} at each count", first.describe())];
        }
    }
    let _ = writeln!(
        out,
        "{SIZE}-byte messages, one in flight on each connection; server on CPU 0, load \
         client (`echo_load`, mio, one thread, every echo checked) on CPU 1, each its own \
         process. Repetitions per server: {}; rotating order. CPU from `/proc/PID/stat` \
         over the window (10 ms units; the split into user and system time is sampled at the \
         kernel's tick, so a window's user figure is a sample: coarse at 1 connection). \
         Syscalls, at \
         {MAIN_CONNS} connections: the server under `strace -c -f`, the counts of a \
         {}-message run minus those of a {}-message one, per message of the difference \
         (the server's start and the connections' setup cancel out).\n",
        plans.join("; "),
        ctx.count,
        ctx.count / 10,
    );
    let _ = writeln!(
        out,
        "Servers (`echo_server`, and `peers/tcp_echo.py` for Python): `weft-protocol` \
         (`create_server`, `data_received` writes back), `weft-streams` (`start_server`, \
         `reader.readinto` / `writer.write` / `drain`), `weft-tcp` (a task per connection on \
         `weft::net::TcpStream`, the same code as the tokio server); `{TOKIO}` (the \
         baseline: tokio's current-thread runtime, a task per connection) and \
         `{TOKIO_MT}` (the same on its multi-thread runtime with 2 workers; the process \
         is on CPU 0 like every server, so both workers share one CPU); \
         `asyncio-protocol` / `uvloop-protocol` (`loop.create_server`, \
         `Protocol.data_received` writes back) and `asyncio-streams` / `uvloop-streams` \
         (`asyncio.start_server`, `reader.read` / `writer.write` / `await \
         writer.drain()`) on asyncio's and on uvloop's event loop{}. All set \
         TCP_NODELAY and read up to 64 KiB at a time.{}\n",
        if res.style(FLOOR).is_some() {
            format!(
                "; `{FLOOR}` (no runtime: one mio `Poll` loop, the same system calls per \
                 message, the floor under every server's CPU)"
            )
        } else {
            String::new()
        },
        match ctx.python {
            Some(py) => format!(" Python {}.", py.versions),
            None => String::new(),
        }
    );
    out.push_str(&report_footer(
        "tcp_echo",
        ctx.skipped,
        ctx.machine,
        &ctx.args.raw,
    ));
    out
}

/// At 100 connections: each server's user CPU per message against uvloop's protocol
/// server's (the second yardstick) and, when the floor ran, what each adds
/// above it (its user CPU minus the floor's: the runtime's own part). Empty when
/// uvloop did not run.
fn against_uvloop(res: &Results<'_>) -> String {
    let user = |s: &Sample| s.user_us;
    let (Some(p), Some(uv)) = (
        res.plans.iter().position(|p| p.conns == MAIN_CONNS),
        res.style(UVLOOP_PROTOCOL),
    ) else {
        return String::new();
    };
    let uv_user = res.median(p, uv, user);
    // The Rust servers and uvloop's streams server (asyncio's are far off the scale).
    let listed = |skip: Option<usize>, f: &dyn Fn(usize) -> String| {
        res.styles
            .iter()
            .enumerate()
            .filter(|(i, s)| *i != uv && Some(*i) != skip && !s.starts_with("asyncio-"))
            .map(|(i, s)| format!("`{s}` {}", f(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "User CPU per message against `{UVLOOP_PROTOCOL}`'s ({uv_user:.2} µs) at \
         {MAIN_CONNS} connections, medians: {}.",
        listed(None, &|i| times(res.median(p, i, user), uv_user))
    );
    if let Some(floor) = res.style(FLOOR) {
        let base = res.median(p, floor, user);
        let _ = write!(
            out,
            " Above the floor (user µs per message minus `{FLOOR}`'s {base:.2}): {}, \
             `{UVLOOP_PROTOCOL}` {:.2}.",
            listed(Some(floor), &|i| format!(
                "{:.2}",
                res.median(p, i, user) - base
            )),
            uv_user - base
        );
    }
    out.push_str("\n\n");
    out
}

/// The ratios of the chart, weft's styles against tokio (per connection count) and,
/// at 100 connections, against uvloop's protocol server; above 1, weft is better.
/// Ratios that are not numbers (a quick run's CPU ticks) are left out.
fn ratios(res: &Results<'_>) -> Vec<Ratio> {
    const GROUP: &str = "tcp_echo";
    let mut out = Vec::new();
    let Some(tokio) = res.style(TOKIO) else {
        return out;
    };
    let main = res.plans.iter().position(|p| p.conns == MAIN_CONNS);
    let tput = |s: &Sample| s.msgs_per_sec;
    let user = |s: &Sample| s.user_us;
    for style in WEFT {
        let Some(w) = res.style(style) else { continue };
        for (p, plan) in res.plans.iter().enumerate() {
            let conns = plan.conns;
            let target = |t: f64, r: Ratio| if conns == MAIN_CONNS { r.target(t) } else { r };
            out.push(target(
                1.0,
                Ratio::new(
                    GROUP,
                    format!("{style} {conns} conns msg/s vs tokio"),
                    res.median(p, w, tput) / res.median(p, tokio, tput),
                ),
            ));
            out.push(target(
                1.25,
                Ratio::new(
                    GROUP,
                    format!("{style} {conns} conns user CPU vs tokio"),
                    res.median(p, tokio, user) / res.median(p, w, user),
                ),
            ));
        }
        if let (Some(p), Some(uv)) = (main, res.style(UVLOOP_PROTOCOL)) {
            out.push(
                Ratio::new(
                    GROUP,
                    format!("{style} user CPU vs {UVLOOP_PROTOCOL}"),
                    res.median(p, uv, user) / res.median(p, w, user),
                )
                .target(4.0),
            );
        }
        if let (Some(mine), Some(theirs)) = (&res.syscalls[w], &res.syscalls[tokio]) {
            out.push(
                Ratio::new(
                    GROUP,
                    format!("{style} syscalls/msg vs tokio"),
                    theirs.per_msg / mine.per_msg,
                )
                .target(1.0),
            );
        }
    }
    out.retain(|r| r.value.is_finite());
    out
}
