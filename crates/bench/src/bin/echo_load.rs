//! The load client of the `tcp_echo` bench, in its own process (and, with `--cpu`,
//! on its own CPU) so that it does not compete with the server it measures.
//!
//! Usage: `echo_load ADDR [--conns N] [--size BYTES] [--cpu C]
//!         (--secs S [--warmup W] | --count M)`.
//!
//! Opens `N` connections to `ADDR` and keeps one message of `BYTES` bytes in flight on
//! each: a message is sent again as soon as its echo is back, and every echo is checked
//! byte for byte. With `--secs`, it runs `W` seconds of warm-up, prints `start`, runs
//! `S` seconds and prints `done MESSAGES SECONDS`; with `--count`, it sends `M`
//! messages in all and prints `done M SECONDS`. One thread, mio, nothing else: the
//! client should cost as little as it can.
//!
//! It raises its soft limit on open files to the hard one when `N` connections need
//! more, and says so if they still do not fit.
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

struct Conn {
    stream: TcpStream,
    /// Bytes of the current echo received so far.
    got: usize,
}

struct Opts {
    addr: SocketAddr,
    conns: usize,
    size: usize,
    warmup: Duration,
    secs: Option<Duration>,
    count: Option<u64>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args).and_then(|opts| {
        if let Some(cpu) = weft_bench::flag_value(&args, "--cpu") {
            weft_bench::pin_to_cpu(&cpu).map_err(|e| format!("cannot pin to CPU {cpu}: {e}"))?;
        }
        run(&opts).map_err(|e| e.to_string())
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let addr = args
        .first()
        .ok_or("usage: echo_load ADDR [--conns N] [--size B] (--secs S [--warmup W] | --count M)")?
        .parse()
        .map_err(|e| format!("bad address: {e}"))?;
    let num = |flag: &str, default: f64| -> Result<f64, String> {
        weft_bench::flag_value(args, flag).map_or(Ok(default), |v| {
            v.parse().map_err(|e| format!("bad {flag} {v}: {e}"))
        })
    };
    let secs = weft_bench::flag_value(args, "--secs")
        .is_some()
        .then(|| num("--secs", 0.0));
    let count = weft_bench::flag_value(args, "--count")
        .is_some()
        .then(|| num("--count", 0.0));
    let opts = Opts {
        addr,
        conns: num("--conns", 100.0)? as usize,
        size: num("--size", 64.0)? as usize,
        warmup: Duration::from_secs_f64(num("--warmup", 0.5)?),
        secs: secs.transpose()?.map(Duration::from_secs_f64),
        count: count.transpose()?.map(|c| c as u64),
    };
    if opts.secs.is_some() == opts.count.is_some() {
        return Err("give exactly one of --secs and --count".into());
    }
    if opts.conns == 0 || opts.size == 0 {
        return Err("--conns and --size must be positive".into());
    }
    Ok(opts)
}

/// File descriptors besides the connections: stdio, the poll instance, some slack.
const SPARE_FDS: u64 = 32;

/// Makes room for `conns` sockets under `RLIMIT_NOFILE`, raising the soft limit (not
/// beyond the hard one) if needed.
fn fd_room(conns: usize) -> io::Result<()> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let need = conns as u64 + SPARE_FDS;
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|soft| soft >= need) {
        return Ok(());
    }
    if let Some(hard) = limit.maximum.filter(|&hard| hard < need) {
        return Err(io::Error::other(format!(
            "{conns} connections need {need} file descriptors; the hard limit is {hard}"
        )));
    }
    limit.current = Some(need);
    setrlimit(Resource::Nofile, limit)
        .map_err(|e| io::Error::other(format!("cannot raise the open-file limit to {need}: {e}")))
}

fn run(opts: &Opts) -> io::Result<()> {
    fd_room(opts.conns)?;
    let message: Vec<u8> = (0..opts.size).map(|i| (i % 251) as u8).collect();
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(opts.conns);
    for i in 0..opts.conns {
        let std = std::net::TcpStream::connect(opts.addr)?;
        std.set_nodelay(true)?;
        std.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(std);
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)?;
        conns.push(Conn { stream, got: 0 });
    }
    let mut out = io::stdout().lock();
    let started = Instant::now();
    let mut window = match opts.secs {
        Some(_) => None, // the window opens after the warm-up
        None => Some(started),
    };
    // Messages sent (counted against `--count`) and echoes completed in the window.
    let mut sent = 0u64;
    let mut done = 0u64;
    let budget = opts.count.unwrap_or(u64::MAX);
    for conn in &mut conns {
        if sent < budget {
            send(&mut conn.stream, &message)?;
            sent += 1;
        }
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; opts.size.max(4096)];
    loop {
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        for event in &events {
            let conn = &mut conns[event.token().0];
            loop {
                match conn.stream.read(&mut buf) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed a connection",
                        ))
                    }
                    Ok(n) => {
                        let expect = &message[conn.got..];
                        if n > expect.len() || buf[..n] != expect[..n] {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "the echo does not match what was sent",
                            ));
                        }
                        conn.got += n;
                        if conn.got == opts.size {
                            conn.got = 0;
                            done += 1;
                            if sent < budget {
                                send(&mut conn.stream, &message)?;
                                sent += 1;
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let now = Instant::now();
        match (window, opts.secs) {
            (None, Some(_)) if now - started >= opts.warmup => {
                writeln!(out, "start")?;
                out.flush()?;
                window = Some(Instant::now());
                done = 0;
            }
            (Some(w), Some(secs)) if now - w >= secs => {
                return finish(&mut out, done, now - w);
            }
            (Some(w), None) if done == budget => return finish(&mut out, done, now - w),
            _ => {}
        }
    }
}

fn send(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    // One message in flight on an otherwise empty socket: the send buffer takes it.
    let n = stream.write(message)?;
    if n != message.len() {
        return Err(io::Error::other("short write of a small message"));
    }
    Ok(())
}

fn finish(out: &mut impl Write, done: u64, elapsed: Duration) -> io::Result<()> {
    writeln!(out, "done {done} {:.6}", elapsed.as_secs_f64())?;
    out.flush()
}
