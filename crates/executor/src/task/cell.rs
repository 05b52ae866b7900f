//! The task cell: one allocation holding a task's state, its future (later its
//! outcome), and what its handle and wakers need.
//!
//! Access rules (the invariants that make the `unsafe` below sound):
//! 1. `stage` holds the future while the task is not `COMPLETE`; only the loop thread
//!    touches it then, and only while the state says `RUNNING` (one runner at a time),
//!    or during shutdown, when nothing runs.
//! 2. After `COMPLETE`, the outcome in `stage` belongs to whoever the state word
//!    designates: the [`Task`](crate::Task) handle if it still had `JOIN_INTEREST` at
//!    completion, else the loop (which drops it right away, on its own thread).
//! 3. A future (`!Send` allowed) is therefore never touched off the loop thread, and an
//!    outcome only moves to another thread through a `Task<T>`, which is `Send` only if
//!    `T: Send`. As a last line of defence, a cell whose last reference dies on a
//!    foreign thread while its future was never dropped leaks the future rather than
//!    drop it there.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::state::{AfterPoll, State, Wake, CANCEL, COMPLETE, JOIN_INTEREST, JOIN_WAKER};
use crate::core as core_;
use crate::error::TaskError;
use crate::shared::Shared;
use crate::sync::{lock, Mutex};

/// What a task carries for introspection: where it was spawned, its name, and (in
/// debug mode) when.
///
/// The name and the spawn time sit behind one optional box: most tasks have neither,
/// and an unnamed task outside debug mode then costs 16 bytes here instead of 48 (the
/// task overhead `compare task_memory` measures against tokio's).
pub(crate) struct Meta {
    pub(crate) location: &'static std::panic::Location<'static>,
    extra: Option<Box<MetaExtra>>,
}

/// The rarely present part of [`Meta`].
struct MetaExtra {
    name: Option<std::borrow::Cow<'static, str>>,
    spawned_at: Option<std::time::Instant>,
}

impl Meta {
    pub(crate) fn new(
        name: Option<std::borrow::Cow<'static, str>>,
        location: &'static std::panic::Location<'static>,
        spawned_at: Option<std::time::Instant>,
    ) -> Meta {
        let extra = (name.is_some() || spawned_at.is_some())
            .then(|| Box::new(MetaExtra { name, spawned_at }));
        Meta { location, extra }
    }

    /// The task's own name, if it was given one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.extra.as_ref()?.name.as_deref()
    }

    /// When the task was spawned, if the loop was in debug mode then.
    pub(crate) fn spawned_at(&self) -> Option<std::time::Instant> {
        self.extra.as_ref()?.spawned_at
    }
}

/// The stage of a task: its future, then its outcome, then nothing.
enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, TaskError>),
    Consumed,
}

/// Fields common to every task, whatever its future.
///
/// In declaration order (`repr(C)`): what every wake and every poll reads (`state`,
/// `shared`, `owner_key`) comes first, right after the future (see [`TaskCell`]); the
/// rest is read rarely.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) shared: Arc<Shared>,
    /// Index in the loop's list of live tasks (loop thread only).
    pub(crate) owner_key: Cell<usize>,
    pub(crate) id: u64,
    pub(crate) meta: Meta,
    join_waker: Mutex<Option<Waker>>,
}

/// The future first (`repr(C)`), then the header: a poll reads the `Arc`'s counts, the
/// future and the header's first three fields, which are then contiguous (two cache
/// lines for a small future), while the header's cold tail (id, name, join waker) sits
/// last. With the header first, that tail lay between the counts and the future.
/// (callgrind's cache simulation with a 4 KiB, 4-way L1, which stands for the kernel
/// evicting the server's lines between its `read` and `write` calls: 2.2 lines fewer
/// per message in the `TcpStream` echo server, 12.0 against 14.2.)
#[repr(C)]
pub(crate) struct TaskCell<F: Future> {
    stage: UnsafeCell<Stage<F>>,
    header: Header,
}

// SAFETY: the future and the outcome (the only fields that may be `!Send`/`!Sync`) are
// accessed only as described in the module docs: the future only on the loop thread,
// the outcome only by its single owner designated by the atomic state word. Everything
// else in the cell is `Send + Sync`.
unsafe impl<F: Future> Send for TaskCell<F> {}
// SAFETY: see above; shared access from other threads only reads the atomic state,
// the id and name, and the mutex-guarded join waker.
unsafe impl<F: Future> Sync for TaskCell<F> {}

