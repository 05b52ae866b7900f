//! [`Sleep`]: a future that completes at a deadline of the loop clock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::clock::{nanos, Nanos};
use super::{Fired, TimerDriver, TimerKey};
use crate::{coop, rt};

const OUTSIDE: &str =
    "weft timers need a running weft event loop (use weft::run or EventLoop::run_until_complete)";

/// Waits until `duration` has passed on the loop clock (asyncio's `sleep`).
///
/// Inside a loop the deadline is fixed at the call, as in asyncio; a `Sleep` made
/// outside a loop starts counting when first polled. For asyncio's `sleep(0)`, which
/// only yields to the loop, use [`yield_now`](crate::yield_now).
///
/// ```
/// use std::time::Duration;
/// let mut lp = weft::EventLoop::new().unwrap().paused();
/// let h = lp.handle();
/// let start = h.time();
/// lp.run_until_complete(weft::sleep(Duration::from_secs(1)));
/// assert_eq!(h.time() - start, Duration::from_secs(1));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let d = nanos(duration);
    let deadline = rt::with_timers(|t| t.map(|t| t.clock().now_nanos().saturating_add(d)));
    Sleep {
        when: match deadline {
            Some(at) => When::In(at),
            None => When::After(d),
        },
        key: None,
    }
}

/// Waits until the loop clock reaches `deadline`.
///
/// A deadline the loop's last timer pass had already reached completes at the first
/// poll. On the real clock, a deadline that passed only since then arms a timer that
/// fires at the next pass, one loop turn later (an armed sleep does not read the clock
/// again); on a paused clock the virtual time decides at once.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let h = weft::Handle::current();
///     let t = h.time() + Duration::from_millis(250);
///     weft::sleep_until(t).await;
///     assert_eq!(h.time(), t);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        when: When::At(deadline),
        key: None,
    }
}

/// The future returned by [`sleep`] and [`sleep_until`]. Dropping it cancels the timer.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let s = weft::sleep(Duration::from_secs(3));
///     assert!(s.deadline().is_some());
///     s.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    when: When,
    key: Option<TimerKey>,
}

/// 16 bytes: the variants other than `At` hold a `u64`, so that the tag can live in
/// the `Instant`'s niche, and a `Sleep` is 32 bytes.
#[derive(Debug, Clone, Copy)]
enum When {
    /// A deadline given as an instant ([`sleep_until`], [`Sleep::reset`]).
    At(Instant),
    /// A deadline as [`Nanos`] ([`sleep`] in a loop: no `Instant` arithmetic).
    In(u64),
    /// Made outside a loop: this many nanoseconds from the first poll.
    After(u64),
    Done,
}

impl Sleep {
    /// The deadline, once known (a `Sleep` made outside a loop learns it when polled).
    /// `None` once it has completed.
    ///
    /// ```
    /// weft::EventLoop::new().unwrap().run_until_complete(async {
    ///     let s = weft::sleep(std::time::Duration::from_millis(1));
    ///     assert!(s.deadline().unwrap() > weft::Handle::current().time());
    /// });
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match self.when {
            When::At(t) => Some(t),
            When::In(at) => Some(Nanos::to_instant(at)),
            When::After(_) | When::Done => None,
        }
    }

    /// Moves the deadline (the sleep becomes pending again if it had completed).
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let h = weft::Handle::current();
    ///     let start = h.time();
    ///     let mut s = weft::sleep(Duration::from_secs(10));
    ///     s.reset(start + Duration::from_secs(1));
    ///     s.await;
    ///     assert_eq!(h.time() - start, Duration::from_secs(1));
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel_timer();
        self.when = When::At(deadline);
    }

    fn cancel_timer(&mut self) {
        if let Some(key) = self.key.take() {
            rt::with_timers(|t| {
                if let Some(t) = t {
                    t.cancel(key);
                }
            });
        }
    }

    /// Polls against a given driver; shared by [`Sleep`] and the interval.
    pub(crate) fn poll_with(&mut self, timers: &TimerDriver, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(key) = self.key {
            if timers.owns(key) {
                if timers.update_waker(key, cx.waker()) {
                    return Poll::Pending;
                }
                self.key = None;
                self.when = When::Done;
                return Poll::Ready(());
            }
            // Moved to another loop: the old timer only causes one harmless wake.
            self.key = None;
        }
        let deadline = match self.when {
            When::Done => return Poll::Ready(()),
            When::In(at) => at,
            When::At(t) => Nanos::from_instant(t),
            When::After(d) => {
                let at = timers.clock().now_nanos().saturating_add(d);
                self.when = When::In(at);
                at
            }
        };
        if timers.has_passed_nanos(deadline) {
            self.when = When::Done;
            return Poll::Ready(());
        }
        self.key = Some(timers.insert_nanos(deadline, Fired::Wake(cx.waker().clone())));
        Poll::Pending
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let this = self.get_mut();
        let r = rt::with_timers(|t| this.poll_with(t.expect(OUTSIDE), cx));
        if r.is_ready() {
            coop.made_progress();
        }
        r
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel_timer();
    }
}
