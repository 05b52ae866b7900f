//! [`Shared`]: the part of a loop that other threads reach through a `Handle`.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::thread::ThreadId;

use weft_futures::rt::Schedule;
use weft_futures::time::Clock;

use crate::callback::RemoteCall;
use crate::core::{self as core_, Runnable};
use crate::inject::{Inject, Unpark};
use crate::sync::{AtomicBool, Ordering};
use crate::task::cell::Run;

/// What crosses into a loop from another thread.
pub(crate) enum Injected {
    /// A task woken off-thread.
    Wake(Arc<dyn Run>),
    /// A task spawned off-thread (not yet in the loop's task list).
    Spawn(Arc<dyn Run>),
    /// `call_soon_threadsafe`.
    Call(Arc<dyn RemoteCall>),
    /// A done callback or other boxed job.
    Boxed(Box<dyn FnOnce() + Send>),
    /// The main future of `run_until_complete` was woken off-thread.
    Root,
}

struct ReactorUnpark(weft_reactor::Unparker);

impl Unpark for ReactorUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}

pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) inject: Inject<Injected>,
    unpark: Box<dyn Unpark>,
    pub(crate) stopping: AtomicBool,
    pub(crate) closed: AtomicBool,
    pub(crate) clock: Clock,
    pub(crate) owner: ThreadId,
    next_task_id: AtomicU64,
}

static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

impl Shared {
    pub(crate) fn new(unparker: weft_reactor::Unparker, clock: Clock) -> Shared {
        Shared {
            id: NEXT_LOOP_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            inject: Inject::new(),
            unpark: Box::new(ReactorUnpark(unparker)),
            stopping: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            clock,
            owner: std::thread::current().id(),
            next_task_id: AtomicU64::new(1),
        }
    }

    pub(crate) fn next_task_id(&self) -> u64 {
        self.next_task_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Queues `item` for the loop from any thread; gives it back if the loop is closed.
    pub(crate) fn inject(&self, item: Injected) -> Result<(), Injected> {
        self.inject.push(item, &*self.unpark)
    }

    pub(crate) fn stop(&self) {
        // Set before notifying: the loop checks `stopping` after every turn, and the
        // notify guarantees that turn does not block.
        self.stopping.store(true, Ordering::Release);
        self.inject.notify(&*self.unpark);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Schedule for Shared {
    fn schedule(&self, f: Box<dyn FnOnce() + Send>) {
        // One thread-local lookup: push locally, or get the (still `Send`) job back.
        let remote = core_::with_current(|c| match c {
            Some(core) if core.shared.id == self.id => {
                core.push(Runnable::Boxed(f));
                None
            }
            _ => Some(f),
        });
        if let Some(f) = remote {
            if self.inject(Injected::Boxed(f)).is_err() {
                tracing::debug!("a callback was scheduled on a closed loop and dropped");
            }
        }
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// `Handle` must be `Send + Sync`; this fails to compile if `Shared` ever stops being so.
const _: fn() = || {
    fn ok<T: Send + Sync>() {}
    ok::<Arc<Shared>>();
};
