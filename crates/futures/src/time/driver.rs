//! [`TimerDriver`]: the loop's timer wheel plus its clock.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Waker;
use std::time::Instant;

use super::clock::Nanos;
use super::wheel::{Key, Wheel};
use super::Clock;

/// What a timer does when it fires.
pub enum Fired {
    /// Wake a task (a [`Sleep`](crate::Sleep) registered it).
    Wake(Waker),
    /// Run a callback (the loop's `call_later`).
    Call(Box<dyn FnOnce()>),
}

impl fmt::Debug for Fired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fired::Wake(_) => f.write_str("Fired::Wake"),
            Fired::Call(_) => f.write_str("Fired::Call"),
        }
    }
}

/// Names a timer in a [`TimerDriver`]; cancelling with a stale key does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerKey {
    /// Small and never zero, so that an `Option<TimerKey>` (in every
    /// [`Sleep`](crate::Sleep)) is 12 bytes.
    driver: NonZeroU32,
    key: Key,
}

/// 32 bytes (it was 48 with an `Instant` and a sequence number): two to a cache line
/// in the slab. There is no insertion sequence number: the wheel hands out the timers
/// of a tick in insertion order, and a stable sort by deadline keeps it.
struct Timer {
    /// The exact deadline, as [`Nanos`].
    deadline: u64,
    fired: Fired,
}

struct Inner {
    wheel: Wheel<Timer>,
    batch: Vec<Timer>,
}

/// A loop's timers: a hierarchical wheel with 1 ms ticks, and the loop's [`Clock`].
///
/// The loop asks it for [`next_deadline`](TimerDriver::next_deadline) to size its poll
/// timeout, then [`process`](TimerDriver::process)es what expired. Timers that expire
/// together come out ordered by exact deadline, then by insertion, as from asyncio's
/// heap. Deadlines round up to the next millisecond tick: a timer never fires early.
///
/// ```
/// use std::time::Duration;
/// use weft_futures::time::{Clock, Fired, TimerDriver};
///
/// let timers = TimerDriver::new(Clock::new_paused());
/// let t0 = timers.clock().now();
/// timers.insert(t0 + Duration::from_millis(20), Fired::Call(Box::new(|| println!("second"))));
/// timers.insert(t0 + Duration::from_millis(10), Fired::Call(Box::new(|| println!("first"))));
/// assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(10)));
/// let mut order = Vec::new();
/// timers.process(t0 + Duration::from_millis(20), |f| order.push(f));
/// assert_eq!(order.len(), 2);
/// ```
pub struct TimerDriver {
    id: NonZeroU32,
    clock: Clock,
    /// The `now` of the latest [`process`](TimerDriver::process), as [`Nanos`] (0
    /// before the first): deadlines up to it have passed without reading the clock
    /// again.
    processed: Cell<u64>,
    inner: RefCell<Inner>,
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// A fresh driver id. Ids are never reused: a key from a dropped driver must not be
/// taken for one of a later driver's.
fn next_id() -> NonZeroU32 {
    let id = NEXT_ID
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
        .expect("more than 2^32 - 1 timer drivers created");
    NonZeroU32::new(id).expect("ids start at 1")
}

impl TimerDriver {
    /// An empty driver on `clock`.
    ///
    /// ```
    /// let t = weft_futures::time::TimerDriver::new(weft_futures::time::Clock::new());
    /// assert!(t.is_empty());
    /// ```
    pub fn new(clock: Clock) -> TimerDriver {
        TimerDriver {
            id: next_id(),
            clock,
            processed: Cell::new(0),
            inner: RefCell::new(Inner {
                wheel: Wheel::new(),
                batch: Vec::new(),
            }),
        }
    }

