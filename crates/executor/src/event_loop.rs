//! [`EventLoop`]: asyncio's event loop.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use weft_futures::rt::{self as futures_rt, LoopContext};
use weft_futures::time::Clock;
use weft_reactor::Reactor;

use crate::core::{self as core_, Core, Runnable};
use crate::handle::Handle;
use crate::shared::{Injected, Shared};
use crate::sync::Ordering;
use crate::task::{self, Task};

/// A single-threaded event loop, as asyncio's: it runs callbacks, tasks and timers, and
/// waits for I/O in between.
///
/// Each turn is asyncio's `_run_once`: poll for I/O (without blocking if anything is
/// ready, else until the earliest timer), queue what the I/O and the expired timers
/// woke, then run exactly the callbacks and tasks that were ready when the turn
/// started; whatever they schedule runs in the next turn.
///
/// An `EventLoop` stays on the thread that made it (`!Send`); a [`Handle`] reaches it
/// from anywhere. Closing it (or dropping it) drops every task's future.
///
/// ```
/// let mut lp = weft::EventLoop::new().unwrap();
/// lp.run_until_complete(async {
///     println!("Running in the event loop");
/// });
/// lp.close();
/// ```
pub struct EventLoop {
    core: Rc<Core>,
    handle: Handle,
}

