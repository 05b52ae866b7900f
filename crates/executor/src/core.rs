//! [`Core`]: the loop-thread half of an event loop, and one turn of it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, Instant};

use slab::Slab;
use weft_futures::time::{Fired, TimerDriver};
use weft_reactor::Reactor;

use crate::callback::{LocalCall, RemoteCall};
use crate::error::Panic;
use crate::introspect::{ExceptionContext, Metrics, TaskRef};
use crate::shared::{Injected, Shared};
use crate::sync::Ordering;
use crate::task::cell::{Header, Run};

/// Ready-queue capacity kept however quiet the loop gets (entries).
const READY_KEEP: usize = 256;

/// An entry of the ready queue (asyncio's `_ready`).
pub(crate) enum Runnable {
    Task(Arc<dyn Run>),
    Call(Rc<dyn LocalCall>),
    Remote(Arc<dyn RemoteCall>),
    Boxed(Box<dyn FnOnce()>),
    /// The main future of `run_until_complete`.
    Root,
}

pub(crate) struct Core {
    pub(crate) shared: Arc<Shared>,
    pub(crate) ready: RefCell<VecDeque<Runnable>>,
    pub(crate) timers: Rc<TimerDriver>,
    pub(crate) tasks: RefCell<Slab<Arc<dyn Run>>>,
    pub(crate) reactor: RefCell<Reactor>,
    injected: RefCell<VecDeque<Injected>>,
    /// Live-task key of the task being polled (`usize::MAX`: none).
    pub(crate) current: Cell<usize>,
    pub(crate) debug: Cell<bool>,
    pub(crate) slow_callback: Cell<Duration>,
    pub(crate) exception_handler: RefCell<Option<ExceptionHandler>>,
    pub(crate) metrics: Metrics,
    pub(crate) watchers: RefCell<crate::unix::Watchers>,
    /// Debug mode's SIGQUIT listener: a delivery prints the task dump to stderr.
    pub(crate) sigquit: RefCell<Option<weft_reactor::signal::Signal>>,
}

/// A loop's exception handler (see `Handle::set_exception_handler`).
pub(crate) type ExceptionHandler = Rc<dyn Fn(&ExceptionContext)>;

/// asyncio's `slow_callback_duration` default.
pub(crate) const SLOW_CALLBACK: Duration = Duration::from_millis(100);

thread_local! {
    /// The loop running on this thread.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
    /// Loops created on this thread (running or not), for `call_soon` before `run`.
    static OWNED: RefCell<Vec<Weak<Core>>> = const { RefCell::new(Vec::new()) };
}

impl Core {
    pub(crate) fn new(shared: Arc<Shared>, reactor: Reactor) -> Rc<Core> {
        let timers = Rc::new(TimerDriver::new(shared.clock.clone()));
        let core = Rc::new(Core {
            shared,
            ready: RefCell::new(VecDeque::with_capacity(64)),
            timers,
            tasks: RefCell::new(Slab::new()),
            reactor: RefCell::new(reactor),
            injected: RefCell::new(VecDeque::new()),
            current: Cell::new(usize::MAX),
            debug: Cell::new(
                std::env::var_os("WEFT_DEBUG").is_some_and(|v| v != "0" && !v.is_empty()),
            ),
            slow_callback: Cell::new(SLOW_CALLBACK),
            exception_handler: RefCell::new(None),
            metrics: Metrics::default(),
            watchers: RefCell::new(Default::default()),
            sigquit: RefCell::new(None),
        });
        if core.debug.get() {
            core.set_debug(true);
        }
        OWNED.with(|o| {
            let mut o = o.borrow_mut();
            o.retain(|w| w.strong_count() > 0);
            o.push(Rc::downgrade(&core));
        });
        core
    }

