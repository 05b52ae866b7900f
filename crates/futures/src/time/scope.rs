//! [`timeout_scope`] and [`TimeoutScope`]: asyncio's `async with asyncio.timeout(..) as cm`,
//! whose deadline can be read ([`when`](TimeoutScope::when)) and moved
//! ([`reschedule`](TimeoutScope::reschedule)) while the body runs.
//!
//! Every [`Timeout`] keeps its deadline in one shared cell; a [`TimeoutScope`] is a
//! handle on that cell. The [`Timeout`] re-arms its timer whenever the deadline moved:
//! after each poll of its body (so a body that reschedules needs no wake-up), or when
//! woken by a `reschedule` made from elsewhere.

use std::cell::RefCell;
use std::fmt;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use super::Timeout;
use crate::{rt, InvalidStateError};

/// Runs the future made by `body` for at most `duration`, handing the body a
/// [`TimeoutScope`] through which it can read and move its own deadline: asyncio's
/// `async with asyncio.timeout(delay) as cm:`.
///
/// `duration` is a [`Duration`] or `None` (no deadline, asyncio's `timeout(None)`; a
/// deadline can still be set later with [`reschedule`](TimeoutScope::reschedule)).
/// The result is `Ok(output)` if the body finishes first, else `Err(TimeoutError)`,
/// the body being dropped at the deadline. Everything [`wait_for`](crate::wait_for)
/// says holds: the body is polled before the deadline is checked, so a body that
/// completes in the same loop turn as its deadline passes wins.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let h = weft::Handle::current();
///     let start = h.time();
///     let r = weft::timeout_scope(Duration::from_secs(10), |scope| async move {
///         assert_eq!(scope.when(), Some(start + Duration::from_secs(10)));
///         // Give the rest of the work 5 s, counted from now.
///         scope.reschedule(h.time() + Duration::from_secs(5)).unwrap();
///         weft::sleep(Duration::from_secs(60)).await;
///     })
///     .await;
///     assert_eq!(r, Err(weft::TimeoutError));
///     assert_eq!(weft::Handle::current().time() - start, Duration::from_secs(5));
/// });
/// ```
pub fn timeout_scope<B, Fut>(
    duration: impl Into<Option<Duration>>,
    body: B,
) -> Timeout<Fut::IntoFuture>
where
    B: FnOnce(TimeoutScope) -> Fut,
    Fut: IntoFuture,
{
    let deadline = match duration.into() {
        Some(d) => Deadline::after(d),
        None => Deadline::Never,
    };
    Timeout::scoped(TimeoutScope::new(deadline), body)
}

/// Like [`timeout_scope`], with an absolute deadline of the loop clock or `None`
/// (asyncio's `async with asyncio.timeout_at(when) as cm:`).
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let at = weft::Handle::current().time() + Duration::from_secs(1);
///     let r = weft::timeout_scope_at(at, |scope| async move {
///         assert_eq!(scope.when(), Some(at));
///         weft::sleep(Duration::from_secs(2)).await;
///     })
///     .await;
///     assert!(r.is_err());
///     assert_eq!(weft::Handle::current().time(), at);
/// });
/// ```
pub fn timeout_scope_at<B, Fut>(
    deadline: impl Into<Option<Instant>>,
    body: B,
) -> Timeout<Fut::IntoFuture>
where
    B: FnOnce(TimeoutScope) -> Fut,
    Fut: IntoFuture,
{
    Timeout::scoped(TimeoutScope::new(Deadline::from(deadline.into())), body)
}

