//! [`TcpListener`], [`TcpStream`] and the [`ListenOptions`] of a listener.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{self, Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::Interest;
use socket2::{Domain, Protocol, Socket, Type};

use super::addr::{first_success, first_success_sync, lookup_host};
use super::io::Evented;
use super::split::{sealed, OwnedReadHalf, OwnedWriteHalf, ReadHalf, SplitStream, WriteHalf};
use crate::reactor::Handle;
use crate::ready::Direction;

/// How [`TcpListener::bind_with`] sets up its socket.
///
/// The defaults are those of asyncio's `start_server` on Unix: `SO_REUSEADDR`
/// on (a restarted server can bind while old connections linger in
/// `TIME_WAIT`), `SO_REUSEPORT` off, a backlog of 1024, and accepted
/// connections left with Nagle's algorithm on.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::ListenOptions;
///
/// let options = ListenOptions::new().backlog(128).reuse_port(true).nodelay(true);
/// # drop(options);
/// ```
#[derive(Clone, Debug)]
pub struct ListenOptions {
    backlog: i32,
    reuse_address: bool,
    reuse_port: bool,
    nodelay: bool,
}

impl Default for ListenOptions {
    fn default() -> ListenOptions {
        ListenOptions {
            backlog: 1024,
            reuse_address: true,
            reuse_port: false,
            nodelay: false,
        }
    }
}

impl ListenOptions {
    /// The defaults (see [`ListenOptions`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let options = weft_reactor::net::ListenOptions::new();
    /// # drop(options);
    /// ```
    pub fn new() -> ListenOptions {
        ListenOptions::default()
    }

    /// The length of the queue of connections not yet accepted (the kernel
    /// caps it at `net.core.somaxconn`).
    ///
    /// # Examples
    ///
    /// ```
    /// let options = weft_reactor::net::ListenOptions::new().backlog(16);
    /// # drop(options);
    /// ```
    pub fn backlog(mut self, backlog: i32) -> ListenOptions {
        self.backlog = backlog;
        self
    }

    /// `SO_REUSEADDR` (default: on): bind even while connections of a previous
    /// listener on the address are in `TIME_WAIT`. Only applied on Unix,
    /// where this is its meaning.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = weft_reactor::net::ListenOptions::new().reuse_address(false);
    /// # drop(options);
    /// ```
    pub fn reuse_address(mut self, reuse: bool) -> ListenOptions {
        self.reuse_address = reuse;
        self
    }

    /// `SO_REUSEPORT` (default: off): several sockets, each with this option,
    /// may listen on the same address, and the kernel spreads incoming
    /// connections over them. This is how several weft loops, one per core,
    /// share a port.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{ListenOptions, TcpListener};
    ///
    /// weft::run(async {
    ///     let options = ListenOptions::new().reuse_port(true);
    ///     let first = TcpListener::bind_with("127.0.0.1:0", options.clone())?;
    ///     let second = TcpListener::bind_with(first.local_addr()?, options)?;
    ///     assert_eq!(first.local_addr()?, second.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reuse_port(mut self, reuse: bool) -> ListenOptions {
        self.reuse_port = reuse;
        self
    }

    /// Set `TCP_NODELAY` on every accepted connection (default: off), which
    /// sends small writes at once instead of coalescing them.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{ListenOptions, TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind_with("127.0.0.1:0", ListenOptions::new().nodelay(true))?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server_side, _) = listener.accept().await?;
    ///     assert!(server_side.nodelay()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn nodelay(mut self, nodelay: bool) -> ListenOptions {
        self.nodelay = nodelay;
        self
    }

    /// A listening, non-blocking socket on `addr` with these options.
    fn listen(&self, addr: SocketAddr) -> io::Result<net::TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        #[cfg(unix)]
        if self.reuse_address {
            socket.set_reuse_address(true)?;
        }
        if self.reuse_port {
            set_reuse_port(&socket)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        Ok(socket.into())
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
))]
fn set_reuse_port(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
}

#[cfg(not(all(
    unix,
    not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
)))]
fn set_reuse_port(_: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_REUSEPORT is not supported on this platform",
    ))
}

