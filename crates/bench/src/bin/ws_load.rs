//! The load client of the `ws_echo` bench: `echo_load`'s WebSocket twin, in its own
//! process (and, with `--cpu`, on its own CPU) so that it does not compete with the
//! server it measures.
//!
//! Usage: `ws_load ADDR [--conns N] [--size BYTES] [--cpu C]
//!         (--secs S [--warmup W] | --count M | --idle N)`.
//!
//! Opens `N` connections to `ADDR`, does the HTTP/1.1 upgrade handshake on each itself
//! (a fixed `Sec-WebSocket-Key`; the `101` status and the `Sec-WebSocket-Accept` it
//! implies are checked), then keeps one binary message of `BYTES` bytes in flight on
//! each: a message is sent again as soon as its echo is back, and every echo is checked
//! byte for byte (frames may arrive split across reads, in several fragments, with ping
//! or pong frames in between; those are skipped, not answered). With `--secs`, it runs
//! `W` seconds of warm-up, prints `start`, runs `S` seconds and prints
//! `done MESSAGES SECONDS`; with `--count`, it sends `M` messages in all and prints
//! `done M SECONDS`.
//!
//! With `--idle N` it opens `N` connections, completes their handshakes, prints
//! `idle N` and then holds them, sending nothing, until its stdin closes (or it is
//! killed): the bench measures the server's memory per idle connection meanwhile.
//!
//! One thread, mio, nothing else: the client should cost as little as it can. Each
//! connection's masked frame is built once and sent again and again, with a masking key
//! fixed per connection: RFC 6455 wants a fresh unpredictable key per frame, against
//! proxies' cache poisoning, which does not matter on a benchmark's loopback (and the
//! servers cannot tell).
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// The key of RFC 6455's example handshake, and the accept value it implies.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

