//! Asynchronous Unix pipes: [`pipe()`] and its two ends, and asyncio's
//! `connect_read_pipe` / `connect_write_pipe` for an existing descriptor
//! ([`Receiver::from_owned_fd`], [`Sender::from_owned_fd`]).
//!
//! Both ends implement the `futures-io` traits ([`AsyncRead`] for the
//! [`Receiver`], [`AsyncWrite`] for the [`Sender`]) and also have plain async
//! methods (`read`, `write`, `write_all`, ...). The pipes of a child process
//! ([`ChildStdin`](crate::process::ChildStdin), ...) are these types.
//!
//! # Examples
//!
//! ```
//! use weft_reactor::pipe;
//!
//! weft::run(async {
//!     let (mut tx, mut rx) = pipe::pipe()?;
//!     tx.write_all(b"hello").await?;
//!     drop(tx); // end of file for the reader
//!     let mut got = Vec::new();
//!     rx.read_to_end(&mut got).await?;
//!     assert_eq!(got, b"hello");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::unix::pipe as mio_pipe;
use mio::Interest;

use crate::fd::Registered;
use crate::ready::Direction;

/// How much [`Receiver::read_to_end`] asks for per `read(2)`.
const READ_CHUNK: usize = 64 * 1024;

/// Creates a pipe whose two ends are registered with the current event loop.
///
/// Both ends are non-blocking and close-on-exec. Dropping the [`Sender`]
/// makes the [`Receiver`] read end of file; dropping the `Receiver` makes
/// writes fail with `BrokenPipe`.
///
/// # Errors
///
/// Fails if the OS cannot create the pipe (out of file descriptors) or the
/// reactor refuses the registration.
///
/// # Panics
///
/// Panics outside of an event loop (no reactor is current on this thread).
///
/// # Examples
///
/// ```
/// use weft_reactor::pipe::pipe;
///
/// weft::run(async {
///     let (mut tx, mut rx) = pipe()?;
///     tx.write(b"ping").await?;
///     let mut buf = [0; 4];
///     let n = rx.read(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (tx, rx) = mio_pipe::new()?;
    Ok((Sender::from_mio(tx)?, Receiver::from_mio(rx)?))
}

/// The read end of a pipe, registered with an event loop.
///
/// Reads return `Ok(0)` (end of file) once every write end is closed and the
/// buffered data has been read. One task at a time should read from it.
///
/// # Examples
///
/// ```
/// use futures_io::AsyncRead;
/// use weft_reactor::pipe::{pipe, Receiver};
///
/// fn assert_async_read<R: AsyncRead>(_: &R) {}
///
/// weft::run(async {
///     let (_tx, rx): (_, Receiver) = pipe()?;
///     assert_async_read(&rx);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Receiver {
    io: Registered<mio_pipe::Receiver>,
}

impl Receiver {
    #[track_caller]
    fn from_mio(rx: mio_pipe::Receiver) -> io::Result<Receiver> {
        Ok(Receiver {
            io: Registered::new(rx, Interest::READABLE)?,
        })
    }