    /// The driver's clock.
    ///
    /// ```
    /// let t = weft_futures::time::TimerDriver::new(weft_futures::time::Clock::new_paused());
    /// assert!(t.clock().is_paused());
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Number of pending timers.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new());
    /// t.insert(t.clock().now(), Fired::Call(Box::new(|| ())));
    /// assert_eq!(t.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.borrow().wheel.len()
    }

    /// Whether no timer is pending.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// assert!(TimerDriver::new(Clock::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `fired` for `deadline`.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// let k = t.insert(t.clock().now(), Fired::Call(Box::new(|| ())));
    /// assert!(t.cancel(k));
    /// ```
    pub fn insert(&self, deadline: Instant, fired: Fired) -> TimerKey {
        self.insert_nanos(Nanos::from_instant(deadline), fired)
    }

    /// [`insert`](TimerDriver::insert) with the deadline as [`Nanos`].
    #[inline]
    pub(crate) fn insert_nanos(&self, deadline: u64, fired: Fired) -> TimerKey {
        let tick = self.clock.tick_ceil_nanos(deadline);
        let key = self
            .inner
            .borrow_mut()
            .wheel
            .insert(tick, Timer { deadline, fired });
        TimerKey {
            driver: self.id,
            key,
        }
    }

    /// Whether `key` was issued by this driver.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let (a, b) = (TimerDriver::new(Clock::new()), TimerDriver::new(Clock::new()));
    /// let k = a.insert(a.clock().now(), Fired::Call(Box::new(|| ())));
    /// assert!(a.owns(k) && !b.owns(k));
    /// ```
    pub fn owns(&self, key: TimerKey) -> bool {
        key.driver == self.id
    }

    /// Whether the timer is still pending (not fired, not cancelled).
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// let k = t.insert(t.clock().now(), Fired::Call(Box::new(|| ())));
    /// assert!(t.is_pending(k));
    /// t.process(t.clock().now(), drop);
    /// assert!(!t.is_pending(k));
    /// ```
    pub fn is_pending(&self, key: TimerKey) -> bool {
        self.owns(key) && self.inner.borrow_mut().wheel.get_mut(key.key).is_some()
    }

    /// Replaces the waker of a pending [`Fired::Wake`] timer; returns `false` if the timer
    /// is no longer pending.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// let k = t.insert(t.clock().now(), Fired::Wake(std::task::Waker::noop().clone()));
    /// assert!(t.update_waker(k, std::task::Waker::noop()));
    /// ```
    pub fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        if !self.owns(key) {
            return false;
        }
        let mut inner = self.inner.borrow_mut();
        match inner.wheel.get_mut(key.key) {
            Some(Timer {
                fired: Fired::Wake(w),
                ..
            }) => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Cancels a pending timer; returns whether it was pending.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// let k = t.insert(t.clock().now(), Fired::Call(Box::new(|| ())));
    /// assert!(t.cancel(k));
    /// assert!(!t.cancel(k));
    /// ```
    pub fn cancel(&self, key: TimerKey) -> bool {
        if !self.owns(key) {
            return false;
        }
        // Drop the timer's payload after the wheel is released: a callback's captures
        // may themselves cancel timers when dropped.
        let removed = self.inner.borrow_mut().wheel.remove(key.key);
        removed.is_some()
    }

    /// Drops every pending timer (loop shutdown). Their payloads are dropped after the
    /// driver is released.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// t.insert(t.clock().now(), Fired::Call(Box::new(|| ())));
    /// t.clear();
    /// assert!(t.is_empty());
    /// ```
    pub fn clear(&self) {
        let old = std::mem::replace(&mut self.inner.borrow_mut().wheel, Wheel::new());
        drop(old);
    }

    /// The start of the tick of the earliest pending timer (or of the next internal
    /// cascade, which may fire nothing); the loop sleeps at most until then.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// assert_eq!(t.next_deadline(), None);
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        let tick = self.inner.borrow().wheel.next_expiration()?;
        Some(self.clock.tick_instant(tick))
    }

    /// Whether `deadline` has passed, judged without a clock read where possible: a
    /// deadline at or before the latest [`process`](TimerDriver::process) has; on a
    /// paused clock the (cheap) virtual time decides the rest. On the real clock a
    /// deadline after that is treated as not yet passed, so its timer is armed and
    /// fires at the loop's next timer pass: at most one turn later, never early.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// # use std::time::Duration;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// let now = t.clock().now();
    /// assert!(t.has_passed(now));
    /// assert!(!t.has_passed(now + Duration::from_millis(1)));
    /// ```
    pub fn has_passed(&self, deadline: Instant) -> bool {
        self.has_passed_nanos(Nanos::from_instant(deadline))
    }

    /// [`has_passed`](TimerDriver::has_passed) with the deadline as [`Nanos`].
    #[inline]
    pub(crate) fn has_passed_nanos(&self, deadline: u64) -> bool {
        if deadline <= self.processed.get() {
            return true;
        }
        self.clock.is_paused() && deadline <= self.clock.now_nanos()
    }

    /// Hands every timer due at `now` to `sink`, ordered by deadline then insertion.
    /// `sink` runs with the driver released, so it may insert or cancel timers.
    ///
    /// ```
    /// # use weft_futures::time::*;
    /// let t = TimerDriver::new(Clock::new_paused());
    /// t.insert(t.clock().now(), Fired::Call(Box::new(|| println!("fired"))));
    /// let mut n = 0;
    /// t.process(t.clock().now(), |f| { if let Fired::Call(cb) = f { cb(); n += 1; } });
    /// assert_eq!(n, 1);
    /// ```
    pub fn process(&self, now: Instant, mut sink: impl FnMut(Fired)) {
        let now_nanos = Nanos::from_instant(now);
        if self.processed.get() < now_nanos {
            self.processed.set(now_nanos);
        }
        let tick = self.clock.tick_floor_nanos(now_nanos);
        let mut batch = {
            let mut inner = self.inner.borrow_mut();
            let mut batch = std::mem::take(&mut inner.batch);
            inner.wheel.poll(tick, &mut batch);
            batch
        };
        if batch.is_empty() {
            self.inner.borrow_mut().batch = batch;
            return;
        }
        // Stable: timers of equal deadline stay in insertion order, which is the
        // wheel's order within a tick.
        batch.sort_by_key(|t| t.deadline);
        for timer in batch.drain(..) {
            sink(timer.fired);
        }
        let mut inner = self.inner.borrow_mut();
        if inner.batch.capacity() < batch.capacity() {
            inner.batch = batch;
        }
    }
}

