//! [`AsyncFd`]: readiness of any file descriptor, the basis of asyncio's
//! `loop.add_reader` / `loop.add_writer`.
//!
//! An [`AsyncFd`] registers a file descriptor it owns (anything that is
//! [`AsFd`]: a socket, a pipe end, a tty, an `eventfd`, ...) with the reactor
//! of the current loop and lets tasks wait until it is readable or writable.
//! It does no I/O itself: the caller performs non-blocking reads and writes
//! on the inner value and reports `WouldBlock` back, either through a
//! [`ReadyGuard`] or through [`AsyncFd::poll_io`] / [`AsyncFd::async_io`].
//!
//! The file descriptor should be in non-blocking mode; `AsyncFd` does not
//! change its flags.
//!
//! Readiness is edge-triggered, like the rest of the reactor: it stays
//! recorded until cleared after a `WouldBlock`. asyncio's `add_reader` is
//! level-triggered (the callback runs on every loop iteration while the fd is
//! readable); [`ReadyGuard::recheck`] gives that behaviour to a callback-style
//! watcher by asking the OS again before clearing.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use rustix::event::{PollFd, PollFlags, Timespec};

use crate::reactor::Handle;
use crate::ready::{Direction, Ready};
use crate::registration::Registration;

/// An I/O source registered with a reactor, deregistered when dropped.
///
/// The crate-internal building block of [`AsyncFd`], the pipes, signals and
/// child watchers: it owns both the source and its [`Registration`] so that
/// the OS registration is removed before the source is closed (closing one of
/// several descriptors of the same open file would leave it registered).
pub(crate) struct Registered<S: Source> {
    /// `None` only while being taken apart by `into_inner` or `drop`.
    inner: Option<(S, Registration)>,
}

impl<S: Source> Registered<S> {
    /// Registers `io` with the reactor of the current loop.
    #[track_caller]
    pub(crate) fn new(io: S, interest: Interest) -> io::Result<Registered<S>> {
        Registered::with_handle(&Handle::current(), io, interest)
    }

    /// Registers `io` with the reactor of `handle`.
    pub(crate) fn with_handle(
        handle: &Handle,
        mut io: S,
        interest: Interest,
    ) -> io::Result<Registered<S>> {
        let registration = Registration::with_handle(handle, &mut io, interest)?;
        Ok(Registered {
            inner: Some((io, registration)),
        })
    }

    fn parts(&self) -> &(S, Registration) {
        self.inner
            .as_ref()
            .expect("a registered source is only taken apart when consumed")
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.parts().0
    }

    pub(crate) fn get_mut(&mut self) -> &mut S {
        &mut self
            .inner
            .as_mut()
            .expect("a registered source is only taken apart when consumed")
            .0
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.parts().1
    }

    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<Ready>> {
        self.registration().poll_ready(cx, dir)
    }

    pub(crate) fn clear_ready(&self, ready: Ready) {
        self.registration().clear_ready(ready);
    }

    /// [`Registration::poll_io`] with the source handed to `f`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let (io, registration) = self.parts();
        registration.poll_io(cx, dir, || f(io))
    }

    /// Deregisters the source and hands it back.
    pub(crate) fn into_inner(mut self) -> S {
        let (mut io, registration) = self
            .inner
            .take()
            .expect("a registered source is only taken apart when consumed");
        if let Err(error) = registration.deregister(&mut io) {
            tracing::debug!(%error, "failed to deregister an I/O source");
        }
        io
    }
}

impl<S: Source> Drop for Registered<S> {
    fn drop(&mut self) {
        if let Some((mut io, registration)) = self.inner.take() {
            // Failing here means the reactor's selector is gone; nothing to undo.
            let _ = registration.deregister(&mut io);
        }
    }
}

impl<S: Source + fmt::Debug> fmt::Debug for Registered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Some((io, registration)) => f
                .debug_struct("Registered")
                .field("io", io)
                .field("registration", registration)
                .finish(),
            None => f.write_str("Registered(<taken>)"),
        }
    }
}

/// Any [`AsFd`] value as a mio [`Source`].
pub(crate) struct FdSource<T>(pub(crate) T);

impl<T: AsFd> Source for FdSource<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_fd().as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_fd().as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_fd().as_raw_fd()).deregister(registry)
    }
}

