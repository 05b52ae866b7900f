//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::Interest;

use super::io::Evented;
use super::split::{sealed, OwnedReadHalf, OwnedWriteHalf, ReadHalf, SplitStream, WriteHalf};
use super::tcp::poll_connected;
use crate::reactor::Handle;
use crate::ready::Direction;

/// A Unix stream socket listening for connections on a path.
///
/// The socket file is not removed when the listener is dropped; remove it
/// yourself (binding fails with [`AddrInUse`](io::ErrorKind::AddrInUse) while
/// it exists).
///
/// # Examples
///
/// ```
/// use weft_reactor::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-unix-listener-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// weft::run(async {
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     let mut got = 0;
///     while got < 2 {
///         got += server.read(&mut buf[got..]).await?;
///     }
///     assert_eq!(&buf, b"hi");
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    io: Evented<mio::net::UnixListener>,
    /// The reactor accepted connections are registered with.
    handle: Handle,
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it.
    ///
    /// # Errors
    ///
    /// The error of `bind(2)` or `listen(2)`, for example
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) if `path` exists; or of the
    /// registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop (no current reactor; see
    /// [`Handle::current`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-bind-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let handle = Handle::current();
        let listener = mio::net::UnixListener::bind(path)?;
        UnixListener::register(handle, listener)
    }

    /// Wraps a listener of the standard library, switching it to non-blocking
    /// mode.
    ///
    /// # Errors
    ///
    /// The error of switching to non-blocking mode or of the registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-from-std-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let listener = UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path)?)?;
    ///     assert!(listener.local_addr()?.as_pathname().is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        let handle = Handle::current();
        listener.set_nonblocking(true)?;
        UnixListener::register(handle, mio::net::UnixListener::from_std(listener))
    }

    fn register(handle: Handle, listener: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Evented::with_handle(&handle, listener, Interest::READABLE)?,
            handle,
        })
    }

    /// Waits for a connection and accepts it. The peer's address is usually
    /// unnamed: clients rarely bind.
    ///
    /// # Errors
    ///
    /// The error of `accept(2)` (the listener stays usable) or of registering
    /// the new stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-accept-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (stream, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed());
    ///     assert_eq!(stream.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The poll form of [`accept`](UnixListener::accept). Only the waker of
    /// the most recent call is woken.
    ///
    /// # Errors
    ///
    /// As [`accept`](UnixListener::accept).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-poll-accept-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, peer) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        let io = Evented::with_handle(
            &self.handle,
            stream,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Poll::Ready(Ok((UnixStream { io }, peer)))
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-unix-local-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("io", &self.io)
            .finish()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get().as_raw_fd()
    }
}

