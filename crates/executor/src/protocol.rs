//! asyncio's protocols and transports: [`Protocol`] callbacks driven by the loop,
//! [`Transport`] to write, and [`create_server`] / [`create_connection`].
//!
//! | asyncio | weft |
//! |---|---|
//! | `class P(asyncio.Protocol)` | `impl Protocol for P` |
//! | `loop.create_server(factory, host, port)` | [`create_server`]`("host:port", factory)` -> [`Server`] |
//! | `loop.create_connection(factory, host, port)` -> `(transport, protocol)` | [`create_connection`]`("host:port", factory)` -> [`Transport`] |
//! | `loop.create_unix_server` / `create_unix_connection` | [`create_unix_server`] / [`create_unix_connection`] |
//! | `transport.write`, `write_eof`, `close`, `abort`, `is_closing` | same names on [`Transport`] |
//! | `transport.pause_reading`, `resume_reading`, `is_reading` | same names |
//! | `transport.get_write_buffer_size`, `set_write_buffer_limits`, `get_write_buffer_limits` | same names |
//! | `transport.get_extra_info('peername')` | [`Transport::peer_addr`] |
//!
//! # How a connection is driven
//!
//! Each connection has one driver: a task that owns the protocol and reads the
//! socket, which the transport's shared state owns (one allocation for the socket,
//! the write buffer and the flags), into a 64 KiB read buffer shared by the thread.
//! When the socket is readable
//! the driver makes one `read(2)` into that buffer and calls
//! [`data_received`](Protocol::data_received) with a slice of it: no task per read,
//! no allocation per read. [`Transport::write`] on an empty buffer goes straight to
//! the socket, so an echo costs one `read(2)` and one `write(2)` per message (the
//! reactor's short-read rule skips the `EAGAIN` read). What the socket does not take
//! is buffered, and the driver flushes it as the socket drains.
//!
//! # Who owns the protocol
//!
//! asyncio's `create_connection` returns `(transport, protocol)`. Here the driver
//! owns the protocol (it calls it with `&mut self`), so [`create_connection`] returns
//! only the [`Transport`]. To see the protocol's results from outside, share state
//! with it: an `Rc<RefCell<..>>` or a [`Promise`](weft_futures::Promise) it
//! resolves in [`connection_lost`](Protocol::connection_lost) (asyncio's
//! `on_con_lost` idiom, in the examples below).
//!
//! # Callbacks and re-entrancy
//!
//! Callbacks may call any [`Transport`] method: the transport's state lives in its
//! own cell, apart from the protocol. asyncio calls `pause_writing` from inside
//! `write`; the protocol is busy then (it is the caller), so weft calls
//! [`pause_writing`](Protocol::pause_writing) right after the callback that crossed
//! the high-water mark returns (or, after a write from another task, at the driver's
//! next run). [`resume_writing`](Protocol::resume_writing) is called by the driver
//! as soon as its flush brings the buffer down to the low-water mark.
//!
//! A panic in a callback ends the connection (the socket is closed, and
//! `connection_lost` is not called); the loop's exception handler reports it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::ToSocketAddrs;
use std::path::Path;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use weft_reactor::net::{SplitStream, TcpListener, TcpStream, UnixListener, UnixStream};

use crate::streams::{
    bind_tcp, bind_unix, serve, ConnGuard, Server, UnixServer, Whole, WriteCore, Wrote,
};

/// The size of the read buffer.
const READ_BUFFER: usize = 64 * 1024;

thread_local! {
    /// One read buffer for all the protocol connections of a thread, as uvloop has one
    /// per loop: `data_received` only borrows the bytes for the call, so a connection
    /// need not keep 64 KiB of its own. Besides the memory (64 MB for 1000
    /// connections), per-connection buffers spread each connection's small objects
    /// over pages of their own, and the TLB misses showed in the 1000-connection echo
    /// bench (user CPU per message 1.44x tokio's, now about even). A driver takes it for
    /// its poll and puts it back; a nested poll (there is none today) would make another.
    static READ_BUF: Cell<Option<Box<[u8]>>> = const { Cell::new(None) };
}

/// Takes the thread's read buffer (or makes one).
#[inline]
fn take_read_buffer() -> Box<[u8]> {
    READ_BUF
        .take()
        .unwrap_or_else(|| vec![0; READ_BUFFER].into_boxed_slice())
}

/// Gives the read buffer back for the next poll.
#[inline]
fn put_read_buffer(buf: Box<[u8]>) {
    READ_BUF.set(Some(buf));
}

