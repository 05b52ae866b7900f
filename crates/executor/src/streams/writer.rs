//! [`StreamWriter`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use weft_futures::coop;
use weft_reactor::net::{OwnedWriteHalf, SplitStream, TcpStream, UnixStream};

use super::write::{WriteCore, Wrote};
use super::Waiters;

/// The writing side of a stream connection (asyncio's `StreamWriter`), from
/// [`open_connection`](crate::open_connection) or given to a
/// [`start_server`](crate::start_server) handler.
///
/// [`write`](Self::write) never waits: on an empty buffer it goes straight to the
/// socket (one `write(2)`), and whatever the socket does not take is buffered and
/// sent in the background as the socket drains. [`drain`](Self::drain) is the flow
/// control: it waits while the buffer is above the high-water mark (64 KiB), until
/// it is back to the low-water mark (16 KiB) — asyncio's defaults. Call
/// `write(..)` then `drain().await`, as in asyncio.
///
/// Dropping the writer without [`close`](Self::close) still sends what is buffered,
/// then shuts down the writing side. The socket itself is closed once the
/// [`StreamReader`](crate::StreamReader) is dropped too.
///
/// `S` is [`TcpStream`] or [`UnixStream`].
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |mut reader, writer| async move {
///         let line = reader.readline().await.unwrap();
///         writer.write(b"echo: ");
///         writer.write(&line);
///         writer.drain().await.unwrap();
///     })
///     .await?;
///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
///     writer.write(b"hi\n");
///     writer.drain().await?;
///     assert_eq!(reader.readline().await?, b"echo: hi\n");
///     writer.close();
///     writer.wait_closed().await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct StreamWriter<S: SplitStream = TcpStream> {
    /// The write half while the writer is idle (nothing buffered, no flusher, no
    /// `close`, `write_eof` or failure; lent by `shared.core`, see
    /// [`WriteCore::lend`]): `write` and `drain` then use it without touching
    /// `shared`, whose cache line a request-response connection would otherwise load
    /// once per message. `None` while the half is in `shared.core`; every method but
    /// those two puts it back there first ([`settle`](Self::settle)).
    idle: RefCell<Option<OwnedWriteHalf<S>>>,
    shared: Rc<Shared<S>>,
}

/// `core` first (`repr(C)`), and the value aligned to a cache line, so that what a
/// write and a `drain` read while bytes are buffered (the `RefCell`'s flag and the
/// hot part of [`WriteCore`]) is one line; the `Rc`'s counts, which neither touches,
/// sit on the line before.
#[repr(C, align(64))]
struct Shared<S: SplitStream> {
    core: RefCell<WriteCore<OwnedWriteHalf<S>>>,
    /// A flusher task is running (the buffer is not empty, or it is finishing).
    flushing: Cell<bool>,
    /// `drain` and `wait_closed`.
    waiters: Waiters,
}

