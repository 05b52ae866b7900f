//! The I/O adapter: one connection's tungstenite state driven straight from weft's
//! readiness.
//!
//! tungstenite's `WebSocketContext` is a sans-I/O state machine that reads and writes
//! through `std::io::{Read, Write}`. [`Bridge`] is that stream: a read or write that
//! cannot proceed returns `WouldBlock`, and — only for the side the caller owns — the
//! caller's waker is left in the reactor's slot for that direction. No proxy waker
//! fans one wake out to several tasks. Who owns which direction:
//!
//! - **read**: whoever is in `recv`; a `ping` future while it waits for its pong (it
//!   wakes a parked `recv` when it queues a message, and when it lets go); the
//!   keepalive timer reads with `try_read`, which leaves the slot alone.
//! - **write**: the flusher, a task that exists only while written data waits for the
//!   socket to drain. `send` writes what the socket takes at once and leaves the rest
//!   to it; everything else writes with `try_write`.
//!
//! Invariants: every byte tungstenite buffers is eventually written, because any
//! write that stops at `WouldBlock` starts the flusher; whoever reads a message that
//! `recv` did not ask for queues it and wakes `recv`; a closed connection wakes every
//! waiter.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocketContext};
use tungstenite::Message;
use weft_executor::{Handle, TimerHandle};
use weft_reactor::net::TcpStream;

use crate::{Config, Error};

mod bridge;
mod linger;

use bridge::{Bridge, Owner, Stash};

/// The longest close reason that fits in a control frame (125 - 2 bytes of code).
const MAX_REASON: usize = 123;

/// A ping waiting for its pong.
struct PendingPing {
    payload: [u8; 4],
    sent: Instant,
    /// `None` for the keepalive's own ping.
    slot: Option<Rc<PingSlot>>,
}

/// Where a pong's round-trip time reaches a `ping` future.
#[derive(Default)]
pub(crate) struct PingSlot {
    rtt: Cell<Option<Duration>>,
    waker: Cell<Option<Waker>>,
}

/// The keepalive's state.
enum Keepalive {
    Off,
    /// Next ping at the timer.
    Idle(TimerHandle),
    /// A ping is out; the timer is its deadline.
    Waiting(TimerHandle),
}

/// The mutable state of a connection.
pub(crate) struct Inner {
    io: TcpStream,
    /// Bytes read ahead for tungstenite (see [`Stash`]).
    stash: Stash,
    ctx: WebSocketContext,
    /// Messages read while `recv` was not the reader.
    queue: VecDeque<Message>,
    /// Set once the connection is over: what every later operation returns.
    closed: Option<Error>,
    /// Whether the TCP connection is done with (handshake complete, EOF or error).
    terminated: bool,
    /// The connection was failed (protocol error, too big...): tungstenite's reader
    /// may be mid-frame, so what else arrives is discarded unparsed.
    failed: bool,
    /// Someone read since the last `send`: if not, `send` reads first (without
    /// waiting), so a handler that only sends still answers pings and sees the
    /// peer's close frame.
    read_since_send: bool,
    /// The close frame the peer sent, if it did.
    peer_close: Option<(u16, String)>,
    /// The close frame this side sent, if it did.
    our_close: Option<(u16, String)>,
    /// A task parked in `recv`.
    recv_waker: Option<Waker>,
    /// Bytes given to tungstenite and not yet taken by the socket (exact after a
    /// complete flush, an estimate in between).
    buffered: usize,
    /// A flusher task is running.
    flushing: bool,
    /// Senders waiting for the buffer to drain below the limit.
    drain_waiters: Vec<Waker>,
    /// Sink flushes waiting for the buffer to empty.
    flush_waiters: Vec<Waker>,
    /// Tasks waiting for the closing handshake to end.
    close_waiters: Vec<Waker>,
    pings: VecDeque<PendingPing>,
    ping_seq: u32,
    keepalive: Keepalive,
    /// Started with our close frame: the peer has `close_timeout` to answer.
    close_timer: Option<TimerHandle>,
}

/// One WebSocket connection, shared by its handles ([`crate::WebSocket`], its halves)
/// and, while it runs, its flusher task.
pub(crate) struct Conn {
    inner: RefCell<Option<Inner>>,
    config: Rc<Config>,
    role: Role,
    me: Weak<Conn>,
    subprotocol: Option<String>,
    path: Option<String>,
}

