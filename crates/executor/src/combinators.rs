//! asyncio's task combinators: [`wait`] / [`wait_timeout`] ([`ReturnWhen`]),
//! [`as_completed`] and [`shield`].
//!
//! [`wait`] and [`as_completed`] poll only the children that were woken since their last
//! poll (each child gets a waker of its own), so waiting on many tasks costs O(woken)
//! per wake-up, not O(all).

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_core::{FusedStream, Stream};
use weft_futures::Sleep;

use crate::error::TaskError;
use crate::task::{spawn, Task};

// ---------------------------------------------------------------------------------------
// Per-child wakers
// ---------------------------------------------------------------------------------------

/// Which children were woken since the parent last looked, and the parent's waker.
struct ReadyState {
    /// Woken children, in wake order, each at most once.
    woken: Vec<usize>,
    /// `queued[i]`: child `i` is in `woken`.
    queued: Vec<bool>,
    /// The waker of the task polling the parent; taken by the first child wake.
    parent: Option<Waker>,
}

struct ReadySet {
    state: Mutex<ReadyState>,
}

impl ReadySet {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The waker handed to child `index`: queues it and wakes the parent.
struct ChildWaker {
    set: Arc<ReadySet>,
    index: usize,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parent = {
            let mut st = self.set.lock();
            if !st.queued[self.index] {
                st.queued[self.index] = true;
                st.woken.push(self.index);
            }
            st.parent.take()
        };
        if let Some(w) = parent {
            w.wake();
        }
    }
}

/// One waker per child, and the set they report to. Every child starts woken, so the
/// first poll polls them all, in argument order.
struct Wakers {
    set: Arc<ReadySet>,
    wakers: Vec<Waker>,
    /// Reused buffer for [`Wakers::drain`].
    scratch: Vec<usize>,
}

impl Wakers {
    fn new(n: usize) -> Wakers {
        let set = Arc::new(ReadySet {
            state: Mutex::new(ReadyState {
                woken: (0..n).collect(),
                queued: vec![true; n],
                parent: None,
            }),
        });
        let wakers = (0..n)
            .map(|index| {
                Waker::from(Arc::new(ChildWaker {
                    set: set.clone(),
                    index,
                }))
            })
            .collect();
        Wakers {
            set,
            wakers,
            scratch: Vec::new(),
        }
    }

    /// Registers the parent's waker and takes the children woken since the last call, in
    /// wake order, into `self.scratch`. A child that wakes while it is being polled is
    /// queued again (and wakes the parent).
    fn drain(&mut self, cx: &Context<'_>) {
        let mut st = self.set.lock();
        match &st.parent {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.parent = Some(cx.waker().clone()),
        }
        self.scratch.clear();
        std::mem::swap(&mut self.scratch, &mut st.woken);
        for &i in &self.scratch {
            st.queued[i] = false;
        }
    }
}

impl Drop for Wakers {
    fn drop(&mut self) {
        // Children handed back (pending tasks) may still hold our wakers until they are
        // polled again: let their wakes no longer reach the parent.
        self.set.lock().parent = None;
    }
}

// ---------------------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------------------

/// When [`wait`] returns (asyncio's `return_when`).
///
/// ```
/// use std::time::Duration;
/// use weft::ReturnWhen;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let tasks = vec![
///         weft::spawn(weft::sleep(Duration::from_secs(1))),
///         weft::spawn(weft::sleep(Duration::from_secs(2))),
///     ];
///     let (done, pending) = weft::wait(tasks, ReturnWhen::FirstCompleted).await;
///     assert_eq!((done.len(), pending.len()), (1, 1));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as at least one task has finished (output, panic or cancellation).
    FirstCompleted,
    /// As soon as one task has panicked, or else when all have finished. A cancelled
    /// task is not an exception, as in asyncio.
    FirstException,
    /// When every task has finished (the default).
    #[default]
    AllCompleted,
}

/// A task that [`wait`] saw finish, with its outcome: the [`Task`] handle has already
/// given its output away, so the output travels here.
///
/// ```
/// weft::run(async {
///     let (done, _) = weft::wait(vec![weft::spawn(async { 7 })], weft::ReturnWhen::AllCompleted).await;
///     let d = &done[0];
///     assert_eq!(d.index, 0);
///     assert_eq!(*d.result.as_ref().unwrap(), 7);
/// });
/// ```
#[derive(Debug)]
pub struct Done<T> {
    /// The task's position in the argument of [`wait`].
    pub index: usize,
    /// The task's [`id`](Task::id).
    pub id: u64,
    /// What awaiting the task gave: its output, or why it has none.
    pub result: Result<T, TaskError>,
}