impl<S: SplitStream> StreamWriter<S> {
    /// A writer over the write half of a stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{StreamReader, StreamWriter, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (_ard, awr) = a.into_split();
    ///     let (brd, _bwr) = b.into_split();
    ///     let writer = StreamWriter::new(awr);
    ///     let mut reader = StreamReader::new(brd);
    ///     writer.write(b"over a socket pair\n");
    ///     assert_eq!(reader.readline().await?, b"over a socket pair\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(half: OwnedWriteHalf<S>) -> StreamWriter<S> {
        let mut core = WriteCore::new(half);
        let idle = core.lend();
        StreamWriter {
            idle: RefCell::new(idle),
            shared: Rc::new(Shared {
                core: RefCell::new(core),
                flushing: Cell::new(false),
                waiters: Waiters::default(),
            }),
        }
    }

    /// Writes `data` without waiting: to the socket at once if nothing is buffered,
    /// else into the buffer, which a background task flushes.
    ///
    /// After [`close`](Self::close) or [`write_eof`](Self::write_eof), or once the
    /// connection failed, the data is dropped; [`drain`](Self::drain) reports a
    /// failure. (asyncio raises after `write_eof` and drops silently after a
    /// connection loss.)
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |mut r, w| async move {
    ///         let data = r.read_to_end().await.unwrap();
    ///         w.write(&data);
    ///     })
    ///     .await?;
    ///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
    ///     writer.write(b"one, ");
    ///     writer.write(b"two");
    ///     writer.write_eof();
    ///     assert_eq!(reader.read_to_end().await?, b"one, two");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, data: &[u8]) {
        let mut idle = self.idle.borrow_mut();
        if idle.is_none() && !self.shared.flushing.get() {
            // The half is in the core (a flush ran, or another method settled it):
            // take it back if the side is idle. (While a flusher runs, bytes are
            // buffered: no need to ask.)
            *idle = self.shared.core.borrow_mut().lend();
        }
        let wrote = match &*idle {
            Some(half) => {
                if data.is_empty() {
                    return;
                }
                let result = half.try_write(data);
                if matches!(result, Ok(n) if n == data.len()) {
                    return;
                }
                let half = idle.take().expect("the match saw the half");
                drop(idle);
                let mut core = self.shared.core.borrow_mut();
                core.restore(half);
                core.after_direct_write(data, result)
            }
            None => {
                drop(idle);
                self.shared.core.borrow_mut().write(data)
            }
        };
        match wrote {
            Wrote::Buffered { .. } if !self.shared.flushing.get() => self.start_flusher(),
            Wrote::Failed => self.shared.waiters.wake_all(),
            _ => {}
        }
    }

    /// Writes each item in turn (asyncio's `writelines`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move {
    ///         w.writelines([&b"a\n"[..], b"b\n"]);
    ///     })
    ///     .await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.read_to_end().await?, b"a\nb\n");
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

    /// asyncio's flow control: waits while the write buffer is above the high-water
    /// mark, until the background flush brings it down to the low-water mark.
    /// Returns at once otherwise (it does not wait for an empty buffer).
    ///
    /// # Errors
    ///
    /// The error that ended the connection, for example
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe) or
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset) after the peer reset it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |mut r, _w| async move {
    ///         r.read_to_end().await.unwrap();
    ///     })
    ///     .await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     for _ in 0..64 {
    ///         writer.write(&[0; 16 * 1024]);
    ///         writer.drain().await?; // keeps the buffer bounded
    ///         assert!(writer.get_write_buffer_size() <= 80 * 1024);
    ///     }
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn drain(&self) -> impl Future<Output = io::Result<()>> + '_ {
        // A plain `fn` returning a future rather than an `async fn`: its future is the
        // one reference, 8 bytes against 24, in every task awaiting it.
        poll_fn(move |cx| self.poll_drain(cx))
    }

    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `write` + `drain` in a loop must still let other tasks run.
        let progress = ready!(coop::poll_proceed(cx));
        if self.idle.borrow().is_some() {
            // Idle: nothing buffered, no failure.
            progress.made_progress();
            return Poll::Ready(Ok(()));
        }
        let core = self.shared.core.borrow();
        if let Some(e) = core.error() {
            progress.made_progress();
            return Poll::Ready(Err(e));
        }
        if core.paused() {
            drop(core);
            self.shared.waiters.register(cx.waker());
            return Poll::Pending;
        }
        progress.made_progress();
        Poll::Ready(Ok(()))
    }

    /// Shuts down the writing side once the buffer is flushed (asyncio's
    /// `write_eof`): the peer reads end of stream, and can still send.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |mut r, w| async move {
    ///         let request = r.read_to_end().await.unwrap(); // until our write_eof
    ///         w.write(&request.to_ascii_uppercase());
    ///     })
    ///     .await?;
    ///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
    ///     writer.write(b"shout");
    ///     writer.write_eof();
    ///     assert_eq!(reader.read_to_end().await?, b"SHOUT");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_eof(&self) {
        self.settle();
        self.shared.core.borrow_mut().write_eof();
    }

    /// Closes the writer: later writes are dropped; what is buffered is still sent,
    /// then the writing side is shut down and the writer's half released (asyncio's
    /// `close`; the socket is closed when the reader is dropped too).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move {
    ///         w.write(b"bye");
    ///         w.close();
    ///         assert!(w.is_closing());
    ///     })
    ///     .await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.read_to_end().await?, b"bye");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(&self) {
        self.settle();
        self.shared.core.borrow_mut().close();
        self.shared.waiters.wake_all();
    }

    /// Whether the writer is closed or closing, or its connection failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     assert!(!writer.is_closing());
    ///     writer.close();
    ///     assert!(writer.is_closing());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_closing(&self) -> bool {
        self.settle();
        self.shared.core.borrow().is_closing()
    }

    /// Waits until the writer is closed: [`close`](Self::close) was called and the
    /// buffer flushed, or the connection failed.
    ///
    /// # Errors
    ///
    /// The error that ended the connection, if it failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     writer.write(b"last words");
    ///     writer.close();
    ///     writer.wait_closed().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait_closed(&self) -> io::Result<()> {
        poll_fn(|cx| {
            self.settle();
            let core = self.shared.core.borrow();
            if core.is_closed() {
                return Poll::Ready(core.error().map_or(Ok(()), Err));
            }
            drop(core);
            self.shared.waiters.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// How many bytes are buffered, not yet taken by the socket (asyncio's
    /// `transport.get_write_buffer_size()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(writer.get_write_buffer_size(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_write_buffer_size(&self) -> usize {
        self.settle();
        self.shared.core.borrow().buffered()
    }

    /// Sets the water marks of [`drain`](Self::drain) (asyncio's
    /// `transport.set_write_buffer_limits(high, low)`).
    ///
    /// # Panics
    ///
    /// If `low > high`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     writer.set_write_buffer_limits(1024, 256);
    ///     assert_eq!(writer.get_write_buffer_limits(), (256, 1024));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        self.settle();
        self.shared.core.borrow_mut().set_limits(high, low);
    }

    /// The water marks, as `(low, high)` (asyncio's order).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(writer.get_write_buffer_limits(), (16 * 1024, 64 * 1024));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.settle();
        self.shared.core.borrow().limits()
    }

    fn start_flusher(&self) {
        self.shared.flushing.set(true);
        let shared = self.shared.clone();
        crate::Builder::new()
            .name("weft::StreamWriter flush")
            .spawn(async move { poll_fn(|cx| shared.poll_flusher(cx)).await });
    }

    /// Puts an idle half back into `shared.core`, for the methods that read or change
    /// the core's state; the next `write` lends it out again.
    fn settle(&self) {
        if let Some(half) = self.idle.borrow_mut().take() {
            self.shared.core.borrow_mut().restore(half);
        }
    }

    fn with_sock<T>(&self, f: impl FnOnce(&S) -> io::Result<T>) -> io::Result<T> {
        self.settle();
        let core = self.shared.core.borrow();
        let sock = core
            .sock()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        f(sock)
    }
}

