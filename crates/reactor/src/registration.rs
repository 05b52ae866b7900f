//! [`Registration`]: an I/O source registered with a reactor.

use std::fmt;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;

use crate::reactor::Handle;
use crate::ready::{Direction, Ready};
use crate::state::{shutdown_error, SourceState};
use crate::token::{self, MAX_SOURCES};

/// The readiness state of one I/O source registered with a
/// [`Reactor`](crate::Reactor).
///
/// Registration is edge-triggered: the reactor records readiness as it is
/// reported by the OS and the bits stay set until
/// [`clear_ready`](Registration::clear_ready) clears them, which the owner
/// does after an I/O call returned [`WouldBlock`](io::ErrorKind::WouldBlock).
/// [`poll_io`](Registration::poll_io) wraps that protocol.
///
/// A `Registration` is `Send` and `Sync`: it may be moved to, used from and
/// dropped on any thread. Each [`Direction`] has its own waker slot.
///
/// # Dropping
///
/// Dropping a registration frees its slot in the reactor, after which events
/// for it are ignored, but it cannot deregister the source from the OS
/// selector since it does not own the source. That is harmless when the
/// source (its file descriptor) is closed right after, the usual case; call
/// [`deregister`](Registration::deregister) to keep using the source
/// elsewhere.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::task::{Context, Poll};
/// use std::time::Duration;
/// use weft_reactor::{Direction, Interest, Reactor, Registration};
/// # use std::sync::Arc;
/// # use std::task::{Wake, Waker};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// # let waker = Waker::from(Arc::new(Noop));
/// # let mut cx = Context::from_waker(&waker);
///
/// let mut reactor = Reactor::new()?;
/// let _guard = reactor.enter();
/// let (mut a, mut b) = mio::net::UnixStream::pair()?;
/// let reg = Registration::new(&mut a, Interest::READABLE)?;
///
/// let mut buf = [0; 16];
/// // Nothing to read yet: the waker is stored.
/// assert!(reg.poll_io(&mut cx, Direction::Read, || a.read(&mut buf)).is_pending());
/// b.write_all(b"hi")?;
/// reactor.turn(Some(Duration::ZERO))?; // wakes the waker
/// let Poll::Ready(n) = reg.poll_io(&mut cx, Direction::Read, || a.read(&mut buf)) else {
///     panic!("readable");
/// };
/// assert_eq!(&buf[..n?], b"hi");
/// reg.deregister(&mut a)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[repr(C)]
pub struct Registration {
    /// First (`repr(C)`): the one field every I/O call reads (see `net::io::Evented`).
    state: Arc<SourceState>,
    handle: Handle,
    key: usize,
}

impl Registration {
    /// Registers `source` for `interest` with the current reactor (see
    /// [`Reactor::enter`](crate::Reactor::enter)).
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses the registration (for example, the source is
    /// already registered), if the reactor has shut down or if it already has
    /// 2<sup>24</sup> registrations.
    ///
    /// # Panics
    ///
    /// Panics outside of a reactor context, like [`Handle::current`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let _guard = reactor.enter();
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::new(&mut a, Interest::READABLE | Interest::WRITABLE)?;
    /// # drop(reg);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn new<S: Source + ?Sized>(source: &mut S, interest: Interest) -> io::Result<Registration> {
        Registration::with_handle(&Handle::current(), source, interest)
    }