/// A file descriptor registered with the reactor of an event loop, whose
/// readiness tasks can wait for.
///
/// `AsyncFd` owns the value `T` holding the descriptor (an [`OwnedFd`], a
/// `std::net::UdpSocket`, ...) and keeps it registered until it is dropped or
/// taken back with [`into_inner`](AsyncFd::into_inner). The descriptor should
/// be non-blocking.
///
/// There are three ways to use it:
///
/// * [`readable`](AsyncFd::readable) / [`writable`](AsyncFd::writable) give a
///   [`ReadyGuard`]; do the I/O, and if it reports `WouldBlock`, clear the
///   readiness ([`ReadyGuard::try_io`] does both);
/// * [`async_io`](AsyncFd::async_io) / [`poll_io`](AsyncFd::poll_io) run a
///   closure until it stops returning `WouldBlock`;
/// * [`poll_read_ready`](AsyncFd::poll_read_ready) /
///   [`poll_write_ready`](AsyncFd::poll_write_ready) are the `poll` forms for
///   hand-written futures and callback-style watchers (asyncio's
///   `add_reader`).
///
/// One task at a time may wait in each direction: a second waiter replaces
/// the first one's waker.
///
/// [`OwnedFd`]: std::os::fd::OwnedFd
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use weft_reactor::fd::AsyncFd;
///
/// weft::run(async {
///     let (a, mut b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     let a = AsyncFd::new(a)?;
///     b.write_all(b"ping")?;
///
///     let mut buf = [0; 4];
///     let n = a.async_io(weft_reactor::Direction::Read, |s| (&*s).read(&mut buf)).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AsyncFd<T: AsFd> {
    inner: Registered<FdSource<T>>,
}

