//! A task's scheduling state: one atomic word, so a wake from any thread and the loop
//! running the task agree on who queues it, and the task is never queued twice.
//!
//! Bits:
//! - `SCHEDULED`: the task sits in a ready queue, or will be queued by its runner;
//! - `RUNNING`: the loop is polling it (a wake then only sets `SCHEDULED`, and the
//!   runner requeues it after the poll);
//! - `COMPLETE`: it has an outcome; later wakes do nothing;
//! - `CANCEL`: cancellation was requested; the next run drops the future;
//! - `JOIN_INTEREST`: a [`Task`](crate::Task) handle still exists;
//! - `JOIN_WAKER`: the handle stored a waker to be woken on completion.

use crate::sync::{AtomicUsize, Ordering};

pub(crate) const SCHEDULED: usize = 1;
pub(crate) const RUNNING: usize = 1 << 1;
pub(crate) const COMPLETE: usize = 1 << 2;
pub(crate) const CANCEL: usize = 1 << 3;
pub(crate) const JOIN_INTEREST: usize = 1 << 4;
pub(crate) const JOIN_WAKER: usize = 1 << 5;

/// The state word of a task.
#[derive(Debug)]
pub struct State(AtomicUsize);

/// What a waker must do after [`State::wake`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Queue the task: it was idle.
    Push,
    /// Nothing: it is queued already, running (the runner requeues it), or complete.
    Nothing,
}

/// What the runner must do after a poll returned `Pending` ([`State::idle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPoll {
    /// Requeue the task: it was woken during the poll.
    Requeue,
    /// Leave it: a wake will queue it.
    Idle,
}

impl State {
    /// A new task: scheduled (it goes straight into a ready queue) with a join handle.
    pub fn new() -> State {
        State(AtomicUsize::new(SCHEDULED | JOIN_INTEREST))
    }

    /// A snapshot of the bits.
    #[inline]
    pub fn load(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    /// A waker's transition.
    #[inline]
    pub fn wake(&self) -> Wake {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            if cur & (SCHEDULED | COMPLETE) != 0 {
                return Wake::Nothing;
            }
            match self.0.compare_exchange_weak(
                cur,
                cur | SCHEDULED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) if cur & RUNNING != 0 => return Wake::Nothing,
                Ok(_) => return Wake::Push,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Requests cancellation; returns what a waker must do to get the task run.
    pub fn cancel(&self) -> Wake {
        let prev = self.0.fetch_or(CANCEL, Ordering::AcqRel);
        if prev & COMPLETE != 0 {
            return Wake::Nothing;
        }
        self.wake()
    }

    /// The runner took the task off a ready queue: `SCHEDULED` -> `RUNNING`.
    /// Returns the bits before; if `COMPLETE` is among them the entry was stale.
    #[inline]
    pub fn start_run(&self) -> usize {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            if cur & COMPLETE != 0 {
                return cur;
            }
            let next = (cur & !SCHEDULED) | RUNNING;
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return cur,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The poll returned `Pending`: `RUNNING` -> idle, unless a wake came meanwhile.
    #[inline]
    pub fn idle(&self) -> AfterPoll {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let next = cur & !RUNNING;
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if cur & SCHEDULED != 0 => return AfterPoll::Requeue,
                Ok(_) => return AfterPoll::Idle,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The outcome is stored: sets `COMPLETE`, clears `RUNNING`/`SCHEDULED`. Returns the
    /// bits before, which tell whether a handle is interested and has a waker.
    pub fn complete(&self) -> usize {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                Some((cur | COMPLETE) & !(RUNNING | SCHEDULED))
            })
            .unwrap_or_else(|v| v)
    }

    /// The handle stored its waker. Returns the bits before: if `COMPLETE` is set the
    /// handle must read the outcome itself.
    pub fn set_join_waker(&self) -> usize {
        self.0.fetch_or(JOIN_WAKER, Ordering::AcqRel)
    }

    /// The handle is dropped. Returns the bits before: if `COMPLETE` is set the handle
    /// owns the outcome and must drop it; else the task drops it when it completes.
    pub fn drop_join(&self) -> usize {
        self.0
            .fetch_and(!(JOIN_INTEREST | JOIN_WAKER), Ordering::AcqRel)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}
