//! Seeing into a loop: task info and the task dump, the exception handler's context,
//! and the loop's metrics.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::task::cell::Header;
use crate::task::state;

/// The name of a task: its own, or asyncio's `Task-<id>`.
pub(crate) fn task_name(h: &Header) -> String {
    match h.meta.name() {
        Some(n) => n.to_string(),
        None => format!("Task-{}", h.id),
    }
}

/// A task named in a report: id, name, and where it was spawned.
///
/// ```
/// weft::run(async {
///     let t = weft::Builder::new().name("job").spawn(async {
///         weft::current_task().unwrap()
///     });
///     let me = t.await.unwrap();
///     assert_eq!(me.name, "job");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRef {
    /// Unique within its loop.
    pub id: u64,
    /// Its name, or `Task-<id>`.
    pub name: String,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
}

impl TaskRef {
    pub(crate) fn of(h: &Header) -> TaskRef {
        TaskRef {
            id: h.id,
            name: task_name(h),
            location: h.meta.location,
        }
    }
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (spawned at {})", self.name, self.location)
    }
}

/// What a live task is doing.
///
/// ```
/// assert_eq!(weft::TaskState::Running.to_string(), "running");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Being polled right now (it is the current task).
    Running,
    /// In the ready queue, to run this turn or the next.
    Scheduled,
    /// Waiting to be woken.
    Waiting,
    /// Cancellation requested; its future is dropped at its next run.
    Cancelling,
}

impl TaskState {
    pub(crate) fn of(bits: usize) -> TaskState {
        if bits & state::CANCEL != 0 {
            TaskState::Cancelling
        } else if bits & state::RUNNING != 0 {
            TaskState::Running
        } else if bits & state::SCHEDULED != 0 {
            TaskState::Scheduled
        } else {
            TaskState::Waiting
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Running => "running",
            TaskState::Scheduled => "scheduled",
            TaskState::Waiting => "waiting",
            TaskState::Cancelling => "cancelling",
        })
    }
}

/// A snapshot of one live task (asyncio's `all_tasks()` entries, with more to say).
///
/// ```
/// weft::run(async {
///     let _t = weft::spawn(std::future::pending::<()>());
///     let tasks = weft::all_tasks();
///     assert_eq!(tasks.len(), 1);
///     assert_eq!(tasks[0].state, weft::TaskState::Scheduled);
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    /// Id, name and spawn location.
    pub task: TaskRef,
    /// What it is doing.
    pub state: TaskState,
    /// How long it has lived, on the loop clock; known for tasks spawned in debug mode.
    pub age: Option<Duration>,
}

impl TaskInfo {
    pub(crate) fn of(h: &Header, now: Instant) -> TaskInfo {
        TaskInfo {
            task: TaskRef::of(h),
            state: TaskState::of(h.state.load()),
            age: h
                .meta
                .spawned_at()
                .map(|t| now.saturating_duration_since(t)),
        }
    }
}

/// Formats the task dump: one line per task, sorted by id.
pub(crate) fn format_dump(mut tasks: Vec<TaskInfo>) -> String {
    tasks.sort_by_key(|t| t.task.id);
    let mut out = String::new();
    let _ = writeln!(out, "{} live task(s)", tasks.len());
    for t in &tasks {
        let age = match t.age {
            Some(a) => format!("{:.3}s", a.as_secs_f64()),
            None => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "  #{:<5} {:<20} {:<10} age {:<9} spawned at {}",
            t.task.id, t.task.name, t.state, age, t.task.location
        );
    }
    out
}

/// What the exception handler is told (asyncio's `context` dict).
///
/// ```
/// let mut lp = weft::EventLoop::new().unwrap();
/// let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let s = seen.clone();
/// lp.handle().set_exception_handler(move |ctx: &weft::ExceptionContext| {
///     s.borrow_mut().push(ctx.message.clone());
/// });
/// lp.run_until_complete(async {
///     drop(weft::spawn(async { panic!("lost") })); // nobody awaits it
///     weft::yield_now().await;
/// });
/// assert_eq!(*seen.borrow(), ["Task exception was never retrieved"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionContext {
    /// What happened, in asyncio's words.
    pub message: String,
    /// The task concerned, if any.
    pub task: Option<TaskRef>,
    /// The panic message, if a panic is concerned.
    pub panic: Option<String>,
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(t) = &self.task {
            write!(f, "; task {t}")?;
        }
        if let Some(p) = &self.panic {
            write!(f, "; panic: {p}")?;
        }
        Ok(())
    }
}

/// The default exception handler: a `tracing` error.
///
/// ```
/// weft::default_exception_handler(&weft::ExceptionContext {
///     message: "Exception in callback".into(),
///     task: None,
///     panic: Some("boom".into()),
/// });
/// ```
pub fn default_exception_handler(ctx: &ExceptionContext) {
    tracing::error!(
        task.id = ctx.task.as_ref().map(|t| t.id),
        task.name = ctx.task.as_ref().map(|t| t.name.as_str()),
        task.location = ctx
            .task
            .as_ref()
            .map(|t| tracing::field::display(t.location)),
        panic = ctx.panic.as_deref(),
        "{}",
        ctx.message
    );
}

/// A loop's counters, always on (see `docs/benchmarks.md` for what they cost).
///
/// ```
/// let mut lp = weft::EventLoop::new().unwrap();
/// lp.run_until_complete(async { weft::spawn(async {}).await.unwrap() });
/// let m = lp.metrics();
/// assert_eq!(m.tasks_spawned, 1);
/// assert_eq!(m.tasks_alive, 0);
/// assert!(m.turns >= 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoopMetrics {
    /// Loop turns (asyncio `_run_once` calls).
    pub turns: u64,
    /// Tasks spawned on this loop.
    pub tasks_spawned: u64,
    /// Tasks not yet finished.
    pub tasks_alive: u64,
    /// Task polls.
    pub polls: u64,
    /// Callbacks run (`call_soon`, `call_later`, threadsafe, done callbacks).
    pub callbacks: u64,
    /// I/O readiness events dispatched by the reactor.
    pub io_events: u64,
    /// Timers that fired (sleeps woken and `call_later` callbacks queued).
    pub timers_fired: u64,
}

/// The counters, in the loop's core (loop thread only: plain cells).
#[derive(Default)]
pub(crate) struct Metrics {
    pub(crate) turns: Cell<u64>,
    pub(crate) spawned: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) callbacks: Cell<u64>,
    pub(crate) io_events: Cell<u64>,
    pub(crate) timers_fired: Cell<u64>,
}

impl Metrics {
    pub(crate) fn spawned(&self) {
        Metrics::add(&self.spawned, 1);
    }

    /// Bumps a counter. `--cfg weft_no_metrics` compiles the counters out; it exists to
    /// measure what they cost (`docs/benchmarks.md`), not for use.
    #[inline(always)]
    pub(crate) fn add(cell: &Cell<u64>, n: u64) {
        #[cfg(not(weft_no_metrics))]
        cell.set(cell.get() + n);
        #[cfg(weft_no_metrics)]
        let _ = (cell, n);
    }

    pub(crate) fn snapshot(&self, alive: usize) -> LoopMetrics {
        LoopMetrics {
            turns: self.turns.get(),
            tasks_spawned: self.spawned.get(),
            tasks_alive: alive as u64,
            polls: self.polls.get(),
            callbacks: self.callbacks.get(),
            io_events: self.io_events.get(),
            timers_fired: self.timers_fired.get(),
        }
    }
}