/// The callbacks of a stream connection (asyncio's `asyncio.Protocol`).
///
/// The loop calls them, in this order: [`connection_made`](Self::connection_made)
/// once; [`data_received`](Self::data_received) for each chunk read;
/// [`eof_received`](Self::eof_received) at most once, when the peer shuts down its
/// writing side; [`connection_lost`](Self::connection_lost) once, last.
/// [`pause_writing`](Self::pause_writing) and [`resume_writing`](Self::resume_writing)
/// come in pairs, between `connection_made` and `connection_lost`.
///
/// `S` is the socket type: [`TcpStream`] (the default) or [`UnixStream`].
///
/// # Examples
///
/// asyncio's `EchoServerProtocol`:
///
/// ```
/// use weft::net::{create_server, open_connection, Protocol, Transport};
///
/// struct Echo {
///     transport: Option<Transport>,
/// }
///
/// impl Protocol for Echo {
///     fn connection_made(&mut self, transport: Transport) {
///         self.transport = Some(transport);
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         self.transport.as_ref().unwrap().write(data);
///     }
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
/// }
///
/// weft::run(async {
///     let server = create_server("127.0.0.1:0", || Echo { transport: None }).await?;
///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
///     writer.write(b"echo\n");
///     assert_eq!(reader.readline().await?, b"echo\n");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait Protocol<S: SplitStream = TcpStream> {
    /// The connection is established; `transport` writes to it. Keep a clone to
    /// write later (it is an `Rc`).
    fn connection_made(&mut self, transport: Transport<S>);

    /// Bytes arrived. `data` borrows the connection's read buffer: copy what must
    /// outlive the call.
    fn data_received(&mut self, data: &[u8]);

    /// The peer shut down its writing side. Return `true` to keep the connection
    /// open (and write more, then [`Transport::close`]); `false`, the default, closes
    /// the transport.
    fn eof_received(&mut self) -> bool {
        false
    }

    /// The connection is closed: `None` after a close or an abort (either side's),
    /// `Some(error)` if the socket failed (a reset, a write to a closed peer).
    fn connection_lost(&mut self, err: Option<io::Error>);

    /// The transport's write buffer went above its high-water mark: stop writing
    /// until [`resume_writing`](Self::resume_writing).
    fn pause_writing(&mut self) {}

    /// The write buffer drained to its low-water mark: writing may go on.
    fn resume_writing(&mut self) {}
}