/// A handle on the deadline of a [`Timeout`] (asyncio's `asyncio.Timeout`, the `cm` of
/// `async with asyncio.timeout(..) as cm`).
///
/// [`timeout_scope`] passes one to the body; [`Timeout::scope`] gives one for any
/// [`Timeout`]. Handles are cheap to clone, `Send + Sync`, and stay usable after the
/// `Timeout` is gone: [`expired`](TimeoutScope::expired) and
/// [`when`](TimeoutScope::when) can be asked after the fact.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let mut handle = None;
///     let r = weft::timeout_scope(Duration::from_millis(10), |scope| {
///         handle = Some(scope.clone());
///         async move { weft::sleep(Duration::from_secs(10)).await }
///     })
///     .await;
///     assert_eq!(r, Err(weft::TimeoutError));
///     assert!(handle.unwrap().expired());
/// });
/// ```
#[derive(Clone)]
pub struct TimeoutScope {
    shared: Arc<Mutex<State>>,
}

/// A deadline as stored in the shared cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deadline {
    /// An instant of the loop clock.
    At(Instant),
    /// Made outside a loop: the deadline is this long after the first poll.
    After(Duration),
    /// No deadline.
    Never,
}

impl Deadline {
    /// `duration` from now on the current loop's clock; learnt at the first poll when
    /// made outside a loop. A deadline beyond what `Instant` can hold is no deadline.
    pub(super) fn after(duration: Duration) -> Deadline {
        match loop_now() {
            Some(now) => now.checked_add(duration).into(),
            None => Deadline::After(duration),
        }
    }

    pub(super) fn instant(self) -> Option<Instant> {
        match self {
            Deadline::At(t) => Some(t),
            _ => None,
        }
    }
}

impl From<Option<Instant>> for Deadline {
    fn from(t: Option<Instant>) -> Deadline {
        t.map_or(Deadline::Never, Deadline::At)
    }
}

/// The current loop's time, or `None` outside a loop.
pub(super) fn loop_now() -> Option<Instant> {
    rt::with_timers(|t| t.map(|t| t.clock().now()))
}

/// The shared cell. Never locked while the body is polled or dropped, so the body may
/// use its handle freely (also from its `Drop`).
#[derive(Debug)]
pub(super) struct State {
    pub(super) deadline: Deadline,
    /// Bumped on every change of `deadline`; the `Timeout` re-arms when it differs from
    /// the generation it armed.
    pub(super) generation: u64,
    /// The deadline passed while the body ran.
    pub(super) expired: bool,
    /// The `Timeout` completed or was dropped: the deadline can no longer move.
    pub(super) finished: bool,
    /// The `Timeout` is polling its body and will look at the deadline right after:
    /// a reschedule made meanwhile needs no wake-up.
    pub(super) polling: bool,
    /// Wakes the task of the `Timeout` when a reschedule comes from outside its poll.
    pub(super) waker: Option<Waker>,
}

