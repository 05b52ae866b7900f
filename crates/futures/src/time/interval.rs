//! [`Interval`]: ticks at a fixed period.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::{sleep_until, Sleep};
use crate::rt;

/// Ticks every `period`, the first tick at once.
///
/// Ticks stay on the grid `start + k * period`. If the loop falls behind by more than a
/// period, the missed ticks are skipped rather than fired in a burst: the next tick is
/// the next grid point after now.
///
/// # Panics
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let h = weft::Handle::current();
///     let start = h.time();
///     let mut every = weft::interval(Duration::from_secs(5));
///     for k in 0..3 {
///         let t = every.tick().await;
///         assert_eq!(t - start, Duration::from_secs(5 * k));
///     }
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    let start = rt::with_timers(|t| t.map(|t| t.clock().now()));
    interval_inner(start, period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let h = weft::Handle::current();
///     let start = h.time() + Duration::from_secs(1);
///     let mut every = weft::interval_at(start, Duration::from_secs(2));
///     assert_eq!(every.tick().await, start);
///     assert_eq!(every.tick().await, start + Duration::from_secs(2));
/// });
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    interval_inner(Some(start), period)
}

fn interval_inner(start: Option<Instant>, period: Duration) -> Interval {
    assert!(!period.is_zero(), "interval period must be non-zero");
    Interval {
        next: start,
        period,
        sleep: None,
    }
}

/// The ticker returned by [`interval`]; also a [`Stream`] of tick instants.
///
/// ```
/// # use std::time::Duration;
/// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
/// let every = weft::interval(Duration::from_millis(100));
/// assert_eq!(every.period(), Duration::from_millis(100));
/// # });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// The next tick's scheduled instant (learned at the first poll outside a loop).
    next: Option<Instant>,
    period: Duration,
    sleep: Option<Sleep>,
}

impl Interval {
    /// The period.
    ///
    /// ```
    /// # weft::EventLoop::new().unwrap().run_until_complete(async {
    /// assert_eq!(weft::interval(std::time::Duration::from_secs(1)).period().as_secs(), 1);
    /// # });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// ```
    /// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    /// let mut i = weft::interval(std::time::Duration::from_secs(1));
    /// let first = i.tick().await;
    /// assert_eq!(i.tick().await - first, std::time::Duration::from_secs(1));
    /// # });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    ///
    /// ```
    /// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    /// let mut i = weft::interval(std::time::Duration::from_secs(1));
    /// let t = std::future::poll_fn(|cx| i.poll_tick(cx)).await;
    /// assert_eq!(t, weft::Handle::current().time());
    /// # });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let next = match self.next {
            Some(n) => n,
            None => {
                let now = rt::with_timers(|t| t.map(|t| t.clock().now()))
                    .expect("weft::interval polled outside of a weft event loop");
                self.next = Some(now);
                now
            }
        };
        let sleep = self.sleep.get_or_insert_with(|| sleep_until(next));
        std::task::ready!(Pin::new(sleep).poll(cx));
        self.sleep = None;
        let now = rt::with_timers(|t| t.map(|t| t.clock().now())).unwrap_or(next);
        let mut following = next + self.period;
        if following <= now {
            // Behind by more than a period: skip to the next grid point after now.
            let behind = (now - next).as_nanos() / self.period.as_nanos();
            following = next + self.period * (behind as u32 + 1);
        }
        self.next = Some(following);
        Poll::Ready(next)
    }
}

use std::future::Future as _;

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