/// The connection a [`Protocol`] writes to (asyncio's transport). Cheap to clone
/// (an `Rc`); usable inside the protocol's callbacks and from other tasks of the
/// loop.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use weft::net::{create_connection, start_server, Protocol, Transport};
///
/// struct Client {
///     received: Rc<RefCell<Vec<u8>>>,
///     done: weft::Promise<()>,
/// }
///
/// impl Protocol for Client {
///     fn connection_made(&mut self, transport: Transport) {
///         transport.write(b"hello");
///         transport.write_eof();
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         self.received.borrow_mut().extend_from_slice(data);
///     }
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {
///         let _ = self.done.set_result(());
///     }
/// }
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |mut r, w| async move {
///         let data = r.read_to_end().await.unwrap();
///         w.write(&data.to_ascii_uppercase());
///     })
///     .await?;
///     let received = Rc::new(RefCell::new(Vec::new()));
///     let done = weft::Promise::new();
///     let (r, d) = (received.clone(), done.clone());
///     let transport = create_connection(server.local_addr(), move || Client { received: r, done: d }).await?;
///     assert_eq!(transport.peer_addr()?, server.local_addr());
///     done.await.unwrap(); // on_con_lost
///     assert_eq!(&*received.borrow(), b"HELLO");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Transport<S: SplitStream = TcpStream> {
    shared: Rc<Shared<S>>,
}

/// What the transport's clones and the driver share.
///
/// Laid out for the echo path (`repr(C)`): the flags, the driver's waker and the write
/// core with its socket are what every message reads, in the first two cache lines of
/// the value; the alignment puts the `Rc`'s counts, which a message does not touch, on
/// a line of their own before them, and the driver borrows the state rather than
/// clone the `Rc`. (callgrind's cache simulation with a 4 KiB, 4-way L1, which stands
/// for the kernel evicting the server's lines between its `read` and `write` calls:
/// 14.0 lines per message in the protocol echo server against 15.7 without both.)
#[repr(C, align(64))]
struct Shared<S: SplitStream> {
    /// The driver is running (inside a callback, or between them): it will look at
    /// the state before it sleeps, so it needs no wake.
    in_driver: Cell<bool>,
    reading_paused: Cell<bool>,
    aborted: Cell<bool>,
    /// `connection_lost` was called (or the driver is gone).
    lost: Cell<bool>,
    /// The driver's waker, to wake it from outside its callbacks.
    driver: RefCell<Option<Waker>>,
    /// The socket and the write buffer. The driver reads through it too.
    core: RefCell<WriteCore<Whole<S>>>,
}

impl<S: SplitStream> Shared<S> {
    fn wake_driver(&self) {
        if self.in_driver.get() {
            return;
        }
        if let Some(w) = &*self.driver.borrow() {
            w.wake_by_ref();
        }
    }
}

impl<S: SplitStream> Clone for Transport<S> {
    fn clone(&self) -> Transport<S> {
        Transport {
            shared: self.shared.clone(),
        }
    }
}

impl<S: SplitStream> Transport<S> {
    /// Writes `data` without waiting: straight to the socket (one `write(2)`) if
    /// nothing is buffered, else into the buffer, which the connection's driver
    /// flushes as the socket drains. Crossing the high-water mark pauses the
    /// protocol ([`Protocol::pause_writing`]).
    ///
    /// Ignored once the transport is closing, after [`write_eof`](Self::write_eof),
    /// and once the connection is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_server, open_connection, Protocol, Transport};
    ///
    /// struct Greeter;
    ///
    /// impl Protocol for Greeter {
    ///     fn connection_made(&mut self, transport: Transport) {
    ///         transport.write(b"hello, ");
    ///         transport.write(b"world\n");
    ///         transport.close(); // after the buffer is flushed
    ///     }
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// weft::run(async {
    ///     let server = create_server("127.0.0.1:0", || Greeter).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.read_to_end().await?, b"hello, world\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, data: &[u8]) {
        let sh = &*self.shared;
        let (wrote, paused) = {
            let mut core = sh.core.borrow_mut();
            let before = core.paused();
            let wrote = core.write(data);
            (wrote, core.paused() && !before)
        };
        // The driver must start waiting for writability, deliver `pause_writing`,
        // or see the failure.
        if matches!(wrote, Wrote::Buffered { first: true } | Wrote::Failed) || paused {
            sh.wake_driver();
        }
    }

    /// Writes each item in turn (asyncio's `writelines`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_server, open_connection, Protocol, Transport};
    ///
    /// struct Lines;
    ///
    /// impl Protocol for Lines {
    ///     fn connection_made(&mut self, transport: Transport) {
    ///         transport.writelines([&b"one\n"[..], b"two\n"]);
    ///         transport.close();
    ///     }
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// weft::run(async {
    ///     let server = create_server("127.0.0.1:0", || Lines).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.read_to_end().await?, b"one\ntwo\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn writelines<I>(&self, lines: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        for line in lines {
            self.write(line.as_ref());
        }
    }

    /// Shuts down the writing side once the buffer is flushed: the peer reads end
    /// of stream, and can still send.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_connection, start_server, Protocol, Transport};
    ///
    /// struct Ask(Option<weft::Promise<Vec<u8>>>);
    ///
    /// impl Protocol for Ask {
    ///     fn connection_made(&mut self, transport: Transport) {
    ///         transport.write(b"question");
    ///         transport.write_eof();
    ///     }
    ///     fn data_received(&mut self, data: &[u8]) {
    ///         let _ = self.0.take().unwrap().set_result(data.to_vec());
    ///     }
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |mut r, w| async move {
    ///         let q = r.read_to_end().await.unwrap();
    ///         w.write(if q == b"question" { b"answer" } else { b"what?" });
    ///     })
    ///     .await?;
    ///     let answer = weft::Promise::new();
    ///     let a = answer.clone();
    ///     let _t = create_connection(server.local_addr(), move || Ask(Some(a))).await?;
    ///     assert_eq!(answer.await.unwrap(), b"answer");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_eof(&self) {
        self.shared.core.borrow_mut().write_eof();
        self.shared.wake_driver();
    }

    /// Closes the transport (asyncio's `close`): no more data is received or
    /// written; the buffer is flushed, then the socket closed and
    /// [`Protocol::connection_lost`] called with `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_server, open_connection, Protocol, Transport};
    ///
    /// struct OneShot(Option<Transport>);
    ///
    /// impl Protocol for OneShot {
    ///     fn connection_made(&mut self, transport: Transport) {
    ///         self.0 = Some(transport);
    ///     }
    ///     fn data_received(&mut self, data: &[u8]) {
    ///         let t = self.0.as_ref().unwrap();
    ///         t.write(data);
    ///         t.close();
    ///         assert!(t.is_closing());
    ///     }
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// weft::run(async {
    ///     let server = create_server("127.0.0.1:0", || OneShot(None)).await?;
    ///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
    ///     writer.write(b"once");
    ///     assert_eq!(reader.read_to_end().await?, b"once");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(&self) {
        let mut core = self.shared.core.borrow_mut();
        if core.closing {
            return;
        }
        core.closing = true;
        drop(core);
        self.shared.wake_driver();
    }

    /// Closes the transport at once (asyncio's `abort`): the write buffer is
    /// dropped, the socket closed, and [`Protocol::connection_lost`] called with
    /// `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_server, open_connection, Protocol, Transport};
    ///
    /// struct Rude;
    ///
    /// impl Protocol for Rude {
    ///     fn connection_made(&mut self, transport: Transport) {
    ///         transport.write(b"this may never be sent");
    ///         transport.abort();
    ///         assert_eq!(transport.get_write_buffer_size(), 0);
    ///     }
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, err: Option<std::io::Error>) {
    ///         assert!(err.is_none());
    ///     }
    /// }
    ///
    /// weft::run(async {
    ///     let server = create_server("127.0.0.1:0", || Rude).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     let _ = reader.read_to_end().await; // end of stream, or a reset
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        let sh = &*self.shared;
        sh.aborted.set(true);
        // The buffer goes now; the socket when the driver ends (next run).
        sh.core.borrow_mut().discard_buffer();
        sh.wake_driver();
    }

    /// Whether the transport is closing or closed (asyncio's `is_closing`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_connection, start_server, Protocol, Transport};
    ///
    /// struct Quiet;
    /// impl Protocol for Quiet {
    ///     fn connection_made(&mut self, _t: Transport) {}
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let transport = create_connection(server.local_addr(), || Quiet).await?;
    ///     assert!(!transport.is_closing());
    ///     transport.close();
    ///     assert!(transport.is_closing());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_closing(&self) -> bool {
        let sh = &*self.shared;
        sh.aborted.get() || sh.lost.get() || sh.core.borrow().is_closing()
    }

    /// Stops calling [`Protocol::data_received`] until
    /// [`resume_reading`](Self::resume_reading): the socket is not read, so the
    /// peer is eventually held back by the kernel's buffers.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_server, open_connection, Protocol, Transport};
    ///
    /// struct Lazy;
    /// impl Protocol for Lazy {
    ///     fn connection_made(&mut self, transport: Transport) {
    ///         transport.pause_reading();
    ///         assert!(!transport.is_reading());
    ///         transport.resume_reading();
    ///         assert!(transport.is_reading());
    ///     }
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// weft::run(async {
    ///     let server = create_server("127.0.0.1:0", || Lazy).await?;
    ///     let _conn = open_connection(server.local_addr()).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pause_reading(&self) {
        self.shared.reading_paused.set(true);
    }

    /// Calls [`Protocol::data_received`] again after
    /// [`pause_reading`](Self::pause_reading), starting with what arrived
    /// meanwhile.
    ///
    /// # Examples
    ///
    /// See [`pause_reading`](Self::pause_reading).
    ///
    /// ```
    /// # use weft::net::{create_server, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// #     fn connection_made(&mut self, t: Transport) { t.pause_reading(); t.resume_reading(); }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async { create_server("127.0.0.1:0", || P).await.map(drop) })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn resume_reading(&self) {
        if self.shared.reading_paused.replace(false) {
            self.shared.wake_driver();
        }
    }

    /// Whether the transport is reading: not paused, not closing.
    ///
    /// # Examples
    ///
    /// See [`pause_reading`](Self::pause_reading).
    ///
    /// ```
    /// # use weft::net::{create_server, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// #     fn connection_made(&mut self, t: Transport) { assert!(t.is_reading()); }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async { create_server("127.0.0.1:0", || P).await.map(drop) })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_reading(&self) -> bool {
        !self.shared.reading_paused.get() && !self.is_closing()
    }

    /// How many bytes are buffered, not yet taken by the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// # use weft::net::{create_server, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn connection_made(&mut self, transport: Transport) {
    ///     assert_eq!(transport.get_write_buffer_size(), 0);
    /// }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async { create_server("127.0.0.1:0", || P).await.map(drop) })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_write_buffer_size(&self) -> usize {
        self.shared.core.borrow().buffered()
    }

    /// Sets the water marks of the write buffer (asyncio's
    /// `set_write_buffer_limits(high, low)`; defaults 64 KiB and 16 KiB).
    ///
    /// # Panics
    ///
    /// If `low > high`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use weft::net::{create_server, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn connection_made(&mut self, transport: Transport) {
    ///     transport.set_write_buffer_limits(4096, 1024);
    ///     assert_eq!(transport.get_write_buffer_limits(), (1024, 4096));
    /// }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async { create_server("127.0.0.1:0", || P).await.map(drop) })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        if self.shared.core.borrow_mut().set_limits(high, low) {
            self.shared.wake_driver();
        }
    }

    /// The water marks, as `(low, high)` (asyncio's order).
    ///
    /// # Examples
    ///
    /// ```
    /// # use weft::net::{create_server, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn connection_made(&mut self, transport: Transport) {
    ///     assert_eq!(transport.get_write_buffer_limits(), (16 * 1024, 64 * 1024));
    /// }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async { create_server("127.0.0.1:0", || P).await.map(drop) })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.shared.core.borrow().limits()
    }

    fn with_sock<T>(&self, f: impl FnOnce(&S) -> io::Result<T>) -> io::Result<T> {
        let core = self.shared.core.borrow();
        let sock = core
            .sock()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        f(sock)
    }
}

