//! [`Reactor`], its [`Handle`], the [`Unparker`] and the thread's current
//! reactor context ([`Reactor::enter`]).

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem;
use std::sync::atomic::Ordering::{AcqRel, Release};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::Duration;

use mio::Registry;
use slab::Slab;

use crate::state::SourceState;
use crate::sys::{self, Selector};
use crate::token::{self, UNPARK};

/// The I/O driver of one event loop.
///
/// A `Reactor` owns the OS selector. The loop thread calls
/// [`turn`](Reactor::turn) once per iteration; each turn waits for readiness
/// and wakes the tasks waiting on the ready sources. I/O sources are
/// registered through a [`Handle`] (any thread) and woken from other threads
/// through an [`Unparker`].
///
/// Dropping the reactor wakes every task still waiting on one of its
/// registrations; their next `poll_ready` returns an error.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weft_reactor::Reactor;
///
/// let mut reactor = Reactor::new()?;
/// assert_eq!(reactor.sources(), 0);
/// assert_eq!(reactor.turn(Some(Duration::ZERO))?, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Reactor {
    selector: Selector,
    inner: Arc<Inner>,
    unparker: Unparker,
    /// Wakers collected while the slab is locked, woken after it is released.
    /// Kept across turns so dispatching does not allocate.
    wake_buf: Vec<Waker>,
}

/// State shared by the reactor and every [`Handle`].
pub(crate) struct Inner {
    pub(crate) registry: Registry,
    sources: Mutex<Sources>,
    /// `sources.slab.len()`, mirrored (written under the lock) so that the loop can
    /// ask "anything registered?" every turn without locking.
    pub(crate) live: AtomicUsize,
}

/// The registration table.
pub(crate) struct Sources {
    pub(crate) slab: Slab<Arc<SourceState>>,
    /// Generation given to the next registration.
    pub(crate) next_generation: usize,
    /// Set once the reactor is dropped; no new registrations are accepted.
    pub(crate) shutdown: bool,
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Sources> {
        // The table is never left inconsistent by a panic: every critical
        // section is a handful of slab operations that do not call user code.
        self.sources.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Reactor {
    /// Opens a new selector (epoll, kqueue, ...) with its unpark waker.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses to create the selector or the waker, typically
    /// because the process ran out of file descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = weft_reactor::Reactor::new()?;
    /// # drop(reactor);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Reactor> {
        let selector = Selector::new()?;
        let registry = selector.registry()?;
        let waker = selector.waker(UNPARK)?;
        Ok(Reactor {
            selector,
            inner: Arc::new(Inner {
                registry,
                sources: Mutex::new(Sources {
                    slab: Slab::new(),
                    next_generation: 0,
                    shutdown: false,
                }),
                live: AtomicUsize::new(0),
            }),
            unparker: Unparker {
                inner: Arc::new(UnparkInner {
                    waker,
                    notified: AtomicBool::new(false),
                }),
            },
            wake_buf: Vec::new(),
        })
    }

    /// A handle for registering I/O sources with this reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// assert_eq!(reactor.sources(), 1);
    /// # drop(reg);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn handle(&self) -> Handle {
        Handle {
            inner: self.inner.clone(),
        }
    }

    /// A handle that wakes this reactor out of a blocking [`turn`](Reactor::turn)
    /// from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut reactor = weft_reactor::Reactor::new()?;
    /// let unparker = reactor.unparker();
    /// std::thread::spawn(move || unparker.unpark()).join().unwrap();
    /// reactor.turn(None)?; // returns: the unpark is pending
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unparker(&self) -> Unparker {
        self.unparker.clone()
    }

    /// Waits up to `timeout` for I/O readiness and wakes the tasks waiting on
    /// the sources that became ready.
    ///
    /// `None` blocks until an event or an [`Unparker::unpark`]; `Some(ZERO)`
    /// only polls. Returns the number of I/O events dispatched to live
    /// registrations: unparks and stale events (for a registration that has
    /// since been dropped) are not counted. An interrupted wait (`EINTR`) is a
    /// turn with zero events.
    ///
    /// Wakers are called after the registration table is unlocked, so they
    /// may freely register or drop sources.
    ///
    /// # Errors
    ///
    /// Any error of the underlying `epoll_wait`/`kevent` other than `EINTR`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::time::Duration;
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, mut b) = mio::net::UnixStream::pair()?;
    /// let _reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// assert_eq!(reactor.turn(Some(Duration::ZERO))?, 0);
    /// b.write_all(b"hello")?;
    /// assert_eq!(reactor.turn(Some(Duration::ZERO))?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let events = self.selector.select(timeout)?;
        // Unparks that raced with this wait: their wake-ups are either in
        // `events` or still pending in the kernel, and whatever they published
        // before unparking is visible once this swap (acquire) is done.
        self.unparker.inner.notified.swap(false, AcqRel);

        let mut dispatched = 0;
        if !events.is_empty() {
            let sources = self.inner.lock();
            for event in events.iter() {
                let Some((key, generation)) = token::decode(event.token()) else {
                    // The unpark waker: its only job was to end the wait.
                    continue;
                };
                match sources.slab.get(key) {
                    Some(state) if state.generation() == generation => {
                        state.dispatch(sys::readiness(event), &mut self.wake_buf);
                        dispatched += 1;
                    }
                    _ => {
                        tracing::trace!(key, generation, "ignoring event for a stale registration")
                    }
                }
            }
        }
        for waker in self.wake_buf.drain(..) {
            waker.wake();
        }
        Ok(dispatched)
    }

    /// The number of live registrations (the internal unpark waker is not
    /// counted). When it is zero a zero-timeout turn can be skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// assert_eq!(reactor.sources(), 1);
    /// reg.deregister(&mut a)?;
    /// assert_eq!(reactor.sources(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn sources(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// Makes this reactor's [`Handle`] the current one of this thread until
    /// the returned guard is dropped; [`Handle::current`] and
    /// [`Registration::new`](crate::Registration::new) then use it.
    ///
    /// Guards nest: dropping one restores whatever was current before it was
    /// created. Drop them in reverse order of creation.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::{Handle, Reactor};
    ///
    /// let reactor = Reactor::new()?;
    /// assert!(Handle::try_current().is_none());
    /// {
    ///     let _guard = reactor.enter();
    ///     let _handle = Handle::current();
    /// }
    /// assert!(Handle::try_current().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard {
        let previous = CURRENT.with(|current| current.replace(Some(self.handle())));
        EnterGuard {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        let mut wakers = mem::take(&mut self.wake_buf);
        {
            let mut sources = self.inner.lock();
            sources.shutdown = true;
            for (_, state) in sources.slab.iter() {
                state.shutdown(&mut wakers);
            }
        }
        for waker in wakers {
            waker.wake();
        }
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("sources", &self.sources())
            .finish_non_exhaustive()
    }
}