    /// Turns debug mode on or off; on, SIGQUIT (Ctrl+\\) prints the task dump.
    pub(crate) fn set_debug(&self, on: bool) {
        self.debug.set(on);
        let mut sq = self.sigquit.borrow_mut();
        if on && sq.is_none() {
            let handle = self.reactor.borrow().handle();
            match weft_reactor::signal::Signal::with_handle(weft_reactor::signal::SIGQUIT, &handle)
            {
                Ok(s) => *sq = Some(s),
                Err(e) => tracing::warn!(error = %e, "debug mode: no SIGQUIT task dump"),
            }
        } else if !on {
            *sq = None;
        }
    }

    /// Prints the task dump if SIGQUIT arrived (debug mode). Polled once per turn with
    /// a no-op waker: the signal's pipe readiness already ends the reactor's wait.
    fn check_sigquit(&self) {
        let fired = match self.sigquit.borrow_mut().as_mut() {
            Some(sig) => sig
                .poll_recv(&mut std::task::Context::from_waker(std::task::Waker::noop()))
                .is_ready(),
            None => false,
        };
        if fired {
            eprintln!(
                "weft: task dump (SIGQUIT)\n{}",
                crate::introspect::format_dump(self.all_tasks())
            );
        }
    }

    /// The loop clock's time if in debug mode (spawn times cost a clock read).
    pub(crate) fn debug_now(&self) -> Option<Instant> {
        self.debug.get().then(|| self.timers.clock().now())
    }

    #[inline]
    pub(crate) fn push(&self, r: Runnable) {
        self.ready.borrow_mut().push_back(r);
    }

    /// Adds a task to the live list and the ready queue.
    pub(crate) fn adopt(&self, task: Arc<dyn Run>) {
        let key = self.tasks.borrow_mut().insert(task.clone());
        task.header().owner_key.set(key);
        self.push(Runnable::Task(task));
    }

    /// One turn of the loop, as asyncio's `_run_once`. `root` polls the main future.
    pub(crate) fn run_once(&self, root: &mut dyn FnMut()) {
        let clock = self.timers.clock();
        let idle = self.ready.borrow().is_empty() && !self.shared.stopping.load(Ordering::SeqCst);
        let next = if idle {
            self.timers.next_deadline()
        } else {
            None
        };
        let mut timeout = match (idle, next) {
            (false, _) => Some(Duration::ZERO),
            (true, Some(_)) if clock.is_paused() => Some(Duration::ZERO),
            (true, Some(d)) => Some(d.saturating_duration_since(clock.now())),
            (true, None) => None,
        };
        let mut events = 0;
        {
            let mut reactor = self.reactor.borrow_mut();
            if timeout != Some(Duration::ZERO) || reactor.sources() > 0 {
                let sleeping = timeout != Some(Duration::ZERO);
                if sleeping && !self.shared.inject.prepare_sleep() {
                    timeout = Some(Duration::ZERO);
                }
                match reactor.turn(timeout) {
                    Ok(n) => {
                        events = n;
                        Metrics::add(&self.metrics.io_events, n as u64);
                    }
                    Err(e) => tracing::error!(error = %e, "reactor poll failed"),
                }
                if sleeping {
                    self.shared.inject.end_sleep();
                }
            }
        }
        self.drain_inject();
        if events > 0 && self.debug.get() {
            self.check_sigquit();
        }
        if let (true, Some(deadline)) = (clock.is_paused(), next) {
            // Virtual time: nothing else can happen, so jump to the next timer.
            if events == 0 && self.ready.borrow().is_empty() {
                clock.advance_to(deadline);
            }
        }
        if !self.timers.is_empty() {
            let mut fired_n = 0;
            self.timers.process(clock.now(), |fired| {
                fired_n += 1;
                match fired {
                    Fired::Wake(w) => w.wake(),
                    Fired::Call(cb) => self.push(Runnable::Boxed(cb)),
                }
            });
            Metrics::add(&self.metrics.timers_fired, fired_n);
        }
        Metrics::add(&self.metrics.turns, 1);
        let ntodo = self.ready.borrow().len();
        for _ in 0..ntodo {
            let Some(r) = self.ready.borrow_mut().pop_front() else {
                break;
            };
            if self.debug.get() {
                self.run_timed(r, root);
            } else {
                self.run_one(r, root);
            }
        }
        // A burst (10,000 spawns at once) grows the ready queue; give that memory back
        // once the burst has drained, so pending tasks do not keep paying for it.
        let mut ready = self.ready.borrow_mut();
        if ready.capacity() > READY_KEEP && ready.len() < ready.capacity() / 8 {
            let keep = READY_KEEP.max(2 * ready.len());
            ready.shrink_to(keep);
        }
    }