    /// Registers `source` for `interest` with the reactor of `handle`.
    ///
    /// # Errors
    ///
    /// As [`new`](Registration::new).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// # drop(reg);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_handle<S: Source + ?Sized>(
        handle: &Handle,
        source: &mut S,
        interest: Interest,
    ) -> io::Result<Registration> {
        let (key, state) = {
            let mut guard = handle.inner.lock();
            let sources = &mut *guard;
            if sources.shutdown {
                return Err(shutdown_error());
            }
            let entry = sources.slab.vacant_entry();
            let key = entry.key();
            if key >= MAX_SOURCES {
                return Err(io::Error::other(
                    "too many I/O sources registered with one weft reactor",
                ));
            }
            let generation = sources.next_generation;
            sources.next_generation = token::next_generation(generation);
            let state = Arc::new(SourceState::new(generation));
            entry.insert(state.clone());
            handle
                .inner
                .live
                .store(sources.slab.len(), Ordering::Release);
            (key, state)
        };
        let token = token::encode(key, state.generation());
        let registration = Registration {
            handle: handle.clone(),
            state,
            key,
        };
        // On failure dropping `registration` frees the slot again.
        handle.inner.registry.register(source, token, interest)?;
        Ok(registration)
    }

    /// Polls for readiness in `dir`.
    ///
    /// Returns the readiness if any is recorded; otherwise stores the
    /// context's waker in the slot of `dir` (replacing the previous one) and
    /// returns `Pending`. Readiness comprises the direction's own bit, the
    /// matching closed bit and the error bit.
    ///
    /// # Errors
    ///
    /// Returns an error once the reactor has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE | Interest::WRITABLE)?;
    /// reactor.turn(Some(Duration::ZERO))?;
    /// assert!(reg.poll_ready(&mut cx, Direction::Write).is_ready());
    /// assert!(reg.poll_ready(&mut cx, Direction::Read).is_pending());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<Ready>> {
        self.state.poll_ready(cx, dir)
    }

    /// The readiness in `dir` if there is some, without storing a waker: a task
    /// waiting in `dir` stays the one that is woken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE | Interest::WRITABLE)?;
    /// assert!(reg.peek_ready(Direction::Write).is_none()); // no event yet
    /// reactor.turn(Some(Duration::ZERO))?;
    /// assert!(reg.peek_ready(Direction::Write).is_some());
    /// assert!(reg.peek_ready(Direction::Read).is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn peek_ready(&self, dir: Direction) -> Option<io::Result<Ready>> {
        self.state.ready(dir)
    }

    /// Clears the readiness observed in `ready`, typically after an I/O call
    /// returned `WouldBlock`.
    ///
    /// Nothing is cleared if an event arrived after `ready` was taken, so that
    /// event's readiness is not lost. Read-closed and write-closed are final
    /// and never cleared.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::WRITABLE)?;
    /// reactor.turn(Some(Duration::ZERO))?;
    /// let Poll::Ready(ready) = reg.poll_ready(&mut cx, Direction::Write) else { panic!() };
    /// reg.clear_ready(ready?);
    /// assert!(reg.poll_ready(&mut cx, Direction::Write).is_pending());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn clear_ready(&self, ready: Ready) {
        self.state.clear_ready(ready);
    }

    /// Performs non-blocking I/O with `f` once the source is ready in `dir`.
    ///
    /// If `f` fails with `WouldBlock` the readiness it saw is cleared and the
    /// source polled again, so this returns `Pending` (with the waker stored)
    /// only once the OS has nothing more for us. Any other result of `f`,
    /// success or error, is returned as is.
    ///
    /// # Errors
    ///
    /// The errors of `f` other than `WouldBlock`, and those of
    /// [`poll_ready`](Registration::poll_ready).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, mut b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// b.write_all(b"abc")?;
    /// reactor.turn(Some(Duration::ZERO))?;
    ///
    /// let mut byte = [0; 1];
    /// let mut got = Vec::new();
    /// while let Poll::Ready(n) = reg.poll_io(&mut cx, Direction::Read, || a.read(&mut byte)) {
    ///     got.extend_from_slice(&byte[..n?]);
    /// }
    /// assert_eq!(got, b"abc"); // drained; now waiting for the next edge
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let ready = match self.poll_ready(cx, dir) {
                Poll::Ready(Ok(ready)) => ready,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            match f() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.clear_ready(ready),
                result => return Poll::Ready(result),
            }
        }
    }

    /// Deregisters `source` from the OS selector and frees the slot.
    ///
    /// `source` must be the source this registration was created for. The
    /// slot is freed even if the OS reports an error.
    ///
    /// # Errors
    ///
    /// The error of the OS deregistration, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// reg.deregister(&mut a)?;
    /// // `a` can now be registered again, here or with another reactor.
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// # drop(reg);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn deregister<S: Source + ?Sized>(self, source: &mut S) -> io::Result<()> {
        let result = self.handle.inner.registry.deregister(source);
        drop(self);
        result
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let removed = {
            let mut sources = self.handle.inner.lock();
            match sources.slab.get(self.key) {
                Some(state) if Arc::ptr_eq(state, &self.state) => {
                    let removed = sources.slab.try_remove(self.key);
                    self.handle
                        .inner
                        .live
                        .store(sources.slab.len(), Ordering::Release);
                    removed
                }
                _ => None,
            }
        };
        drop(removed);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("key", &self.key)
            .field("generation", &self.state.generation())
            .finish_non_exhaustive()
    }
}