struct Opts {
    addr: SocketAddr,
    conns: usize,
    size: usize,
    warmup: Duration,
    secs: Option<Duration>,
    count: Option<u64>,
    idle: Option<usize>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args).and_then(|opts| {
        if let Some(cpu) = weft_bench::flag_value(&args, "--cpu") {
            weft_bench::pin_to_cpu(&cpu).map_err(|e| format!("cannot pin to CPU {cpu}: {e}"))?;
        }
        match opts.idle {
            Some(n) => idle(opts.addr, n),
            None => run(&opts),
        }
        .map_err(|e| e.to_string())
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws_load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let addr = args
        .first()
        .ok_or(
            "usage: ws_load ADDR [--conns N] [--size B] [--cpu C] \
             (--secs S [--warmup W] | --count M | --idle N)",
        )?
        .parse()
        .map_err(|e| format!("bad address: {e}"))?;
    let num = |flag: &str, default: f64| -> Result<f64, String> {
        weft_bench::flag_value(args, flag).map_or(Ok(default), |v| {
            v.parse().map_err(|e| format!("bad {flag} {v}: {e}"))
        })
    };
    let given = |flag: &str| weft_bench::flag_value(args, flag).is_some();
    let opts = Opts {
        addr,
        conns: num("--conns", 100.0)? as usize,
        size: num("--size", 20.0)? as usize,
        warmup: Duration::from_secs_f64(num("--warmup", 0.5)?),
        secs: given("--secs")
            .then(|| num("--secs", 0.0).map(Duration::from_secs_f64))
            .transpose()?,
        count: given("--count")
            .then(|| num("--count", 0.0).map(|c| c as u64))
            .transpose()?,
        idle: given("--idle")
            .then(|| num("--idle", 0.0).map(|n| n as usize))
            .transpose()?,
    };
    let modes = [
        opts.secs.is_some(),
        opts.count.is_some(),
        opts.idle.is_some(),
    ];
    if modes.iter().filter(|&&m| m).count() != 1 {
        return Err("give exactly one of --secs, --count and --idle".into());
    }
    if opts.conns == 0 || opts.size == 0 || opts.idle == Some(0) {
        return Err("--conns, --size and --idle must be positive".into());
    }
    Ok(opts)
}

/// Connects to `addr` and does the client side of the opening handshake, blocking.
fn connect(addr: SocketAddr) -> io::Result<std::net::TcpStream> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let end = loop {
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if head.len() > 16 * 1024 {
            return Err(bad("the handshake response head is too long"));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(bad("the server closed the connection during the handshake")),
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    if end != head.len() {
        // Nothing is in flight yet: the server has nothing to say after its `101`.
        return Err(bad("the server sent data right after the handshake"));
    }
    let text = String::from_utf8_lossy(&head[..end]);
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or("");
    if !status.starts_with("HTTP/1.1 101") {
        return Err(bad(&format!("the handshake failed: {status:?}")));
    }
    let accept = lines.filter_map(|l| l.split_once(':')).find_map(|(k, v)| {
        k.trim()
            .eq_ignore_ascii_case("sec-websocket-accept")
            .then(|| v.trim())
    });
    if accept != Some(ACCEPT) {
        return Err(bad(&format!("wrong Sec-WebSocket-Accept {accept:?}")));
    }
    stream.set_read_timeout(None)?;
    Ok(stream)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// `--idle N`: `N` open, handshaken, silent connections until stdin closes.
fn idle(addr: SocketAddr, n: usize) -> io::Result<()> {
    let conns = (0..n)
        .map(|_| connect(addr))
        .collect::<io::Result<Vec<_>>>()?;
    let mut out = io::stdout().lock();
    writeln!(out, "idle {}", conns.len())?;
    out.flush()?;
    io::stdin().read_to_end(&mut Vec::new())?;
    drop(conns);
    Ok(())
}

/// A client→server frame: FIN, binary, masked with `key`.
fn masked_frame(message: &[u8], key: [u8; 4]) -> Vec<u8> {
    let n = message.len();
    let mut frame = Vec::with_capacity(n + 14);
    frame.push(0x82);
    if n < 126 {
        frame.push(0x80 | n as u8);
    } else if let Ok(n) = u16::try_from(n) {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&n.to_be_bytes());
    } else {
        frame.push(0x80 | 127);
        frame.extend_from_slice(&(n as u64).to_be_bytes());
    }
    frame.extend_from_slice(&key);
    frame.extend(message.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    frame
}

/// The length of a server frame's header, from its second byte.
fn header_len(b1: u8) -> usize {
    match b1 & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    }
}

/// The frame being received: its opcode, whether it is the last of its message, and
/// the payload bytes still to come.
#[derive(Clone, Copy)]
struct Frame {
    opcode: u8,
    fin: bool,
    left: u64,
}

/// Reassembles server→client frames from reads of any size and checks the echoed
/// message against the one sent, without copying payloads.
#[derive(Default)]
struct Rx {
    /// A frame header received so far (2 to 10 bytes: servers do not mask).
    head: [u8; 10],
    head_len: usize,
    /// The frame whose payload is being received; `None` between frames.
    frame: Option<Frame>,
    /// Within a fragmented data message (a non-final data frame was received).
    in_message: bool,
    /// Bytes of the echoed message checked so far.
    got: usize,
}

impl Rx {
    /// Consumes `data`; returns how many echoes it completed.
    fn feed(&mut self, mut data: &[u8], message: &[u8]) -> io::Result<u32> {
        let mut completed = 0;
        while !data.is_empty() {
            let Some(mut frame) = self.frame else {
                // The first two bytes, then the extended length they announce.
                let need = if self.head_len < 2 {
                    2
                } else {
                    header_len(self.head[1])
                };
                let take = (need - self.head_len).min(data.len());
                self.head[self.head_len..self.head_len + take].copy_from_slice(&data[..take]);
                self.head_len += take;
                data = &data[take..];
                if self.head_len >= 2 && self.head_len == header_len(self.head[1]) {
                    self.start_frame()?;
                    completed += self.end_frame_if_done(message)?;
                }
                continue;
            };
            let take = usize::try_from(frame.left).map_or(data.len(), |l| l.min(data.len()));
            if frame.opcode <= 2 {
                let expect = message
                    .get(self.got..self.got + take)
                    .ok_or_else(|| bad("the echo is longer than the message sent"))?;
                if data[..take] != *expect {
                    return Err(bad("the echo does not match what was sent"));
                }
                self.got += take;
            }
            frame.left -= take as u64;
            self.frame = Some(frame);
            data = &data[take..];
            completed += self.end_frame_if_done(message)?;
        }
        Ok(completed)
    }

    /// Decodes the complete header in `head`.
    fn start_frame(&mut self) -> io::Result<()> {
        let (b0, b1) = (self.head[0], self.head[1]);
        let left = match b1 & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.head[2], self.head[3]])),
            127 => u64::from_be_bytes(self.head[2..10].try_into().expect("8 bytes")),
            n => u64::from(n),
        };
        self.head_len = 0;
        if b1 & 0x80 != 0 {
            return Err(bad("the server masked a frame"));
        }
        if b0 & 0x70 != 0 {
            return Err(bad("the server set RSV bits (no extension was negotiated)"));
        }
        let opcode = b0 & 0x0f;
        match opcode {
            0 if !self.in_message => return Err(bad("a continuation frame out of a message")),
            1 => return Err(bad("a text echo of a binary message")),
            2 if self.in_message => return Err(bad("a new message inside a fragmented one")),
            0 | 2 | 9 | 10 => {}
            8 => return Err(bad("the server closed a connection")),
            _ => return Err(bad(&format!("unexpected opcode {opcode}"))),
        }
        self.frame = Some(Frame {
            opcode,
            fin: b0 & 0x80 != 0,
            left,
        });
        Ok(())
    }

    /// Ends the current frame if its payload is all in; returns 1 if that completed
    /// an echo.
    fn end_frame_if_done(&mut self, message: &[u8]) -> io::Result<u32> {
        let Some(frame) = self.frame else {
            return Ok(0);
        };
        if frame.left > 0 {
            return Ok(0);
        }
        self.frame = None;
        if frame.opcode > 2 {
            return Ok(0); // ping or pong: skipped
        }
        self.in_message = !frame.fin;
        if !frame.fin {
            return Ok(0);
        }
        if self.got != message.len() {
            return Err(bad("the echo is shorter than the message sent"));
        }
        self.got = 0;
        Ok(1)
    }
}