impl EventLoop {
    /// A new loop with a running clock (asyncio's `new_event_loop`).
    ///
    /// ```
    /// let lp = weft::EventLoop::new()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<EventLoop> {
        let reactor = Reactor::new()?;
        let shared = Arc::new(Shared::new(reactor.unparker(), Clock::new()));
        let core = Core::new(shared.clone(), reactor);
        Ok(EventLoop {
            core,
            handle: Handle { shared },
        })
    }

    /// Pauses the loop clock (builder style): timers then complete in virtual time, at
    /// exactly their deadlines, as soon as nothing else can run. For tests.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut lp = weft::EventLoop::new().unwrap().paused();
    /// let h = lp.handle();
    /// let t0 = h.time();
    /// lp.run_until_complete(weft::sleep(Duration::from_secs(3600))); // instant
    /// assert_eq!(h.time() - t0, Duration::from_secs(3600));
    /// ```
    pub fn paused(self) -> EventLoop {
        self.handle.shared.clock.pause();
        self
    }

    /// Turns debug mode on (builder style); see [`Handle::set_debug`].
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap().debug(true);
    /// assert!(lp.handle().debug());
    /// ```
    pub fn debug(self, on: bool) -> EventLoop {
        self.core.set_debug(on);
        self
    }

    /// The loop's counters (see [`Handle::metrics`]).
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// assert_eq!(lp.metrics().turns, 0);
    /// ```
    pub fn metrics(&self) -> crate::LoopMetrics {
        self.core.metrics.snapshot(self.core.tasks.borrow().len())
    }

    /// The loop's [`Handle`].
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// let h: weft::Handle = lp.handle();
    /// ```
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Spawns a task on this loop before (or between) runs (asyncio's
    /// `loop.create_task`). The future need not be `Send`.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let task = lp.spawn(async { "Hello!" });
    /// assert_eq!(lp.run_until_complete(task).unwrap(), "Hello!");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
    {
        task::spawn_local(&self.core, future, None, std::panic::Location::caller())
    }

    /// Whether the loop was closed.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// assert!(!lp.is_closed());
    /// lp.close();
    /// assert!(lp.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.handle.shared.is_closed()
    }

    fn enter(&self) -> impl Sized {
        assert!(
            core_::with_current(|c| c.is_none()),
            "Cannot run the event loop while another loop is running on this thread"
        );
        assert!(!self.is_closed(), "Event loop is closed");
        /// The three contexts a running loop lends its thread; dropped in field order.
        struct Entered {
            _current: core_::CurrentGuard,
            _futures: futures_rt::EnterGuard,
            _reactor: weft_reactor::EnterGuard,
        }
        let scheduler: Arc<dyn futures_rt::Schedule> = self.handle.shared.clone();
        Entered {
            _reactor: self.core.reactor.borrow().enter(),
            _futures: futures_rt::enter(LoopContext {
                timers: self.core.timers.clone(),
                scheduler,
            }),
            _current: core_::enter(&self.core),
        }
    }

    /// Runs the loop until `future` completes, and returns its output (asyncio's
    /// `run_until_complete`). The future is polled in place as the loop's main task: it
    /// may borrow from the caller and need not be `Send` or `'static`. Tasks it leaves
    /// behind stay pending until the loop runs again or closes.
    ///
    /// # Panics
    /// If the loop is closed, if another loop runs on this thread, if the future panics
    /// (the panic propagates), or if [`Handle::stop`] stops the loop before the future
    /// completed ("Event loop stopped before Future completed.").
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let greeting = String::from("hi");
    /// let n = lp.run_until_complete(async { greeting.len() });
    /// assert_eq!(n, 2);
    /// ```
    pub fn run_until_complete<F: Future>(&mut self, future: F) -> F::Output {
        let _entered = self.enter();
        let root = Arc::new(RootWaker {
            shared: self.handle.shared.clone(),
            scheduled: AtomicBool::new(true),
        });
        let waker = Waker::from(root.clone());
        let mut future = pin!(future);
        let output = std::cell::RefCell::new(None);
        self.core.push(Runnable::Root);
        let mut poll_root = || {
            root.scheduled.store(false, Ordering::SeqCst);
            let mut cx = Context::from_waker(&waker);
            if let Poll::Ready(v) =
                weft_futures::coop::with_budget(|| future.as_mut().poll(&mut cx))
            {
                *output.borrow_mut() = Some(v);
            }
        };
        loop {
            self.core.run_once(&mut poll_root);
            if output.borrow().is_some() {
                break;
            }
            if self.handle.shared.stopping.swap(false, Ordering::SeqCst) {
                panic!("Event loop stopped before Future completed.");
            }
        }
        // The root entry may still sit in the queue (woken again in its last turn).
        self.core
            .ready
            .borrow_mut()
            .retain(|r| !matches!(r, Runnable::Root));
        output
            .into_inner()
            .expect("loop ended with the future complete")
    }

    /// Runs the loop until [`Handle::stop`] is called (asyncio's `run_forever`). A stop
    /// requested before the call makes it run one turn.
    ///
    /// # Panics
    /// If the loop is closed or another loop runs on this thread.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// h.call_soon({ let h = h.clone(); move || { println!("Callback executed!"); h.stop() } });
    /// lp.run_forever();
    /// ```
    pub fn run_forever(&mut self) {
        let _entered = self.enter();
        loop {
            self.core.run_once(&mut || {});
            if self.handle.shared.stopping.swap(false, Ordering::SeqCst) {
                break;
            }
        }
    }

    /// Closes the loop (asyncio's `loop.close()`): every remaining task's future is
    /// dropped (so its `Drop` cleanup runs and its handle resolves to `Cancelled`),
    /// pending callbacks and timers are dropped unrun, and further callbacks or spawns
    /// are refused. Closing twice does nothing. Dropping the loop closes it.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let task = lp.spawn(std::future::pending::<()>());
    /// lp.close();
    /// assert!(task.done());
    /// ```
    pub fn close(&mut self) {
        if self.is_closed() {
            return;
        }
        let entered = self.enter();
        self.handle.shared.closed.store(true, Ordering::Release);
        self.core.shutdown();
        drop(entered);
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        if core_::with_current(|c| c.is_none()) {
            self.close();
        } else {
            // Dropped from inside another running loop: mark it closed; its tasks are
            // freed with it (their futures dropped here, on their own thread).
            self.handle.shared.closed.store(true, Ordering::Release);
            let tasks: Vec<_> = self.core.tasks.borrow_mut().drain().collect();
            for t in &tasks {
                t.header().owner_key.set(usize::MAX);
                t.shutdown();
            }
        }
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.handle.shared.id)
            .field("closed", &self.is_closed())
            .field("tasks", &self.core.tasks.borrow().len())
            .finish()
    }
}

/// Wakes the main future of `run_until_complete`.
struct RootWaker {
    shared: Arc<Shared>,
    scheduled: AtomicBool,
}

impl Wake for RootWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.scheduled.swap(true, Ordering::SeqCst) {
            return;
        }
        if core_::try_push_local(self.shared.id, Runnable::Root).is_err() {
            let _ = self.shared.inject(Injected::Root);
        }
    }
}