/// A cheap, cloneable, thread-safe reference to a [`Reactor`], used to
/// register I/O sources with it.
///
/// A handle keeps the registration table alive but not the reactor: once the
/// reactor is dropped, new registrations fail and existing ones report an
/// error.
///
/// # Examples
///
/// ```
/// use weft_reactor::{Interest, Reactor, Registration};
///
/// let reactor = Reactor::new()?;
/// let handle = reactor.handle();
/// let (mut a, _b) = mio::net::UnixStream::pair()?;
/// // Registering from another thread is fine.
/// let reg = std::thread::spawn(move || {
///     Registration::with_handle(&handle, &mut a, Interest::READABLE).map(|reg| (reg, a))
/// })
/// .join()
/// .unwrap()?;
/// assert_eq!(reactor.sources(), 1);
/// # drop(reg);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<Inner>,
}

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

impl Handle {
    /// The handle of the reactor entered on this thread (see
    /// [`Reactor::enter`]).
    ///
    /// # Panics
    ///
    /// Panics if no reactor has been entered on this thread. Use
    /// [`try_current`](Handle::try_current) to test for one.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = weft_reactor::Reactor::new()?;
    /// let _guard = reactor.enter();
    /// let handle = weft_reactor::Handle::current();
    /// # drop(handle);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(handle) => handle,
            None => panic!(
                "no weft reactor is current on this thread: \
                 use this inside a weft event loop or after `Reactor::enter()`"
            ),
        }
    }

    /// The handle of the reactor entered on this thread, or `None` outside of
    /// any reactor context.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weft_reactor::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        CURRENT
            .try_with(|current| current.borrow().clone())
            .ok()
            .flatten()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// Restores the previously current reactor [`Handle`] when dropped.
///
/// Returned by [`Reactor::enter`]. It is tied to the thread it was created on
/// and therefore not `Send`.
///
/// # Examples
///
/// ```
/// use weft_reactor::{Handle, Reactor};
///
/// let outer = Reactor::new()?;
/// let inner = Reactor::new()?;
/// let g1 = outer.enter();
/// let g2 = inner.enter();
/// drop(g2); // `outer` is current again
/// assert!(Handle::try_current().is_some());
/// drop(g1);
/// assert!(Handle::try_current().is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct EnterGuard {
    previous: Option<Handle>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // During thread teardown the slot may already be gone: nothing to restore.
        let _ = CURRENT.try_with(|current| current.replace(previous));
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Wakes a [`Reactor`] blocked in [`turn`](Reactor::turn), from any thread.
///
/// Unparks coalesce: many unparks before the reactor next returns from `turn`
/// cost one wake-up (and at most one system call).
///
/// # Examples
///
/// ```
/// let mut reactor = weft_reactor::Reactor::new()?;
/// let unparker = reactor.unparker();
/// let thread = std::thread::spawn(move || unparker.unpark());
/// reactor.turn(None)?; // returns once the other thread has unparked
/// thread.join().unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Unparker {
    inner: Arc<UnparkInner>,
}

struct UnparkInner {
    waker: mio::Waker,
    /// An unpark is pending: set by `unpark`, cleared by `turn`.
    notified: AtomicBool,
}

impl Unparker {
    /// Makes the current or next [`turn`](Reactor::turn) of the reactor
    /// return promptly. Errors from the OS are logged and otherwise ignored.
    ///
    /// Everything the calling thread did before `unpark` is visible to the
    /// reactor's thread once that `turn` has returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut reactor = weft_reactor::Reactor::new()?;
    /// reactor.unparker().unpark();
    /// assert_eq!(reactor.turn(None)?, 0); // the unpark itself is not counted
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unpark(&self) {
        if self.inner.notified.swap(true, AcqRel) {
            // A wake-up is already on its way to the reactor.
            return;
        }
        if let Err(error) = self.inner.waker.wake() {
            self.inner.notified.store(false, Release);
            tracing::warn!(%error, "failed to unpark the weft reactor");
        }
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker").finish_non_exhaustive()
    }
}