    fn run_one(&self, r: Runnable, root: &mut dyn FnMut()) {
        match r {
            Runnable::Task(t) => {
                Metrics::add(&self.metrics.polls, 1);
                self.current.set(t.header().owner_key.get());
                t.run();
                self.current.set(usize::MAX);
            }
            Runnable::Root => {
                Metrics::add(&self.metrics.polls, 1);
                root()
            }
            Runnable::Call(c) => self.callback(|| c.call()),
            Runnable::Remote(c) => self.callback(|| c.call()),
            Runnable::Boxed(f) => self.callback(f),
        }
    }

    /// Debug mode: times each entry and warns about slow ones (asyncio's
    /// "Executing <Task ...> took 0.150 seconds").
    fn run_timed(&self, r: Runnable, root: &mut dyn FnMut()) {
        let what = match &r {
            Runnable::Task(t) => Some(TaskRef::of(t.header())),
            _ => None,
        };
        let is_root = matches!(r, Runnable::Root);
        let t0 = Instant::now();
        self.run_one(r, root);
        let took = t0.elapsed();
        if took >= self.slow_callback.get() {
            match what {
                Some(task) => tracing::warn!(
                    task.id = task.id,
                    task.name = %task.name,
                    task.location = %task.location,
                    "Executing task {} (spawned at {}) took {:.3} seconds",
                    task.name,
                    task.location,
                    took.as_secs_f64()
                ),
                None if is_root => tracing::warn!(
                    "Executing the main future took {:.3} seconds",
                    took.as_secs_f64()
                ),
                None => tracing::warn!(
                    "Executing a callback took {:.3} seconds",
                    took.as_secs_f64()
                ),
            }
        }
    }

    fn callback(&self, f: impl FnOnce()) {
        Metrics::add(&self.metrics.callbacks, 1);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
            crate::report::callback_panic(self.shared.id, &Panic::new(payload));
        }
    }

    /// Snapshots of every live task, by id.
    pub(crate) fn all_tasks(&self) -> Vec<crate::TaskInfo> {
        let now = self.timers.clock().now();
        let mut v: Vec<_> = self
            .tasks
            .borrow()
            .iter()
            .map(|(_, t)| crate::TaskInfo::of(t.header(), now))
            .collect();
        v.sort_by_key(|t| t.task.id);
        v
    }

    /// The task being polled right now.
    pub(crate) fn current_task(&self) -> Option<TaskRef> {
        let key = self.current.get();
        self.tasks
            .borrow()
            .get(key)
            .map(|t| TaskRef::of(t.header()))
    }

    fn drain_inject(&self) {
        if self.shared.inject.is_empty() {
            return;
        }
        let mut injected = self.injected.borrow_mut();
        self.shared.inject.drain(&mut injected);
        while let Some(item) = injected.pop_front() {
            match item {
                Injected::Wake(t) => self.push(Runnable::Task(t)),
                Injected::Spawn(t) => self.adopt(t),
                Injected::Call(c) => self.push(Runnable::Remote(c)),
                Injected::Boxed(f) => self.push(Runnable::Boxed(f)),
                Injected::Root => self.push(Runnable::Root),
            }
        }
    }

    /// Drops every task's future, every queued callback and timer: loop shutdown.
    pub(crate) fn shutdown(&self) {
        self.watchers.borrow_mut().clear();
        *self.sigquit.borrow_mut() = None;
        for item in self.shared.inject.close() {
            match item {
                Injected::Spawn(t) => t.shutdown(),
                other => drop(other),
            }
        }
        // Dropping futures may spawn or schedule more; repeat until quiet.
        for _ in 0..64 {
            let tasks: Vec<Arc<dyn Run>> = self.tasks.borrow_mut().drain().collect();
            let ready: Vec<Runnable> = self.ready.borrow_mut().drain(..).collect();
            if tasks.is_empty() && ready.is_empty() && self.timers.is_empty() {
                break;
            }
            for t in &tasks {
                t.header().owner_key.set(usize::MAX);
                t.shutdown();
            }
            drop(tasks);
            drop(ready);
            self.timers.clear();
        }
    }
}