impl<T> Done<T> {
    /// Whether the task panicked (what [`ReturnWhen::FirstException`] waits for).
    ///
    /// ```
    /// weft::run(async {
    ///     let t = weft::spawn(async { panic!("boom") });
    ///     let (done, _) = weft::wait(vec![t], weft::ReturnWhen::FirstException).await;
    ///     assert!(done[0].is_panic());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.result, Err(TaskError::Panicked(_)))
    }
}

/// Waits for `tasks` until `return_when` is met (asyncio's `asyncio.wait`) and resolves
/// to `(done, pending)`, each in argument order.
///
/// - `done` holds a [`Done`] per finished task: its index in `tasks`, its id and its
///   already-retrieved `Result<T, TaskError>` (a finished [`Task`] has nothing left to
///   await, so the outcome is handed over instead of the handle).
/// - `pending` holds the [`Task`]s still running, untouched: await them, `wait` on them
///   again, or drop them to detach them.
///
/// `wait` never cancels anything, not even when it is dropped. Tasks that finish in the
/// same loop turn are all in `done`. An empty `tasks` resolves at once to two empty
/// vectors (asyncio raises `ValueError`). For a time limit see [`wait_timeout`].
///
/// ```
/// use std::time::Duration;
/// use weft::ReturnWhen;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let tasks: Vec<_> = [3u64, 1, 2]
///         .into_iter()
///         .map(|s| weft::spawn(async move {
///             weft::sleep(Duration::from_secs(s)).await;
///             s
///         }))
///         .collect();
///     let (done, pending) = weft::wait(tasks, ReturnWhen::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!((done[0].index, done[0].result.as_ref().unwrap()), (1, &1));
///     // The others were not cancelled.
///     let rest: Vec<u64> = weft::gather(pending).await.into_iter().map(Result::unwrap).collect();
///     assert_eq!(rest, [3, 2]);
/// });
/// ```
pub fn wait<T, I>(tasks: I, return_when: ReturnWhen) -> Wait<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    Wait::new(tasks, return_when, None)
}

/// [`wait`] with a time limit (asyncio's `asyncio.wait(.., timeout=..)`): resolves when
/// `return_when` is met or when `timeout` has passed on the loop clock, whichever comes
/// first, with whatever is done by then. Like `wait`, it cancels nothing on timeout:
/// the unfinished tasks are returned in `pending`, still running.
///
/// Inside a loop the deadline is fixed when `wait_timeout` is called (as for
/// [`sleep`](weft_futures::sleep)). A task whose own timer fires at the very instant of
/// the deadline is done only if it ran before the waiter in that loop turn (timers of
/// equal deadlines fire in the order they were armed), as in asyncio.
///
/// ```
/// use std::time::Duration;
/// use weft::ReturnWhen;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let h = weft::Handle::current();
///     let t0 = h.time();
///     let tasks = vec![
///         weft::spawn(weft::sleep(Duration::from_secs(1))),
///         weft::spawn(weft::sleep(Duration::from_secs(10))),
///     ];
///     let (done, pending) =
///         weft::wait_timeout(tasks, ReturnWhen::AllCompleted, Duration::from_secs(5)).await;
///     assert_eq!(h.time() - t0, Duration::from_secs(5));
///     assert_eq!((done.len(), pending.len()), (1, 1));
/// });
/// ```
pub fn wait_timeout<T, I>(tasks: I, return_when: ReturnWhen, timeout: Duration) -> Wait<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    Wait::new(tasks, return_when, Some(weft_futures::sleep(timeout)))
}

enum Slot<T> {
    Pending(Task<T>),
    Done(Done<T>),
}

/// The future returned by [`wait`] and [`wait_timeout`]: resolves to
/// `(Vec<Done<T>>, Vec<Task<T>>)`, the finished and the still-running tasks, each in
/// argument order.
///
/// ```
/// weft::run(async {
///     let w = weft::wait(vec![weft::spawn(async { 1 }), weft::spawn(async { 2 })],
///                        weft::ReturnWhen::AllCompleted);
///     assert_eq!(w.len(), 2);
///     let (done, pending) = w.await;
///     assert_eq!((done.len(), pending.len()), (2, 0));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    slots: Vec<Slot<T>>,
    wakers: Wakers,
    return_when: ReturnWhen,
    /// Tasks not finished yet.
    remaining: usize,
    /// Whether a finished task panicked.
    panicked: bool,
    deadline: Option<Sleep>,
    finished: bool,
}

// `Wait` never pins what it holds: tasks and `Sleep` are `Unpin`, and the outputs are
// only moved.
impl<T> Unpin for Wait<T> {}