impl Transport<TcpStream> {
    /// The address of the peer (asyncio's `get_extra_info('peername')`).
    ///
    /// # Errors
    ///
    /// [`NotConnected`](io::ErrorKind::NotConnected) once the transport is closed;
    /// the error of `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use weft::net::{create_server, open_connection, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn connection_made(&mut self, transport: Transport) {
    ///     println!("Connection from {}", transport.peer_addr().unwrap());
    /// }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async {
    /// #     let server = create_server("127.0.0.1:0", || P).await?;
    /// #     let _c = open_connection(server.local_addr()).await?;
    /// #     Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.with_sock(|s| s.peer_addr())
    }

    /// The local address (asyncio's `get_extra_info('sockname')`).
    ///
    /// # Errors
    ///
    /// As [`peer_addr`](Self::peer_addr).
    ///
    /// # Examples
    ///
    /// ```
    /// # use weft::net::{create_server, open_connection, Protocol, Transport};
    /// # struct P;
    /// # impl Protocol for P {
    /// fn connection_made(&mut self, transport: Transport) {
    ///     assert!(transport.local_addr().unwrap().ip().is_loopback());
    /// }
    /// #     fn data_received(&mut self, _data: &[u8]) {}
    /// #     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// # }
    /// # weft::run(async {
    /// #     let server = create_server("127.0.0.1:0", || P).await?;
    /// #     let _c = open_connection(server.local_addr()).await?;
    /// #     Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.with_sock(|s| s.local_addr())
    }
}