impl fmt::Debug for TimerDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerDriver")
            .field("id", &self.id)
            .field("pending", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Clock;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    #[test]
    fn equal_deadlines_fire_in_insertion_order_across_levels() {
        let t = TimerDriver::new(Clock::new_paused());
        let t0 = t.clock().now();
        let order = Rc::new(RefCell::new(Vec::new()));
        let arm = |name: &'static str, at: Instant| {
            let order = order.clone();
            t.insert(
                at,
                Fired::Call(Box::new(move || order.borrow_mut().push(name))),
            );
        };
        let d = t0 + Duration::from_millis(300_000) + Duration::from_nanos(7);
        // Filed far from the wheel's position (a high level), then cascaded down as
        // the loop's passes approach it, while later ones are filed lower.
        arm("a", d);
        for (i, step) in [200_000u64, 90_000, 9_000, 900, 99].into_iter().enumerate() {
            let now = t.clock().now() + Duration::from_millis(step);
            t.clock().advance_to(now);
            t.process(now, |_| panic!("nothing is due yet"));
            arm(["b", "c", "d", "e", "f"][i], d);
        }
        arm("early", d - Duration::from_nanos(1));
        t.clock().advance_to(d + Duration::from_millis(1));
        t.process(t.clock().now(), |f| {
            if let Fired::Call(cb) = f {
                cb()
            }
        });
        assert_eq!(*order.borrow(), ["early", "a", "b", "c", "d", "e", "f"]);
    }
}