impl<T> Wait<T> {
    fn new<I>(tasks: I, return_when: ReturnWhen, deadline: Option<Sleep>) -> Wait<T>
    where
        I: IntoIterator<Item = Task<T>>,
    {
        let slots: Vec<_> = tasks.into_iter().map(Slot::Pending).collect();
        Wait {
            wakers: Wakers::new(slots.len()),
            remaining: slots.len(),
            slots,
            return_when,
            panicked: false,
            deadline,
            finished: false,
        }
    }

    /// How many tasks are waited on.
    ///
    /// ```
    /// let w = weft::wait(Vec::<weft::Task<()>>::new(), weft::ReturnWhen::AllCompleted);
    /// assert_eq!(w.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no tasks at all (it then resolves at once).
    ///
    /// ```
    /// let w = weft::wait(Vec::<weft::Task<()>>::new(), weft::ReturnWhen::AllCompleted);
    /// assert!(w.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn condition_met(&self) -> bool {
        if self.remaining == 0 {
            return true;
        }
        match self.return_when {
            ReturnWhen::FirstCompleted => self.remaining < self.slots.len(),
            ReturnWhen::FirstException => self.panicked,
            ReturnWhen::AllCompleted => false,
        }
    }
}

impl<T> Future for Wait<T> {
    type Output = (Vec<Done<T>>, Vec<Task<T>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.finished, "weft::wait polled after completion");
        this.wakers.drain(cx);
        for &i in &this.wakers.scratch {
            let Slot::Pending(task) = &mut this.slots[i] else {
                continue;
            };
            let mut child_cx = Context::from_waker(&this.wakers.wakers[i]);
            if let Poll::Ready(result) = Pin::new(&mut *task).poll(&mut child_cx) {
                let id = task.id();
                this.panicked |= matches!(result, Err(TaskError::Panicked(_)));
                this.slots[i] = Slot::Done(Done {
                    index: i,
                    id,
                    result,
                });
                this.remaining -= 1;
            }
        }
        if !this.condition_met() {
            let timed_out = match &mut this.deadline {
                Some(sleep) => Pin::new(sleep).poll(cx).is_ready(),
                None => false,
            };
            if !timed_out {
                return Poll::Pending;
            }
        }
        this.finished = true;
        this.deadline = None;
        this.wakers.set.lock().parent = None;
        let mut done = Vec::with_capacity(this.slots.len() - this.remaining);
        let mut pending = Vec::with_capacity(this.remaining);
        for slot in this.slots.drain(..) {
            match slot {
                Slot::Done(d) => done.push(d),
                Slot::Pending(t) => pending.push(t),
            }
        }
        Poll::Ready((done, pending))
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("tasks", &self.slots.len())
            .field("remaining", &self.remaining)
            .field("return_when", &self.return_when)
            .field("timeout", &self.deadline.is_some())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// as_completed
// ---------------------------------------------------------------------------------------

/// A [`Stream`] of the outputs of `futures` in the order they complete (asyncio's
/// `as_completed`).
///
/// The futures are polled in place by whoever polls the stream: nothing is spawned, so
/// they need not be `'static`, and they only make progress while the stream is polled.
/// To run them in the background, pass [`Task`]s (from [`spawn`](crate::spawn)): the
/// stream then yields each task's `Result<T, TaskError>`. Each item comes out as soon as
/// the stream sees it finish; futures seen finishing in the same poll come out in the
/// order they were woken (for timers, deadline order). Dropping the stream drops the
/// futures not yet finished (tasks are detached, not cancelled).
///
/// Consume it with the inherent [`AsCompleted::next`], or as any `Stream`. To know
/// which future an output belongs to, make the futures return a tag with it.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let mut stream = weft::as_completed([3u64, 1, 2].map(|s| async move {
///         weft::sleep(Duration::from_secs(s)).await;
///         s
///     }));
///     let mut order = Vec::new();
///     while let Some(s) = stream.next().await {
///         order.push(s);
///     }
///     assert_eq!(order, [1, 2, 3]);
/// });
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let futures: Vec<_> = futures
        .into_iter()
        .map(|f| Some(Box::pin(f.into_future())))
        .collect();
    AsCompleted {
        wakers: Wakers::new(futures.len()),
        remaining: futures.len(),
        futures,
        ready: VecDeque::new(),
    }
}