impl Conn {
    /// Wraps an upgraded stream; `leftover` are bytes read past the handshake.
    pub(crate) fn new(
        io: TcpStream,
        leftover: Vec<u8>,
        role: Role,
        config: Rc<Config>,
        subprotocol: Option<String>,
        path: Option<String>,
    ) -> Rc<Conn> {
        let ctx = WebSocketContext::from_partially_read(leftover, role, Some(config.protocol()));
        let conn = Rc::new_cyclic(|me| Conn {
            inner: RefCell::new(Some(Inner {
                io,
                stash: Stash::default(),
                ctx,
                queue: VecDeque::new(),
                closed: None,
                terminated: false,
                failed: false,
                read_since_send: false,
                peer_close: None,
                our_close: None,
                recv_waker: None,
                buffered: 0,
                flushing: false,
                drain_waiters: Vec::new(),
                flush_waiters: Vec::new(),
                close_waiters: Vec::new(),
                pings: VecDeque::new(),
                ping_seq: 0,
                keepalive: Keepalive::Off,
                close_timer: None,
            })),
            config,
            role,
            me: me.clone(),
            subprotocol,
            path,
        });
        if let Some(interval) = conn.config.ping_interval {
            let timer = conn.schedule(interval, Conn::keepalive);
            conn.with(|inner| inner.keepalive = Keepalive::Idle(timer));
        }
        conn
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.inner.borrow_mut();
        f(inner
            .as_mut()
            .expect("weft-ws: connection state taken only on drop"))
    }