impl Transport<UnixStream> {
    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// [`NotConnected`](io::ErrorKind::NotConnected) once the transport is closed;
    /// the error of `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_unix_connection, start_unix_server, Protocol, Transport, UnixStream};
    ///
    /// struct P;
    /// impl Protocol<UnixStream> for P {
    ///     fn connection_made(&mut self, _t: Transport<UnixStream>) {}
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-peer-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let _server = start_unix_server(&path, |_r, _w| async {}).await?;
    ///     let transport = create_unix_connection(&path, || P).await?;
    ///     assert_eq!(transport.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.with_sock(|s| s.peer_addr())
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As [`peer_addr`](Self::peer_addr).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{create_unix_connection, start_unix_server, Protocol, Transport, UnixStream};
    ///
    /// struct P;
    /// impl Protocol<UnixStream> for P {
    ///     fn connection_made(&mut self, _t: Transport<UnixStream>) {}
    ///     fn data_received(&mut self, _data: &[u8]) {}
    ///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
    /// }
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-local-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let _server = start_unix_server(&path, |_r, _w| async {}).await?;
    ///     let transport = create_unix_connection(&path, || P).await?;
    ///     assert!(transport.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.with_sock(|s| s.local_addr())
    }
}

impl<S: SplitStream> fmt::Debug for Transport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("buffered", &self.get_write_buffer_size())
            .field("reading", &self.is_reading())
            .field("closing", &self.is_closing())
            .finish()
    }
}

/// One connection's driver: owns the protocol and reads the socket, which the
/// transport's shared state keeps (the read buffer is the thread's, [`READ_BUF`]).
struct Driver<S: SplitStream, P, M> {
    /// Makes the protocol on the first run (servers: inside the connection's task,
    /// so that a panicking factory ends only this connection).
    make: Option<M>,
    proto: Option<P>,
    transport: Transport<S>,
    /// Whether the protocol was last told to pause writing.
    told_paused: bool,
    eof: bool,
    done: bool,
    _guard: Option<ConnGuard>,
}