impl<S: SplitStream> Shared<S> {
    /// The background flush: runs while the buffer is not empty.
    fn poll_flusher(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut core = self.core.borrow_mut();
        let was_paused = core.paused();
        let done = core.poll_flush(cx).is_ready();
        if done {
            core.finish_flushed();
            self.flushing.set(false);
        }
        let wake = done || (was_paused && !core.paused());
        drop(core);
        if wake {
            self.waiters.wake_all();
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl StreamWriter<TcpStream> {
    /// The address of the peer (asyncio's `get_extra_info('peername')`).
    ///
    /// # Errors
    ///
    /// [`NotConnected`](io::ErrorKind::NotConnected) once the writer is closed; the
    /// error of `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(writer.peer_addr()?, server.local_addr());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
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
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     assert!(writer.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.with_sock(|s| s.local_addr())
    }
}

impl StreamWriter<UnixStream> {
    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// [`NotConnected`](io::ErrorKind::NotConnected) once the writer is closed; the
    /// error of `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{StreamWriter, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let writer = StreamWriter::new(a.into_split().1);
    ///     assert!(writer.peer_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
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
    /// use weft::net::{StreamWriter, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let writer = StreamWriter::new(a.into_split().1);
    ///     assert!(writer.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr> {
        self.with_sock(|s| s.local_addr())
    }
}

impl<S: SplitStream> fmt::Debug for StreamWriter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.settle();
        let core = self.shared.core.borrow();
        f.debug_struct("StreamWriter")
            .field("buffered", &core.buffered())
            .field("closing", &core.is_closing())
            .finish()
    }
}
