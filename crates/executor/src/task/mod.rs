//! Tasks: spawned futures ([`spawn`]) and their handles ([`Task`]).

pub(crate) mod cell;
#[cfg_attr(loom, allow(dead_code))]
pub(crate) mod state;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::core::{self as core_, Core};
use crate::error::TaskError;
use crate::shared::{Injected, Shared};
use cell::{Join, Meta, Run, TaskCell};

/// Runs `future` as a task on the current loop (asyncio's `create_task` /
/// `ensure_future`). The future need not be `Send`: it never leaves this thread.
///
/// The task starts at the loop's next turn. Dropping the returned [`Task`] detaches it:
/// it keeps running.
///
/// # Panics
/// Outside a running weft loop (use [`Handle::spawn`](crate::Handle::spawn) from
/// elsewhere, or [`EventLoop::spawn`](crate::EventLoop::spawn) before running).
///
/// ```
/// use std::rc::Rc;
/// weft::run(async {
///     let not_send = Rc::new(5);
///     let t = weft::spawn(async move { *not_send * 2 });
///     assert_eq!(t.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
{
    let location = std::panic::Location::caller();
    core_::with_current(|c| match c {
        Some(core) => spawn_local(core, future, None, location),
        None => panic!("weft::spawn called outside of a running weft event loop"),
    })
}

/// The task being polled on this thread's loop (asyncio's `current_task()`); `None`
/// outside a task (in a callback, or in the main future of `run_until_complete`).
///
/// ```
/// weft::run(async {
///     assert!(weft::current_task().is_none()); // the main future is not a task
///     let t = weft::spawn(async { weft::current_task().unwrap().id });
///     let id = t.id();
///     assert_eq!(t.await.unwrap(), id);
/// });
/// ```
pub fn current_task() -> Option<crate::TaskRef> {
    core_::with_current(|c| c.and_then(|core| core.current_task()))
}

/// Every live task of this thread's running loop (asyncio's `all_tasks()`), by id.
///
/// ```
/// weft::run(async {
///     let a = weft::spawn(std::future::pending::<()>());
///     let b = weft::Builder::new().name("b").spawn(std::future::pending::<()>());
///     let names: Vec<_> = weft::all_tasks().into_iter().map(|t| t.task.name).collect();
///     assert_eq!(names, [a.name(), "b".to_string()]);
/// });
/// ```
pub fn all_tasks() -> Vec<crate::TaskInfo> {
    core_::with_current(|c| c.map(|core| core.all_tasks()).unwrap_or_default())
}

/// Spawns on `core` from its own thread.
pub(crate) fn spawn_local<F>(
    core: &Core,
    future: F,
    name: Option<std::borrow::Cow<'static, str>>,
    location: &'static std::panic::Location<'static>,
) -> Task<F::Output>
where
    F: Future + 'static,
{
    let id = core.shared.next_task_id();
    let meta = Meta::new(name, location, core.debug_now());
    core.metrics.spawned();
    let cell = TaskCell::new(future, core.shared.clone(), id, meta);
    if core.shared.is_closed() {
        cell.shutdown();
    } else {
        core.adopt(cell.clone());
    }
    Task::new(cell)
}

/// Spawns a `Send` future on the loop of `shared` from any thread.
pub(crate) fn spawn_remote<F>(
    shared: &Arc<Shared>,
    future: F,
    name: Option<std::borrow::Cow<'static, str>>,
    location: &'static std::panic::Location<'static>,
) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    let id = shared.next_task_id();
    let meta = Meta::new(name, location, None);
    let cell = TaskCell::new(future, shared.clone(), id, meta);
    if let Err(Injected::Spawn(t)) = shared.inject(Injected::Spawn(cell.clone())) {
        // Closed loop: the task ends cancelled without running. It never ran, so its
        // future may be dropped here (it is `Send`).
        t.shutdown();
    }
    Task::new(cell)
}

/// Spawns a task with options (for now, a name), like asyncio's
/// `create_task(coro, name=...)`.
///
/// ```
/// weft::run(async {
///     let t = weft::Builder::new().name("fetch").spawn(async { 1 });
///     assert_eq!(t.name(), "fetch");
///     assert_eq!(t.await.unwrap(), 1);
/// });
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until `spawn`"]
pub struct Builder {
    name: Option<std::borrow::Cow<'static, str>>,
}