impl<S, P, M> Driver<S, P, M>
where
    S: SplitStream,
    P: Protocol<S>,
    M: FnOnce() -> P,
{
    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // Borrowed, not cloned: the `Rc`'s counts have a cache line of their own.
        let sh = &*self.transport.shared;
        {
            let mut slot = sh.driver.borrow_mut();
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
        }
        sh.in_driver.set(true);
        if self.proto.is_none() {
            let make = self.make.take().expect("a protocol or a way to make one");
            let mut proto = make();
            proto.connection_made(self.transport.clone());
            self.proto = Some(proto);
        }
        let mut buf = take_read_buffer();
        let out = self.run(cx, &mut buf);
        put_read_buffer(buf);
        self.transport.shared.in_driver.set(false);
        out
    }

    fn run(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<()> {
        let Driver {
            proto,
            transport,
            told_paused,
            eof,
            done,
            ..
        } = self;
        let sh = &*transport.shared;
        let proto = proto.as_mut().expect("made above");
        macro_rules! finish {
            ($err:expr) => {
                return finish(sh, done, proto, $err)
            };
        }
        loop {
            if sh.aborted.get() {
                finish!(None);
            }
            // Flow control: the protocol hears of a pause before anything else.
            let paused = sh.core.borrow().paused();
            if paused != *told_paused {
                *told_paused = paused;
                if paused {
                    proto.pause_writing();
                } else {
                    proto.resume_writing();
                }
                continue;
            }
            // Flush what is buffered; then a pending `write_eof` or `close`. (Nothing to
            // do in the common case: writes from callbacks go straight to the socket.)
            if sh.core.borrow().needs_flush() {
                let flushed = {
                    let mut core = sh.core.borrow_mut();
                    match core.poll_flush(cx) {
                        Poll::Ready(Ok(())) => {
                            core.finish_flushed();
                            Ok(core.closing)
                        }
                        Poll::Ready(Err(_)) => Err(core.take_error()),
                        Poll::Pending => Ok(false),
                    }
                };
                match flushed {
                    Err(e) => finish!(e),
                    Ok(true) => finish!(None),
                    Ok(false) => {}
                }
                let failed = sh.core.borrow_mut().take_error();
                if let Some(e) = failed {
                    // A write from a callback failed.
                    finish!(Some(e));
                }
                if sh.core.borrow().paused() != *told_paused {
                    continue; // the flush resumed writing
                }
                if sh.core.borrow().closing {
                    return Poll::Pending;
                }
            }
            // Read, unless paused or at end of stream.
            if sh.reading_paused.get() || *eof {
                return Poll::Pending;
            }
            // One readiness check and one `read(2)`; spends the coop budget. (The
            // borrow ends before any callback.)
            let polled = match sh.core.borrow_mut().side_mut() {
                Some(sock) => sock.0.halves().0.poll_read(cx, buf),
                // Closed, or failed (reported above): nothing more to read.
                None => return Poll::Pending,
            };
            let outcome = match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(outcome) => outcome,
            };
            match outcome {
                Ok(0) => {
                    *eof = true;
                    if !proto.eof_received() {
                        transport.close();
                    }
                }
                Ok(n) => {
                    proto.data_received(&buf[..n]);
                }
                Err(e) => finish!(Some(e)),
            }
        }
    }
}

/// The connection is over: close the socket, then tell the protocol.
fn finish<S: SplitStream, P: Protocol<S>>(
    sh: &Shared<S>,
    done: &mut bool,
    proto: &mut P,
    err: Option<io::Error>,
) -> Poll<()> {
    *done = true;
    sh.lost.set(true);
    sh.core.borrow_mut().discard();
    drop(sh.driver.borrow_mut().take());
    proto.connection_lost(err);
    Poll::Ready(())
}

impl<S: SplitStream, P, M> Drop for Driver<S, P, M> {
    fn drop(&mut self) {
        let sh = &self.transport.shared;
        sh.in_driver.set(false);
        if !self.done {
            // Cancelled (the loop closed) or a callback panicked: the socket closes
            // even if clones of the transport live on.
            sh.lost.set(true);
            if let Ok(mut core) = sh.core.try_borrow_mut() {
                core.discard();
            }
            if let Ok(mut slot) = sh.driver.try_borrow_mut() {
                slot.take();
            }
        }
    }
}

fn new_transport<S: SplitStream>(stream: S) -> Transport<S> {
    Transport {
        shared: Rc::new(Shared {
            in_driver: Cell::new(false),
            reading_paused: Cell::new(false),
            aborted: Cell::new(false),
            lost: Cell::new(false),
            driver: RefCell::new(None),
            core: RefCell::new(WriteCore::new(Whole(stream))),
        }),
    }
}

