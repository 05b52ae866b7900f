//! [`TaskGroup`]: asyncio's structured concurrency.

use std::cell::RefCell;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use thiserror::Error;

use crate::error::Panic;
use crate::handle::Handle;
use crate::task::{spawn, Task};

/// A group of child tasks that succeed or fail together (asyncio's `TaskGroup`).
///
/// Children are futures returning `Result<T, E>`, started with [`spawn`](Self::spawn);
/// [`join`](Self::join) waits for all of them and gives their outputs in spawn order.
///
/// - **The first failure cancels the siblings.** A failure is a child returning
///   `Err(E)` or panicking. As in asyncio, the siblings are cancelled at the next loop
///   turn (a done callback), so children failing in the same turn all report their
///   failure. `join` then waits until every child has finished, and returns a
///   [`TaskGroupError`] holding *every* failure, in the order they happened.
///   Siblings that were cancelled are not failures.
/// - **Children never outlive the group's owner.** The handle returned by
///   [`new`](Self::new) is the owner's; dropping it before the group was joined (its
///   owner was cancelled, say) cancels every child, and so does dropping an unfinished
///   [`TaskGroupJoin`] (e.g. on a [`wait_for`](weft_futures::wait_for) timeout). Cancelled
///   children are dropped at their next scheduling point: their `Drop` is the cleanup.
/// - **Children can spawn siblings** through a [`clone`](Clone::clone) of the group
///   (an `Rc` handle). Clones are for spawning: dropping one does nothing. Keep the
///   `new` handle in the owner.
/// - **Nested groups** compose: a child that owns a group and returns its
///   [`TaskGroupError`] as (part of) its `E` fails the outer group; cancelling the outer
///   group drops that child, hence the inner group's owner, which cancels the inner
///   children.
/// - Once joined (or shutting down after a failure), the group refuses new children
///   with [`GroupClosed`].
///
/// Unlike asyncio, the owner's own body is not interrupted when a child fails: the
/// failure is reported by `join`. The group lives on one loop's thread (`!Send`).
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let group = weft::TaskGroup::<u64, String>::new();
///     for s in [3, 1, 2] {
///         group.spawn(async move {
///             weft::sleep(Duration::from_secs(s)).await;
///             Ok(s * 10)
///         }).unwrap();
///     }
///     assert_eq!(group.join().await.unwrap(), vec![30, 10, 20]);
///
///     let group = weft::TaskGroup::<(), String>::new();
///     group.spawn(async { Err("boom".to_string()) }).unwrap();
///     group.spawn(std::future::pending()).unwrap(); // cancelled by the failure
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.to_string(), "unhandled errors in a TaskGroup (1 sub-error): boom");
/// });
/// ```
pub struct TaskGroup<T, E> {
    inner: Rc<Inner<T, E>>,
    /// Whether this is the handle `new` made (dropping it cancels the group).
    owner: bool,
}

struct Inner<T, E> {
    state: RefCell<State<T, E>>,
    /// The children's tasks by index, to cancel them; `None` while one is being spawned.
    tasks: RefCell<Vec<Option<Task<()>>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepting children.
    Open,
    /// A child failed, or the group was cancelled: no new children.
    Aborting,
    /// Joined: every child finished and the outcome was handed out.
    Finished,
}

struct State<T, E> {
    phase: Phase,
    children: Vec<ChildSlot<T>>,
    /// Children not finished yet.
    running: usize,
    /// Failures in order of occurrence.
    errors: Vec<ChildFailure<E>>,
    /// The waker of the pending [`TaskGroupJoin`], woken when `running` drops to zero.
    joiner: Option<Waker>,
    /// Whether a [`TaskGroupJoin`] is registered (polled, not finished, not dropped).
    joining: bool,
}

struct ChildSlot<T> {
    output: Option<T>,
    finished: bool,
}

impl<T, E> State<T, E> {
    /// Marks child `index` finished; gives the joiner's waker if it was the last one.
    fn child_finished(&mut self, index: usize) -> Option<Waker> {
        self.children[index].finished = true;
        self.running -= 1;
        if self.running == 0 {
            self.joiner.take()
        } else {
            None
        }
    }
}

