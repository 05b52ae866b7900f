//! [`wait_for`] / [`timeout`]: bound a future by a deadline.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::scope::{enclosing_expires_first, loop_now, ActiveGuard, Deadline};
use super::{sleep, sleep_until, Sleep, TimeoutScope};
use crate::{InvalidStateError, TimeoutError};

/// Runs `fut` for at most `duration` (asyncio's `wait_for`): `Ok(output)` if it finishes
/// first, else `Err(TimeoutError)`, and the inner future is dropped at that moment.
///
/// The inner future is polled before the deadline is checked, so a future that is
/// already complete wins even with a zero timeout.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let quick = async { 7 };
///     assert_eq!(weft::wait_for(Duration::ZERO, quick).await, Ok(7));
///     let slow = weft::sleep(Duration::from_secs(3));
///     assert!(weft::wait_for(Duration::from_secs(2), slow).await.is_err());
/// });
/// ```
pub fn wait_for<F: IntoFuture>(duration: Duration, fut: F) -> Timeout<F::IntoFuture> {
    Timeout::new(
        fut.into_future(),
        TimeoutScope::new(Deadline::after(duration)),
    )
}

/// The same operation as [`wait_for`], under asyncio's other name (`asyncio.timeout`).
/// For a body that reads or moves its own deadline, see
/// [`timeout_scope`](crate::timeout_scope).
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let r = weft::timeout(Duration::from_millis(10), weft::sleep(Duration::from_secs(1))).await;
///     assert_eq!(r, Err(weft::TimeoutError));
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, fut: F) -> Timeout<F::IntoFuture> {
    wait_for(duration, fut)
}

/// Like [`wait_for`], with an absolute deadline of the loop clock.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let at = weft::Handle::current().time() + Duration::from_secs(1);
///     assert!(weft::timeout_at(at, std::future::pending::<()>()).await.is_err());
///     assert_eq!(weft::Handle::current().time(), at);
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, fut: F) -> Timeout<F::IntoFuture> {
    Timeout::new(fut.into_future(), TimeoutScope::new(Deadline::At(deadline)))
}

pin_project! {
    /// The future returned by [`wait_for`], [`timeout`], [`timeout_at`],
    /// [`timeout_scope`](crate::timeout_scope) and
    /// [`timeout_scope_at`](crate::timeout_scope_at).
    ///
    /// Its deadline lives in a [`TimeoutScope`] ([`scope`](Timeout::scope)): it can be
    /// read with [`when`](Timeout::when) and moved with [`reschedule`](Timeout::reschedule),
    /// before or while the future runs.
    ///
    /// On each poll the inner future is polled first; only if it is still pending is
    /// the deadline checked. So an inner future that completes in the same loop turn
    /// as the deadline passes wins (asyncio: the body leaves its `async with` before
    /// the timeout callback runs). When the deadline wins, the inner future is dropped
    /// and the result is `Err(TimeoutError)`.
    ///
    /// Nested timeouts are polled outer first, inner inside. When the deadlines of
    /// several of them have passed by the time they are polled, the one with the
    /// earliest deadline reports `Err` (the outermost of those on a tie, as asyncio
    /// raises `TimeoutError` from the outermost scope); the others stay pending until
    /// it drops them.
    ///
    /// `Timeout<F>` is `Send` (`Sync`, `Unpin`) when `F` is.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    /// let t = weft::wait_for(Duration::from_secs(1), async { 1 });
    /// assert!(t.deadline().is_some());
    /// assert_eq!(t.await, Ok(1));
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        inner: Option<F>,
        // `None` while there is no deadline.
        sleep: Option<Sleep>,
        scope: TimeoutScope,
        // The generation of the scope's deadline that `sleep` is armed for.
        armed: u64,
    }

    impl<F> PinnedDrop for Timeout<F> {
        fn drop(this: Pin<&mut Self>) {
            // Before the inner future is dropped: its `Drop` sees a finished scope.
            finish(&this.scope, false);
        }
    }
}

/// Marks the scope finished (and expired if `expired`); the deadline can no longer move.
fn finish(scope: &TimeoutScope, expired: bool) {
    let waker = {
        let mut st = scope.lock();
        st.finished = true;
        st.expired |= expired;
        st.polling = false;
        st.waker.take()
    };
    drop(waker);
}

impl<F> Timeout<F> {
    fn new(inner: F, scope: TimeoutScope) -> Timeout<F> {
        Timeout {
            inner: Some(inner),
            sleep: None,
            scope,
            armed: 0,
        }
    }

    /// Builds the body with its own scope handle.
    pub(super) fn scoped<B, Fut>(scope: TimeoutScope, body: B) -> Timeout<Fut::IntoFuture>
    where
        B: FnOnce(TimeoutScope) -> Fut,
        Fut: IntoFuture<IntoFuture = F>,
    {
        let inner = body(scope.clone()).into_future();
        Timeout::new(inner, scope)
    }

