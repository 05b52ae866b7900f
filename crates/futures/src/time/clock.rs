//! The loop clock: monotonic real time that tests can pause and move by hand.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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
    /// `epoch` as [`Nanos`].
    epoch_nanos: u64,
    paused: AtomicBool,
    /// Paused: the frozen time, as nanoseconds since the epoch. Running: how far the
    /// clock is ahead of the real one (time that was skipped while paused).
    nanos: AtomicU64,
}

/// `d` in nanoseconds, saturating (at 584 years). 64-bit arithmetic only: it runs for
/// every sleep.
#[inline]
pub(crate) fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

/// The instant that [`Nanos`] count from (the first time any clock or timer asked),
/// and the raw monotonic reading in nanoseconds taken just before it.
fn origin_raw() -> &'static (Instant, u64) {
    static ORIGIN: OnceLock<(Instant, u64)> = OnceLock::new();
    ORIGIN.get_or_init(|| {
        // Read first, so that the raw reading is never after the instant: raw-based
        // `Nanos` can then only run late (by the gap between the two reads, tens of
        // nanoseconds), so a deadline computed from them never fires early.
        let raw = super::sys::monotonic_nanos();
        (Instant::now(), raw)
    })
}

fn origin() -> Instant {
    origin_raw().0
}

/// An instant as nanoseconds from a process-wide origin: what timers and sleeps keep
/// internally. Reading the clock, adding a duration and finding the wheel's tick are
/// then a few integer operations each, where going through `Instant` costs a checked,
/// normalising call for each of the three. Instants before the origin count as 0.
pub(crate) struct Nanos;

impl Nanos {
    /// `t` as nanoseconds from the origin (0 before it; saturating after 584 years).
    #[inline]
    pub(crate) fn from_instant(t: Instant) -> u64 {
        nanos(t.saturating_duration_since(origin()))
    }

    /// The monotonic clock now: never earlier than `from_instant(Instant::now())`
    /// would say, and later by at most the gap between the origin's two reads.
    #[inline]
    pub(crate) fn now() -> u64 {
        let &(_, raw0) = origin_raw();
        super::sys::monotonic_nanos().saturating_sub(raw0)
    }

    /// The instant `n` nanoseconds after the origin.
    pub(crate) fn to_instant(n: u64) -> Instant {
        let o = origin();
        o.checked_add(Duration::from_nanos(n)).unwrap_or(o)
    }
}

impl Clock {
    /// A running clock.
    ///
    /// ```
    /// let c = weft_futures::time::Clock::new();
    /// assert!(!c.is_paused());
    /// ```
    pub fn new() -> Clock {
        // Fix the origin first, so that the epoch is never before it.
        origin();
        let epoch = Instant::now();
        Clock {
            inner: Arc::new(Inner {
                epoch,
                epoch_nanos: Nanos::from_instant(epoch),
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

    /// [`now`](Clock::now) as [`Nanos`], without `Instant` arithmetic when paused.
    #[inline]
    pub(crate) fn now_nanos(&self) -> u64 {
        let n = self.inner.nanos.load(Ordering::Acquire);
        if self.inner.paused.load(Ordering::Acquire) {
            self.inner.epoch_nanos.saturating_add(n)
        } else {
            Nanos::now().saturating_add(n)
        }
    }

    /// The tick (ms from the epoch) at which a deadline of `at` [`Nanos`] has passed:
    /// rounded up, so that a timer never fires early.
    #[inline]
    pub(crate) fn tick_ceil_nanos(&self, at: u64) -> u64 {
        at.saturating_sub(self.inner.epoch_nanos)
            .div_ceil(super::TICK_NANOS)
    }

    /// Whole ticks (ms) from the epoch to `t` ([`Nanos`]), rounded down.
    pub(crate) fn tick_floor_nanos(&self, t: u64) -> u64 {
        t.saturating_sub(self.inner.epoch_nanos) / super::TICK_NANOS
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_nanos_never_run_behind_instants() {
        for _ in 0..1000 {
            let i = Instant::now();
            let n = Nanos::now();
            assert!(n >= Nanos::from_instant(i));
            assert!(Nanos::to_instant(n) >= i);
        }
    }

    #[test]
    fn a_running_clock_and_its_nanos_agree() {
        let c = Clock::new();
        let before = Nanos::from_instant(c.now());
        let n = c.now_nanos();
        assert!(n >= before);
        // Paused, the two are one number.
        c.pause();
        assert_eq!(c.now_nanos(), Nanos::from_instant(c.now()));
        c.advance(Duration::from_nanos(1_234_567));
        assert_eq!(c.now_nanos(), Nanos::from_instant(c.now()));
    }
}