impl<T, E> Inner<T, E> {
    /// Shuts the group down at once: no new children, every running child cancelled.
    fn abort(&self) {
        {
            let mut st = self.state.borrow_mut();
            if st.phase == Phase::Finished {
                return;
            }
            st.phase = Phase::Aborting;
        }
        self.cancel_children();
    }

    fn cancel_children(&self) {
        // `Task::cancel` only flags and schedules the task: nothing is dropped here.
        for task in self.tasks.borrow().iter().flatten() {
            task.cancel();
        }
    }
}

impl<T, E> TaskGroup<T, E> {
    /// A new, empty group; the returned handle is the owner's (see the type's docs).
    ///
    /// ```
    /// weft::run(async {
    ///     let group = weft::TaskGroup::<(), std::io::Error>::new();
    ///     assert_eq!(group.join().await.unwrap(), vec![]);
    /// });
    /// ```
    pub fn new() -> TaskGroup<T, E> {
        TaskGroup {
            inner: Rc::new(Inner {
                state: RefCell::new(State {
                    phase: Phase::Open,
                    children: Vec::new(),
                    running: 0,
                    errors: Vec::new(),
                    joiner: None,
                    joining: false,
                }),
                tasks: RefCell::new(Vec::new()),
            }),
            owner: true,
        }
    }

    /// Waits until every child has finished — including children spawned meanwhile —
    /// then closes the group and gives the outcome (asyncio's `async with` exit).
    ///
    /// `Ok` holds every child's output in spawn order. `Err` holds every failure, in
    /// order of occurrence; its `errors` is empty if no child failed but some were
    /// cancelled anyway (the group was cancelled by dropping its owner or an earlier
    /// `TaskGroupJoin`).
    ///
    /// Dropping the returned [`TaskGroupJoin`] after it was first polled and before it completes
    /// cancels the children (a later `join` then waits for their cleanup).
    ///
    /// # Panics
    /// When polled while another `TaskGroupJoin` of the same group is pending, or after the
    /// group was already joined. Never join a group from one of its own children: it
    /// would wait for itself.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let group = weft::TaskGroup::<&str, ()>::new();
    ///     group.spawn(async { weft::sleep(Duration::from_secs(2)).await; Ok("slow") }).unwrap();
    ///     group.spawn(async { Ok("fast") }).unwrap();
    ///     assert_eq!(group.join().await.unwrap(), ["slow", "fast"]);
    /// });
    /// ```
    pub fn join(&self) -> TaskGroupJoin<'_, T, E> {
        TaskGroupJoin {
            group: self,
            registered: false,
            finished: false,
        }
    }
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// Starts `future` as a child task of the group (asyncio's `tg.create_task`).
    ///
    /// Its output lands at position [`ChildHandle::index`] of what [`join`](Self::join)
    /// gives. If the group was joined ([`GroupClosed::Finished`]) or is shutting down
    /// after a failure or cancellation ([`GroupClosed::ShuttingDown`]), the future is
    /// dropped without running and the error is returned.
    ///
    /// # Panics
    /// Outside a running weft loop, like [`spawn`](crate::spawn).
    ///
    /// ```
    /// weft::run(async {
    ///     let group = weft::TaskGroup::<u32, ()>::new();
    ///     let child = group.spawn(async { Ok(1) }).unwrap();
    ///     assert_eq!(child.index(), 0);
    ///     group.join().await.unwrap();
    ///     assert_eq!(group.spawn(async { Ok(2) }).unwrap_err(), weft::GroupClosed::Finished);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<ChildHandle, GroupClosed>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        let index = {
            let mut st = self.inner.state.borrow_mut();
            match st.phase {
                Phase::Open => {}
                Phase::Aborting => return Err(GroupClosed::ShuttingDown),
                Phase::Finished => return Err(GroupClosed::Finished),
            }
            st.children.push(ChildSlot {
                output: None,
                finished: false,
            });
            st.running += 1;
            st.children.len() - 1
        };
        self.inner.tasks.borrow_mut().push(None);
        let guard = ChildGuard {
            group: self.inner.clone(),
            index,
            settled: false,
        };
        // No borrow is held here: on a closed loop the child is dropped at once, and its
        // guard then updates the state.
        let task = spawn(run_child(future, guard));
        let id = task.id();
        self.inner.tasks.borrow_mut()[index] = Some(task);
        let status: Weak<dyn ChildStatus> = Rc::downgrade(&self.inner) as Weak<dyn ChildStatus>;
        Ok(ChildHandle { status, index, id })
    }
}

