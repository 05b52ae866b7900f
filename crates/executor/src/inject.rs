//! The cross-thread path into a loop: an inject queue, and the `sleeping` flag that
//! tells a foreign thread whether it must unpark the loop from its poll.
//!
//! The protocol (checked by the loom models):
//! - a foreign thread pushes, then `swap`s `sleeping` to false; if it was true, it
//!   unparks the reactor;
//! - the loop, before blocking, stores `sleeping = true`, then looks at the queue; if
//!   anything is there it polls with a zero timeout instead of blocking.
//!
//! Both sides use `SeqCst`, so at least one sees the other: no wake is lost, and a
//! running loop costs its wakers no syscall.

use std::collections::VecDeque;

use crate::sync::{lock, AtomicBool, AtomicUsize, Mutex, Ordering};

/// Wakes a loop blocked in its reactor.
pub trait Unpark: Send + Sync {
    /// Makes the blocked (or next) poll return.
    fn unpark(&self);
}

/// A queue of items for the loop, fed from any thread.
pub struct Inject<T> {
    queue: Mutex<VecDeque<T>>,
    len: AtomicUsize,
    sleeping: AtomicBool,
    closed: AtomicBool,
}

impl<T> Inject<T> {
    /// An empty queue; the loop is not sleeping.
    pub fn new() -> Self {
        Inject {
            queue: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
            sleeping: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// Pushes from any thread and unparks the loop if it sleeps. Returns the item back
    /// if the loop is closed.
    pub fn push(&self, item: T, unpark: &dyn Unpark) -> Result<(), T> {
        {
            let mut q = lock(&self.queue);
            if self.closed.load(Ordering::Acquire) {
                return Err(item);
            }
            q.push_back(item);
            self.len.fetch_add(1, Ordering::SeqCst);
        }
        self.notify(unpark);
        Ok(())
    }

    /// Unparks the loop if it is sleeping (also used by `stop`).
    pub fn notify(&self, unpark: &dyn Unpark) {
        if self.sleeping.swap(false, Ordering::SeqCst) {
            unpark.unpark();
        }
    }

    /// Whether anything is queued.
    pub fn is_empty(&self) -> bool {
        self.len.load(Ordering::SeqCst) == 0
    }

    /// The loop is about to block. Returns `false` if it must not (something is queued).
    pub fn prepare_sleep(&self) -> bool {
        self.sleeping.store(true, Ordering::SeqCst);
        if self.is_empty() {
            true
        } else {
            self.sleeping.store(false, Ordering::SeqCst);
            false
        }
    }

    /// The loop woke up.
    pub fn end_sleep(&self) {
        self.sleeping.store(false, Ordering::SeqCst);
    }

    /// Takes everything queued, in order.
    pub fn drain(&self, out: &mut VecDeque<T>) {
        if self.is_empty() {
            return;
        }
        let mut q = lock(&self.queue);
        self.len.store(0, Ordering::SeqCst);
        out.append(&mut q);
    }

    /// Refuses further pushes and returns what was queued.
    pub fn close(&self) -> VecDeque<T> {
        let mut q = lock(&self.queue);
        self.closed.store(true, Ordering::Release);
        self.len.store(0, Ordering::SeqCst);
        std::mem::take(&mut *q)
    }
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Inject::new()
    }
}
