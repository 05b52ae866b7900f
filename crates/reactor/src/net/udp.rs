//! [`UdpSocket`].

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use mio::Interest;

use super::addr::first_success_sync;
use super::io::Evented;
use crate::ready::Direction;

/// A UDP socket (asyncio's datagram endpoint).
///
/// Every call moves one whole datagram. The socket may be shared between a
/// task that sends and one that receives (for example through an `Arc`); two
/// tasks waiting in the same direction at once are not supported, as only the
/// last one to wait is woken.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::UdpSocket;
///
/// weft::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0")?;
///     let b = UdpSocket::bind("127.0.0.1:0")?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    io: Evented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`; port 0 picks a free port.
    ///
    /// If `addr` yields several addresses, the first that binds is used.
    /// Resolving a host name blocks: pass IP addresses, or resolve first with
    /// [`lookup_host`](super::lookup_host).
    ///
    /// # Errors
    ///
    /// The error of the last address tried, or of the registration.
    ///
    /// # Panics
    ///
    /// Panics outside of a running weft loop (no current reactor; see
    /// [`Handle::current`](crate::Handle::current)).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0")?;
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let handle = crate::Handle::current();
        let socket = first_success_sync(addr, mio::net::UdpSocket::bind)?;
        Ok(UdpSocket {
            io: Evented::with_handle(&handle, socket, Interest::READABLE | Interest::WRITABLE)?,
        })
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
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let addr = std_socket.local_addr()?;
    ///     let socket = UdpSocket::from_std(std_socket)?;
    ///     assert_eq!(socket.local_addr()?, addr);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        let handle = crate::Handle::current();
        socket.set_nonblocking(true)?;
        let socket = mio::net::UdpSocket::from_std(socket);
        Ok(UdpSocket {
            io: Evented::with_handle(&handle, socket, Interest::READABLE | Interest::WRITABLE)?,
        })
    }

    /// Sets the default destination of [`send`](UdpSocket::send) and
    /// restricts [`recv`](UdpSocket::recv) to datagrams from `addr`. It
    /// completes at once: UDP has no handshake.
    ///
    /// # Errors
    ///
    /// The error of `connect(2)`, for example for an address of the other
    /// family.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     a.connect(b.local_addr()?)?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.io.get().connect(addr)
    }

    /// Sends `buf` as one datagram to `target`; returns the number of bytes
    /// sent.
    ///
    /// # Errors
    ///
    /// The error of `sendto(2)`, for example when `buf` is larger than a
    /// datagram can be.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     assert_eq!(a.send_to(b"hello", b.local_addr()?).await?, 5);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send_to(cx, buf, target)).await
    }

    /// The poll form of [`send_to`](UdpSocket::send_to).
    ///
    /// # Errors
    ///
    /// As [`send_to`](UdpSocket::send_to).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     let to = a.local_addr()?;
    ///     let n = poll_fn(|cx| a.poll_send_to(cx, b"self", to)).await?;
    ///     assert_eq!(n, 4);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
    }

    /// Waits for a datagram and copies it into `buf`; returns its length and
    /// sender. A datagram longer than `buf` is truncated, the rest lost.
    ///
    /// # Errors
    ///
    /// The error of `recvfrom(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     a.send_to(b"one", b.local_addr()?).await?;
    ///     a.send_to(b"two", b.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"one");
    ///     let (n, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"two");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// The poll form of [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Errors
    ///
    /// As [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     a.send_to(b"loop", a.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = poll_fn(|cx| a.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!((&buf[..n], from), (&b"loop"[..], a.local_addr()?));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        // One datagram per call whatever the buffer's size: a short read says
        // nothing about the queue, so drain until `WouldBlock` (`net::io`).
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Sends `buf` as one datagram to the connected peer (see
    /// [`connect`](UdpSocket::connect)).
    ///
    /// # Errors
    ///
    /// The error of `send(2)`; for example `EDESTADDRREQ` without a peer, or
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when an
    /// earlier datagram was refused by the peer's host.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     a.connect(b.local_addr()?)?;
    ///     b.connect(a.local_addr()?)?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Waits for a datagram from the connected peer and copies it into `buf`.
    ///
    /// # Errors
    ///
    /// The error of `recv(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     b.connect(a.local_addr()?)?;
    ///     a.send_to(b"for b", b.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"for b");
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
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0")?;
    ///     assert!(socket.local_addr()?.ip().is_loopback());
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
    /// [`NotConnected`](io::ErrorKind::NotConnected) if
    /// [`connect`](UdpSocket::connect) was not called.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use weft_reactor::net::UdpSocket;
    ///
    /// weft::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0")?;
    ///     assert_eq!(socket.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket").field("io", &self.io).finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UdpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(self.io.get())
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(self.io.get())
    }
}