impl<T, E> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> Clone for TaskGroup<T, E> {
    /// Another handle to the same group, for spawning (e.g. from a child). It is not
    /// the owner's: dropping it does not cancel the group.
    fn clone(&self) -> Self {
        TaskGroup {
            inner: self.inner.clone(),
            owner: false,
        }
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        if self.owner {
            self.inner.abort();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.borrow();
        f.debug_struct("TaskGroup")
            .field("phase", &st.phase)
            .field("children", &st.children.len())
            .field("running", &st.running)
            .field("failures", &st.errors.len())
            .field("owner", &self.owner)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------------

/// Reports a child's end to its group: [`settle`](Self::settle) with its outcome, or,
/// dropped unsettled, as cancelled.
struct ChildGuard<T, E> {
    group: Rc<Inner<T, E>>,
    index: usize,
    settled: bool,
}

impl<T: 'static, E: 'static> ChildGuard<T, E> {
    fn settle(mut self, outcome: Result<T, ChildFailure<E>>) {
        self.settled = true;
        let (first_failure, joiner) = {
            let mut st = self.group.state.borrow_mut();
            let first_failure = match outcome {
                Ok(v) => {
                    st.children[self.index].output = Some(v);
                    false
                }
                Err(failure) => {
                    st.errors.push(failure);
                    let first = st.phase == Phase::Open;
                    if first {
                        st.phase = Phase::Aborting;
                    }
                    first
                }
            };
            (first_failure, st.child_finished(self.index))
        };
        if first_failure {
            // asyncio cancels the siblings from the failed task's done callback: at the
            // next turn, so that siblings failing in this same turn still report it.
            let group = Rc::downgrade(&self.group);
            Handle::current().call_soon(move || {
                if let Some(group) = group.upgrade() {
                    group.cancel_children();
                }
            });
        }
        if let Some(w) = joiner {
            w.wake();
        }
    }
}

impl<T, E> Drop for ChildGuard<T, E> {
    fn drop(&mut self) {
        if !self.settled {
            // Cancelled: not a failure.
            let joiner = self.group.state.borrow_mut().child_finished(self.index);
            if let Some(w) = joiner {
                w.wake();
            }
        }
    }
}

/// The body of a child task: runs `future`, catching its panic, and reports to the
/// group. Cancelled, it drops `future` (its cleanup) and then the guard, which reports
/// the child cancelled.
async fn run_child<T: 'static, E: 'static, F>(future: F, guard: ChildGuard<T, E>)
where
    F: Future<Output = Result<T, E>>,
{
    // The future is dropped at the end of this block, before the group hears of it.
    let outcome = {
        let mut future = pin!(future);
        poll_fn(
            |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(Ok(v))) => Poll::Ready(Ok(v)),
                Ok(Poll::Ready(Err(e))) => Poll::Ready(Err(ChildFailure::Error(e))),
                Err(payload) => Poll::Ready(Err(ChildFailure::Panicked(Panic::new(payload)))),
            },
        )
        .await
    };
    guard.settle(outcome);
}

/// What a [`ChildHandle`] asks its group, whatever the group's types.
trait ChildStatus {
    fn child_finished(&self, index: usize) -> bool;
}

impl<T, E> ChildStatus for Inner<T, E> {
    fn child_finished(&self, index: usize) -> bool {
        self.state.borrow().children[index].finished
    }
}

/// A child of a [`TaskGroup`], as returned by [`TaskGroup::spawn`]. Its output is not
/// awaited here: it is in the group's [`join`](TaskGroup::join) outcome, at
/// [`index`](Self::index). Dropping the handle does nothing.
///
/// ```
/// weft::run(async {
///     let group = weft::TaskGroup::<(), ()>::new();
///     let child = group.spawn(async { Ok(()) }).unwrap();
///     assert!(!child.done());
///     group.join().await.unwrap();
///     assert!(child.done());
/// });
/// ```
pub struct ChildHandle {
    status: Weak<dyn ChildStatus>,
    index: usize,
    id: u64,
}

impl ChildHandle {
    /// The child's position in spawn order: where its output is in
    /// [`join`](TaskGroup::join)'s `Vec`.
    ///
    /// ```
    /// weft::run(async {
    ///     let group = weft::TaskGroup::<u8, ()>::new();
    ///     let a = group.spawn(async { Ok(1) }).unwrap();
    ///     let b = group.spawn(async { Ok(2) }).unwrap();
    ///     let out = group.join().await.unwrap();
    ///     assert_eq!((out[a.index()], out[b.index()]), (1, 2));
    /// });
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The id of the child's task ([`Task::id`]).
    ///
    /// ```
    /// weft::run(async {
    ///     let group = weft::TaskGroup::<(), ()>::new();
    ///     let a = group.spawn(async { Ok(()) }).unwrap();
    ///     let b = group.spawn(async { Ok(()) }).unwrap();
    ///     assert_ne!(a.id(), b.id());
    /// # group.join().await.unwrap();
    /// });
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the child has finished: with an output, a failure, or cancelled. (Also
    /// `true` once the group itself is gone.)
    ///
    /// ```
    /// weft::run(async {
    ///     let group = weft::TaskGroup::<(), ()>::new();
    ///     let child = group.spawn(async { Ok(()) }).unwrap();
    ///     weft::yield_now().await;
    ///     assert!(child.done());
    /// # group.join().await.unwrap();
    /// });
    /// ```
    pub fn done(&self) -> bool {
        self.status
            .upgrade()
            .is_none_or(|g| g.child_finished(self.index))
    }
}

impl fmt::Debug for ChildHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildHandle")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("done", &self.done())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// TaskGroupJoin
// ---------------------------------------------------------------------------------------

/// The future returned by [`TaskGroup::join`]. Dropping it while it waits (polled, not
/// complete) cancels the group's children, as cancelling asyncio's `async with` does.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let group = weft::TaskGroup::<(), ()>::new();
///     group.spawn(async { weft::sleep(Duration::from_secs(60)).await; Ok(()) }).unwrap();
///     // Give up after 1 s: the TaskGroupJoin is dropped, so the child is cancelled...
///     assert!(weft::wait_for(Duration::from_secs(1), group.join()).await.is_err());
///     // ...and a new join reports the cancelled group once the child is gone.
///     assert!(group.join().await.unwrap_err().is_cancelled());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TaskGroupJoin<'a, T, E> {
    group: &'a TaskGroup<T, E>,
    /// Whether this join is the group's registered one.
    registered: bool,
    finished: bool,
}

impl<T, E> Future for TaskGroupJoin<'_, T, E> {
    type Output = Result<Vec<T>, TaskGroupError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.finished, "TaskGroup::join polled after completion");
        let inner = &self.group.inner;
        let mut st = inner.state.borrow_mut();
        assert!(
            st.phase != Phase::Finished,
            "TaskGroup::join: the group was already joined"
        );
        if !self.registered {
            assert!(
                !st.joining,
                "TaskGroup::join: the group is already being joined"
            );
            st.joining = true;
        }
        if st.running > 0 {
            match &st.joiner {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => st.joiner = Some(cx.waker().clone()),
            }
            drop(st);
            self.registered = true;
            return Poll::Pending;
        }
        st.phase = Phase::Finished;
        st.joining = false;
        st.joiner = None;
        let errors = std::mem::take(&mut st.errors);
        let outputs: Option<Vec<T>> = st.children.iter_mut().map(|c| c.output.take()).collect();
        drop(st);
        // Every child is done: their handles only hold `()` outcomes now.
        let tasks = std::mem::take(&mut *inner.tasks.borrow_mut());
        drop(tasks);
        self.finished = true;
        self.registered = false;
        Poll::Ready(match outputs {
            Some(outputs) if errors.is_empty() => Ok(outputs),
            _ => Err(TaskGroupError { errors }),
        })
    }
}