    /// Wraps the read end of an existing pipe (or FIFO, character device,
    /// socket, ...) and registers it with the current event loop, like
    /// asyncio's `loop.connect_read_pipe`.
    ///
    /// The descriptor is switched to non-blocking mode. That flag belongs to
    /// the open file, so other descriptors of it (a `dup`, or the same
    /// terminal in another process) see it too.
    ///
    /// # Errors
    ///
    /// Fails if the mode cannot be set, or if the descriptor cannot be
    /// watched (regular files cannot: `EPERM`).
    ///
    /// # Panics
    ///
    /// Panics outside of an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::OwnedFd;
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::pipe::Receiver;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut rx = Receiver::from_owned_fd(OwnedFd::from(a))?;
    ///     b.write_all(b"over a socket")?;
    ///     drop(b);
    ///     let mut got = Vec::new();
    ///     rx.read_to_end(&mut got).await?;
    ///     assert_eq!(got, b"over a socket");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Receiver> {
        let rx = mio_pipe::Receiver::from(fd);
        rx.set_nonblocking(true)?;
        Receiver::from_mio(rx)
    }

    /// Deregisters the read end and returns its descriptor (still
    /// non-blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use weft_reactor::pipe::{pipe, Receiver};
    ///
    /// weft::run(async {
    ///     let (_tx, rx) = pipe()?;
    ///     let fd: OwnedFd = rx.into_owned_fd();
    ///     let rx = Receiver::from_owned_fd(fd)?; // registered again
    ///     # drop(rx);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_owned_fd(self) -> OwnedFd {
        OwnedFd::from(self.io.into_inner())
    }

    /// Polls a read into `buf`: `Ready(Ok(n))` with `n > 0` bytes,
    /// `Ready(Ok(0))` at end of file (or for an empty `buf`), `Pending` with
    /// the waker stored while the pipe is empty.
    ///
    /// # Errors
    ///
    /// The errors of `read(2)`; fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, mut rx) = pipe()?;
    ///     tx.write_all(b"abc").await?;
    ///     let mut buf = [0; 8];
    ///     let n = poll_fn(|cx| rx.poll_read(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"abc");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.io
            .poll_io(cx, Direction::Read, |rx| retry_eintr(|| (&*rx).read(buf)))
    }

    /// Reads into `buf`, waiting until at least one byte or end of file is
    /// available. Returns the number of bytes read; `0` means end of file.
    ///
    /// Cancel-safe: if the future is dropped, no data was read.
    ///
    /// # Errors
    ///
    /// The errors of `read(2)`; fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (tx, mut rx) = pipe()?;
    ///     drop(tx);
    ///     let mut buf = [0; 8];
    ///     assert_eq!(rx.read(&mut buf).await?, 0); // end of file
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Reads until end of file, appending to `buf`; returns the number of
    /// bytes appended.
    ///
    /// Not cancel-safe in the sense that the bytes read so far are in `buf`
    /// when the future is dropped.
    ///
    /// # Errors
    ///
    /// The errors of `read(2)`; fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, mut rx) = pipe()?;
    ///     let writer = weft::spawn(async move {
    ///         for _ in 0..100 {
    ///             tx.write_all(&[7; 1000]).await?;
    ///         }
    ///         Ok::<_, std::io::Error>(())
    ///     });
    ///     let mut all = Vec::new();
    ///     assert_eq!(rx.read_to_end(&mut all).await?, 100_000);
    ///     writer.await.unwrap()?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        poll_fn(|cx| loop {
            match std::task::ready!(self.poll_read_some(cx, buf)) {
                Ok(0) => return Poll::Ready(Ok(buf.len() - start)),
                Ok(_) => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        })
        .await
    }

    /// Appends one read's worth of data to `buf`.
    pub(crate) fn poll_read_some(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        buf.resize(len + READ_CHUNK, 0);
        let result = self.poll_read(cx, &mut buf[len..]);
        let n = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        buf.truncate(len + n);
        result
    }
}

impl AsyncRead for Receiver {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Receiver::poll_read(self.get_mut(), cx, buf)
    }
}

impl AsFd for Receiver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for Receiver {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// The write end of a pipe, registered with an event loop.
///
/// Writing to a pipe whose read end is closed fails with `BrokenPipe`.
/// [`close`](Sender::close) (or [`AsyncWrite::poll_close`]) closes the write
/// end at once, so the reader sees end of file while the `Sender` value still
/// exists; further writes then fail with `BrokenPipe`. One task at a time
/// should write to it.
///
/// # Examples
///
/// ```
/// use futures_io::AsyncWrite;
/// use weft_reactor::pipe::{pipe, Sender};
///
/// fn assert_async_write<W: AsyncWrite>(_: &W) {}
///
/// weft::run(async {
///     let (tx, _rx): (Sender, _) = pipe()?;
///     assert_async_write(&tx);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Sender {
    /// `None` once closed.
    io: Option<Registered<mio_pipe::Sender>>,
}

impl Sender {
    #[track_caller]
    fn from_mio(tx: mio_pipe::Sender) -> io::Result<Sender> {
        Ok(Sender {
            io: Some(Registered::new(tx, Interest::WRITABLE)?),
        })
    }

