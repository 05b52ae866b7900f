//! The hooks through which an event loop lends itself to this crate.
//!
//! `weft-futures` knows nothing of the executor. A loop makes itself known by calling
//! [`enter`] with a [`LoopContext`] while it runs; the primitives here then find
//! their loop through the thread: [`sleep`](crate::sleep) registers in the loop's
//! [`TimerDriver`], and a [`Promise`](crate::Promise) schedules its done callbacks
//! through the loop's [`Schedule`].

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use crate::time::TimerDriver;

/// Something that can run a callback on a loop, from any thread.
///
/// The executor implements it; a [`Promise`](crate::Promise) uses it so that its done
/// callbacks run from the loop, in FIFO order, never inside `set_result`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use weft_futures::rt::Schedule;
///
/// /// Collects callbacks; a test can run them later.
/// #[derive(Default)]
/// struct Collect(Mutex<Vec<Box<dyn FnOnce() + Send>>>);
/// impl Schedule for Collect {
///     fn schedule(&self, f: Box<dyn FnOnce() + Send>) {
///         self.0.lock().unwrap().push(f);
///     }
/// }
/// let c = Collect::default();
/// c.schedule(Box::new(|| println!("later")));
/// assert_eq!(c.0.lock().unwrap().len(), 1);
/// ```
pub trait Schedule: Send + Sync {
    /// Queues `f` to run on the loop as soon as possible (asyncio's `call_soon_threadsafe`).
    fn schedule(&self, f: Box<dyn FnOnce() + Send>);
}

/// What a running loop lends to the thread it runs on.
///
/// ```
/// use std::sync::Arc;
/// use std::rc::Rc;
/// use weft_futures::rt::{self, LoopContext, Schedule};
/// use weft_futures::time::{Clock, TimerDriver};
///
/// struct Inline;
/// impl Schedule for Inline {
///     fn schedule(&self, f: Box<dyn FnOnce() + Send>) { f() }
/// }
/// let cx = LoopContext {
///     timers: Rc::new(TimerDriver::new(Clock::new())),
///     scheduler: Arc::new(Inline),
/// };
/// let _guard = rt::enter(cx);
/// assert!(rt::in_loop());
/// ```
#[derive(Clone)]
pub struct LoopContext {
    /// The loop's timer wheel and clock.
    pub timers: Rc<TimerDriver>,
    /// Runs callbacks on the loop.
    pub scheduler: Arc<dyn Schedule>,
}

thread_local! {
    static CURRENT: RefCell<Option<LoopContext>> = const { RefCell::new(None) };
}

/// Restores the previous context when dropped; returned by [`enter`].
///
/// ```
/// # use std::{rc::Rc, sync::Arc};
/// # use weft_futures::{rt::{self, LoopContext, Schedule}, time::{Clock, TimerDriver}};
/// # struct Inline;
/// # impl Schedule for Inline { fn schedule(&self, f: Box<dyn FnOnce() + Send>) { f() } }
/// # let cx = LoopContext { timers: Rc::new(TimerDriver::new(Clock::new())), scheduler: Arc::new(Inline) };
/// {
///     let _guard = rt::enter(cx);
///     assert!(rt::in_loop());
/// }
/// assert!(!rt::in_loop());
/// ```
#[must_use = "the context is left when the guard drops"]
pub struct EnterGuard {
    prev: Option<LoopContext>,
}

/// Makes `cx` the current thread's loop context until the guard drops.
///
/// See [`LoopContext`] for an example.
pub fn enter(cx: LoopContext) -> EnterGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(cx));
    EnterGuard { prev }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // Drop the replaced context outside of the borrow: its destructor may touch CURRENT.
        let _old = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), prev));
    }
}

/// Whether a loop context is entered on this thread.
///
/// ```
/// assert!(!weft_futures::rt::in_loop());
/// ```
pub fn in_loop() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// The current loop's scheduler, if any.
///
/// ```
/// assert!(weft_futures::rt::current_scheduler().is_none());
/// ```
pub fn current_scheduler() -> Option<Arc<dyn Schedule>> {
    CURRENT.with(|c| c.borrow().as_ref().map(|cx| cx.scheduler.clone()))
}

/// Runs `f` with the current loop's timer driver, or with `None` outside a loop.
///
/// ```
/// let has = weft_futures::rt::with_timers(|t| t.is_some());
/// assert!(!has);
/// ```
pub fn with_timers<R>(f: impl FnOnce(Option<&TimerDriver>) -> R) -> R {
    CURRENT.with(|c| match &*c.borrow() {
        Some(cx) => f(Some(&cx.timers)),
        None => f(None),
    })
}