/// Spawns the driver of one connection.
fn spawn_driver<S, P, M>(
    transport: Transport<S>,
    proto: Option<P>,
    make: Option<M>,
    guard: Option<ConnGuard>,
) where
    S: SplitStream,
    P: Protocol<S> + 'static,
    M: FnOnce() -> P + 'static,
{
    let mut driver = Driver {
        make,
        proto,
        transport,
        told_paused: false,
        eof: false,
        done: false,
        _guard: guard,
    };
    crate::Builder::new()
        .name("weft::Transport")
        .spawn(poll_fn(move |cx| driver.poll_run(cx)));
}

/// The accept loop's callback for a protocol server.
fn protocol_handler<S, P, F>(factory: F) -> impl Fn(S, ConnGuard) + 'static
where
    S: SplitStream,
    P: Protocol<S> + 'static,
    F: Fn() -> P + 'static,
{
    let factory = Rc::new(factory);
    move |stream, guard| {
        let transport = new_transport(stream);
        let factory = factory.clone();
        spawn_driver(transport, None, Some(move || factory()), Some(guard));
    }
}

/// Starts a TCP server whose connections are driven by protocols (asyncio's
/// `loop.create_server(protocol_factory, host, port)`): `factory` makes one
/// protocol per connection.
///
/// Binding is as in [`start_server`](crate::start_server) (`SO_REUSEADDR`,
/// `TCP_NODELAY` on connections); the [`Server`] is the same.
///
/// # Errors
///
/// The resolver's error, or the error of `bind(2)` / `listen(2)`.
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use std::cell::Cell;
/// use weft::net::{create_server, open_connection, Protocol, Transport};
///
/// struct Count(Rc<Cell<usize>>);
/// impl Protocol for Count {
///     fn connection_made(&mut self, _t: Transport) {
///         self.0.set(self.0.get() + 1);
///     }
///     fn data_received(&mut self, _data: &[u8]) {}
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
/// }
///
/// weft::run(async {
///     let count = Rc::new(Cell::new(0));
///     let c = count.clone();
///     let server = create_server("127.0.0.1:0", move || Count(c.clone())).await?;
///     for _ in 0..3 {
///         let (mut reader, writer) = open_connection(server.local_addr()).await?;
///         writer.close();
///         let _ = reader.read_to_end().await?; // the server closes on our EOF
///     }
///     assert_eq!(count.get(), 3);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_server<A, P, F>(addr: A, factory: F) -> io::Result<Server>
where
    A: ToSocketAddrs + Send + 'static,
    P: Protocol + 'static,
    F: Fn() -> P + 'static,
{
    let listener = bind_tcp(addr).await?;
    create_server_on(listener, factory)
}

/// Starts a protocol server on a listener that is already bound (asyncio's
/// `create_server(factory, sock=...)`), keeping its options.
///
/// # Errors
///
/// The error of `getsockname(2)`.
///
/// # Examples
///
/// ```
/// use weft::net::{create_server_on, open_connection, ListenOptions, Protocol, TcpListener, Transport};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, t: Transport) {
///         t.write(b"hello");
///         t.close();
///     }
///     fn data_received(&mut self, _data: &[u8]) {}
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
/// }
///
/// weft::run(async {
///     let listener = TcpListener::bind_with("127.0.0.1:0", ListenOptions::new().nodelay(true))?;
///     let server = create_server_on(listener, || Hello)?;
///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
///     assert_eq!(reader.read_to_end().await?, b"hello");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn create_server_on<P, F>(listener: TcpListener, factory: F) -> io::Result<Server>
where
    P: Protocol + 'static,
    F: Fn() -> P + 'static,
{
    let addr = listener.local_addr()?;
    Ok(serve(listener, addr, None, protocol_handler(factory)))
}

/// Starts a protocol server on the Unix socket `path` (asyncio's
/// `loop.create_unix_server`); the socket file is handled as in
/// [`start_unix_server`](crate::start_unix_server).
///
/// # Errors
///
/// The error of removing a stale socket, of `bind(2)` or of `listen(2)`.
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use weft::net::{create_unix_server, open_unix_connection, Protocol, Transport, UnixStream};
///
/// struct Echo(Option<Transport<UnixStream>>);
/// impl Protocol<UnixStream> for Echo {
///     fn connection_made(&mut self, t: Transport<UnixStream>) {
///         self.0 = Some(t);
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         self.0.as_ref().unwrap().write(data);
///     }
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
/// }
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-create-unix-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// weft::run(async {
///     let server = create_unix_server(&path, || Echo(None)).await?;
///     let (mut reader, writer) = open_unix_connection(&path).await?;
///     writer.write(b"ping\n");
///     assert_eq!(reader.readline().await?, b"ping\n");
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_unix_server<P, F>(path: impl AsRef<Path>, factory: F) -> io::Result<UnixServer>
where
    P: Protocol<UnixStream> + 'static,
    F: Fn() -> P + 'static,
{
    let (listener, cleanup): (UnixListener, _) = bind_unix(path.as_ref())?;
    let addr = listener.local_addr()?;
    Ok(serve(
        listener,
        addr,
        Some(cleanup),
        protocol_handler(factory),
    ))
}