/// Hands `ctx` to loop `loop_id`'s exception handler if that loop runs (or is owned) on
/// this thread and has one; else to the default handler.
pub(crate) fn report_exception(loop_id: u64, ctx: &ExceptionContext) {
    let handler = with_core(loop_id, |core| core.exception_handler.borrow().clone()).flatten();
    match handler {
        Some(h) => {
            if catch_unwind(AssertUnwindSafe(|| h(ctx))).is_err() {
                crate::introspect::default_exception_handler(&ExceptionContext {
                    message: "the exception handler panicked".into(),
                    task: None,
                    panic: None,
                });
                crate::introspect::default_exception_handler(ctx);
            }
        }
        None => crate::introspect::default_exception_handler(ctx),
    }
}

/// Makes `core` current on this thread until the guard drops.
pub(crate) fn enter(core: &Rc<Core>) -> CurrentGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(core.clone()));
    CurrentGuard { prev }
}

pub(crate) struct CurrentGuard {
    prev: Option<Rc<Core>>,
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _old = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), prev));
    }
}

/// Runs `f` with the running loop of this thread, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Rc<Core>>) -> R) -> R {
    CURRENT.with(|c| f(c.borrow().as_ref()))
}

/// Runs `f` with loop `id`'s core if this thread runs or owns it.
pub(crate) fn with_core<R>(id: u64, f: impl FnOnce(&Rc<Core>) -> R) -> Option<R> {
    let running = CURRENT.with(|c| c.borrow().as_ref().filter(|c| c.shared.id == id).cloned());
    let core = running.or_else(|| {
        OWNED.with(|o| {
            o.borrow()
                .iter()
                .filter_map(Weak::upgrade)
                .find(|c| c.shared.id == id)
        })
    })?;
    Some(f(&core))
}

/// Pushes onto loop `id`'s ready queue if it runs on this thread; else gives `make` back.
pub(crate) fn try_push_local(id: u64, r: Runnable) -> Result<(), Runnable> {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(core) if core.shared.id == id => {
            core.push(r);
            Ok(())
        }
        _ => Err(r),
    })
}

/// Queues a woken task on its loop: directly if that loop runs on this thread, else
/// through the inject queue (which unparks it).
///
/// Inlined into each task type's waker: the loop is recognised by its `Shared`'s
/// address (no call through the task's vtable, no read of the `Shared`).
#[inline]
pub(crate) fn schedule<R: Run + 'static>(task: Arc<R>) {
    let remote = CURRENT.with(|c| match c.borrow().as_ref() {
        Some(core) if Arc::ptr_eq(&core.shared, &task.header().shared) => {
            core.push(Runnable::Task(task));
            None
        }
        _ => Some(task),
    });
    if let Some(task) = remote {
        schedule_remote(task);
    }
}

/// [`schedule`] for a task woken off its loop's thread.
#[cold]
fn schedule_remote(task: Arc<dyn Run>) {
    let shared = task.header().shared.clone();
    // A closed loop refuses it; the task was already shut down, drop the reference.
    let _ = shared.inject(Injected::Wake(task));
}

/// Removes a completed task from its loop's live list.
pub(crate) fn forget_task(header: &Header) {
    let key = header.owner_key.replace(usize::MAX);
    if key == usize::MAX {
        return;
    }
    let removed = CURRENT.with(|c| match c.borrow().as_ref() {
        Some(core) if core.shared.id == header.shared.id => core.tasks.borrow_mut().try_remove(key),
        _ => None,
    });
    drop(removed);
}