impl<T: AsFd> AsyncFd<T> {
    /// Registers `inner` for both reading and writing with the reactor of the
    /// current loop.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses the registration: for example, regular files
    /// cannot be watched with epoll (`EPERM`), and a descriptor cannot be
    /// registered twice with the same loop (`EEXIST`).
    ///
    /// # Panics
    ///
    /// Panics outside of an event loop (no reactor is current on this thread).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     a.writable().await?; // a fresh socket has room to write
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner` for `interest` with the reactor of the current loop.
    ///
    /// # Errors
    ///
    /// As [`new`](AsyncFd::new).
    ///
    /// # Panics
    ///
    /// Panics outside of an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::{fd::AsyncFd, Interest};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let reader = AsyncFd::with_interest(a, Interest::READABLE)?;
    ///     # drop(reader);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_handle(&Handle::current(), inner, interest)
    }

    /// Registers `inner` for `interest` with the reactor of `handle`, from
    /// any thread.
    ///
    /// # Errors
    ///
    /// As [`new`](AsyncFd::new); also fails once that reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::{fd::AsyncFd, Interest, Reactor};
    ///
    /// let reactor = Reactor::new()?;
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = AsyncFd::with_handle(&reactor.handle(), a, Interest::READABLE)?;
    /// assert_eq!(reactor.sources(), 1);
    /// drop(fd);
    /// assert_eq!(reactor.sources(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_handle(handle: &Handle, inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        Ok(AsyncFd {
            inner: Registered::with_handle(handle, FdSource(inner), interest)?,
        })
    }

    /// The wrapped value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = AsyncFd::new(a)?;
    ///     assert!(fd.get_ref().peer_addr().is_ok());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner.get_ref().0
    }

    /// The wrapped value, mutably. Do not replace or close its descriptor.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let mut fd = AsyncFd::new(a)?;
    ///     fd.get_mut().set_nonblocking(true)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner.get_mut().0
    }

    /// Deregisters the descriptor from the reactor and returns the wrapped
    /// value, still open (and still non-blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = AsyncFd::new(a)?;
    ///     let a: UnixStream = fd.into_inner();
    ///     let again = AsyncFd::new(a)?; // it can be registered again
    ///     # drop(again);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner().0
    }

    /// Polls for read readiness (readable, read-closed or error).
    ///
    /// Returns a [`ReadyGuard`] once the reactor has seen the descriptor
    /// readable; otherwise stores the waker and returns `Pending`. This is
    /// what a callback-style watcher such as asyncio's `add_reader` is built
    /// on: poll, run the callback, then [`recheck`](ReadyGuard::recheck) or
    /// [`clear_ready`](ReadyGuard::clear_ready).
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     b.write_all(b"x")?;
    ///     let guard = poll_fn(|cx| a.poll_read_ready(cx)).await?;
    ///     assert!(guard.ready().is_readable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ReadyGuard<'a, T>>> {
        self.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness (writable, write-closed or error); see
    /// [`poll_read_ready`](AsyncFd::poll_read_ready).
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     let guard = poll_fn(|cx| a.poll_write_ready(cx)).await?;
    ///     assert!(guard.ready().is_writable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ReadyGuard<'a, T>>> {
        self.poll_ready(cx, Direction::Write)
    }

    fn poll_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyGuard<'a, T>>> {
        self.inner.poll_ready(cx, dir).map_ok(|ready| ReadyGuard {
            fd: self,
            ready,
            dir,
        })
    }

    /// Waits until the descriptor is readable (or read-closed, or in error).
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     b.write_all(b"hi")?;
    ///     let mut buf = [0; 2];
    ///     loop {
    ///         let mut guard = a.readable().await?;
    ///         if let Some(n) = guard.try_io(|s| (&*s).read(&mut buf)) {
    ///             assert_eq!(&buf[..n?], b"hi");
    ///             break;
    ///         }
    ///     }
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<ReadyGuard<'_, T>> {
        poll_fn(|cx| self.poll_read_ready(cx)).await
    }

    /// Waits until the descriptor is writable (or write-closed, or in error).
    ///
    /// # Errors
    ///
    /// Fails once the reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     let mut guard = a.writable().await?;
    ///     let n = guard.try_io(|s| (&*s).write(b"hello")).expect("room to write")?;
    ///     assert_eq!(n, 5);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn writable(&self) -> io::Result<ReadyGuard<'_, T>> {
        poll_fn(|cx| self.poll_write_ready(cx)).await
    }

    /// Runs the non-blocking operation `f` once the descriptor is ready in
    /// `dir`; if `f` fails with `WouldBlock`, clears the readiness and waits
    /// again. Any other result is returned.
    ///
    /// # Errors
    ///
    /// The errors of `f` other than `WouldBlock`; fails once the reactor has
    /// shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::{fd::AsyncFd, Direction};
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     b.write_all(b"abc")?;
    ///     let mut buf = [0; 8];
    ///     let n = poll_fn(|cx| a.poll_io(cx, Direction::Read, |s| (&*s).read(&mut buf))).await?;
    ///     assert_eq!(&buf[..n], b"abc");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.inner.poll_io(cx, dir, |source| f(&source.0))
    }

    /// Waits for readiness in `dir` and runs the non-blocking operation `f`,
    /// again and again until it does not fail with `WouldBlock`.
    ///
    /// # Errors
    ///
    /// The errors of `f` other than `WouldBlock`; fails once the reactor has
    /// shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::{fd::AsyncFd, Direction};
    ///
    /// weft::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     b.set_nonblocking(true)?;
    ///     let (a, b) = (AsyncFd::new(a)?, AsyncFd::new(b)?);
    ///     b.async_io(Direction::Write, |s| (&*s).write(b"pong")).await?;
    ///     let mut buf = [0; 4];
    ///     let n = a.async_io(Direction::Read, |s| (&*s).read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"pong");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn async_io<R>(
        &self,
        dir: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, dir, &mut f)).await
    }
}

impl<T: AsFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .field("registration", self.inner.registration())
            .finish()
    }
}

/// Proof that an [`AsyncFd`] was seen ready in one direction, returned by
/// [`AsyncFd::readable`], [`AsyncFd::writable`] and the `poll_*_ready`
/// methods.
///
/// The readiness stays recorded until it is cleared. After an operation that
/// returned `WouldBlock`, call [`clear_ready`](ReadyGuard::clear_ready) (or
/// let [`try_io`](ReadyGuard::try_io) do it), otherwise the next wait returns
/// at once. Dropping the guard without clearing keeps the readiness, which is
/// right when the operation succeeded and more may be possible.
///
/// # Examples
///
/// ```
/// use std::io::{self, Read, Write};
/// use std::os::unix::net::UnixStream;
/// use weft_reactor::fd::AsyncFd;
///
/// weft::run(async {
///     let (a, mut b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     let a = AsyncFd::new(a)?;
///     b.write_all(b"data")?;
///     let guard = a.readable().await?;
///     let mut buf = [0; 16];
///     assert_eq!(guard.get_inner().read(&mut buf)?, 4);
///     // Drained: the next read would block, so clear the readiness.
///     let e = guard.get_inner().read(&mut buf).unwrap_err();
///     assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
///     guard.clear_ready();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ReadyGuard<'a, T: AsFd> {
    fd: &'a AsyncFd<T>,
    ready: Ready,
    dir: Direction,
}