/// The loop's view of a task.
pub(crate) trait Run: Send + Sync {
    fn header(&self) -> &Header;
    /// Takes one step. `self` came off a ready queue holding one reference.
    fn run(self: Arc<Self>);
    /// Drops the future (if still there) and completes as cancelled; for loop shutdown.
    fn shutdown(&self);
}

/// A handle's view of a task whose output is `T`.
pub(crate) trait Join<T> {
    fn header(&self) -> &Header;
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>>;
    /// The handle goes away: gives up the outcome.
    fn drop_join(&self);
    /// Requests cancellation, from any thread.
    fn cancel(&self);
}

impl<F: Future + 'static> TaskCell<F> {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        Self::waker_clone,
        Self::waker_wake,
        Self::waker_wake_by_ref,
        Self::waker_drop,
    );

    pub(crate) fn new(future: F, shared: Arc<Shared>, id: u64, meta: Meta) -> Arc<Self> {
        Arc::new(TaskCell {
            header: Header {
                state: State::new(),
                shared,
                id,
                meta,
                owner_key: Cell::new(usize::MAX),
                join_waker: Mutex::new(None),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        })
    }

    /// Schedules the task, consuming one reference.
    fn schedule(this: Arc<Self>) {
        core_::schedule(this);
    }

    unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
        // SAFETY: `ptr` came from `Arc::into_raw` of an `Arc<Self>` that the waker owns a
        // reference of; the clone takes one more.
        unsafe { Arc::increment_strong_count(ptr as *const Self) };
        RawWaker::new(ptr, &Self::VTABLE)
    }

    unsafe fn waker_wake(ptr: *const ()) {
        // SAFETY: the waker owns one reference, which `wake` consumes.
        let this = unsafe { Arc::from_raw(ptr as *const Self) };
        if this.header.state.wake() == Wake::Push {
            Self::schedule(this);
        }
    }

    unsafe fn waker_wake_by_ref(ptr: *const ()) {
        // SAFETY: the waker's reference keeps the cell alive for this call.
        let this = unsafe { &*(ptr as *const Self) };
        if this.header.state.wake() == Wake::Push {
            // SAFETY: as in `waker_clone`: the queue entry gets its own reference.
            unsafe { Arc::increment_strong_count(ptr as *const Self) };
            // SAFETY: that reference is handed to the queue.
            Self::schedule(unsafe { Arc::from_raw(ptr as *const Self) });
        }
    }

    unsafe fn waker_drop(ptr: *const ()) {
        // SAFETY: the waker owns one reference, released here.
        drop(unsafe { Arc::from_raw(ptr as *const Self) });
    }

    /// Stores the outcome (the future must already be gone) and publishes it.
    ///
    /// # Safety
    /// Loop thread, with the task `RUNNING` or during shutdown (invariant 1).
    unsafe fn complete(&self, outcome: Result<F::Output, TaskError>) {
        // SAFETY: invariant 1: we are the only one touching the stage.
        unsafe { *self.stage.get() = Stage::Finished(outcome) };
        let prev = self.header.state.complete();
        if prev & JOIN_INTEREST == 0 {
            // Nobody will ever read it: drop it here, on the loop thread (invariant 2).
            // SAFETY: with no join interest the loop owns the outcome.
            let stage = unsafe { std::mem::replace(&mut *self.stage.get(), Stage::Consumed) };
            if let Stage::Finished(Err(TaskError::Panicked(p))) = &stage {
                crate::report::unretrieved_panic(&self.header, p);
            }
            drop(stage);
        } else if prev & JOIN_WAKER != 0 {
            let waker = lock(&self.header.join_waker).take();
            if let Some(w) = waker {
                w.wake();
            }
        }
        core_::forget_task(&self.header);
    }

    /// Drops the future in place, catching a panic from its destructor.
    ///
    /// # Safety
    /// As for [`complete`](Self::complete).
    unsafe fn drop_future(&self) -> Option<Box<dyn Any + Send>> {
        // SAFETY: invariant 1.
        let stage = unsafe { &mut *self.stage.get() };
        catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed)).err()
    }
}

/// A waker for `cell` that borrows the queue's reference instead of taking its own.
fn waker_ref<F: Future + 'static>(cell: &Arc<TaskCell<F>>) -> ManuallyDrop<Waker> {
    let ptr = Arc::as_ptr(cell) as *const ();
    // SAFETY: the vtable's functions expect `ptr` from an `Arc<TaskCell<F>>`; wrapping the
    // waker in `ManuallyDrop` means this borrowed one never releases the reference it
    // does not own, while clones made from it take their own.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(ptr, &TaskCell::<F>::VTABLE)) })
}