impl<T, E> Drop for TaskGroupJoin<'_, T, E> {
    fn drop(&mut self) {
        // Only a join that started waiting (was polled) and did not finish cancels.
        if self.finished || !self.registered {
            return;
        }
        {
            let mut st = self.group.inner.state.borrow_mut();
            st.joining = false;
            st.joiner = None;
        }
        self.group.inner.abort();
    }
}

impl<T, E> fmt::Debug for TaskGroupJoin<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupJoin")
            .field("group", self.group)
            .field("finished", &self.finished)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// How one child of a [`TaskGroup`] failed.
///
/// ```
/// let f: weft::ChildFailure<&str> = weft::ChildFailure::Error("no route to host");
/// assert_eq!(f.to_string(), "no route to host");
/// let p = weft::ChildFailure::<&str>::Panicked(weft::Panic::new(Box::new("oops")));
/// assert_eq!(p.to_string(), "task panicked: oops");
/// ```
#[derive(Debug, Error)]
pub enum ChildFailure<E> {
    /// The child returned `Err(E)`.
    #[error("{0}")]
    Error(E),
    /// The child panicked; the panic was caught.
    #[error("task panicked: {0}")]
    Panicked(Panic),
}

impl<E> ChildFailure<E> {
    /// Whether the child panicked.
    ///
    /// ```
    /// assert!(!weft::ChildFailure::Error(1).is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, ChildFailure::Panicked(_))
    }

    /// The child's error, if it returned one.
    ///
    /// ```
    /// assert_eq!(weft::ChildFailure::Error(1).error(), Some(&1));
    /// ```
    pub fn error(&self) -> Option<&E> {
        match self {
            ChildFailure::Error(e) => Some(e),
            ChildFailure::Panicked(_) => None,
        }
    }
}

