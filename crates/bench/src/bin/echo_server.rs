//! A TCP echo server for the `tcp_echo` bench, in one of several styles:
//!
//! * `weft-streams`  — asyncio streams: `start_server`, `reader.readinto` / `writer.write`;
//! * `weft-protocol` — asyncio protocols: `create_server`, `data_received` writes back;
//! * `weft-tcp`      — a task per connection on `weft::net::TcpStream`, the same code
//!   as the tokio server;
//! * `tokio`         — tokio's current-thread runtime, a task per connection;
//! * `tokio-mt`      — the same on tokio's multi-thread runtime with 2 workers (their
//!   threads share the process's CPU pinning);
//! * `mio`           — no runtime: one mio `Poll` loop making the same system calls per
//!   message as the others (the floor under every server's CPU; see [`mio_floor`]).
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
        "mio" => mio_floor(),
        _ => {
            eprintln!(
                "usage: echo_server weft-streams|weft-protocol|weft-tcp|tokio|tokio-mt|mio \
                 [--cpu N]"
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

/// The floor: an echo server with no runtime, one mio `Poll` loop over a table of
/// connections and one 64 KiB buffer. Per message it makes the system calls the other
/// servers make (one `recvfrom`, one `sendto`, a share of an `epoll_wait`): a read
/// shorter than the buffer is taken to have drained the socket, the rule weft's reactor
/// uses, so no read ends in `EAGAIN`. What a runtime adds to an echoed message is its
/// CPU per message above this server's.
fn mio_floor() -> io::Result<()> {
    use mio::{Events, Interest, Poll, Token};

    const LISTENER: Token = Token(usize::MAX);
    let mut poll = Poll::new()?;
    let mut listener = mio::net::TcpListener::bind(([127, 0, 0, 1], 0).into())?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    announce(listener.local_addr()?);
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = Events::with_capacity(1024);
    loop {
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => other?,
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    let mut stream = match listener.accept() {
                        Ok((stream, _)) => stream,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    };
                    stream.set_nodelay(true)?;
                    let key = match conns.iter().position(Option::is_none) {
                        Some(key) => key,
                        None => {
                            conns.push(None);
                            conns.len() - 1
                        }
                    };
                    poll.registry().register(
                        &mut stream,
                        Token(key),
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    conns[key] = Some(Conn {
                        stream,
                        pending: Vec::new(),
                    });
                }
                continue;
            }
            let key = event.token().0;
            let Some(conn) = conns.get_mut(key).and_then(Option::as_mut) else {
                continue;
            };
            if !conn.serve(&mut buf) {
                let mut conn = conns[key].take().expect("looked up above");
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
}

/// One connection of [`mio_floor`]: the stream and what it has not taken yet.
struct Conn {
    stream: mio::net::TcpStream,
    pending: Vec<u8>,
}

impl Conn {
    /// Flushes what is pending, then echoes what can be read; `false` once the
    /// connection is over (end of stream or an error).
    fn serve(&mut self, buf: &mut [u8]) -> bool {
        use std::io::{Read, Write};
        if !self.flush() {
            return false;
        }
        loop {
            let n = match self.stream.read(buf) {
                Ok(0) => return false,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            };
            if self.pending.is_empty() {
                match self.stream.write(&buf[..n]) {
                    Ok(sent) => self.pending.extend_from_slice(&buf[sent..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.pending.extend_from_slice(&buf[..n]);
                    }
                    Err(_) => return false,
                }
            } else {
                self.pending.extend_from_slice(&buf[..n]);
            }
            if n < buf.len() {
                // A short read emptied the socket: the next arrival is a new event.
                return true;
            }
        }
    }

    /// Writes what is pending, as far as the socket takes it; `false` on an error.
    fn flush(&mut self) -> bool {
        use std::io::Write;
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return false,
                Ok(sent) => {
                    self.pending.drain(..sent);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        }
        true
    }
}
