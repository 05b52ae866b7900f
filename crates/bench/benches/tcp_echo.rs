//! TCP echo, weft against tokio's current-thread runtime, each server in its own
//! process on CPU 0, driven by the same load client (`echo_load`) in its own process on
//! CPU 1: 100 connections, 64-byte messages, one in flight on each.
//!
//! Per server style and repetition it records the throughput and the server's user and
//! system CPU per message (from `/proc/PID/stat` over the measured window); then, if
//! `strace` is installed, the server's syscalls per message (`strace -c -f`, a fixed
//! number of messages). Styles run in a rotating order, so drift on a shared machine
//! spreads over all of them.
//!
//! `cargo bench -p weft-bench --bench tcp_echo -- [--quick] [--reps N]
//!  [--markdown PATH] [STYLE..]`
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::io::BufReader;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use weft_bench::{
    median_range, parse_done, read_line, spawn_load, spawn_server, Args, MachineInfo, Server,
};

const SERVER: &str = env!("CARGO_BIN_EXE_echo_server");
const LOAD: &str = env!("CARGO_BIN_EXE_echo_load");

/// Server styles, the tokio baseline last; `--conns`-independent.
const STYLES: [&str; 4] = ["weft-protocol", "weft-streams", "weft-tcp", "tokio"];
const CONNS: usize = 100;
const SIZE: usize = 64;

/// One measured window.
#[derive(Clone, Copy, Debug)]
struct Sample {
    msgs_per_sec: f64,
    /// Server CPU per message, µs.
    user_us: f64,
    system_us: f64,
}

/// `strace -c` of one server: syscalls per message, and the main ones.
struct Syscalls {
    per_msg: f64,
    top: Vec<(String, f64)>,
}

fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => fail(&e.to_string()),
    };
    if args.help {
        println!("usage: tcp_echo [--quick] [--reps N] [--markdown PATH] [STYLE..]");
        println!("styles: {}", STYLES.join(", "));
        return;
    }
    let styles = args
        .select(&STYLES)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let machine = MachineInfo::detect();
    let reps = args.reps;
    let (warmup, secs) = if args.quick { (0.2, 0.5) } else { (1.0, 3.0) };

    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); styles.len()];
    for rep in 0..reps {
        for k in 0..styles.len() {
            let i = (k + rep) % styles.len();
            let s = window(styles[i], warmup, secs).unwrap_or_else(|e| fail(&e));
            println!(
                "rep {rep} {:<14} {:>9.0} msg/s  user {:.2} µs/msg  sys {:.2} µs/msg",
                styles[i], s.msgs_per_sec, s.user_us, s.system_us
            );
            samples[i].push(s);
        }
    }
    let count = if args.quick { 5_000 } else { 100_000 };
    let syscalls: Vec<Option<Syscalls>> = if strace_available() {
        styles
            .iter()
            .map(|style| Some(strace(style, count).unwrap_or_else(|e| fail(&e))))
            .collect()
    } else {
        println!("strace is not installed: syscalls per message not measured");
        styles.iter().map(|_| None).collect()
    };
    let report = report(&styles, &samples, &syscalls, &machine, &args, count);
    println!("\n{report}");
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, &report) {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("tcp_echo: {msg}");
    std::process::exit(1)
}

/// Starts `echo_server STYLE`, optionally under `wrapper` (strace), and waits for its
/// `listening ADDR PID` line.
fn start_server(style: &str, wrapper: &[&str]) -> Result<Server, String> {
    let mut cmd = match wrapper.split_first() {
        Some((prog, rest)) => {
            let mut c = Command::new(prog);
            c.args(rest).arg(SERVER);
            c
        }
        None => Command::new(SERVER),
    };
    cmd.args([style, "--cpu", "0"]);
    spawn_server(cmd, style)
}