/// Why [`TaskGroup::join`] has no outputs (asyncio's `ExceptionGroup` from a
/// `TaskGroup`): every failure of its children, in order of occurrence. The siblings it
/// cancelled are not listed. An empty `errors` means no child failed but the group was
/// cancelled (see [`is_cancelled`](Self::is_cancelled)).
///
/// ```
/// weft::run(async {
///     let group = weft::TaskGroup::<(), String>::new();
///     group.spawn(async { Err("a".to_string()) }).unwrap();
///     group.spawn(async { panic!("b") }).unwrap();
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.errors.len(), 2);
///     assert_eq!(err.to_string(), "unhandled errors in a TaskGroup (2 sub-errors): a; task panicked: b");
/// });
/// ```
#[derive(Debug)]
pub struct TaskGroupError<E> {
    /// Every failure, in order of occurrence.
    pub errors: Vec<ChildFailure<E>>,
}

impl<E> TaskGroupError<E> {
    /// Whether the group was cancelled with no child failing.
    ///
    /// ```
    /// assert!(weft::TaskGroupError::<()> { errors: vec![] }.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.errors.is_empty()
    }
}

// Written by hand: the message lists every failure, which needs `E: Display`.
impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        if n == 0 {
            return f.write_str("the task group was cancelled");
        }
        write!(
            f,
            "unhandled errors in a TaskGroup ({n} sub-error{}): ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}

/// [`TaskGroup::spawn`] refused a new child.
///
/// ```
/// assert_eq!(weft::GroupClosed::Finished.to_string(), "the TaskGroup is finished");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum GroupClosed {
    /// The group was joined: it takes no more children.
    #[error("the TaskGroup is finished")]
    Finished,
    /// A child failed or the group was cancelled: it is cancelling its children.
    #[error("the TaskGroup is shutting down")]
    ShuttingDown,
}