struct Conn {
    stream: TcpStream,
    /// This connection's masked frame of the message.
    frame: Vec<u8>,
    /// Bytes of `frame` written so far: `frame.len()` when no write is pending.
    written: usize,
    rx: Rx,
}

impl Conn {
    /// Starts sending the message again.
    fn send(&mut self) -> io::Result<()> {
        self.written = 0;
        self.flush()
    }

    /// Writes what it can of the pending frame; the rest waits for a writable event.
    fn flush(&mut self) -> io::Result<()> {
        while self.written < self.frame.len() {
            match self.stream.write(&self.frame[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn run(opts: &Opts) -> io::Result<()> {
    let message: Vec<u8> = (0..opts.size).map(|i| (i % 251) as u8).collect();
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(opts.conns);
    for i in 0..opts.conns {
        let std = connect(opts.addr)?;
        std.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(std);
        // Edge-triggered: writable events only come after a write fell short.
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let key = (0x5eed_1234u32 ^ (i as u32).wrapping_mul(0x9e37_79b9)).to_be_bytes();
        let frame = masked_frame(&message, key);
        conns.push(Conn {
            stream,
            written: frame.len(),
            frame,
            rx: Rx::default(),
        });
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
            conn.send()?;
            sent += 1;
        }
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        for event in &events {
            let conn = &mut conns[event.token().0];
            if event.is_writable() {
                conn.flush()?;
            }
            if !event.is_readable() && !event.is_read_closed() && !event.is_error() {
                continue;
            }
            loop {
                match conn.stream.read(&mut buf) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed a connection",
                        ))
                    }
                    Ok(n) => match conn.rx.feed(&buf[..n], &message)? {
                        0 => {}
                        1 => {
                            if conn.written < conn.frame.len() {
                                return Err(bad("an echo came back before it was all sent"));
                            }
                            done += 1;
                            if sent < budget {
                                conn.send()?;
                                sent += 1;
                            }
                        }
                        _ => return Err(bad("more echoes than messages sent")),
                    },
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

fn finish(out: &mut impl Write, done: u64, elapsed: Duration) -> io::Result<()> {
    writeln!(out, "done {done} {:.6}", elapsed.as_secs_f64())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unmasked server frame.
    fn server_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut f = masked_frame(payload, [0; 4]);
        f[0] = opcode | if fin { 0x80 } else { 0 };
        f[1] &= 0x7f;
        let mask_at = f.len() - payload.len() - 4;
        f.drain(mask_at..mask_at + 4);
        f
    }

    #[test]
    fn frames_split_anywhere() {
        for size in [1, 20, 125, 126, 16384, 70000] {
            let message: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let frame = server_frame(2, true, &message);
            for chunk in [1, 2, 3, 7, 4096, frame.len()] {
                let mut rx = Rx::default();
                let mut total = 0;
                for c in frame.chunks(chunk) {
                    total += rx.feed(c, &message).unwrap();
                }
                assert_eq!(total, 1, "size {size}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn fragments_and_pings() {
        let message: Vec<u8> = (0..300).map(|i| i as u8).collect();
        let mut bytes = server_frame(2, false, &message[..100]);
        bytes.extend(server_frame(9, true, b"ping"));
        bytes.extend(server_frame(0, false, &message[100..100]));
        bytes.extend(server_frame(0, true, &message[100..]));
        let mut rx = Rx::default();
        assert_eq!(rx.feed(&bytes, &message).unwrap(), 1);
        let mut rx = Rx::default();
        let n: u32 = bytes
            .iter()
            .map(|b| rx.feed(&[*b], &message).unwrap())
            .sum();
        assert_eq!(n, 1);
    }

    #[test]
    fn wrong_echoes_fail() {
        let message = [1u8, 2, 3];
        let mut rx = Rx::default();
        assert!(rx
            .feed(&server_frame(2, true, &[1, 2, 4]), &message)
            .is_err());
        let mut rx = Rx::default();
        assert!(rx.feed(&server_frame(2, true, &[1, 2]), &message).is_err());
        let mut rx = Rx::default();
        assert!(rx.feed(&server_frame(1, true, &message), &message).is_err());
        let mut rx = Rx::default();
        assert!(rx.feed(&server_frame(8, true, &[]), &message).is_err());
        let mut rx = Rx::default();
        assert!(rx.feed(&masked_frame(&message, [1; 4]), &message).is_err());
    }

    #[test]
    fn masked_frame_headers() {
        assert_eq!(masked_frame(&[0; 20], [0; 4])[..2], [0x82, 0x80 | 20]);
        assert_eq!(
            masked_frame(&[0; 16384], [0; 4])[..4],
            [0x82, 0xfe, 0x40, 0]
        );
        let f = masked_frame(&[7, 7], [1, 2, 3, 4]);
        assert_eq!(f, [0x82, 0x82, 1, 2, 3, 4, 6, 5]);
    }
}
