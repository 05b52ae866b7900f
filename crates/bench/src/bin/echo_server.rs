//! A TCP echo server for the `tcp_echo` bench, in one of several styles:
//!
//! * `weft-streams`  — asyncio streams: `start_server`, `reader.readinto` / `writer.write`;
//! * `weft-protocol` — asyncio protocols: `create_server`, `data_received` writes back;
//! * `weft-tcp`      — a task per connection on `weft::net::TcpStream`, the same code
//!   as the tokio server;
//! * `tokio`         — tokio's current-thread runtime, a task per connection;
//! * `tokio-mt`      — the same on tokio's multi-thread runtime with 2 workers (their
//!   threads share the process's CPU pinning).
//!
//! Usage: `echo_server STYLE [--cpu N]`. It listens on 127.0.0.1 (a free port), prints
//! `listening ADDR PID` on stdout, and serves until killed. `--cpu N` pins the process to
//! CPU `N`, away from the load client. It raises its soft limit on open files to the
//! hard one, for a thousand connections and more.
#![forbid(unsafe_code)]

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let style = args.first().map(String::as_str).unwrap_or("");
    if let Some(cpu) = weft_bench::flag_value(&args, "--cpu") {
        if let Err(e) = weft_bench::pin_to_cpu(&cpu) {
            eprintln!("echo_server: cannot pin to CPU {cpu}: {e}");
            return ExitCode::FAILURE;
        }
    }
    raise_fd_limit();
    let result = match style {
        "weft-streams" => weft::run(streams()),
        "weft-protocol" => weft::run(protocol()),
        "weft-tcp" => weft::run(weft_tcp()),
        "tokio" => tokio_server(None),
        "tokio-mt" => tokio_server(Some(2)),
        _ => {
            eprintln!(
                "usage: echo_server weft-streams|weft-protocol|weft-tcp|tokio|tokio-mt [--cpu N]"
            );
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_server {style}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft limit on open files (`RLIMIT_NOFILE`) to the hard limit (at most
/// 65536): the common default of 1024 is about what 1000 connections take.
fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    const ENOUGH: u64 = 65536;
    let mut limit = getrlimit(Resource::Nofile);
    let want = limit.maximum.map_or(ENOUGH, |hard| hard.min(ENOUGH));
    if limit.current.is_some_and(|soft| soft < want) {
        limit.current = Some(want);
        // On failure, serve anyway: the load client reports refused connections.
        let _ = setrlimit(Resource::Nofile, limit);
    }
}

fn announce(addr: std::net::SocketAddr) {
    use std::io::Write;
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "listening {addr} {}", std::process::id());
    let _ = out.flush();
}

async fn streams() -> io::Result<()> {
    let server = weft::net::start_server("127.0.0.1:0", |mut reader, writer| async move {
        // `readinto` rather than `read(n)`: no `Vec` per message (docs/benchmarks.md
        // gives what `read(n)` costs).
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.readinto(&mut buf).await {
                Ok(n) if n > 0 => {
                    writer.write(&buf[..n]);
                    if writer.drain().await.is_err() {
                        return;
                    }
                }
                _ => return,
            }
        }
    })
    .await?;
    announce(server.local_addr());
    std::future::pending().await
}

struct Echo(Option<weft::net::Transport>);

impl weft::net::Protocol for Echo {
    fn connection_made(&mut self, transport: weft::net::Transport) {
        self.0 = Some(transport);
    }

    fn data_received(&mut self, data: &[u8]) {
        if let Some(t) = &self.0 {
            t.write(data);
        }
    }

    fn connection_lost(&mut self, _err: Option<io::Error>) {
        self.0 = None;
    }
}

async fn protocol() -> io::Result<()> {
    let server = weft::net::create_server("127.0.0.1:0", || Echo(None)).await?;
    announce(server.local_addr());
    std::future::pending().await
}

async fn weft_tcp() -> io::Result<()> {
    let listener = weft::net::TcpListener::bind("127.0.0.1:0")?;
    announce(listener.local_addr()?);
    loop {
        let (mut stream, _) = listener.accept().await?;
        // As asyncio's streams and protocols do (and the load client).
        stream.set_nodelay(true)?;
        weft::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// tokio's current-thread runtime, or with `Some(n)` its multi-thread one with `n`
/// workers; the rest is the same.
fn tokio_server(workers: Option<usize>) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut builder = match workers {
        None => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    };
    let rt = builder.enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        announce(listener.local_addr()?);
        loop {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    })
}
