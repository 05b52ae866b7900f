//! Per-source readiness state shared by the reactor and a [`Registration`].
//!
//! `readiness` packs, in one `AtomicUsize`:
//!
//! * bits 0..5: readable, writable, read-closed, write-closed, error;
//! * bit 5: shutdown (the reactor is gone);
//! * bits 8..: the *tick*, bumped by every event dispatched to the source.
//!
//! Each direction has its own waker slot behind a small mutex. Wakers are
//! never woken nor dropped while a lock is held: they are moved out and
//! handled by the caller afterwards, so a waker whose drop runs arbitrary code
//! (dropping a task, which drops another registration) cannot deadlock.
//!
//! [`Registration`]: crate::Registration

use std::io;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::{Context, Poll, Waker};

// loom's atomics and mutex under `--cfg loom`, so that `tests/loom_state.rs` models
// this very code.
#[cfg(loom)]
use loom::sync::{atomic::AtomicUsize, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{atomic::AtomicUsize, Mutex, MutexGuard, PoisonError};

use crate::ready::{Direction, Ready};

/// The source is readable.
pub const READABLE: usize = 1 << 0;
/// The source is writable.
pub const WRITABLE: usize = 1 << 1;
/// The peer closed its writing side (final).
pub const READ_CLOSED: usize = 1 << 2;
/// The writing side is closed (final).
pub const WRITE_CLOSED: usize = 1 << 3;
/// The source is in error (satisfies both directions).
pub const ERROR: usize = 1 << 4;
const SHUTDOWN: usize = 1 << 5;

/// All readiness bits an event can carry.
const READY_MASK: usize = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR;
/// Bits that describe a final state and survive `clear_ready`.
const FINAL: usize = READ_CLOSED | WRITE_CLOSED;
const TICK_SHIFT: u32 = 8;
const FLAGS_MASK: usize = (1 << TICK_SHIFT) - 1;

/// Locks a waker slot, ignoring poisoning: a slot only ever holds an
/// `Option<Waker>`, which a panic cannot leave half-updated.
#[inline]
fn lock(slot: &Mutex<Option<Waker>>) -> MutexGuard<'_, Option<Waker>> {
    #[cfg(loom)]
    {
        slot.lock().unwrap()
    }
    #[cfg(not(loom))]
    {
        slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Moves the waker of `slot`, if any, into `wakers`.
#[inline]
fn take_into(slot: &Mutex<Option<Waker>>, wakers: &mut Vec<Waker>) {
    if let Some(waker) = lock(slot).take() {
        wakers.push(waker);
    }
}

/// The error returned to waiters once the reactor has been dropped.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the weft reactor driving this I/O source has shut down")
}

/// Readiness and wakers of one registered source.
pub struct SourceState {
    generation: usize,
    readiness: AtomicUsize,
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl SourceState {
    /// A state with no readiness and no waiters.
    pub fn new(generation: usize) -> SourceState {
        SourceState {
            generation,
            readiness: AtomicUsize::new(0),
            reader: Mutex::new(None),
            writer: Mutex::new(None),
        }
    }

    /// The generation this state was registered with (see [`crate::token`]).
    #[inline]
    pub fn generation(&self) -> usize {
        self.generation
    }

    #[inline]
    fn slot(&self, dir: Direction) -> &Mutex<Option<Waker>> {
        match dir {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    /// Records an event carrying `bits` and moves the wakers it satisfies
    /// into `wakers`; the caller wakes them once its locks are released.
    ///
    /// A direction's slot is only looked at if this event makes it ready: if it
    /// already was, nobody can be waiting in it (a waiter stores its waker only
    /// after seeing the direction not ready, and looks again after storing it; the
    /// first event to make it ready takes that waker). This saves a lock per
    /// event, since epoll reports a socket that was writable all along with each
    /// arrival of data.
    pub fn dispatch(&self, bits: usize, wakers: &mut Vec<Waker>) {
        let bits = bits & READY_MASK;
        // The closure always returns `Some`, so this cannot fail.
        let prev = match self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            let tick = (cur >> TICK_SHIFT).wrapping_add(1);
            Some((tick << TICK_SHIFT) | (cur & FLAGS_MASK) | bits)
        }) {
            Ok(prev) | Err(prev) => prev,
        };
        for dir in [Direction::Read, Direction::Write] {
            let mask = dir.mask();
            if bits & mask != 0 && prev & mask == 0 {
                take_into(self.slot(dir), wakers);
            }
        }
    }

    /// Marks the source as orphaned by its reactor and moves both wakers into
    /// `wakers`.
    pub fn shutdown(&self, wakers: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        take_into(&self.reader, wakers);
        take_into(&self.writer, wakers);
    }

    /// The current readiness in `dir`, if any; the waker slot is left alone.
    #[inline]
    pub fn ready(&self, dir: Direction) -> Option<io::Result<Ready>> {
        let cur = self.readiness.load(Acquire);
        if cur & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        let bits = cur & dir.mask();
        (bits != 0).then(|| Ok(Ready::new(bits, cur >> TICK_SHIFT)))
    }

    /// The readiness in `dir` if there is some; else stores the waker (unless the
    /// stored one would wake the same task) and looks once more.
    #[inline]
    pub fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<Ready>> {
        match self.ready(dir) {
            Some(ready) => Poll::Ready(ready),
            None => self.wait(cx, dir),
        }
    }

    /// [`poll_ready`](Self::poll_ready) found nothing: store the waker, look again.
    /// Kept out of line so that the check above stays small where it is inlined.
    #[inline(never)]
    fn wait(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<Ready>> {
        let replaced = {
            let mut slot = lock(self.slot(dir));
            match &*slot {
                Some(old) if old.will_wake(cx.waker()) => None,
                _ => slot.replace(cx.waker().clone()),
            }
        };
        drop(replaced);
        // An event may have been dispatched between the first check and the
        // store above; the slot mutex orders the two, so look again.
        match self.ready(dir) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// Clears the bits of `ready`, unless an event newer than it has arrived.
    #[inline]
    pub fn clear_ready(&self, ready: Ready) {
        let clear = ready.bits() & READY_MASK & !FINAL;
        // Returning `None` (a newer tick, or nothing to clear) is not an error.
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            if cur >> TICK_SHIFT != ready.tick() {
                return None;
            }
            let next = cur & !clear;
            (next != cur).then_some(next)
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::Arc;
    use std::task::Wake;

    use super::*;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn poll(state: &SourceState, waker: &Waker, dir: Direction) -> Poll<io::Result<Ready>> {
        state.poll_ready(&mut Context::from_waker(waker), dir)
    }

    fn wake_all(wakers: &mut Vec<Waker>) {
        wakers.drain(..).for_each(Waker::wake);
    }

    #[test]
    fn directions_have_separate_slots() {
        let state = SourceState::new(0);
        let (r, w) = (Arc::new(Count::default()), Arc::new(Count::default()));
        let (rw, ww) = (Waker::from(r.clone()), Waker::from(w.clone()));
        assert!(poll(&state, &rw, Direction::Read).is_pending());
        assert!(poll(&state, &ww, Direction::Write).is_pending());

        let mut wakers = Vec::new();
        state.dispatch(WRITABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!((r.0.load(SeqCst), w.0.load(SeqCst)), (0, 1));

        state.dispatch(READ_CLOSED, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!((r.0.load(SeqCst), w.0.load(SeqCst)), (1, 1));

        // Error wakes both directions.
        assert!(poll(&state, &ww, Direction::Write).is_ready());
        let mut cleared = state.ready(Direction::Write).unwrap().unwrap();
        state.clear_ready(cleared);
        assert!(poll(&state, &ww, Direction::Write).is_pending());
        state.dispatch(ERROR, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(w.0.load(SeqCst), 2);
        cleared = state.ready(Direction::Read).unwrap().unwrap();
        assert!(cleared.is_error() && cleared.is_read_closed());
    }

    #[test]
    fn clear_ready_keeps_newer_events_and_final_bits() {
        let state = SourceState::new(0);
        let mut wakers = Vec::new();
        state.dispatch(READABLE | READ_CLOSED, &mut wakers);
        let old = state.ready(Direction::Read).unwrap().unwrap();
        state.dispatch(READABLE, &mut wakers);
        state.clear_ready(old);
        let new = state.ready(Direction::Read).unwrap().unwrap();
        assert!(new.is_readable());
        assert_ne!(new.tick(), old.tick());
        state.clear_ready(new);
        let after = state.ready(Direction::Read).unwrap().unwrap();
        assert!(!after.is_readable());
        assert!(after.is_read_closed(), "closed is final");
    }

    #[test]
    fn same_waker_is_not_replaced_and_other_waker_is() {
        let state = SourceState::new(0);
        let a = Arc::new(Count::default());
        let b = Arc::new(Count::default());
        let wa = Waker::from(a.clone());
        assert!(poll(&state, &wa, Direction::Read).is_pending());
        assert!(poll(&state, &wa, Direction::Read).is_pending());
        // Only one clone of `wa` is stored.
        assert_eq!(Arc::strong_count(&a), 3);
        assert!(poll(&state, &Waker::from(b.clone()), Direction::Read).is_pending());
        assert_eq!(Arc::strong_count(&a), 2);

        let mut wakers = Vec::new();
        state.dispatch(READABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!((a.0.load(SeqCst), b.0.load(SeqCst)), (0, 1));
    }

    #[test]
    fn shutdown_wakes_and_errors() {
        let state = SourceState::new(0);
        let c = Arc::new(Count::default());
        let w = Waker::from(c.clone());
        assert!(poll(&state, &w, Direction::Read).is_pending());
        let mut wakers = Vec::new();
        state.shutdown(&mut wakers);
        wake_all(&mut wakers);
        assert_eq!(c.0.load(SeqCst), 1);
        assert!(matches!(
            poll(&state, &w, Direction::Write),
            Poll::Ready(Err(_))
        ));
    }
}