fn load(addr: &str, extra: &[String]) -> Result<(Child, BufReader<ChildStdout>), String> {
    let mut args = vec![addr.to_owned()];
    args.extend(
        [
            "--conns",
            &CONNS.to_string(),
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
fn window(style: &str, warmup: f64, secs: f64) -> Result<Sample, String> {
    let server = start_server(style, &[])?;
    let extra = [
        "--warmup".to_string(),
        warmup.to_string(),
        "--secs".to_string(),
        secs.to_string(),
    ];
    let (mut client, mut out) = load(&server.addr, &extra)?;
    let line = read_line(&mut out)?;
    if line != "start" {
        return Err(format!("load client said {line:?}"));
    }
    let before = weft_bench::process_cpu(server.pid).ok_or("server CPU unreadable")?;
    let line = read_line(&mut out)?;
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

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the server under `strace -c -f` for `count` messages.
fn strace(style: &str, count: u64) -> Result<Syscalls, String> {
    let file = std::env::temp_dir().join(format!(
        "weft-tcp-echo-{style}-{}.strace",
        std::process::id()
    ));
    let file_arg = file.display().to_string();
    {
        let server = start_server(style, &["strace", "-f", "-c", "-o", &file_arg, "--"])?;
        let (mut client, mut out) = load(&server.addr, &["--count".into(), count.to_string()])?;
        let line = read_line(&mut out)?;
        let (msgs, _) = parse_done(&line)?;
        if !client.wait().is_ok_and(|s| s.success()) || msgs != count {
            return Err(format!("{style} under strace: the load client failed"));
        }
        // Dropping `server` ends it; strace then writes its summary and exits.
    }
    let text = std::fs::read_to_string(&file).map_err(|e| format!("strace output: {e}"))?;
    let _ = std::fs::remove_file(&file);
    parse_strace(&text, count).ok_or_else(|| format!("cannot parse strace output:\n{text}"))
}

/// Reads the `calls` column of `strace -c`: the total and the main syscalls.
fn parse_strace(text: &str, count: u64) -> Option<Syscalls> {
    let mut total = None;
    let mut rows = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors,] syscall
        if f.len() < 5 || f[0].parse::<f64>().is_err() {
            continue;
        }
        let calls: u64 = f[3].parse().ok()?;
        let name = f[f.len() - 1].to_string();
        if name == "total" {
            total = Some(calls);
        } else {
            rows.push((name, calls as f64 / count as f64));
        }
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows.retain(|(_, per)| *per >= 0.005);
    Some(Syscalls {
        per_msg: total? as f64 / count as f64,
        top: rows,
    })
}

fn report(
    styles: &[&str],
    samples: &[Vec<Sample>],
    syscalls: &[Option<Syscalls>],
    machine: &MachineInfo,
    args: &Args,
    count: u64,
) -> String {
    let mut out = String::new();
    if args.quick {
        out.push_str("**Quick run: correctness only, the numbers mean nothing.**\n\n");
    }
    let tokio = styles.iter().position(|s| *s == "tokio");
    let med = |i: usize, f: fn(&Sample) -> f64| median_range(samples[i].iter().map(f));
    let _ = writeln!(
        out,
        "| server | msg/s, median (range) | vs tokio | user µs/msg (range) | vs tokio \
         | system µs/msg (range) | syscalls/msg |"
    );
    out.push_str("|---|---|---|---|---|---|---|\n");
    for (i, style) in styles.iter().enumerate() {
        let (t, t_lo, t_hi) = med(i, |s| s.msgs_per_sec);
        let (u, u_lo, u_hi) = med(i, |s| s.user_us);
        let (y, y_lo, y_hi) = med(i, |s| s.system_us);
        let vs = |mine: f64, f: fn(&Sample) -> f64| match tokio {
            Some(k) if k != i => format!("{:.2}x", mine / med(k, f).0),
            _ => "—".to_string(),
        };
        let sys = match &syscalls[i] {
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
        let _ = writeln!(
            out,
            "| {style} | {t:.0} ({t_lo:.0}–{t_hi:.0}) | {} | {u:.2} ({u_lo:.2}–{u_hi:.2}) | {} \
             | {y:.2} ({y_lo:.2}–{y_hi:.2}) | {sys} |",
            vs(t, |s| s.msgs_per_sec),
            vs(u, |s| s.user_us),
        );
    }
    let _ = writeln!(
        out,
        "\n{CONNS} connections, {SIZE}-byte messages, one in flight on each; server on CPU 0, \
         load client (`echo_load`, mio, one thread) on CPU 1, each its own process. {} \
         repetition{} of {} per server, rotating order; CPU from `/proc/PID/stat` over the \
         window. Syscalls: the server under `strace -c -f` for {count} messages (setup \
         included).\n",
        samples.first().map_or(0, Vec::len),
        if samples.first().map_or(0, Vec::len) == 1 {
            ""
        } else {
            "s"
        },
        if args.quick {
            "0.5 s"
        } else {
            "3 s (after 1 s of warm-up)"
        },
    );
    let _ = writeln!(out, "Machine: {}.\n", machine.describe());
    let _ = writeln!(
        out,
        "Command: `cargo bench -p weft-bench --bench tcp_echo -- {}`",
        args.raw.join(" ")
    );
    out
}