/// Connects the protocol made by `factory` to `host` over TCP (asyncio's
/// `loop.create_connection`). [`Protocol::connection_made`] has been called when
/// this returns.
///
/// Returns the [`Transport`]; the protocol is owned by the connection's driver
/// (see [`Protocol`]): keep what you need to see of it in
/// shared state. As in asyncio, `TCP_NODELAY` is set.
///
/// # Errors
///
/// The resolver's error, or the error of the last connection attempt.
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// asyncio's `EchoClientProtocol`, with its `on_con_lost` future:
///
/// ```
/// use weft::net::{create_connection, create_server, Protocol, Transport};
///
/// struct EchoServer(Option<Transport>);
/// impl Protocol for EchoServer {
///     fn connection_made(&mut self, t: Transport) {
///         self.0 = Some(t);
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         let t = self.0.as_ref().unwrap();
///         t.write(data);
///         t.close();
///     }
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
/// }
///
/// struct EchoClient {
///     message: &'static str,
///     on_con_lost: weft::Promise<()>,
/// }
/// impl Protocol for EchoClient {
///     fn connection_made(&mut self, t: Transport) {
///         t.write(self.message.as_bytes());
///         println!("Data sent: {:?}", self.message);
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         println!("Data received: {:?}", String::from_utf8_lossy(data));
///     }
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {
///         println!("The server closed the connection");
///         let _ = self.on_con_lost.set_result(());
///     }
/// }
///
/// weft::run(async {
///     let server = create_server("127.0.0.1:0", || EchoServer(None)).await?;
///     let on_con_lost = weft::Promise::new();
///     let lost = on_con_lost.clone();
///     let _transport = create_connection(server.local_addr(), move || EchoClient {
///         message: "Hello World!",
///         on_con_lost: lost,
///     })
///     .await?;
///     on_con_lost.await.unwrap();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_connection<A, P, F>(host: A, factory: F) -> io::Result<Transport>
where
    A: ToSocketAddrs + Send + 'static,
    P: Protocol + 'static,
    F: FnOnce() -> P,
{
    let stream = TcpStream::connect_host(host).await?;
    stream.set_nodelay(true)?;
    Ok(connect(stream, factory))
}

/// Connects the protocol made by `factory` to the Unix socket at `path` (asyncio's
/// `loop.create_unix_connection`).
///
/// # Errors
///
/// The error of the connection attempt.
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use weft::net::{create_unix_connection, start_unix_server, Protocol, Transport, UnixStream};
///
/// struct Hi;
/// impl Protocol<UnixStream> for Hi {
///     fn connection_made(&mut self, t: Transport<UnixStream>) {
///         t.write(b"hi\n");
///     }
///     fn data_received(&mut self, _data: &[u8]) {}
///     fn connection_lost(&mut self, _err: Option<std::io::Error>) {}
/// }
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-create-unix-conn-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// weft::run(async {
///     let got = weft::Promise::new();
///     let g = got.clone();
///     let _server = start_unix_server(&path, move |mut r, _w| {
///         let g = g.clone();
///         async move {
///             let _ = g.set_result(r.readline().await.unwrap());
///         }
///     })
///     .await?;
///     let _t = create_unix_connection(&path, || Hi).await?;
///     assert_eq!(got.await.unwrap(), b"hi\n");
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn create_unix_connection<P, F>(
    path: impl AsRef<Path>,
    factory: F,
) -> io::Result<Transport<UnixStream>>
where
    P: Protocol<UnixStream> + 'static,
    F: FnOnce() -> P,
{
    let stream = UnixStream::connect(path).await?;
    Ok(connect(stream, factory))
}

/// Calls `connection_made` here, then hands the protocol to its driver.
fn connect<S, P, F>(stream: S, factory: F) -> Transport<S>
where
    S: SplitStream,
    P: Protocol<S> + 'static,
    F: FnOnce() -> P,
{
    let transport = new_transport(stream);
    let mut proto = factory();
    proto.connection_made(transport.clone());
    spawn_driver::<S, P, fn() -> P>(transport.clone(), Some(proto), None, None);
    transport
}