/// The [`Stream`] returned by [`as_completed`].
///
/// ```
/// weft::run(async {
///     let mut s = weft::as_completed([std::future::ready(1), std::future::ready(2)]);
///     assert_eq!(s.len(), 2);
///     assert_eq!(s.next().await, Some(1));
///     assert_eq!(s.len(), 1);
/// });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F: Future> {
    futures: Vec<Option<Pin<Box<F>>>>,
    wakers: Wakers,
    /// Futures not finished yet.
    remaining: usize,
    /// Outputs seen but not yielded yet, in completion order.
    ready: VecDeque<F::Output>,
}

// The futures are boxed; the outputs are only moved.
impl<F: Future> Unpin for AsCompleted<F> {}

impl<F: Future> AsCompleted<F> {
    /// The next output in completion order, or `None` once every future's output was
    /// yielded (the `Stream`'s `next`, without needing an extension trait).
    ///
    /// ```
    /// weft::run(async {
    ///     let mut s = weft::as_completed(vec![weft::spawn(async { "hi" })]);
    ///     assert_eq!(s.next().await.unwrap().unwrap(), "hi");
    ///     assert!(s.next().await.is_none());
    /// });
    /// ```
    // Named as `StreamExt::next`, which it mirrors; it is async, not `Iterator::next`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> impl Future<Output = Option<F::Output>> + '_ {
        std::future::poll_fn(move |cx| Pin::new(&mut *self).poll_next(cx))
    }

    /// How many outputs are still to come.
    ///
    /// ```
    /// let s = weft::as_completed([std::future::ready(1)]);
    /// assert_eq!(s.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.remaining + self.ready.len()
    }

    /// Whether every output was yielded.
    ///
    /// ```
    /// let s = weft::as_completed(Vec::<std::future::Ready<u8>>::new());
    /// assert!(s.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let this = &mut *self;
        if let Some(out) = this.ready.pop_front() {
            return Poll::Ready(Some(out));
        }
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        this.wakers.drain(cx);
        for &i in &this.wakers.scratch {
            let Some(fut) = &mut this.futures[i] else {
                continue;
            };
            let mut child_cx = Context::from_waker(&this.wakers.wakers[i]);
            if let Poll::Ready(out) = fut.as_mut().poll(&mut child_cx) {
                this.futures[i] = None;
                this.remaining -= 1;
                this.ready.push_back(out);
            }
        }
        match this.ready.pop_front() {
            Some(out) => Poll::Ready(Some(out)),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<F: Future> FusedStream for AsCompleted<F> {
    fn is_terminated(&self) -> bool {
        self.is_empty()
    }
}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("ready", &self.ready.len())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// shield
// ---------------------------------------------------------------------------------------

/// Protects `future` from cancellation (asyncio's `shield`): it is spawned as a task at
/// once, and the returned [`Shield`] awaits that task. Dropping the shield — e.g.
/// because the task awaiting it was cancelled, or a [`wait_for`](weft_futures::wait_for)
/// timed out — detaches the inner task instead of cancelling it: it keeps running to
/// completion (a panic nobody retrieves is then reported by the loop).
///
/// Awaiting the shield gives the inner task's `Result<T, TaskError>`: `Ok(output)`, or
/// [`TaskError::Panicked`] if it panicked, or [`TaskError::Cancelled`] if it was
/// cancelled through [`Shield::into_task`] or by the loop closing.
///
/// # Panics
/// Outside a running weft loop, like [`spawn`](crate::spawn).
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let finished = weft::Promise::new();
///     let setter = finished.clone();
///     let out = weft::wait_for(Duration::from_secs(1), weft::shield(async move {
///         weft::sleep(Duration::from_secs(2)).await;
///         setter.set_result("saved").unwrap();
///     }))
///     .await;
///     assert!(out.is_err()); // the wait timed out and dropped the shield...
///     assert_eq!(finished.await.unwrap(), "saved"); // ...but the inner future finished
/// });
/// ```
#[track_caller]
pub fn shield<F>(future: F) -> Shield<F::Output>
where
    F: Future + 'static,
{
    Shield {
        task: spawn(future),
    }
}

/// The future returned by [`shield`]: resolves to the inner task's
/// `Result<T, TaskError>`; dropping it leaves the inner task running.
///
/// ```
/// weft::run(async {
///     let s = weft::shield(async { 2 + 2 });
///     assert_eq!(s.await.unwrap(), 4);
/// });
/// ```
#[must_use = "the shielded future runs anyway; await the shield for its output"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Shield<T> {
    /// The inner task's handle, e.g. to cancel it explicitly after all.
    ///
    /// ```
    /// weft::run(async {
    ///     let task = weft::shield(std::future::pending::<()>()).into_task();
    ///     assert!(task.cancel());
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn into_task(self) -> Task<T> {
        self.task
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
