//! [`Handle`]: reach a loop from anywhere.

use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_futures::time::{Clock, Fired};

use crate::callback::{CallbackHandle, LocalCall, LocalCell, RemoteCall, RemoteCell, TimerHandle};
use crate::core::{self as core_, Core, Runnable};
use crate::shared::{Injected, Shared};
use crate::task::{self, Task};

/// A handle to an [`EventLoop`](crate::EventLoop): `Clone + Send + Sync`.
///
/// Its thread-safe methods ([`call_soon_threadsafe`](Handle::call_soon_threadsafe),
/// [`spawn`](Handle::spawn), [`stop`](Handle::stop), [`time`](Handle::time)) work from
/// any thread. The others (`call_soon`, `call_later`, `call_at`) take closures that
/// need not be `Send`, so they must be called on the loop's own thread; elsewhere they
/// panic, loudly, instead of racing.
///
/// ```
/// let mut lp = weft::EventLoop::new().unwrap();
/// let h = lp.handle();
/// let remote = h.clone();
/// std::thread::spawn(move || {
///     remote.call_soon_threadsafe(move || println!("from afar"));
/// })
/// .join()
/// .unwrap();
/// h.call_soon({ let h = h.clone(); move || h.stop() });
/// lp.run_forever();
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

const NOT_OWNER: &str = "this weft loop method must be called on the loop's own thread; \
     use call_soon_threadsafe or Handle::spawn from other threads";