/// A TCP socket listening for connections (asyncio's server socket).
///
/// It is registered with the reactor of the running weft loop when created,
/// and the connections it accepts are registered with that same reactor.
///
/// # Examples
///
/// An echo server and a client on one loop:
///
/// ```
/// use weft_reactor::net::{TcpListener, TcpStream};
///
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let server = weft::spawn(async move {
///         let (mut conn, _peer) = listener.accept().await?;
///         let mut buf = [0; 1024];
///         loop {
///             let n = conn.read(&mut buf).await?;
///             if n == 0 {
///                 return Ok::<(), std::io::Error>(());
///             }
///             conn.write_all(&buf[..n]).await?;
///         }
///     });
///
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     let mut got = 0;
///     while got < 5 {
///         got += client.read(&mut buf[got..]).await?;
///     }
///     assert_eq!(&buf, b"hello");
///     drop(client);
///     server.await.unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    io: Evented<mio::net::TcpListener>,
    /// The reactor accepted connections are registered with.
    handle: Handle,
    nodelay: bool,
}

impl TcpListener {
    /// Binds a listener to `addr` with the default [`ListenOptions`]
    /// (`SO_REUSEADDR` on, backlog 1024).
    ///
    /// If `addr` yields several addresses, each is tried in turn and the first
    /// that binds is used. Binding does not block, but resolving a host name
    /// does: pass an IP address (`"127.0.0.1:8080"`, `"[::]:8080"`, a
    /// [`SocketAddr`]), or resolve first with
    /// [`lookup_host`](super::lookup_host).
    ///
    /// # Errors
    ///
    /// The error of the last address tried (for example
    /// [`AddrInUse`](io::ErrorKind::AddrInUse)), or of the registration with
    /// the reactor.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop (more precisely, when no reactor
    /// is current on this thread; see [`Handle::current`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::TcpListener;
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     assert_ne!(listener.local_addr()?.port(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::bind_with(addr, ListenOptions::default())
    }

    /// Binds a listener to `addr` with `options` (see [`bind`](TcpListener::bind)).
    ///
    /// # Errors
    ///
    /// As [`bind`](TcpListener::bind); also
    /// [`Unsupported`](io::ErrorKind::Unsupported) when `SO_REUSEPORT` is
    /// asked for on a platform without it.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{ListenOptions, TcpListener};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind_with("127.0.0.1:0", ListenOptions::new().backlog(64))?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind_with(addr: impl ToSocketAddrs, options: ListenOptions) -> io::Result<TcpListener> {
        let handle = Handle::current();
        let listener = first_success_sync(addr, |addr| options.listen(addr))?;
        TcpListener::register(handle, listener, options.nodelay)
    }

    /// Wraps a listener of the standard library, switching it to non-blocking
    /// mode.
    ///
    /// # Errors
    ///
    /// The error of switching the socket to non-blocking mode or of the
    /// registration with the reactor.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::TcpListener;
    ///
    /// weft::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = std_listener.local_addr()?;
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     assert_eq!(listener.local_addr()?, addr);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        let handle = Handle::current();
        listener.set_nonblocking(true)?;
        TcpListener::register(handle, listener, false)
    }

    fn register(
        handle: Handle,
        listener: net::TcpListener,
        nodelay: bool,
    ) -> io::Result<TcpListener> {
        let listener = mio::net::TcpListener::from_std(listener);
        Ok(TcpListener {
            io: Evented::with_handle(&handle, listener, Interest::READABLE)?,
            handle,
            nodelay,
        })
    }

    /// Waits for a connection and accepts it, returning the stream and the
    /// peer's address.
    ///
    /// # Errors
    ///
    /// The error of `accept(2)`, for example when the process is out of file
    /// descriptors (`EMFILE`); the listener stays usable. Also the error of
    /// registering the new stream with the reactor, after which the
    /// connection is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (stream, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     assert_eq!(stream.peer_addr()?, peer);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection: the poll form of [`accept`](TcpListener::accept).
    ///
    /// Returns `Pending` and stores the context's waker when no connection is
    /// waiting. Only the waker of the most recent call is woken, so only one
    /// task at a time should wait on one listener.
    ///
    /// # Errors
    ///
    /// As [`accept`](TcpListener::accept).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     assert!(peer.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = ready!(self.io.poll_io(cx, Direction::Read, |l| l.accept()))?;
        if self.nodelay {
            stream.set_nodelay(true)?;
        }
        let io = Evented::with_handle(
            &self.handle,
            stream,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Poll::Ready(Ok((TcpStream { io }, peer)))
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
    /// use weft_reactor::net::TcpListener;
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("[::1]:0").or_else(|_| TcpListener::bind("127.0.0.1:0"))?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("io", &self.io).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(self.io.get())
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(self.io.get())
    }
}