    /// Wraps the write end of an existing pipe (or FIFO, character device,
    /// socket, ...) and registers it with the current event loop, like
    /// asyncio's `loop.connect_write_pipe`.
    ///
    /// The descriptor is switched to non-blocking mode; see
    /// [`Receiver::from_owned_fd`] for what that implies.
    ///
    /// # Errors
    ///
    /// Fails if the mode cannot be set or the descriptor cannot be watched.
    ///
    /// # Panics
    ///
    /// Panics outside of an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::fd::OwnedFd;
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::pipe::Sender;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut tx = Sender::from_owned_fd(OwnedFd::from(a))?;
    ///     tx.write_all(b"hi").await?;
    ///     tx.close();
    ///     let mut got = String::new();
    ///     b.read_to_string(&mut got)?;
    ///     assert_eq!(got, "hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Sender> {
        let tx = mio_pipe::Sender::from(fd);
        tx.set_nonblocking(true)?;
        Sender::from_mio(tx)
    }

    /// Deregisters the write end and returns its descriptor (still
    /// non-blocking), or `None` if it was [closed](Sender::close).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (tx, _rx) = pipe()?;
    ///     assert!(tx.into_owned_fd().is_some());
    ///     let (mut tx, _rx) = pipe()?;
    ///     tx.close();
    ///     assert!(tx.into_owned_fd().is_none());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_owned_fd(self) -> Option<OwnedFd> {
        self.io.map(|io| OwnedFd::from(io.into_inner()))
    }

    /// The write end's descriptor, or `None` once [closed](Sender::close).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, _rx) = pipe()?;
    ///     assert!(tx.fd().is_some());
    ///     tx.close();
    ///     assert!(tx.fd().is_none());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.io.as_ref().map(|io| io.get_ref().as_fd())
    }

    /// Closes the write end now (the reader sees end of file once it has
    /// read what was written). Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, mut rx) = pipe()?;
    ///     tx.write_all(b"last words").await?;
    ///     tx.close();
    ///     let mut got = Vec::new();
    ///     rx.read_to_end(&mut got).await?;
    ///     assert_eq!(got, b"last words");
    ///     assert_eq!(
    ///         tx.write(b"more").await.unwrap_err().kind(),
    ///         std::io::ErrorKind::BrokenPipe
    ///     );
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(&mut self) {
        self.io = None;
    }

    /// Polls a write of (a prefix of) `buf`: `Ready(Ok(n))` once `n` bytes
    /// were written, `Pending` with the waker stored while the pipe is full.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` if the read end is closed or this end was closed; the
    /// other errors of `write(2)`; fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, mut rx) = pipe()?;
    ///     let n = poll_fn(|cx| tx.poll_write(cx, b"xyz")).await?;
    ///     assert_eq!(n, 3);
    ///     let mut buf = [0; 3];
    ///     rx.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"xyz");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let Some(io) = &self.io else {
            return Poll::Ready(Err(closed()));
        };
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        io.poll_io(cx, Direction::Write, |tx| retry_eintr(|| (&*tx).write(buf)))
    }

    /// Writes (a prefix of) `buf`, waiting while the pipe is full; returns
    /// how many bytes were written.
    ///
    /// Cancel-safe: if the future is dropped, nothing was written.
    ///
    /// # Errors
    ///
    /// As [`poll_write`](Sender::poll_write).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, _rx) = pipe()?;
    ///     assert_eq!(tx.write(b"12345").await?, 5);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`, waiting whenever the pipe is full.
    ///
    /// If the future is dropped midway, a prefix of `buf` has been written.
    ///
    /// # Errors
    ///
    /// As [`poll_write`](Sender::poll_write); `WriteZero` if a write made no
    /// progress.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::pipe::pipe;
    ///
    /// weft::run(async {
    ///     let (mut tx, mut rx) = pipe()?;
    ///     let big = vec![1u8; 1 << 20]; // more than the pipe holds
    ///     let reader = weft::spawn(async move {
    ///         let mut all = Vec::new();
    ///         rx.read_to_end(&mut all).await.map(|_| all.len())
    ///     });
    ///     tx.write_all(&big).await?;
    ///     drop(tx);
    ///     assert_eq!(reader.await.unwrap()?, 1 << 20);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl AsyncWrite for Sender {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Sender::poll_write(self.get_mut(), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no user-space buffer.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().close();
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("fd", &self.fd().map(|fd| fd.as_raw_fd()))
            .finish()
    }
}

fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the write end of the pipe is closed",
    )
}

/// Runs `f` again while it fails with `EINTR`.
fn retry_eintr<R>(mut f: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match f() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}