    pub(crate) fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    pub(crate) fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.with(|inner| inner.io.peer_addr())
    }

    pub(crate) fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.with(|inner| inner.io.local_addr())
    }

    /// The error every operation returns once the connection is over.
    pub(crate) fn closed_error(&self) -> Option<Error> {
        self.with(|inner| inner.closed.clone())
    }

    /// Bytes waiting to be written.
    pub(crate) fn buffered(&self) -> usize {
        self.with(|inner| inner.buffered)
    }

    fn schedule(&self, delay: Duration, f: fn(&Conn)) -> TimerHandle {
        let me = self.me.clone();
        Handle::current().call_later(delay, move || {
            if let Some(conn) = me.upgrade() {
                f(&conn);
            }
        })
    }

    // ---- reading ----

    /// `recv`: the next data message, or the error that ended the connection.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        let mut inner = self.inner.borrow_mut();
        let inner = inner.as_mut().expect("connection state");
        if let Some(msg) = inner.queue.pop_front() {
            inner.recv_waker = None;
            return Poll::Ready(Ok(msg));
        }
        if let Some(err) = &inner.closed {
            inner.recv_waker = None;
            return Poll::Ready(Err(err.clone()));
        }
        match self.read_one(inner, Some(cx), Owner::Read) {
            Ok(Some(msg)) => {
                inner.recv_waker = None;
                if !inner.pings.is_empty() {
                    // A `ping` future may be parked behind this reader: let it read.
                    wake_pings(inner);
                }
                Poll::Ready(Ok(msg))
            }
            Ok(None) => {
                inner.recv_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Err(err) => {
                inner.recv_waker = None;
                Poll::Ready(Err(err))
            }
        }
    }

    /// Reads frames until a data message arrives, reading would block (`Ok(None)`) or
    /// the connection ends. Control frames are handled here.
    fn read_one(
        &self,
        inner: &mut Inner,
        mut cx: Option<&mut Context<'_>>,
        owner: Owner,
    ) -> Result<Option<Message>, Error> {
        inner.read_since_send = true;
        loop {
            let (ctx, mut bridge) = inner.split(cx.as_deref_mut(), owner);
            let result = ctx.read(&mut bridge);
            let written = bridge.written;
            inner.buffered = inner.buffered.saturating_sub(written);
            match result {
                Ok(msg @ (Message::Text(_) | Message::Binary(_))) => return Ok(Some(msg)),
                Ok(Message::Ping(payload)) => {
                    // tungstenite queued the pong; the next read or write sends it.
                    if inner.ctx.can_write() {
                        inner.buffered += self.frame_len(payload.len());
                    }
                }
                Ok(Message::Pong(payload)) => self.pong(inner, &payload),
                Ok(Message::Close(frame)) => {
                    let (code, reason) = match frame {
                        Some(f) => (u16::from(f.code), f.reason.as_str().to_owned()),
                        None => (1005, String::new()),
                    };
                    tracing::debug!(code, %reason, "weft-ws: close frame received");
                    if inner.our_close.is_none() {
                        // tungstenite queued the reply (the same code).
                        inner.buffered += self.frame_len(2 + reason.len());
                    }
                    inner.peer_close = Some((code, reason));
                }
                Ok(Message::Frame(_)) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.after_write_attempt(inner);
                    return Ok(None);
                }
                Err(e) => return Err(self.on_error(inner, e)),
            }
        }
    }

    /// Maps a tungstenite error to the end of the connection, failing it with the
    /// right close code where the peer broke the protocol.
    fn on_error(&self, inner: &mut Inner, e: tungstenite::Error) -> Error {
        use tungstenite::error::ProtocolError;
        use tungstenite::Error as T;
        let err = match e {
            T::ConnectionClosed | T::AlreadyClosed => {
                inner.terminated = true;
                self.finished_close(inner)
            }
            T::Capacity(e) => self.fail(inner, 1009, &e.to_string()),
            T::Utf8(_) => self.fail(inner, 1007, "invalid UTF-8"),
            T::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                inner.terminated = true;
                Error::closed(1006, "connection lost without a closing handshake")
            }
            T::Protocol(e) => self.fail(inner, 1002, &e.to_string()),
            T::Io(e) => {
                inner.terminated = true;
                Error::closed(1006, format!("connection lost: {e}"))
            }
            other => self.fail(inner, 1011, &other.to_string()),
        };
        self.set_closed(inner, err.clone());
        err
    }

    /// The outcome of a completed closing handshake.
    fn finished_close(&self, inner: &Inner) -> Error {
        match (&inner.peer_close, &inner.our_close) {
            // The peer closed first: its frame says how. We closed first: our code,
            // which the peer echoed.
            (Some((code, reason)), None) => Error::closed(*code, reason.clone()),
            (_, Some((code, reason))) => Error::closed(*code, reason.clone()),
            (None, None) => Error::closed(1006, "connection closed without a close frame"),
        }
    }

    /// Fails the connection: sends a close frame with `code` (if it still can).
    fn fail(&self, inner: &mut Inner, code: u16, reason: &str) -> Error {
        tracing::debug!(code, reason, "weft-ws: failing the connection");
        let reason = truncate(reason, MAX_REASON);
        inner.failed = true;
        self.start_close_inner(inner, code, reason);
        Error::closed(code, reason)
    }

    fn set_closed(&self, inner: &mut Inner, err: Error) {
        if inner.closed.is_none() {
            inner.closed = Some(err);
        }
        if let Keepalive::Idle(t) | Keepalive::Waiting(t) =
            std::mem::replace(&mut inner.keepalive, Keepalive::Off)
        {
            t.cancel();
        }
        if let Some(t) = inner.close_timer.take() {
            t.cancel();
        }
        wake_all(inner);
    }

    /// Reads on behalf of `recv` (by the keepalive or a ping future): queues what
    /// arrives, up to `max_queue`. `cx` takes over the read slot if given.
    fn pump(&self, inner: &mut Inner, mut cx: Option<&mut Context<'_>>) {
        let owner = if cx.is_some() {
            Owner::Read
        } else {
            Owner::None
        };
        let mut woke = false;
        while inner.closed.is_none() && inner.queue.len() < self.config.max_queue {
            match self.read_one(inner, cx.as_deref_mut(), owner) {
                Ok(Some(msg)) => {
                    inner.queue.push_back(msg);
                    woke = true;
                }
                Ok(None) => break,
                Err(_) => break,
            }
        }
        if woke {
            if let Some(w) = inner.recv_waker.take() {
                w.wake();
            }
        }
    }

    // ---- pings ----

    fn pong(&self, inner: &mut Inner, payload: &[u8]) {
        // A pong answers its ping and every earlier one (RFC 6455 5.5.3: a pong may
        // answer only the latest ping).
        let Some(i) = inner.pings.iter().position(|p| p.payload[..] == *payload) else {
            return; // unsolicited
        };
        let now = Instant::now();
        for ping in inner.pings.drain(..=i) {
            match ping.slot {
                Some(slot) => {
                    slot.rtt.set(Some(now.saturating_duration_since(ping.sent)));
                    if let Some(w) = slot.waker.take() {
                        w.wake();
                    }
                }
                None => {
                    // The keepalive's ping: next one after the interval.
                    if let (Some(interval), Keepalive::Waiting(t)) =
                        (self.config.ping_interval, &inner.keepalive)
                    {
                        t.cancel();
                        inner.keepalive = Keepalive::Idle(self.schedule(interval, Conn::keepalive));
                    }
                }
            }
        }
    }

    /// Sends a ping; with `slot`, its pong's round-trip time goes there.
    fn send_ping(&self, inner: &mut Inner, slot: Option<Rc<PingSlot>>) -> Result<(), Error> {
        inner.ping_seq = inner.ping_seq.wrapping_add(1);
        let payload = inner.ping_seq.to_be_bytes();
        self.write_message(inner, Message::Ping(payload.to_vec().into()))?;
        inner.pings.push_back(PendingPing {
            payload,
            sent: Instant::now(),
            slot,
        });
        Ok(())
    }

    /// `ping`: sends a ping now.
    pub(crate) fn start_ping(&self) -> Result<Rc<PingSlot>, Error> {
        self.with(|inner| {
            if let Some(err) = &inner.closed {
                return Err(err.clone());
            }
            let slot = Rc::new(PingSlot::default());
            self.send_ping(inner, Some(slot.clone()))?;
            Ok(slot)
        })
    }

    /// The `ping` future: ready with the round-trip time once the pong came.
    pub(crate) fn poll_pong(
        &self,
        slot: &PingSlot,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Duration, Error>> {
        if let Some(rtt) = slot.rtt.get() {
            return Poll::Ready(Ok(rtt));
        }
        self.with(|inner| {
            if let Some(err) = &inner.closed {
                return Poll::Ready(Err(err.clone()));
            }
            slot.waker.set(Some(cx.waker().clone()));
            // Read for the pong ourselves (queuing messages for `recv`).
            self.pump(inner, Some(cx));
            if let Some(rtt) = slot.rtt.get() {
                // We may have taken the read slot from a parked `recv`: hand it back.
                if let Some(w) = inner.recv_waker.take() {
                    w.wake();
                }
                return Poll::Ready(Ok(rtt));
            }
            match &inner.closed {
                Some(err) => Poll::Ready(Err(err.clone())),
                None => Poll::Pending,
            }
        })
    }

    /// A `ping` future went away before its pong: give the read slot back.
    pub(crate) fn ping_dropped(&self) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            if let Some(w) = inner.as_mut().and_then(|i| i.recv_waker.take()) {
                w.wake();
            }
        }
    }

    /// The keepalive timer: sends a ping every `ping_interval`; fails the
    /// connection with 1011 if one is not answered within `ping_timeout`.
    fn keepalive(&self) {
        self.with(|inner| {
            if inner.closed.is_some() {
                return;
            }
            // The pong may be waiting in the socket: read it (queuing messages).
            self.pump(inner, None);
            match std::mem::replace(&mut inner.keepalive, Keepalive::Off) {
                Keepalive::Idle(_) => {
                    if self.send_ping(inner, None).is_err() {
                        return;
                    }
                    inner.keepalive = match self.config.ping_timeout {
                        Some(timeout) => {
                            Keepalive::Waiting(self.schedule(timeout, Conn::keepalive))
                        }
                        // No deadline: the pong schedules the next ping.
                        None => Keepalive::Off,
                    };
                }
                Keepalive::Waiting(_) => {
                    let err = self.fail(inner, 1011, "keepalive ping timeout");
                    self.set_closed(inner, err);
                }
                Keepalive::Off => {}
            }
        })
    }

    // ---- writing ----

    fn frame_len(&self, payload: usize) -> usize {
        let len = match payload {
            0..=125 => 2,
            126..=65535 => 4,
            _ => 10,
        };
        len + payload + if self.role == Role::Client { 4 } else { 0 }
    }

    /// Buffers `msg` in tungstenite and writes what the socket takes now.
    fn write_message(&self, inner: &mut Inner, msg: Message) -> Result<(), Error> {
        if let Some(err) = &inner.closed {
            return Err(err.clone());
        }
        if !inner.ctx.can_write() {
            // Closing: the peer's close frame came or we sent ours.
            return Err(self.finished_close(inner));
        }
        let len = self.frame_len(msg.len());
        let (ctx, mut bridge) = inner.split(None, Owner::None);
        let result = ctx.write(&mut bridge, msg);
        let written = bridge.written;
        inner.buffered = (inner.buffered + len).saturating_sub(written);
        match result {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.after_write_attempt(inner);
                Ok(())
            }
            Err(e) => Err(self.on_error(inner, e)),
        }
    }

    /// Writes out what tungstenite holds, without waiting; starts the flusher if the
    /// socket did not take it all. Returns whether everything was written.
    fn try_flush(&self, inner: &mut Inner) -> Result<bool, Error> {
        let (ctx, mut bridge) = inner.split(None, Owner::None);
        let result = ctx.flush(&mut bridge);
        let written = bridge.written;
        inner.buffered = inner.buffered.saturating_sub(written);
        match result {
            Ok(()) => {
                inner.buffered = 0;
                Ok(true)
            }
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.after_write_attempt(inner);
                Ok(false)
            }
            Err(e) => Err(self.on_error(inner, e)),
        }
    }

    /// A write stopped at `WouldBlock` (or may have): the flusher takes it from here.
    ///
    /// The flusher holds the connection weakly: once every handle is gone, the
    /// linger task takes over the socket (and bounds the wait by `close_timeout`), so
    /// a peer that stops reading cannot keep a dropped connection alive.
    fn after_write_attempt(&self, inner: &mut Inner) {
        if inner.buffered > 0 && !inner.flushing && !inner.terminated {
            inner.flushing = true;
            let me = self.me.clone();
            weft_executor::Builder::new()
                .name("weft-ws flush")
                .spawn(std::future::poll_fn(move |cx| match me.upgrade() {
                    Some(conn) => conn.poll_flusher(cx),
                    None => Poll::Ready(()),
                }));
        }
    }

    /// The flusher task: writes on writable until the buffer is empty.
    fn poll_flusher(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut guard = self.inner.borrow_mut();
        let Some(inner) = guard.as_mut() else {
            return Poll::Ready(());
        };
        if inner.terminated {
            inner.flushing = false;
            return Poll::Ready(());
        }
        let (ctx, mut bridge) = inner.split(Some(cx), Owner::Write);
        let result = ctx.flush(&mut bridge);
        let written = bridge.written;
        inner.buffered = inner.buffered.saturating_sub(written);
        match result {
            Ok(()) => {
                inner.buffered = 0;
                inner.flushing = false;
                wake_writers(inner, self.low_water());
                Poll::Ready(())
            }
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                wake_writers(inner, self.low_water());
                Poll::Pending
            }
            Err(e) => {
                inner.flushing = false;
                self.on_error(inner, e);
                Poll::Ready(())
            }
        }
    }

    fn low_water(&self) -> usize {
        self.config.write_limit / 4
    }

    /// `send`, first half: waits while the buffer is over the write limit.
    pub(crate) fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.with(|inner| {
            if let Some(err) = &inner.closed {
                return Poll::Ready(Err(err.clone()));
            }
            if inner.buffered > self.config.write_limit {
                if !inner.flushing {
                    self.after_write_attempt(inner);
                }
                register(&mut inner.drain_waiters, cx.waker());
                return Poll::Pending;
            }
            Poll::Ready(Ok(()))
        })
    }

    /// `send`, second half: buffers the message; with `flush`, writes now what the
    /// socket takes (the flusher does the rest).
    pub(crate) fn send_now(&self, msg: Message, flush: bool) -> Result<(), Error> {
        self.with(|inner| self.send_in(inner, msg, flush))
    }

    fn send_in(&self, inner: &mut Inner, msg: Message, flush: bool) -> Result<(), Error> {
        if !inner.read_since_send && inner.recv_waker.is_none() {
            self.pump(inner, None);
        }
        inner.read_since_send = false;
        self.write_message(inner, msg)?;
        if flush && inner.buffered > 0 {
            self.try_flush(inner)?;
        }
        Ok(())
    }

    /// `try_send` (and `broadcast`): sends now unless the write buffer is over the
    /// limit; `Ok(false)` if it is.
    pub(crate) fn try_send(&self, msg: Message) -> Result<bool, Error> {
        self.with(|inner| {
            if let Some(err) = &inner.closed {
                return Err(err.clone());
            }
            if inner.buffered > self.config.write_limit {
                return Ok(false);
            }
            self.send_in(inner, msg, true).map(|()| true)
        })
    }

    /// Sink flush: waits until everything buffered was written.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.with(|inner| {
            if let Some(err) = &inner.closed {
                return Poll::Ready(Err(err.clone()));
            }
            if inner.buffered == 0 || self.try_flush(inner)? {
                return Poll::Ready(Ok(()));
            }
            register(&mut inner.flush_waiters, cx.waker());
            Poll::Pending
        })
    }

    // ---- closing ----

    fn start_close_inner(&self, inner: &mut Inner, code: u16, reason: &str) {
        if !inner.ctx.can_write() || inner.terminated {
            return;
        }
        inner.our_close = Some((code, reason.to_owned()));
        inner.buffered += self.frame_len(2 + reason.len());
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_owned().into(),
        };
        let (ctx, mut bridge) = inner.split(None, Owner::None);
        let result = ctx.close(&mut bridge, Some(frame));
        let written = bridge.written;
        inner.buffered = inner.buffered.saturating_sub(written);
        match result {
            Ok(()) => inner.buffered = 0,
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.after_write_attempt(inner);
            }
            Err(tungstenite::Error::ConnectionClosed) => inner.terminated = true,
            Err(e) => {
                inner.terminated = true;
                tracing::debug!(error = %e, "weft-ws: could not send the close frame");
            }
        }
        if !inner.terminated && inner.close_timer.is_none() {
            // Whoever started the close (`close`, `Server::close`, a failure), the
            // peer gets `close_timeout` to answer; then the socket is shut.
            inner.close_timer = Some(self.schedule(self.config.close_timeout, Conn::abandon));
        }
    }

    /// Starts the closing handshake with `code` and `reason` (no-op if it started).
    pub(crate) fn start_close(&self, code: u16, reason: &str) {
        self.with(|inner| {
            if inner.closed.is_none() {
                self.start_close_inner(inner, code, truncate(reason, MAX_REASON));
            }
        })
    }

    /// `close`, second half: reads (discarding data) until the closing handshake is
    /// over. The caller bounds it with `close_timeout`.
    pub(crate) fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.with(|inner| loop {
            if inner.closed.is_some() {
                return Poll::Ready(());
            }
            match self.read_one(inner, Some(cx), Owner::Read) {
                Ok(Some(_)) => continue, // data after our close: dropped
                Ok(None) => {
                    register(&mut inner.close_waiters, cx.waker());
                    return Poll::Pending;
                }
                Err(_) => return Poll::Ready(()),
            }
        })
    }

    /// `close` gave up waiting for the peer: the connection ends here, abnormally.
    pub(crate) fn abandon(&self) {
        self.with(|inner| {
            if inner.closed.is_some() {
                return;
            }
            let err = Error::closed(1006, "no close frame from the peer within close_timeout");
            inner.terminated = true;
            let _ = inner.io_shutdown();
            self.set_closed(inner, err);
        })
    }
}