impl<F: Future + 'static> Run for TaskCell<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(self: Arc<Self>) {
        let before = self.header.state.start_run();
        if before & COMPLETE != 0 {
            return;
        }
        if before & CANCEL != 0 {
            // SAFETY: `start_run` made us the runner (invariant 1).
            unsafe {
                let _ = self.drop_future();
                self.complete(Err(TaskError::Cancelled));
            }
            return;
        }
        let waker = waker_ref(&self);
        let mut cx = Context::from_waker(&waker);
        // SAFETY: invariant 1: we are the runner; the future never moves while in the
        // cell (the cell is heap-pinned by the Arc and the stage is replaced, not moved).
        let stage = unsafe { &mut *self.stage.get() };
        let polled = catch_unwind(AssertUnwindSafe(|| match stage {
            Stage::Running(f) => {
                // SAFETY: see above: pinned for as long as it lives.
                let f = unsafe { Pin::new_unchecked(f) };
                weft_futures::coop::with_budget(|| f.poll(&mut cx))
            }
            _ => unreachable!("a task without its future was scheduled"),
        }));
        match polled {
            Ok(Poll::Pending) => {
                if self.header.state.idle() == AfterPoll::Requeue {
                    Self::schedule(self);
                }
            }
            Ok(Poll::Ready(out)) => {
                // SAFETY: still the runner.
                unsafe {
                    let _ = self.drop_future();
                    self.complete(Ok(out));
                }
            }
            Err(payload) => {
                // SAFETY: still the runner.
                unsafe {
                    let _ = self.drop_future();
                    self.complete(Err(TaskError::Panicked(crate::error::Panic::new(payload))));
                }
            }
        }
    }

    fn shutdown(&self) {
        if self.header.state.load() & COMPLETE != 0 {
            return;
        }
        // SAFETY: shutdown runs on the loop thread while no task runs (invariant 1).
        unsafe {
            let _ = self.drop_future();
            self.complete(Err(TaskError::Cancelled));
        }
    }
}

impl<F: Future + 'static> Join<F::Output> for TaskCell<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, TaskError>> {
        let mut st = self.header.state.load();
        if st & COMPLETE == 0 {
            {
                let mut slot = lock(&self.header.join_waker);
                match &*slot {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *slot = Some(cx.waker().clone()),
                }
            }
            st = self.header.state.set_join_waker();
            if st & COMPLETE == 0 {
                return Poll::Pending;
            }
        }
        // SAFETY: invariant 2: complete with join interest (we hold it), so the outcome
        // is ours; `Acquire` on the state word made the stage write visible.
        let stage = unsafe { std::mem::replace(&mut *self.stage.get(), Stage::Consumed) };
        match stage {
            Stage::Finished(out) => Poll::Ready(out),
            _ => panic!("a weft Task was polled after it returned its output"),
        }
    }

    fn cancel(&self) {
        if self.header.state.cancel() == Wake::Push {
            let ptr = self as *const Self;
            // SAFETY: `self` lives in an `Arc` (cells are only made by `new`); the queue
            // entry gets a reference of its own.
            unsafe { Arc::increment_strong_count(ptr) };
            // SAFETY: that reference is handed to the queue.
            Self::schedule(unsafe { Arc::from_raw(ptr) });
        }
    }

    fn drop_join(&self) {
        let prev = self.header.state.drop_join();
        if prev & COMPLETE != 0 {
            // SAFETY: invariant 2: the outcome is ours to drop.
            let stage = unsafe { std::mem::replace(&mut *self.stage.get(), Stage::Consumed) };
            if let Stage::Finished(Err(TaskError::Panicked(p))) = &stage {
                crate::report::unretrieved_panic(&self.header, p);
            }
            drop(stage);
        }
        if prev & JOIN_WAKER != 0 {
            drop(lock(&self.header.join_waker).take());
        }
    }
}

impl<F: Future> Drop for TaskCell<F> {
    fn drop(&mut self) {
        let stage = self.stage.get_mut();
        // The loop's thread is the one that made it (an `EventLoop` is `!Send`).
        if matches!(stage, Stage::Running(_))
            && std::thread::current().id() != self.header.shared.owner
        {
            // Invariant 3: never drop a (possibly `!Send`) future off its loop thread.
            std::mem::forget(std::mem::replace(stage, Stage::Consumed));
        }
    }
}
