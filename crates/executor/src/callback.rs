//! Callbacks on the ready queue, and the handles that cancel them.

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::Instant;

use weft_futures::time::{TimerDriver, TimerKey};

use crate::sync::{lock, AtomicBool, Mutex, Ordering};

/// A callback made on the loop thread (`call_soon`, `call_later`).
pub(crate) trait LocalCall {
    fn call(&self);
    fn cancel(&self);
    fn cancelled(&self) -> bool;
}

pub(crate) struct LocalCell<F> {
    cancelled: Cell<bool>,
    f: Cell<Option<F>>,
}

impl<F: FnOnce()> LocalCell<F> {
    pub(crate) fn new(f: F) -> Self {
        LocalCell {
            cancelled: Cell::new(false),
            f: Cell::new(Some(f)),
        }
    }
}

impl<F: FnOnce()> LocalCall for LocalCell<F> {
    fn call(&self) {
        if !self.cancelled.get() {
            if let Some(f) = self.f.take() {
                f();
            }
        }
    }
    fn cancel(&self) {
        self.cancelled.set(true);
        drop(self.f.take());
    }
    fn cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

/// A callback sent from any thread (`call_soon_threadsafe`).
pub(crate) trait RemoteCall: Send + Sync {
    fn call(&self);
    fn cancel(&self);
    fn cancelled(&self) -> bool;
}

pub(crate) struct RemoteCell<F> {
    cancelled: AtomicBool,
    f: Mutex<Option<F>>,
}

impl<F: FnOnce() + Send> RemoteCell<F> {
    pub(crate) fn new(f: F) -> Self {
        RemoteCell {
            cancelled: AtomicBool::new(false),
            f: Mutex::new(Some(f)),
        }
    }
}

impl<F: FnOnce() + Send> RemoteCall for RemoteCell<F> {
    fn call(&self) {
        if !self.cancelled.load(Ordering::Acquire) {
            let f = lock(&self.f).take();
            if let Some(f) = f {
                f();
            }
        }
    }
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        let f = lock(&self.f).take();
        drop(f);
    }
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

#[derive(Clone)]
enum Call {
    Local(Rc<dyn LocalCall>),
    Remote(Arc<dyn RemoteCall>),
}

impl Call {
    fn cancel(&self) {
        match self {
            Call::Local(c) => c.cancel(),
            Call::Remote(c) => c.cancel(),
        }
    }
    fn cancelled(&self) -> bool {
        match self {
            Call::Local(c) => c.cancelled(),
            Call::Remote(c) => c.cancelled(),
        }
    }
}

/// A callback scheduled with [`Handle::call_soon`](crate::Handle::call_soon) or
/// [`call_soon_threadsafe`](crate::Handle::call_soon_threadsafe) (asyncio's `Handle`).
///
/// Dropping it does not cancel the callback.
///
/// ```
/// let mut lp = weft::EventLoop::new().unwrap();
/// let h = lp.handle();
/// let cb = h.call_soon(|| unreachable!("cancelled callbacks never run"));
/// cb.cancel();
/// assert!(cb.cancelled());
/// lp.run_until_complete(weft::yield_now());
/// ```
#[derive(Clone)]
pub struct CallbackHandle {
    call: Call,
}

impl CallbackHandle {
    pub(crate) fn local(c: Rc<dyn LocalCall>) -> Self {
        CallbackHandle {
            call: Call::Local(c),
        }
    }

    pub(crate) fn remote(c: Arc<dyn RemoteCall>) -> Self {
        CallbackHandle {
            call: Call::Remote(c),
        }
    }

    /// Cancels the callback: if it has not run yet, it never will (its closure is dropped).
    ///
    /// ```
    /// # let lp = weft::EventLoop::new().unwrap();
    /// let cb = lp.handle().call_soon(|| ());
    /// cb.cancel();
    /// ```
    pub fn cancel(&self) {
        self.call.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    ///
    /// ```
    /// # let lp = weft::EventLoop::new().unwrap();
    /// let cb = lp.handle().call_soon(|| ());
    /// assert!(!cb.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.call.cancelled()
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// A callback scheduled with [`Handle::call_later`](crate::Handle::call_later) or
/// [`call_at`](crate::Handle::call_at) (asyncio's `TimerHandle`).
///
/// ```
/// use std::time::Duration;
/// let lp = weft::EventLoop::new().unwrap();
/// let h = lp.handle();
/// let t = h.call_later(Duration::from_secs(2), || println!("later"));
/// assert!(t.when() >= h.time());
/// t.cancel();
/// ```
pub struct TimerHandle {
    call: Rc<dyn LocalCall>,
    key: TimerKey,
    timers: Weak<TimerDriver>,
    when: Instant,
}

impl TimerHandle {
    pub(crate) fn new(
        call: Rc<dyn LocalCall>,
        key: TimerKey,
        timers: Weak<TimerDriver>,
        when: Instant,
    ) -> Self {
        TimerHandle {
            call,
            key,
            timers,
            when,
        }
    }

    /// Cancels the timer: the callback never runs, even if its deadline already passed
    /// and it waits in the ready queue.
    ///
    /// ```
    /// # let lp = weft::EventLoop::new().unwrap();
    /// let t = lp.handle().call_later(std::time::Duration::ZERO, || ());
    /// t.cancel();
    /// assert!(t.cancelled());
    /// ```
    pub fn cancel(&self) {
        self.call.cancel();
        if let Some(t) = self.timers.upgrade() {
            t.cancel(self.key);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    ///
    /// ```
    /// # let lp = weft::EventLoop::new().unwrap();
    /// let t = lp.handle().call_later(std::time::Duration::ZERO, || ());
    /// assert!(!t.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.call.cancelled()
    }

    /// The deadline, on the loop clock.
    ///
    /// ```
    /// # let lp = weft::EventLoop::new().unwrap().paused();
    /// let h = lp.handle();
    /// let t = h.call_later(std::time::Duration::from_secs(5), || ());
    /// assert_eq!(t.when() - h.time(), std::time::Duration::from_secs(5));
    /// ```
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}