impl Handle {
    /// The handle of the loop running on this thread (asyncio's `get_running_loop`).
    ///
    /// # Panics
    /// If no weft loop is running on this thread.
    ///
    /// ```
    /// weft::run(async {
    ///     let h = weft::Handle::current();
    ///     let _ = h.time();
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current().expect("Handle::current called outside of a running weft event loop")
    }

    /// The running loop's handle, or `None` outside one.
    ///
    /// ```
    /// assert!(weft::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        core_::with_current(|c| {
            c.map(|core| Handle {
                shared: core.shared.clone(),
            })
        })
    }

    /// The loop clock's current time (asyncio's `loop.time()`).
    ///
    /// ```
    /// let h = weft::EventLoop::new().unwrap().handle();
    /// assert!(h.time() <= h.time());
    /// ```
    pub fn time(&self) -> Instant {
        self.shared.clock.now()
    }

    /// The loop clock, e.g. to [`advance`](Clock::advance) a paused one by hand.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap().paused();
    /// assert!(lp.handle().clock().is_paused());
    /// ```
    pub fn clock(&self) -> Clock {
        self.shared.clock.clone()
    }

    #[track_caller]
    fn with_core<R>(&self, f: impl FnOnce(&Rc<Core>) -> R) -> R {
        core_::with_core(self.shared.id, f).expect(NOT_OWNER)
    }

    /// Schedules `callback` to run in the loop's next turn, after those already ready
    /// (FIFO, like asyncio's `call_soon`).
    ///
    /// # Panics
    /// Off the loop's thread (use [`call_soon_threadsafe`](Self::call_soon_threadsafe)).
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// h.call_soon(|| println!("Callback executed!"));
    /// h.call_soon({ let h = h.clone(); move || h.stop() });
    /// lp.run_forever();
    /// ```
    #[track_caller]
    pub fn call_soon(&self, callback: impl FnOnce() + 'static) -> CallbackHandle {
        let cell: Rc<dyn LocalCall> = Rc::new(LocalCell::new(callback));
        self.with_core(|core| {
            if !core.shared.is_closed() {
                core.push(Runnable::Call(cell.clone()));
            } else {
                cell.cancel();
            }
        });
        CallbackHandle::local(cell)
    }

    /// Schedules `callback` from any thread, waking the loop if it is blocked (asyncio's
    /// `call_soon_threadsafe`). On a closed loop the callback is dropped and the handle
    /// reports it cancelled. The returned handle stays on the calling thread (it is not
    /// `Send`); to cancel from elsewhere, share a flag with the callback.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// let t = std::thread::spawn(move || {
    ///     let stopper = h.clone();
    ///     h.call_soon_threadsafe(move || stopper.stop());
    /// });
    /// lp.run_forever(); // returns once the other thread's callback ran
    /// t.join().unwrap();
    /// ```
    pub fn call_soon_threadsafe(&self, callback: impl FnOnce() + Send + 'static) -> CallbackHandle {
        let cell: Arc<dyn RemoteCall> = Arc::new(RemoteCell::new(callback));
        let r = match core_::try_push_local(self.shared.id, Runnable::Remote(cell.clone())) {
            Ok(()) => Ok(()),
            Err(_) => self
                .shared
                .inject(Injected::Call(cell.clone()))
                .map_err(drop),
        };
        if r.is_err() {
            cell.cancel();
        }
        CallbackHandle::remote(cell)
    }

    /// Runs `callback` after `delay` on the loop clock (asyncio's `call_later`). Timers
    /// run in deadline order; a zero or already-passed deadline runs at the next turn,
    /// still ordered by deadline.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut lp = weft::EventLoop::new().unwrap().paused();
    /// let h = lp.handle();
    /// h.call_later(Duration::from_secs(2), || println!("Callback executed after delay!"));
    /// h.call_later(Duration::from_secs(2), { let h = h.clone(); move || h.stop() });
    /// lp.run_forever();
    /// ```
    #[track_caller]
    pub fn call_later(&self, delay: Duration, callback: impl FnOnce() + 'static) -> TimerHandle {
        self.call_at(self.time() + delay, callback)
    }

    /// Runs `callback` when the loop clock reaches `when` (asyncio's `call_at`).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut lp = weft::EventLoop::new().unwrap().paused();
    /// let h = lp.handle();
    /// let at = h.time() + Duration::from_millis(1500);
    /// let t = h.call_at(at, { let h = h.clone(); move || h.stop() });
    /// assert_eq!(t.when(), at);
    /// lp.run_forever();
    /// assert_eq!(h.time(), at);
    /// ```
    #[track_caller]
    pub fn call_at(&self, when: Instant, callback: impl FnOnce() + 'static) -> TimerHandle {
        let cell: Rc<dyn LocalCall> = Rc::new(LocalCell::new(callback));
        self.with_core(|core| {
            let fire = cell.clone();
            let key = core
                .timers
                .insert(when, Fired::Call(Box::new(move || fire.call())));
            if core.shared.is_closed() {
                cell.cancel();
            }
            TimerHandle::new(cell, key, Rc::downgrade(&core.timers), when)
        })
    }

    /// Spawns a `Send` future on this loop from any thread (asyncio's
    /// `run_coroutine_threadsafe`, minus the concurrent future: await the [`Task`], or
    /// drop it to detach). On a closed loop the task resolves to `Cancelled`.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// let task = std::thread::spawn(move || h.spawn(async { 6 * 7 })).join().unwrap();
    /// assert_eq!(lp.run_until_complete(task).unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(future, None, std::panic::Location::caller())
    }

    pub(crate) fn spawn_with<F>(
        &self,
        future: F,
        name: Option<std::borrow::Cow<'static, str>>,
        location: &'static std::panic::Location<'static>,
    ) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // On the loop's own thread the task goes straight to the ready queue (one
        // lookup; the future comes back out of the slot when this thread has no core).
        let mut slot = Some((future, name));
        let local = core_::with_core(self.shared.id, |core| {
            let (future, name) = slot.take().expect("taken once");
            task::spawn_local(core, future, name, location)
        });
        match (local, slot) {
            (Some(task), _) => task,
            (None, Some((future, name))) => {
                task::spawn_remote(&self.shared, future, name, location)
            }
            (None, None) => unreachable!("the slot is only emptied by a local spawn"),
        }
    }

    /// Stops [`run_forever`](crate::EventLoop::run_forever) after the current turn, from
    /// any thread (asyncio's `loop.stop()`).
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// lp.handle().stop();
    /// lp.run_forever(); // runs one turn, then returns
    /// ```
    pub fn stop(&self) {
        self.shared.stop();
    }

    /// A text dump of every live task: id, name, state, age (debug mode) and spawn
    /// location — what to look at when a loop seems stuck.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// weft::run(async {
    ///     let _t = weft::Builder::new().name("stuck").spawn(std::future::pending::<()>());
    ///     let dump = weft::Handle::current().dump();
    ///     assert!(dump.contains("stuck"));
    ///     println!("{dump}");
    /// });
    /// ```
    #[track_caller]
    pub fn dump(&self) -> String {
        self.with_core(|core| crate::introspect::format_dump(core.all_tasks()))
    }

    /// Every live task of this loop, by id (see [`all_tasks`](crate::all_tasks)).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// let _t = lp.spawn(async {});
    /// assert_eq!(lp.handle().all_tasks().len(), 1);
    /// ```
    #[track_caller]
    pub fn all_tasks(&self) -> Vec<crate::TaskInfo> {
        self.with_core(|core| core.all_tasks())
    }

    /// Sets the loop's exception handler (asyncio's `set_exception_handler`): it is told
    /// about panics in callbacks and about task panics nobody retrieved. Replaces the
    /// default, [`default_exception_handler`](crate::default_exception_handler).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// h.set_exception_handler(|ctx| eprintln!("weft: {ctx}"));
    /// h.call_soon(|| panic!("in a callback"));
    /// lp.run_until_complete(weft::yield_now()); // reported, and the loop goes on
    /// ```
    #[track_caller]
    pub fn set_exception_handler(&self, handler: impl Fn(&crate::ExceptionContext) + 'static) {
        self.with_core(|core| *core.exception_handler.borrow_mut() = Some(Rc::new(handler)));
    }

    /// Restores the default exception handler.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// lp.handle().set_exception_handler(|_| ());
    /// lp.handle().clear_exception_handler();
    /// ```
    #[track_caller]
    pub fn clear_exception_handler(&self) {
        self.with_core(|core| *core.exception_handler.borrow_mut() = None);
    }

    /// The loop's counters.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// weft::run(async {
    ///     let m = weft::Handle::current().metrics();
    ///     assert_eq!(m.tasks_alive, 0);
    /// });
    /// ```
    #[track_caller]
    pub fn metrics(&self) -> crate::LoopMetrics {
        self.with_core(|core| core.metrics.snapshot(core.tasks.borrow().len()))
    }

    /// Turns debug mode on or off (asyncio's `loop.set_debug`; also `WEFT_DEBUG=1` at
    /// loop creation). In debug mode every callback and task poll is timed and one that
    /// takes [`slow_callback_duration`](Self::set_slow_callback_duration) or longer is
    /// reported through `tracing` with the task's name and spawn location; spawn times
    /// are kept, so the task dump shows ages.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// lp.handle().set_debug(true);
    /// assert!(lp.handle().debug());
    /// ```
    #[track_caller]
    pub fn set_debug(&self, on: bool) {
        self.with_core(|core| core.set_debug(on));
    }

    /// Whether debug mode is on.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// let _ = lp.handle().debug();
    /// ```
    #[track_caller]
    pub fn debug(&self) -> bool {
        self.with_core(|core| core.debug.get())
    }

    /// Sets the threshold for slow-callback warnings in debug mode (asyncio's
    /// `slow_callback_duration`, default 100 ms).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// lp.handle().set_slow_callback_duration(std::time::Duration::from_millis(20));
    /// ```
    #[track_caller]
    pub fn set_slow_callback_duration(&self, d: Duration) {
        self.with_core(|core| core.slow_callback.set(d));
    }

    /// Calls `callback` whenever `fd` is readable (asyncio's `add_reader`), replacing
    /// any reader callback of that fd. Level-triggered like asyncio's: while the fd stays
    /// readable the callback runs once per loop turn, so it should read. The loop keeps
    /// its own duplicate of the descriptor; call [`remove_reader`](Self::remove_reader)
    /// when done. The watcher is a task named `add_reader(fd N)`.
    ///
    /// # Errors
    /// If the fd cannot be duplicated or registered (e.g. a regular file, which epoll
    /// refuses).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::rc::Rc;
    /// use std::cell::RefCell;
    ///
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// let (mut a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = Rc::new(RefCell::new(b));
    /// let (b2, h2) = (b.clone(), h.clone());
    /// h.add_reader(&*b.borrow(), move || {
    ///     let mut buf = [0u8; 16];
    ///     let n = b2.borrow_mut().read(&mut buf).unwrap();
    ///     println!("read {:?}", std::str::from_utf8(&buf[..n]).unwrap());
    ///     h2.stop();
    /// })
    /// .unwrap();
    /// a.write_all(b"ping").unwrap();
    /// lp.run_forever();
    /// assert!(h.remove_reader(b.borrow().as_raw_fd()));
    /// ```
    #[track_caller]
    pub fn add_reader(
        &self,
        fd: impl std::os::fd::AsFd,
        callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        self.with_core(|core| crate::unix::add_fd(core, fd, false, callback))
    }

    /// Stops the reader callback of `fd` (asyncio's `remove_reader`); returns whether
    /// there was one.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// assert!(!lp.handle().remove_reader(0));
    /// ```
    #[track_caller]
    pub fn remove_reader(&self, fd: std::os::fd::RawFd) -> bool {
        self.with_core(|core| crate::unix::remove_fd(core, fd, false))
    }

    /// Calls `callback` whenever `fd` is writable (asyncio's `add_writer`); see
    /// [`add_reader`](Self::add_reader).
    ///
    /// # Errors
    /// If the fd cannot be duplicated or registered.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let h2 = h.clone();
    /// h.add_writer(&a, move || { println!("writable"); h2.stop(); }).unwrap();
    /// lp.run_forever();
    /// assert!(h.remove_writer(a.as_raw_fd()));
    /// ```
    #[track_caller]
    pub fn add_writer(
        &self,
        fd: impl std::os::fd::AsFd,
        callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        self.with_core(|core| crate::unix::add_fd(core, fd, true, callback))
    }

    /// Stops the writer callback of `fd` (asyncio's `remove_writer`).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// assert!(!lp.handle().remove_writer(1));
    /// ```
    #[track_caller]
    pub fn remove_writer(&self, fd: std::os::fd::RawFd) -> bool {
        self.with_core(|core| crate::unix::remove_fd(core, fd, true))
    }

    /// Runs `callback` on the loop whenever the process receives `signum` (asyncio's
    /// `add_signal_handler`), replacing the loop's previous handler of it. Deliveries
    /// between two runs coalesce. While the handler is set, the process does not die of
    /// that signal.
    ///
    /// # Errors
    /// If `signum` cannot be handled (`SIGKILL`, `SIGSTOP`, ...).
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// use weft::signal::{raise, SIGUSR1};
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// let h2 = h.clone();
    /// h.add_signal_handler(SIGUSR1, move || { println!("got SIGUSR1"); h2.stop(); }).unwrap();
    /// h.call_soon(|| raise(SIGUSR1).unwrap());
    /// lp.run_forever();
    /// assert!(h.remove_signal_handler(SIGUSR1));
    /// ```
    #[track_caller]
    pub fn add_signal_handler(
        &self,
        signum: i32,
        callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        self.with_core(|core| crate::unix::add_signal(core, signum, callback))
    }

    /// Removes the loop's handler of `signum` (asyncio's `remove_signal_handler`);
    /// returns whether there was one. With no other listener, the signal gets its
    /// default effect back.
    ///
    /// # Panics
    /// Off the loop's thread.
    ///
    /// ```
    /// let lp = weft::EventLoop::new().unwrap();
    /// assert!(!lp.handle().remove_signal_handler(weft::signal::SIGUSR2));
    /// ```
    #[track_caller]
    pub fn remove_signal_handler(&self, signum: i32) -> bool {
        self.with_core(|core| crate::unix::remove_signal(core, signum))
    }

    /// Whether the loop was closed.
    ///
    /// ```
    /// let mut lp = weft::EventLoop::new().unwrap();
    /// let h = lp.handle();
    /// lp.close();
    /// assert!(h.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("loop", &self.shared.id)
            .finish()
    }
}
