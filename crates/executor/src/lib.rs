//! # weft-executor
//!
//! weft's [`EventLoop`]: a single-threaded loop in the model of Python's asyncio. It
//! owns a [`weft_reactor::Reactor`] and a timer wheel from [`weft_futures`], and runs
//! callbacks ([`Handle::call_soon`], [`Handle::call_later`]) and tasks ([`spawn`]) from
//! one ready queue, one turn at a time.
//!
//! - Tasks are one allocation each. Spawned on the current loop they need not be
//!   `Send`; [`Handle::spawn`] takes `Send` futures from any thread.
//! - Wakers are thread-safe: a wake on the loop's thread goes straight to the ready
//!   queue; from elsewhere it goes through an inject queue and unparks the reactor.
//! - Cancellation ([`Task::cancel`]) drops the future at the task's next scheduling
//!   point; a panic in a task is caught and the task resolves to
//!   [`TaskError::Panicked`].
//!
//! ```
//! use std::time::Duration;
//! let mut lp = weft_executor::EventLoop::new().unwrap();
//! let out = lp.run_until_complete(async {
//!     let t = weft_executor::spawn(async {
//!         weft_futures::sleep(Duration::from_millis(5)).await;
//!         "done"
//!     });
//!     t.await.unwrap()
//! });
//! assert_eq!(out, "done");
//! ```

mod blocking;
mod callback;
mod combinators;
mod core;
mod error;
mod event_loop;
mod group;
mod handle;
mod inject;
mod introspect;
mod protocol;
mod report;
mod shared;
mod streams;
mod sync;
mod task;
mod unix;

pub use blocking::{to_thread, BlockingError, BlockingPool, ToThread};
pub use callback::{CallbackHandle, TimerHandle};
pub use combinators::{
    as_completed, shield, wait, wait_timeout, AsCompleted, Done, ReturnWhen, Shield, Wait,
};
pub use error::{Panic, TaskError};
pub use event_loop::EventLoop;
pub use group::{ChildFailure, ChildHandle, GroupClosed, TaskGroup, TaskGroupError, TaskGroupJoin};
pub use handle::Handle;
pub use introspect::{
    default_exception_handler, ExceptionContext, LoopMetrics, TaskInfo, TaskRef, TaskState,
};
pub use protocol::{
    create_connection, create_server, create_server_on, create_unix_connection, create_unix_server,
    Protocol, Transport,
};
pub use streams::{
    open_connection, open_unix_connection, start_server, start_server_on, start_unix_server,
    IncompleteReadError, LimitOverrunError, Server, StreamError, StreamReader, StreamWriter,
    UnixServer,
};
pub use task::{all_tasks, current_task, spawn, Builder, Task};

/// The thread-shared scheduling pieces, exposed for the loom models only.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::inject::{Inject, Unpark};
    pub use crate::task::state::{AfterPoll, State, Wake};
}
