//! The cross-thread path into a loop: an inject queue, and the handshake that tells a
//! foreign thread whether it must unpark the loop from its poll.
//!
//! The handshake lives under the queue's mutex, so it is totally ordered:
//! - a foreign thread pushes (or [`notify`](Inject::notify)s, for `stop`) and, in the
//!   same critical section, takes the `sleeping` flag; if it was set, it unparks the
//!   reactor after unlocking;
//! - the loop, before blocking, sets `sleeping` only if nothing is queued and no notify
//!   is pending; otherwise it polls with a zero timeout instead of blocking.
//!
//! No wake is lost, and a running loop costs its wakers no syscall. The lock is taken
//! once per push and once per blocking poll; the loop's per-turn emptiness check is a
//! lock-free load. (An earlier version used two `SeqCst` atomics; it lost a `stop` that
//! raced with the loop going to sleep. The loom models in `tests/loom.rs` pin this.)

use std::collections::VecDeque;

use crate::sync::{lock, AtomicUsize, Mutex, Ordering};

/// Wakes a loop blocked in its reactor.
pub trait Unpark: Send + Sync {
    /// Makes the blocked (or next) poll return.
    fn unpark(&self);
}

struct Queue<T> {
    items: VecDeque<T>,
    sleeping: bool,
    notified: bool,
    closed: bool,
}

/// A queue of items for the loop, fed from any thread.
pub struct Inject<T> {
    queue: Mutex<Queue<T>>,
    len: AtomicUsize,
}

impl<T> Inject<T> {
    /// An empty queue; the loop is not sleeping.
    pub fn new() -> Self {
        Inject {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                sleeping: false,
                notified: false,
                closed: false,
            }),
            len: AtomicUsize::new(0),
        }
    }

    /// Pushes from any thread and unparks the loop if it sleeps. Returns the item back
    /// if the loop is closed.
    pub fn push(&self, item: T, unpark: &dyn Unpark) -> Result<(), T> {
        let wake = {
            let mut q = lock(&self.queue);
            if q.closed {
                return Err(item);
            }
            q.items.push_back(item);
            self.len.store(q.items.len(), Ordering::Release);
            std::mem::take(&mut q.sleeping)
        };
        if wake {
            unpark.unpark();
        }
        Ok(())
    }

    /// Makes the loop's next (or current) poll return without blocking, e.g. to notice a
    /// `stop`. Set the flag the loop should see *before* calling this.
    pub fn notify(&self, unpark: &dyn Unpark) {
        let wake = {
            let mut q = lock(&self.queue);
            q.notified = true;
            std::mem::take(&mut q.sleeping)
        };
        if wake {
            unpark.unpark();
        }
    }

    /// Whether anything is queued (a lock-free hint for the loop's turn).
    pub fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    /// The loop is about to block. Returns `false` if it must not (something is queued,
    /// or a notify is pending; the notify is consumed).
    pub fn prepare_sleep(&self) -> bool {
        let mut q = lock(&self.queue);
        if q.items.is_empty() && !q.notified {
            q.sleeping = true;
            true
        } else {
            q.notified = false;
            false
        }
    }

    /// The loop woke up.
    pub fn end_sleep(&self) {
        let mut q = lock(&self.queue);
        q.sleeping = false;
        q.notified = false;
    }

    /// Takes everything queued, in order.
    pub fn drain(&self, out: &mut VecDeque<T>) {
        if self.is_empty() {
            return;
        }
        let mut q = lock(&self.queue);
        self.len.store(0, Ordering::Release);
        out.append(&mut q.items);
    }

    /// Refuses further pushes and returns what was queued.
    pub fn close(&self) -> VecDeque<T> {
        let mut q = lock(&self.queue);
        q.closed = true;
        self.len.store(0, Ordering::Release);
        std::mem::take(&mut q.items)
    }
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Inject::new()
    }
}