/// A TCP connection (asyncio's stream transport, as a byte stream).
///
/// Reads and writes are readiness-driven and never block the loop. It
/// implements [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`], so
/// the `futures` crate's extension traits and codecs work with it;
/// [`BufStream`](super::BufStream) adds `AsyncBufRead`.
///
/// One task may read while another writes: the two directions have separate
/// waker slots (see [`into_split`](TcpStream::into_split)). Two tasks waiting
/// in the *same* direction at once are not supported: only the last one to
/// wait is woken.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::{TcpListener, TcpStream};
///
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     let n = server.read(&mut buf).await?;
///     assert_eq!(&buf[..n], &b"ping"[..n]);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    io: Evented<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`.
    ///
    /// The connect is non-blocking: the task waits until the socket becomes
    /// writable, then reads the outcome from `SO_ERROR`.
    ///
    /// # Errors
    ///
    /// The error of the connection attempt, for example
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when nothing
    /// listens on `addr`.
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
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///
    ///     drop(listener);
    ///     let refused = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn connect(
        addr: SocketAddr,
    ) -> impl std::future::Future<Output = io::Result<TcpStream>> + Send {
        // Look the reactor up now, so that a misuse panics at the caller.
        let handle = Handle::current();
        async move { TcpStream::connect_with(&handle, addr).await }
    }

    /// Opens a connection to a host given by name or address, such as
    /// `"localhost:8080"` or `("example.com", 443)`.
    ///
    /// Names are resolved off the loop (see [`lookup_host`](super::lookup_host));
    /// IP literals are used directly. The resolved addresses are tried in
    /// order, and the first connection that succeeds is returned.
    ///
    /// # Errors
    ///
    /// The resolver's error, or the error of the last address tried.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let port = listener.local_addr()?.port();
    ///     let stream = TcpStream::connect_host(format!("127.0.0.1:{port}")).await?;
    ///     assert_eq!(stream.peer_addr()?.port(), port);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn connect_host<A>(
        host: A,
    ) -> impl std::future::Future<Output = io::Result<TcpStream>> + Send
    where
        A: ToSocketAddrs + Send + 'static,
    {
        let handle = Handle::current();
        async move {
            let addrs = lookup_host(host).await?;
            first_success(addrs, |addr| TcpStream::connect_with(&handle, addr)).await
        }
    }

    async fn connect_with(handle: &Handle, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = mio::net::TcpStream::connect(addr)?;
        let io = Evented::with_handle(handle, stream, Interest::READABLE | Interest::WRITABLE)?;
        poll_fn(|cx| poll_connected(&io, cx, |s| s.take_error(), |s| s.peer_addr().map(drop)))
            .await?;
        Ok(TcpStream { io })
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
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     // A blocking connect: fine here, the listener's backlog accepts it.
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let stream = TcpStream::from_std(std_stream)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(stream: net::TcpStream) -> io::Result<TcpStream> {
        let handle = Handle::current();
        stream.set_nonblocking(true)?;
        let stream = mio::net::TcpStream::from_std(stream);
        let io = Evented::with_handle(&handle, stream, Interest::READABLE | Interest::WRITABLE)?;
        Ok(TcpStream { io })
    }

    /// Reads some bytes into `buf`, waiting until at least one is available.
    /// Returns the number read; `0` means end of stream (the peer shut down
    /// its writing side) or an empty `buf`.
    ///
    /// # Errors
    ///
    /// The error of `read(2)`, for example
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"bye").await?;
    ///     client.shutdown(Shutdown::Write).await?;
    ///     let mut got = Vec::new();
    ///     let mut buf = [0; 16];
    ///     loop {
    ///         match server.read(&mut buf).await? {
    ///             0 => break,
    ///             n => got.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(got, b"bye");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Writes some bytes of `buf`, waiting until the socket can take at least
    /// one; returns how many were written.
    ///
    /// # Errors
    ///
    /// The error of `write(2)`, for example
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe) after the peer reset the
    /// connection.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let n = client.write(b"hello").await?;
    ///     assert!(n > 0 && n <= 5);
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
    /// The first error of `write(2)`; then an unknown prefix of `buf` has been
    /// written.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.write_all(b"all of it").await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Does nothing and succeeds: a `TcpStream` has no buffer of its own, and
    /// what the kernel buffers is sent as fast as TCP allows.
    ///
    /// # Errors
    ///
    /// None.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.write_all(b"x").await?;
    ///     client.flush().await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the reading side, the writing side or both
    /// (`shutdown(2)`); it completes at once.
    ///
    /// After `Shutdown::Write` the peer reads end of stream once it has read
    /// everything sent before, and can still send data back (a half-close,
    /// asyncio's `write_eof`).
    ///
    /// # Errors
    ///
    /// The error of `shutdown(2)`, for example
    /// [`NotConnected`](io::ErrorKind::NotConnected).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.shutdown(Shutdown::Write).await?;
    ///     assert_eq!(server.read(&mut [0; 8]).await?, 0); // end of stream
    ///     server.write_all(b"still open").await?;          // the other way works
    ///     let mut buf = [0; 10];
    ///     let n = client.read(&mut buf).await?;
    ///     assert!(n > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// Waits until the stream is readable: data, end of stream or an error is
    /// waiting. Use with [`try_read`](TcpStream::try_read).
    ///
    /// The readiness may be spurious; `try_read` then fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock). Only one task at a time
    /// should wait on the reading side of a stream.
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 8];
    ///     let n = loop {
    ///         server.readable().await?;
    ///         match server.try_read(&mut buf) {
    ///             Ok(n) => break n,
    ///             Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     };
    ///     assert!(n > 0);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await
    }

    /// Waits until the stream is writable (or closed, or in error). Use with
    /// [`try_write`](TcpStream::try_write). Only one task at a time should
    /// wait on the writing side of a stream.
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.writable().await?;
    ///     assert_eq!(client.try_write(b"now")?, 3);
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
    /// `WouldBlock` when nothing can be read now; the error of `read(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let err = client.try_read(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock); // nothing sent yet
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
    /// `WouldBlock` when the stream cannot take data now; the error of
    /// `write(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.writable().await?;
    ///     assert_eq!(client.try_write(b"abc")?, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// Sends up to `len` bytes of `file`, starting at `offset`, with
    /// `sendfile(2)`: the kernel copies from the page cache to the socket, and
    /// the bytes never pass through user space. The file's own position is
    /// neither used nor changed.
    ///
    /// Returns the number of bytes sent, which may be less than `len` (the
    /// socket buffer filled up, or the file ended); `0` once `offset` is at or
    /// past the end of the file. Call it in a loop to send a whole range.
    ///
    /// Only one task at a time should wait on the writing side of a stream.
    ///
    /// # Errors
    ///
    /// The error of `sendfile(2)`, for example
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// let path = std::env::temp_dir().join(format!("weft-sendfile-doc-{}", std::process::id()));
    /// std::fs::File::create(&path)?.write_all(b"file contents")?;
    /// let file = std::fs::File::open(&path)?;
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let mut sent = 0;
    ///     while sent < 13 {
    ///         sent += client.sendfile(&file, sent as u64, 13 - sent).await?;
    ///     }
    ///     let mut buf = [0; 13];
    ///     let mut got = 0;
    ///     while got < 13 {
    ///         got += server.read(&mut buf[got..]).await?;
    ///     }
    ///     assert_eq!(&buf, b"file contents");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub async fn sendfile(
        &self,
        file: &std::fs::File,
        offset: u64,
        len: usize,
    ) -> io::Result<usize> {
        // No short-write shortcut here: a short count may mean the *file*
        // ended, with the socket still writable (see `net::io`).
        poll_fn(|cx| {
            self.io.poll_io(cx, Direction::Write, |socket| {
                let mut at = offset;
                rustix::fs::sendfile(socket, file, Some(&mut at), len).map_err(io::Error::from)
            })
        })
        .await
    }

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// The error of `getpeername(2)`, for example
    /// [`NotConnected`](io::ErrorKind::NotConnected).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(client.peer_addr()?, listener.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// The local address of this end of the connection.
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(server.local_addr()?, listener.local_addr()?);
    ///     assert_eq!(server.peer_addr()?, client.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Sets `TCP_NODELAY`: when on, small writes are sent at once rather than
    /// coalesced by Nagle's algorithm.
    ///
    /// # Errors
    ///
    /// The error of `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.set_nodelay(true)?;
    ///     assert!(client.nodelay()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set (see [`set_nodelay`](TcpStream::set_nodelay)).
    ///
    /// # Errors
    ///
    /// The error of `getsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(!client.nodelay()?); // off by default
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get().nodelay()
    }

    /// Splits the stream into a reading and a writing half that can move to
    /// different tasks; [`OwnedReadHalf::reunite`] puts them back together.
    ///
    /// Dropping the write half shuts down the writing side, so the peer sees
    /// end of stream even while the read half lives on.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///
    ///     let (mut rd, mut wr) = client.into_split();
    ///     let writer = weft::spawn(async move { wr.write_all(b"over there").await });
    ///     let (mut srd, mut swr) = server.into_split();
    ///     let mut buf = [0; 10];
    ///     let mut got = 0;
    ///     while got < 10 {
    ///         got += srd.read(&mut buf[got..]).await?;
    ///     }
    ///     swr.write_all(&buf).await?;
    ///     writer.await.unwrap()?;
    ///     let mut back = [0; 10];
    ///     let mut got = 0;
    ///     while got < 10 {
    ///         got += rd.read(&mut back[got..]).await?;
    ///     }
    ///     assert_eq!(&back, b"over there");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        super::split::into_split(self)
    }

    /// Borrows the stream as a reading and a writing half, which two futures
    /// of one task (or two tasks in a scope) can use at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let (mut rd, mut wr) = server.split();
    ///     client.write_all(b"echo").await?;
    ///     let mut buf = [0; 4];
    ///     let n = rd.read(&mut buf).await?;
    ///     wr.write_all(&buf[..n]).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_, TcpStream>, WriteHalf<'_, TcpStream>) {
        super::split::split(self)
    }
}

