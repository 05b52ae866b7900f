//! The loop clock: monotonic real time that tests can pause and move by hand.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A loop's clock (asyncio's `loop.time()`), shared by the loop and its handles.
///
/// Running, it is the monotonic clock. Paused, it stands still until advanced: a paused
/// loop with nothing ready jumps straight to its next timer, so sleeps complete at once,
/// in deadline order, and at exactly their deadlines (virtual time).
///
/// ```
/// use std::time::Duration;
/// use weft_futures::time::Clock;
///
/// let clock = Clock::new_paused();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now() - t0, Duration::from_secs(5));
/// ```
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    epoch: Instant,
    paused: AtomicBool,
    /// Paused: the frozen time, as nanoseconds since the epoch. Running: how far the
    /// clock is ahead of the real one (time that was skipped while paused).
    nanos: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Clock {
    /// A running clock.
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new();
    /// assert!(!c.is_paused());
    /// ```
    pub fn new() -> Clock {
        Clock {
            inner: Arc::new(Inner {
                epoch: Instant::now(),
                paused: AtomicBool::new(false),
                nanos: AtomicU64::new(0),
            }),
        }
    }

    /// A clock that starts paused, at its epoch.
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new_paused();
    /// assert_eq!(c.now(), c.epoch());
    /// ```
    pub fn new_paused() -> Clock {
        let c = Clock::new();
        c.inner.paused.store(true, Ordering::Release);
        c
    }

    /// The instant the clock counts ticks from (its creation).
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new();
    /// assert!(c.now() >= c.epoch());
    /// ```
    pub fn epoch(&self) -> Instant {
        self.inner.epoch
    }

    /// The current time of this clock.
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new();
    /// let a = c.now();
    /// assert!(c.now() >= a);
    /// ```
    pub fn now(&self) -> Instant {
        let n = self.inner.nanos.load(Ordering::Acquire);
        if self.inner.paused.load(Ordering::Acquire) {
            self.inner.epoch + Duration::from_nanos(n)
        } else if n == 0 {
            // Never advanced (the usual case): skip the addition.
            Instant::now()
        } else {
            Instant::now() + Duration::from_nanos(n)
        }
    }

    /// Whether the clock is paused.
    ///
    /// ```
    /// assert!(weft_futures::time::Clock::new_paused().is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.inner.paused.load(Ordering::Acquire)
    }

    /// Freezes the clock at its current time, rounded up to a whole timer tick (1 ms),
    /// so that whole-millisecond timers then complete at exactly their deadlines.
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new();
    /// c.pause();
    /// assert_eq!(c.now(), c.now());
    /// ```
    pub fn pause(&self) {
        if !self.is_paused() {
            let now = self.now();
            let since = nanos(now - self.inner.epoch);
            let aligned = since
                .div_ceil(super::TICK_NANOS)
                .saturating_mul(super::TICK_NANOS);
            self.inner.nanos.store(aligned, Ordering::Release);
            self.inner.paused.store(true, Ordering::Release);
        }
    }

    /// Lets a paused clock run again, from the time it shows (it never goes back).
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new_paused();
    /// c.advance(std::time::Duration::from_secs(60));
    /// let t = c.now();
    /// c.resume();
    /// assert!(c.now() >= t);
    /// ```
    pub fn resume(&self) {
        if self.is_paused() {
            let frozen = self.now();
            let real = Instant::now();
            let skew = frozen.saturating_duration_since(real);
            self.inner.nanos.store(nanos(skew), Ordering::Release);
            self.inner.paused.store(false, Ordering::Release);
        }
    }

    /// Moves a paused clock forward by `d`.
    ///
    /// # Panics
    /// If the clock is running: only virtual time can be moved.
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new_paused();
    /// c.advance(std::time::Duration::from_millis(1500));
    /// assert_eq!(c.now() - c.epoch(), std::time::Duration::from_millis(1500));
    /// ```
    pub fn advance(&self, d: Duration) {
        assert!(self.is_paused(), "Clock::advance needs a paused clock");
        self.inner.nanos.fetch_add(nanos(d), Ordering::AcqRel);
    }

    /// Moves a paused clock forward to `t` (never back).
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new_paused();
    /// let t = c.now() + std::time::Duration::from_secs(2);
    /// c.advance_to(t);
    /// assert_eq!(c.now(), t);
    /// ```
    pub fn advance_to(&self, t: Instant) {
        let now = self.now();
        if t > now {
            self.advance(t - now);
        }
    }

    /// Whole ticks (ms) from the epoch to `t`, rounded up: a timer never fires early.
    pub(crate) fn tick_ceil(&self, t: Instant) -> u64 {
        let d = t.saturating_duration_since(self.inner.epoch);
        // 64-bit arithmetic only: this runs for every timer and every loop turn.
        let sub = d.subsec_nanos() as u64;
        let ms = d.as_secs().saturating_mul(1000) + sub / super::TICK_NANOS;
        ms + u64::from(sub % super::TICK_NANOS != 0)
    }

    /// Whole ticks (ms) from the epoch to `t`, rounded down.
    pub(crate) fn tick_floor(&self, t: Instant) -> u64 {
        let d = t.saturating_duration_since(self.inner.epoch);
        d.as_secs().saturating_mul(1000) + u64::from(d.subsec_nanos()) / super::TICK_NANOS
    }

    /// The instant at which tick `tick` starts.
    pub(crate) fn tick_instant(&self, tick: u64) -> Instant {
        self.inner
            .epoch
            .checked_add(Duration::from_nanos(tick.saturating_mul(super::TICK_NANOS)))
            .unwrap_or_else(|| self.inner.epoch + Duration::from_secs(86400 * 365 * 100))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}
