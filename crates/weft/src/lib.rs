//! # weft
//!
//! An async runtime for Rust with the model of Python's asyncio: an [`EventLoop`] that
//! runs callbacks, [`Promise`]s and [`Task`]s, with timers, on one thread.
//!
//! This crate is the facade: it re-exports every layer and adds [`run`] and the
//! [`main`] / [`test`] attributes. The layers can be used one by one:
//!
//! | crate | what |
//! |---|---|
//! | `weft-reactor` | I/O readiness on mio ([`reactor`]) |
//! | `weft-futures` | [`Promise`], timers ([`time`]), [`gather()`], [`wait_for`] |
//! | `weft-executor` | [`EventLoop`], [`Handle`], [`spawn`], [`Task`] |
//! | `weft-sync` | [`sync`]: `Lock`, `Event`, `Condition`, `Semaphore`, `Queue`, channels |
//!
//! ```
//! use std::time::Duration;
//!
//! async fn set_after(fut: weft::Promise<&'static str>, delay: Duration, value: &'static str) {
//!     weft::sleep(delay).await;
//!     fut.set_result(value).unwrap();
//! }
//!
//! weft::run(async {
//!     let fut = weft::Promise::new();
//!     weft::spawn(set_after(fut.clone(), Duration::from_millis(10), "... world"));
//!     println!("hello ...");
//!     println!("{}", fut.await.unwrap());
//! });
//! ```
#![forbid(unsafe_code)]

use std::future::Future;

pub use weft_executor::{
    all_tasks, as_completed, current_task, default_exception_handler, shield, spawn, to_thread,
    wait, wait_timeout, AsCompleted, BlockingError, BlockingPool, Builder, CallbackHandle,
    ChildFailure, ChildHandle, Done, EventLoop, ExceptionContext, GroupClosed, Handle, LoopMetrics,
    Panic, ReturnWhen, Shield, Task, TaskError, TaskGroup, TaskGroupError, TaskGroupJoin, TaskInfo,
    TaskRef, TaskState, TimerHandle, ToThread, Wait,
};
pub use weft_futures::{
    gather, interval, interval_at, sleep, sleep_until, timeout, timeout_at, timeout_scope,
    timeout_scope_at, wait_for, yield_now, Cancelled, Gather, Interval, InvalidStateError, Promise,
    ResultError, Sleep, Timeout, TimeoutError, TimeoutScope, YieldNow,
};
pub use weft_macros::{main, test};

/// asyncio's synchronization primitives, queues and channels (`weft-sync`): they work
/// under any executor.
pub use weft_sync as sync;

/// I/O readiness: the reactor layer (`weft-reactor`).
pub use weft_reactor as reactor;

/// The loop clock and timer wheel (`weft_futures::time`).
pub mod time {
    pub use weft_futures::time::*;
}

/// The cooperative budget (`weft_futures::coop`).
pub mod coop {
    pub use weft_futures::coop::*;
}

/// Runs `future` to completion on a new event loop, then closes the loop, cancelling
/// whatever tasks are left (asyncio's `asyncio.run`).
///
/// # Panics
/// If the loop cannot be created (the OS refused an epoll instance), if called from
/// inside a running loop, or if `future` panics.
///
/// ```
/// let answer = weft::run(async {
///     weft::sleep(std::time::Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, 42);
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    let mut lp = EventLoop::new().expect("weft::run could not create an event loop");
    let out = lp.run_until_complete(future);
    lp.close();
    out
}

#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    /// What `#[weft::test]` expands to.
    pub fn run_test<F: Future>(paused: bool, future: F) -> F::Output {
        let lp = crate::EventLoop::new().expect("could not create an event loop");
        let mut lp = if paused { lp.paused() } else { lp };
        let out = lp.run_until_complete(future);
        lp.close();
        out
    }
}
