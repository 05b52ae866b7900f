//! Cooperative budget: an always-ready future cannot starve the loop.
//!
//! The executor gives each task poll a budget ([`with_budget`]). weft's leaf futures
//! (promises, timers, task handles, sync primitives) spend one unit each time they
//! complete; once the budget is spent they return `Pending` after waking their task,
//! so a task that loops over ready futures still yields to the loop every
//! [`BUDGET`] completions. Outside a budgeted poll nothing is limited.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Completions one task poll may make before it is forced to yield.
pub const BUDGET: u16 = 128;

thread_local! {
    static REMAINING: Cell<Option<u16>> = const { Cell::new(None) };
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous one after.
///
/// ```
/// use weft_futures::coop;
/// let spent = coop::with_budget(|| coop::has_budget());
/// assert!(spent);
/// ```
pub fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u16>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|r| r.replace(Some(BUDGET))));
    f()
}

/// Whether the current poll may still make progress.
///
/// ```
/// assert!(weft_futures::coop::has_budget()); // unlimited outside a budgeted poll
/// ```
pub fn has_budget() -> bool {
    REMAINING.with(|r| r.get() != Some(0))
}

/// Proof that budget was reserved; spend it with [`made_progress`](Progress::made_progress).
/// Dropping it without progress gives the unit back.
#[must_use]
#[derive(Debug)]
pub struct Progress {
    reserved: bool,
}

impl Progress {
    /// Keeps the reserved unit spent.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let mut cx = Context::from_waker(Waker::noop());
    /// if let Poll::Ready(p) = weft_futures::coop::poll_proceed(&mut cx) {
    ///     p.made_progress();
    /// }
    /// ```
    #[inline]
    pub fn made_progress(mut self) {
        self.reserved = false;
    }
}

impl Drop for Progress {
    #[inline]
    fn drop(&mut self) {
        if self.reserved {
            REMAINING.with(|r| {
                if let Some(n) = r.get() {
                    r.set(Some(n + 1));
                }
            });
        }
    }
}

/// Reserves one unit of budget, or wakes the task and returns `Pending` if none is left.
///
/// ```
/// use std::task::{Context, Waker};
/// let mut cx = Context::from_waker(Waker::noop());
/// let exhausted = weft_futures::coop::with_budget(|| {
///     (0..1000).any(|_| match weft_futures::coop::poll_proceed(&mut cx) {
///         std::task::Poll::Ready(p) => { p.made_progress(); false }
///         std::task::Poll::Pending => true,
///     })
/// });
/// assert!(exhausted);
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<Progress> {
    REMAINING.with(|r| match r.get() {
        None => Poll::Ready(Progress { reserved: false }),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            r.set(Some(n - 1));
            Poll::Ready(Progress { reserved: true })
        }
    })
}