    /// The deadline: the same as [`when`](Timeout::when).
    ///
    /// ```
    /// # weft::EventLoop::new().unwrap().run_until_complete(async {
    /// let t = weft::wait_for(std::time::Duration::from_secs(1), async {});
    /// assert!(t.deadline().unwrap() > weft::Handle::current().time());
    /// # });
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.scope.when()
    }

    /// The current deadline, `None` if there is none (see [`TimeoutScope::when`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let at = weft::Handle::current().time() + Duration::from_secs(2);
    ///     let t = weft::timeout_at(at, async {});
    ///     assert_eq!(t.when(), Some(at));
    ///     assert_eq!(weft::timeout_scope(None, |_| async {}).when(), None);
    /// });
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.scope.when()
    }

    /// Moves the deadline to `when`, or removes it with `None` (see
    /// [`TimeoutScope::reschedule`]). Takes `&self`, so it also works on a pinned
    /// `Timeout`.
    ///
    /// # Errors
    /// [`InvalidStateError`] once the timeout has expired or finished.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let h = weft::Handle::current();
    ///     let start = h.time();
    ///     let t = weft::timeout(Duration::from_secs(10), std::future::pending::<()>());
    ///     t.reschedule(start + Duration::from_secs(1)).unwrap();
    ///     assert_eq!(t.await, Err(weft::TimeoutError));
    ///     assert_eq!(h.time() - start, Duration::from_secs(1));
    /// });
    /// ```
    pub fn reschedule(&self, when: impl Into<Option<Instant>>) -> Result<(), InvalidStateError> {
        self.scope.reschedule(when)
    }

    /// Whether the deadline passed while the inner future ran (see
    /// [`TimeoutScope::expired`]).
    ///
    /// ```
    /// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    /// let t = weft::timeout(std::time::Duration::from_secs(1), async { 1 });
    /// assert!(!t.expired());
    /// # });
    /// ```
    pub fn expired(&self) -> bool {
        self.scope.expired()
    }

    /// A handle on this timeout's deadline, to keep after the `Timeout` is awaited or
    /// to hand to another task.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let h = weft::Handle::current();
    ///     let start = h.time();
    ///     let t = weft::timeout(Duration::from_secs(60), std::future::pending::<()>());
    ///     let scope = t.scope();
    ///     // Another task cuts the deadline short after 1 s.
    ///     weft::spawn(async move {
    ///         weft::sleep(Duration::from_secs(1)).await;
    ///         scope.reschedule(weft::Handle::current().time()).unwrap();
    ///     });
    ///     assert_eq!(t.await, Err(weft::TimeoutError));
    ///     assert_eq!(h.time() - start, Duration::from_secs(1));
    /// });
    /// ```
    pub fn scope(&self) -> TimeoutScope {
        self.scope.clone()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(TimeoutError));
        };

        {
            let mut st = this.scope.lock();
            // A relative deadline made outside a loop starts counting now.
            if let Deadline::After(d) = st.deadline {
                if let Some(now) = loop_now() {
                    st.deadline = now.checked_add(d).into();
                    st.generation += 1;
                }
            }
            st.polling = true;
        }

        let polled = {
            let _active = ActiveGuard::enter(this.scope);
            inner.poll(cx)
        };
        if let Poll::Ready(v) = polled {
            finish(this.scope, false);
            this.inner.set(None);
            return Poll::Ready(Ok(v));
        }

        loop {
            let (generation, deadline, expired) = {
                let mut st = this.scope.lock();
                st.polling = false;
                match &st.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => st.waker = Some(cx.waker().clone()),
                }
                (st.generation, st.deadline, st.expired)
            };
            if !expired {
                if generation != *this.armed {
                    *this.armed = generation;
                    match (deadline, this.sleep.as_mut()) {
                        (Deadline::Never, _) => *this.sleep = None,
                        (Deadline::At(t), Some(s)) => s.reset(t),
                        (Deadline::At(t), None) => *this.sleep = Some(sleep_until(t)),
                        // Outside a loop: this sleep panics with the usual message.
                        (Deadline::After(d), _) => *this.sleep = Some(sleep(d)),
                    }
                }
                let Some(s) = this.sleep.as_mut() else {
                    return Poll::Pending;
                };
                if Pin::new(s).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let mut st = this.scope.lock();
                if st.generation != generation {
                    // Moved meanwhile (from another thread): arm the new deadline.
                    continue;
                }
                st.expired = true;
            }
            if enclosing_expires_first(deadline.instant()) {
                // An enclosing timeout reports this: its deadline has passed as well, so
                // it fires (dropping us) in this poll, or at the latest on its own timer.
                return Poll::Pending;
            }
            finish(this.scope, true);
            this.inner.set(None);
            return Poll::Ready(Err(TimeoutError));
        }
    }
}