impl Builder {
    /// A builder with no options set.
    ///
    /// ```
    /// let b = weft::Builder::new();
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task (shown by [`Task::name`], the task dump and slow-callback
    /// warnings). Unnamed tasks are `Task-<id>`. A `&'static str` is stored as is, with
    /// no allocation; a `String` is kept.
    ///
    /// ```
    /// let fixed = weft::Builder::new().name("worker");
    /// let built = weft::Builder::new().name(format!("worker-{}", 1));
    /// ```
    pub fn name(mut self, name: impl Into<std::borrow::Cow<'static, str>>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns on the current loop, like [`spawn`].
    ///
    /// # Panics
    /// Outside a running weft loop.
    ///
    /// ```
    /// weft::run(async {
    ///     let t = weft::Builder::new().name("x").spawn(async { "done" });
    ///     assert_eq!(t.await.unwrap(), "done");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
    {
        let location = std::panic::Location::caller();
        core_::with_current(|c| match c {
            Some(core) => spawn_local(core, future, self.name, location),
            None => panic!("weft::Builder::spawn called outside of a running weft event loop"),
        })
    }

    /// Spawns a `Send` future on `handle`'s loop from any thread, like
    /// [`Handle::spawn`](crate::Handle::spawn).
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let t = weft::Builder::new().name("remote").spawn_on(&lp.handle(), async { 3 });
    /// assert_eq!(lp.run_until_complete(t).unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, handle: &crate::Handle, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_with(future, self.name, std::panic::Location::caller())
    }
}

/// A handle to a spawned task (asyncio's `Task`): await it for the output.
///
/// Awaiting gives `Ok(output)`, or [`TaskError::Cancelled`] / [`TaskError::Panicked`].
/// Dropping the handle detaches the task; a panic nobody retrieves is reported through
/// `tracing` ("Task exception was never retrieved").
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let t = weft::spawn(async {
///         weft::sleep(Duration::from_secs(1)).await;
///         "Hello!"
///     });
///     assert!(!t.done());
///     assert_eq!(t.await.unwrap(), "Hello!");
/// });
/// ```
pub struct Task<T> {
    raw: Option<Arc<dyn Join<T>>>,
}

// SAFETY: a `Task<T>` only moves the output `T` (when `T: Send`) and touches the cell's
// thread-safe parts (state word, join waker mutex); see the cell's invariants.
unsafe impl<T: Send> Send for Task<T> {}
// SAFETY: `&Task<T>` only reaches `cancel`, `done`, `id` and `name`: atomics and
// immutable fields.
unsafe impl<T: Send> Sync for Task<T> {}

impl<T> Task<T> {
    fn new<F>(cell: Arc<TaskCell<F>>) -> Self
    where
        F: Future<Output = T> + 'static,
    {
        Task { raw: Some(cell) }
    }

    fn raw(&self) -> &Arc<dyn Join<T>> {
        self.raw.as_ref().expect("task handle already consumed")
    }

    /// Requests cancellation: at its next scheduling point the task's future is dropped
    /// (its `Drop` cleanup runs) and the handle resolves to [`TaskError::Cancelled`].
    /// Returns `false` if the task had already finished.
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
    ///     let t = weft::spawn(weft::sleep(Duration::from_secs(3600)));
    ///     weft::yield_now().await;
    ///     assert!(t.cancel());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        if self.done() {
            return false;
        }
        self.raw().cancel();
        true
    }

    /// Whether the task has finished (output, panic or cancellation).
    ///
    /// ```
    /// weft::run(async {
    ///     let t = weft::spawn(async {});
    ///     assert!(!t.done());
    ///     weft::yield_now().await;
    ///     assert!(t.done());
    /// });
    /// ```
    pub fn done(&self) -> bool {
        self.raw().header().state.load() & state::COMPLETE != 0
    }

    /// The task's id, unique within its loop.
    ///
    /// ```
    /// weft::run(async {
    ///     let (a, b) = (weft::spawn(async {}), weft::spawn(async {}));
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// ```
    pub fn id(&self) -> u64 {
        self.raw().header().id
    }

    /// The task's name: the one it was given, else `Task-<id>` as in asyncio.
    ///
    /// ```
    /// weft::run(async {
    ///     let t = weft::spawn(async {});
    ///     assert_eq!(t.name(), format!("Task-{}", t.id()));
    /// });
    /// ```
    pub fn name(&self) -> String {
        crate::introspect::task_name(self.raw().header())
    }

    /// Where the task was spawned.
    ///
    /// ```
    /// weft::run(async {
    ///     let t = weft::spawn(async {});
    ///     assert_eq!(t.location().line(), line!() - 1);
    /// });
    /// ```
    pub fn location(&self) -> &'static std::panic::Location<'static> {
        self.raw().header().meta.location
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(weft_futures::coop::poll_proceed(cx));
        let r = self.raw().poll_join(cx);
        if r.is_ready() {
            coop.made_progress();
        }
        r
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            raw.drop_join();
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("done", &self.done())
            .finish()
    }
}