impl<'a, T: AsFd> ReadyGuard<'a, T> {
    /// The readiness that was observed (only the bits of this direction).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     drop(b);
    ///     let guard = a.readable().await?;
    ///     assert!(guard.ready().is_read_closed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// The direction this guard is for.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::{fd::AsyncFd, Direction};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     assert_eq!(a.writable().await?.direction(), Direction::Write);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn direction(&self) -> Direction {
        self.dir
    }

    /// The [`AsyncFd`] this guard belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     let guard = a.writable().await?;
    ///     assert!(std::ptr::eq(guard.get_ref(), &a));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }

    /// The value wrapped by the [`AsyncFd`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     let guard = a.writable().await?;
    ///     guard.get_inner().write_all(b"ok")?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_inner(&self) -> &'a T {
        self.fd.get_ref()
    }

    /// Clears the observed readiness: the next wait in this direction waits
    /// for a new event from the OS. Call it after an operation returned
    /// `WouldBlock`.
    ///
    /// A readiness event that arrived after this guard was taken is kept, so
    /// no wake-up is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::unix::net::UnixStream;
    /// use std::task::Poll;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     a.writable().await?.clear_ready();
    ///     // Nothing new from the OS yet: polling again is pending.
    ///     poll_fn(|cx| {
    ///         assert!(a.poll_write_ready(cx).is_pending());
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn clear_ready(self) {
        self.fd.inner.clear_ready(self.ready);
    }

    /// Runs the non-blocking operation `f` on the wrapped value. If it fails
    /// with `WouldBlock`, clears the readiness and returns `None` (wait
    /// again); otherwise returns its result.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     b.write_all(b"1")?;
    ///     let mut buf = [0; 8];
    ///     let mut guard = a.readable().await?;
    ///     assert_eq!(guard.try_io(|s| (&*s).read(&mut buf)).transpose()?, Some(1));
    ///     assert!(guard.try_io(|s| (&*s).read(&mut buf)).is_none()); // drained
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_io<R>(&mut self, f: impl FnOnce(&T) -> io::Result<R>) -> Option<io::Result<R>> {
        match f(self.fd.get_ref()) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.fd.inner.clear_ready(self.ready);
                None
            }
            result => Some(result),
        }
    }

    /// Asks the OS (`poll(2)` with a zero timeout) whether the descriptor is
    /// still ready in this direction. If it is, the readiness is kept and
    /// this returns `true`; if not, the readiness is cleared (as by
    /// [`clear_ready`](ReadyGuard::clear_ready)) and this returns `false`.
    ///
    /// This turns the edge-triggered reactor into asyncio's level-triggered
    /// `add_reader`/`add_writer`: a watcher runs its callback, then rechecks;
    /// while the fd stays ready, the next poll is ready at once and the
    /// callback runs again (yield to the loop in between).
    ///
    /// # Errors
    ///
    /// The error of `poll(2)`, in which case nothing is cleared.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use weft_reactor::fd::AsyncFd;
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = AsyncFd::new(a)?;
    ///     b.write_all(b"ab")?;
    ///     // A level-triggered reader callback that reads one byte per call.
    ///     let mut seen = Vec::new();
    ///     loop {
    ///         let guard = a.readable().await?;
    ///         let mut byte = [0; 1];
    ///         if let Ok(1) = guard.get_inner().read(&mut byte) {
    ///             seen.push(byte[0]);
    ///         }
    ///         if !guard.recheck()? {
    ///             break; // nothing left; a real watcher would wait again
    ///         }
    ///         weft::yield_now().await;
    ///     }
    ///     assert_eq!(seen, b"ab");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recheck(self) -> io::Result<bool> {
        let wanted = match self.dir {
            Direction::Read => PollFlags::IN,
            Direction::Write => PollFlags::OUT,
        };
        let fd = self.fd.get_ref().as_fd();
        let mut fds = [PollFd::from_borrowed_fd(fd, wanted)];
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            match rustix::event::poll(&mut fds, Some(&zero)) {
                Ok(_) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(errno) => return Err(errno.into()),
            }
        }
        // Hang-ups and errors count as ready: the next operation reports them.
        let still = !(fds[0].revents() & (wanted | PollFlags::HUP | PollFlags::ERR)).is_empty();
        if !still {
            self.fd.inner.clear_ready(self.ready);
        }
        Ok(still)
    }
}

impl<T: AsFd> fmt::Debug for ReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyGuard")
            .field("direction", &self.dir)
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}