/// A Unix stream socket: the local counterpart of
/// [`TcpStream`](super::TcpStream), with the same methods (except the TCP
/// options), [`AsyncRead`] and [`AsyncWrite`].
///
/// # Examples
///
/// ```
/// use weft_reactor::net::UnixStream;
///
/// weft::run(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     let mut got = 0;
///     while got < 4 {
///         got += b.read(&mut buf[got..]).await?;
///     }
///     assert_eq!(&buf, b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    io: Evented<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The error of the connection attempt:
    /// [`NotFound`](io::ErrorKind::NotFound) without a socket file,
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when no one
    /// listens on it, [`WouldBlock`](io::ErrorKind::WouldBlock) when the
    /// listener's backlog is full.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop (no current reactor; see
    /// [`Handle::current`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let missing = std::env::temp_dir().join("weft-doc-no-such-socket");
    ///     let err = UnixStream::connect(&missing).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::NotFound);
    /// });
    /// ```
    #[track_caller]
    pub fn connect(
        path: impl AsRef<Path>,
    ) -> impl std::future::Future<Output = io::Result<UnixStream>> + Send {
        let handle = Handle::current();
        let started = mio::net::UnixStream::connect(path);
        async move {
            let io =
                Evented::with_handle(&handle, started?, Interest::READABLE | Interest::WRITABLE)?;
            poll_fn(|cx| poll_connected(&io, cx, |s| s.take_error(), |s| s.peer_addr().map(drop)))
                .await?;
            Ok(UnixStream { io })
        }
    }

    /// A pair of connected, unnamed sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The error of `socketpair(2)` or of the registrations.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed() && b.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let handle = Handle::current();
        let (a, b) = mio::net::UnixStream::pair()?;
        let both = Interest::READABLE | Interest::WRITABLE;
        Ok((
            UnixStream {
                io: Evented::with_handle(&handle, a, both)?,
            },
            UnixStream {
                io: Evented::with_handle(&handle, b, both)?,
            },
        ))
    }

    /// Wraps a connected stream of the standard library, switching it to
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// The error of switching to non-blocking mode or of the registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     let a = UnixStream::from_std(a)?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        let handle = Handle::current();
        stream.set_nonblocking(true)?;
        let stream = mio::net::UnixStream::from_std(stream);
        Ok(UnixStream {
            io: Evented::with_handle(&handle, stream, Interest::READABLE | Interest::WRITABLE)?,
        })
    }

    /// Reads some bytes into `buf`, waiting until at least one is available;
    /// `0` means end of stream.
    ///
    /// # Errors
    ///
    /// The error of `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (mut a, b) = UnixStream::pair()?;
    ///     drop(b);
    ///     assert_eq!(a.read(&mut [0; 8]).await?, 0); // end of stream
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Writes some bytes of `buf`, waiting until the socket can take at least
    /// one.
    ///
    /// # Errors
    ///
    /// The error of `write(2)`, for example
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe) once the peer is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (mut a, _b) = UnixStream::pair()?;
    ///     assert_eq!(a.write(b"abc").await?, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`, waiting for room as needed.
    ///
    /// # Errors
    ///
    /// The first error of `write(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (mut a, _b) = UnixStream::pair()?;
    ///     a.write_all(b"everything").await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Does nothing and succeeds: the stream has no buffer of its own.
    ///
    /// # Errors
    ///
    /// None.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (mut a, _b) = UnixStream::pair()?;
    ///     a.flush().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the reading side, the writing side or both; it completes
    /// at once.
    ///
    /// # Errors
    ///
    /// The error of `shutdown(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     a.shutdown(Shutdown::Write).await?;
    ///     assert_eq!(b.read(&mut [0; 4]).await?, 0);
    ///     b.write_all(b"reply").await?; // the other direction still works
    ///     assert!(a.read(&mut [0; 8]).await? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// Waits until the stream is readable. Only one task at a time should
    /// wait on the reading side.
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     b.write_all(b"x").await?;
    ///     a.readable().await?;
    ///     assert_eq!(a.try_read(&mut [0; 4])?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await
    }

    /// Waits until the stream is writable. Only one task at a time should
    /// wait on the writing side.
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_write(b"ok")?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Reads without waiting: one `read(2)` if the stream is known to be
    /// readable, else [`WouldBlock`](io::ErrorKind::WouldBlock) at once.
    ///
    /// A task waiting on the reading side meanwhile stays registered: this
    /// call does not take its wake-up.
    ///
    /// # Errors
    ///
    /// `WouldBlock`; the error of `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert_eq!(a.try_read(&mut [0; 4]).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// Writes without waiting: one `write(2)` if the stream is known to be
    /// writable, else [`WouldBlock`](io::ErrorKind::WouldBlock) at once.
    ///
    /// A task waiting on the writing side meanwhile stays registered: this
    /// call does not take its wake-up.
    ///
    /// # Errors
    ///
    /// `WouldBlock`; the error of `write(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_write(b"abc")?, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// The address of the peer (often unnamed).
    ///
    /// # Errors
    ///
    /// The error of `getpeername(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// The local address (unnamed unless the socket was bound).
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Splits the stream into owned halves for two tasks; see
    /// [`TcpStream::into_split`](super::TcpStream::into_split).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let (mut rd, mut wr) = a.into_split();
    ///     let writer = weft::spawn(async move { wr.write_all(b"from a").await });
    ///     let mut buf = [0; 6];
    ///     let mut got = 0;
    ///     while got < 6 {
    ///         got += b.read(&mut buf[got..]).await?;
    ///     }
    ///     writer.await.unwrap()?;
    ///     b.write_all(b"ok").await?;
    ///     assert!(rd.read(&mut buf).await? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        super::split::into_split(self)
    }

    /// Borrows the stream as a reading and a writing half.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     let (mut rd, mut wr) = a.split();
    ///     wr.write_all(b"to b").await?;
    ///     let mut buf = [0; 4];
    ///     assert!(b.read(&mut buf).await? > 0);
    ///     b.write_all(b"to a").await?;
    ///     assert!(rd.read(&mut buf).await? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        super::split::split(self)
    }
}

impl sealed::Sealed for UnixStream {
    type Source = mio::net::UnixStream;

    fn evented(&self) -> &Evented<mio::net::UnixStream> {
        &self.io
    }
}

impl SplitStream for UnixStream {}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_vectored(cx, bufs)
    }
}

impl AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts down the writing side (`shutdown(Write)`).
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.get().shutdown(Shutdown::Write))
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream").field("io", &self.io).finish()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get().as_raw_fd()
    }
}