impl TimeoutScope {
    pub(super) fn new(deadline: Deadline) -> TimeoutScope {
        TimeoutScope {
            shared: Arc::new(Mutex::new(State {
                deadline,
                generation: 1,
                expired: false,
                finished: false,
                polling: false,
                waker: None,
            })),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; recover anyway rather than cascade.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current deadline (asyncio's `cm.when()`): `None` if there is none. A scope
    /// made outside a loop with a relative duration learns its instant when first
    /// polled, and reports `None` until then.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let now = weft::Handle::current().time();
    ///     weft::timeout_scope(Duration::from_secs(3), |scope| async move {
    ///         assert_eq!(scope.when(), Some(now + Duration::from_secs(3)));
    ///     })
    ///     .await
    ///     .unwrap();
    ///     weft::timeout_scope(None, |scope| async move {
    ///         assert_eq!(scope.when(), None);
    ///     })
    ///     .await
    ///     .unwrap();
    /// });
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.lock().deadline.instant()
    }

    /// Moves the deadline to `when`, an instant of the loop clock, or removes it with
    /// `None` (asyncio's `cm.reschedule(when)`). Works from the body, from another task
    /// or from another thread.
    ///
    /// A later instant extends the scope, an earlier one shortens it. An instant that
    /// has already passed makes the scope expire at its next chance: called from the
    /// body, at the body's next suspension point (the body is not resumed again);
    /// called from elsewhere, at the `Timeout`'s next poll, which still polls the body
    /// first.
    ///
    /// # Errors
    /// [`InvalidStateError`] if the scope has expired or is finished (its `Timeout`
    /// completed or was dropped), as asyncio raises `RuntimeError`.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let h = weft::Handle::current();
    ///     let start = h.time();
    ///     let r = weft::timeout_scope(Duration::from_secs(1), |scope| async move {
    ///         scope.reschedule(start + Duration::from_secs(3)).unwrap(); // later
    ///         weft::sleep(Duration::from_secs(2)).await;
    ///         scope.reschedule(None).unwrap(); // no deadline at all
    ///         weft::sleep(Duration::from_secs(60)).await;
    ///         scope
    ///     })
    ///     .await;
    ///     let scope = r.unwrap();
    ///     assert_eq!(h.time() - start, Duration::from_secs(62));
    ///     assert!(scope.reschedule(None).is_err(), "finished");
    /// });
    /// ```
    pub fn reschedule(&self, when: impl Into<Option<Instant>>) -> Result<(), InvalidStateError> {
        let new = Deadline::from(when.into());
        let waker = {
            let mut st = self.lock();
            if st.expired {
                return Err(InvalidStateError::new("timeout has expired"));
            }
            if st.finished {
                return Err(InvalidStateError::new("timeout has finished"));
            }
            if st.deadline == new {
                return Ok(());
            }
            st.deadline = new;
            st.generation += 1;
            if st.polling {
                None
            } else {
                st.waker.take()
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Whether this scope's deadline passed while its body ran (asyncio's
    /// `cm.expired()`). Nested scopes are independent: when an outer scope expires and
    /// drops an inner one whose deadline had not passed, only the outer reports
    /// `true`.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let (mut outer, mut inner) = (None, None);
    ///     let r = weft::timeout_scope(Duration::from_secs(1), |o| {
    ///         outer = Some(o);
    ///         weft::timeout_scope(Duration::from_secs(2), |i| {
    ///             inner = Some(i);
    ///             weft::sleep(Duration::from_secs(10))
    ///         })
    ///     })
    ///     .await;
    ///     assert_eq!(r, Err(weft::TimeoutError));
    ///     assert!(outer.unwrap().expired());
    ///     assert!(!inner.unwrap().expired());
    /// });
    /// ```
    pub fn expired(&self) -> bool {
        self.lock().expired
    }
}

impl fmt::Debug for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        let state = if st.expired {
            "expired"
        } else if st.finished {
            "finished"
        } else {
            "active"
        };
        f.debug_struct("TimeoutScope")
            .field("state", &state)
            .field("when", &st.deadline.instant())
            .finish()
    }
}

thread_local! {
    /// The scopes whose bodies are being polled on this thread, outermost first.
    static ACTIVE: RefCell<Vec<TimeoutScope>> = const { RefCell::new(Vec::new()) };
}

/// Marks a scope as enclosing what is polled until dropped (also on unwind).
pub(super) struct ActiveGuard(());

impl ActiveGuard {
    pub(super) fn enter(scope: &TimeoutScope) -> ActiveGuard {
        ACTIVE.with(|a| a.borrow_mut().push(scope.clone()));
        ActiveGuard(())
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        // Release the handle outside of the borrow.
        let _popped = ACTIVE.with(|a| a.borrow_mut().pop());
    }
}

/// Whether a scope enclosing the current poll has a deadline at or before `deadline`
/// (which has passed): that scope reports the timeout, as asyncio lets the outermost
/// of several expired scopes raise `TimeoutError`.
pub(super) fn enclosing_expires_first(deadline: Option<Instant>) -> bool {
    let Some(deadline) = deadline else {
        return false;
    };
    ACTIVE.with(|a| {
        a.borrow().iter().any(|s| {
            let st = s.lock();
            !st.finished && matches!(st.deadline, Deadline::At(t) if t <= deadline)
        })
    })
}