impl Inner {
    /// tungstenite's context and a [`Bridge`] over the socket, borrowed together.
    fn split<'a, 'b>(
        &'a mut self,
        cx: Option<&'a mut Context<'b>>,
        owner: Owner,
    ) -> (&'a mut WebSocketContext, Bridge<'a, 'b>) {
        let bridge = Bridge {
            io: &mut self.io,
            stash: &mut self.stash,
            cx,
            owner,
            written: 0,
        };
        (&mut self.ctx, bridge)
    }

    fn io_shutdown(&self) -> io::Result<()> {
        socket2::SockRef::from(&self.io).shutdown(std::net::Shutdown::Both)
    }

    fn io_shutdown_write(&self) -> io::Result<()> {
        socket2::SockRef::from(&self.io).shutdown(std::net::Shutdown::Write)
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Adds `waker` to `list` unless it already holds one that wakes the same task, so
/// a future polled again and again does not grow the list.
pub(crate) fn register(list: &mut Vec<Waker>, waker: &Waker) {
    if !list.iter().any(|w| w.will_wake(waker)) {
        list.push(waker.clone());
    }
}

fn wake_pings(inner: &mut Inner) {
    for ping in &inner.pings {
        if let Some(w) = ping.slot.as_ref().and_then(|s| s.waker.take()) {
            w.wake();
        }
    }
}

fn wake_writers(inner: &mut Inner, low_water: usize) {
    if inner.buffered <= low_water {
        for w in inner.drain_waiters.drain(..) {
            w.wake();
        }
    }
    if inner.buffered == 0 {
        for w in inner.flush_waiters.drain(..) {
            w.wake();
        }
    }
}

fn wake_all(inner: &mut Inner) {
    if let Some(w) = inner.recv_waker.take() {
        w.wake();
    }
    wake_pings(inner);
    let waiters = inner
        .drain_waiters
        .drain(..)
        .chain(inner.flush_waiters.drain(..))
        .chain(inner.close_waiters.drain(..))
        .collect::<Vec<_>>();
    for w in waiters {
        w.wake();
    }
}