/// A Unix datagram socket. Each call moves one whole datagram, and unlike
/// UDP, datagrams are reliable and ordered.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::UnixDatagram;
///
/// weft::run(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one").await?;
///     a.send(b"two").await?;
///     let mut buf = [0; 8];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one");
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"two");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    io: Evented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to a new socket file at `path`.
    ///
    /// # Errors
    ///
    /// The error of `bind(2)` (for example [`AddrInUse`](io::ErrorKind::AddrInUse)
    /// if `path` exists) or of the registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop (no current reactor; see
    /// [`Handle::current`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-dgram-bind-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// weft::run(async {
    ///     let socket = UnixDatagram::bind(&path)?;
    ///     assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let handle = Handle::current();
        UnixDatagram::register(&handle, mio::net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address: it can send, and receive
    /// replies only once connected.
    ///
    /// # Errors
    ///
    /// The error of `socket(2)` or of the registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let socket = UnixDatagram::unbound()?;
    ///     assert!(socket.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        let handle = Handle::current();
        UnixDatagram::register(&handle, mio::net::UnixDatagram::unbound()?)
    }

    /// A pair of connected, unnamed sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The error of `socketpair(2)` or of the registrations.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     b.send(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     assert_eq!(a.recv(&mut buf).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let handle = Handle::current();
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((
            UnixDatagram::register(&handle, a)?,
            UnixDatagram::register(&handle, b)?,
        ))
    }

    /// Wraps a socket of the standard library, switching it to non-blocking
    /// mode.
    ///
    /// # Errors
    ///
    /// The error of switching to non-blocking mode or of the registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let socket = UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)?;
    ///     assert!(socket.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        let handle = Handle::current();
        socket.set_nonblocking(true)?;
        UnixDatagram::register(&handle, mio::net::UnixDatagram::from_std(socket))
    }

    fn register(handle: &Handle, socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Evented::with_handle(handle, socket, Interest::READABLE | Interest::WRITABLE)?,
        })
    }

    /// Sets the default destination of [`send`](UnixDatagram::send) and
    /// only receives from `path` from then on.
    ///
    /// # Errors
    ///
    /// The error of `connect(2)`, for example
    /// [`NotFound`](io::ErrorKind::NotFound).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-dgram-connect-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server");
    /// weft::run(async {
    ///     let server = UnixDatagram::bind(&path)?;
    ///     let client = UnixDatagram::unbound()?;
    ///     client.connect(&path)?;
    ///     client.send(b"hello").await?;
    ///     let mut buf = [0; 5];
    ///     assert_eq!(server.recv(&mut buf).await?, 5);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get().connect(path)
    }

    /// Sends `buf` as one datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The error of `sendto(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-dgram-send-to-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server");
    /// weft::run(async {
    ///     let server = UnixDatagram::bind(&path)?;
    ///     let client = UnixDatagram::unbound()?;
    ///     assert_eq!(client.send_to(b"hey", &path).await?, 3);
    ///     let mut buf = [0; 3];
    ///     assert_eq!(server.recv(&mut buf).await?, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Write, |s| s.send_to(buf, path))
        })
        .await
    }

    /// Waits for a datagram and copies it into `buf` (truncating it if it
    /// is longer); returns its length and sender.
    ///
    /// # Errors
    ///
    /// The error of `recvfrom(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("weft-doc-dgram-recv-from-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let (server_path, client_path) = (dir.join("server"), dir.join("client"));
    /// weft::run(async {
    ///     let server = UnixDatagram::bind(&server_path)?;
    ///     let client = UnixDatagram::bind(&client_path)?;
    ///     client.send_to(b"who am i", &server_path).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"who am i");
    ///     assert_eq!(from.as_pathname(), Some(client_path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))).await
    }

    /// Sends `buf` as one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// The error of `send(2)`, for example
    /// [`NotConnected`](io::ErrorKind::NotConnected).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     assert_eq!(a.send(b"datagram").await?, 8);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Waits for a datagram and copies it into `buf` (truncating it if it is
    /// longer).
    ///
    /// # Errors
    ///
    /// The error of `recv(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"0123456789").await?;
    ///     let mut small = [0; 4];
    ///     assert_eq!(b.recv(&mut small).await?, 4); // the rest is discarded
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// The address this socket is bound to.
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// # Errors
    ///
    /// [`NotConnected`](io::ErrorKind::NotConnected) without a peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixDatagram;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    ///     assert!(UnixDatagram::unbound()?.peer_addr().is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("io", &self.io)
            .finish()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get().as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get().as_raw_fd()
    }
}