/// Waits for a non-blocking `connect` to finish: writability, then the
/// outcome from `SO_ERROR` and, to tell a finished connect from a spurious
/// wake-up, `getpeername`.
pub(crate) fn poll_connected<S: mio::event::Source>(
    io: &Evented<S>,
    cx: &mut Context<'_>,
    take_error: impl Fn(&S) -> io::Result<Option<io::Error>>,
    peer: impl Fn(&S) -> io::Result<()>,
) -> Poll<io::Result<()>> {
    loop {
        let ready = ready!(io.poll_ready(cx, Direction::Write))?;
        if let Some(error) = take_error(io.get())? {
            return Poll::Ready(Err(error));
        }
        match peer(io.get()) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                if ready.is_write_closed() || ready.is_error() {
                    // The socket is closed for good yet reports no error:
                    // waiting again would spin on the final bits.
                    return Poll::Ready(Err(error));
                }
                io.clear_ready(ready);
            }
            Err(error) => return Poll::Ready(Err(error)),
        }
    }
}

impl sealed::Sealed for TcpStream {
    type Source = mio::net::TcpStream;

    fn evented(&self) -> &Evented<mio::net::TcpStream> {
        &self.io
    }
}

impl SplitStream for TcpStream {}

impl AsyncRead for TcpStream {
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

impl AsyncWrite for TcpStream {
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

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream").field("io", &self.io).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(self.io.get())
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(self.io.get())
    }
}
