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
//! | `weft-ws` | [`ws`]: WebSocket `serve`, `connect`, `WebSocket` (over tungstenite) |
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

/// WebSocket server and client (`weft-ws`): Python websockets' `serve`, `connect`,
/// `send`, `recv`, `ConnectionClosed`.
pub use weft_ws as ws;

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
/// Ctrl+C, as in asyncio: the first SIGINT cancels the main future — it is dropped, so
/// its `Drop` cleanup runs — then the loop is closed (every other task is cancelled the
/// same way), `weft: interrupted (Ctrl+C)` is printed on stderr and the process exits
/// with status 130, as a Python program ended by `KeyboardInterrupt` does. A second
/// SIGINT, while that cleanup runs, ends the process at once (status 130). Code that
/// listens for SIGINT itself ([`signal::ctrl_c`], a SIGINT handler) gets it instead,
/// as with `asyncio.run`. When `run` returns, Ctrl+C gets its default effect back
/// (unless other code listens for it).
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
    let out = lp.run_until_complete(async {
        // If the handler cannot be installed, Ctrl+C keeps its default effect.
        // Unclaimed: a SIGINT that user code listens for (`ctrl_c()`, a SIGINT handler,
        // on any loop) is theirs, as with `asyncio.run`.
        let mut sigint = reactor::signal::Signal::unclaimed(reactor::signal::SIGINT).ok();
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(v) = future.as_mut().poll(cx) {
                return std::task::Poll::Ready(Some(v));
            }
            if let Some(s) = sigint.as_mut() {
                if s.poll_recv(cx).is_ready() {
                    // A second Ctrl+C from now on ends the process at once.
                    ctrl_c::arm();
                    return std::task::Poll::Ready(None);
                }
            }
            std::task::Poll::Pending
        })
        .await
        // The main future is dropped here, inside the loop: its cleanup may use weft.
    });
    lp.close();
    match out {
        Some(v) => v,
        None => {
            eprintln!("weft: interrupted (Ctrl+C)");
            std::process::exit(130)
        }
    }
}

/// The second-Ctrl+C rule of [`run`]: once a run was interrupted, the next SIGINT exits
/// the process at once, even while cleanup code blocks the loop.
mod ctrl_c {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};

    /// Makes the next SIGINT exit the process (status 130).
    pub(super) fn arm() {
        static ARMED: OnceLock<Arc<AtomicBool>> = OnceLock::new();
        let armed = ARMED.get_or_init(|| {
            let flag = Arc::new(AtomicBool::new(false));
            let sigint = crate::reactor::signal::SIGINT;
            let _ = crate::reactor::signal::exit_on_signal(sigint, 130, flag.clone());
            flag
        });
        armed.store(true, Ordering::SeqCst);
    }
}

/// Unix signals (`weft_reactor::signal`): [`Signal`](signal::Signal) streams,
/// [`ctrl_c`](signal::ctrl_c), [`raise`](signal::raise) and the signal numbers. Loop
/// callbacks on a signal: [`Handle::add_signal_handler`].
pub mod signal {
    pub use weft_reactor::signal::*;
}

/// Networking (asyncio's streams, protocols and sockets): the sockets of
/// `weft_reactor::net` ([`TcpListener`](net::TcpListener), [`TcpStream`](net::TcpStream),
/// [`UdpSocket`](net::UdpSocket), [`UnixListener`](net::UnixListener),
/// [`UnixStream`](net::UnixStream)...), the streams API
/// ([`open_connection`](net::open_connection), [`start_server`](net::start_server),
/// [`StreamReader`](net::StreamReader), [`StreamWriter`](net::StreamWriter)) and the
/// protocols API ([`Protocol`](net::Protocol), [`Transport`](net::Transport),
/// [`create_server`](net::create_server), [`create_connection`](net::create_connection)).
///
/// ```
/// use weft::net::{open_connection, start_server};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |mut reader, writer| async move {
///         let line = reader.readline().await.unwrap();
///         writer.write(&line);
///     })
///     .await?;
///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
///     writer.write(b"echo\n");
///     assert_eq!(reader.readline().await?, b"echo\n");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub mod net {
    pub use weft_executor::{
        create_connection, create_server, create_server_on, create_unix_connection,
        create_unix_server, open_connection, open_unix_connection, start_server, start_server_on,
        start_unix_server, IncompleteReadError, LimitOverrunError, Protocol, Server, StreamError,
        StreamReader, StreamWriter, Transport, UnixServer,
    };
    pub use weft_reactor::net::*;
}

/// Child processes (`weft_reactor::process`, asyncio's `create_subprocess_exec`):
/// [`Command`](process::Command), [`Child`](process::Child).
pub mod process {
    pub use weft_reactor::process::*;
}

/// Async pipes (`weft_reactor::pipe`; asyncio's `connect_read_pipe` /
/// `connect_write_pipe`).
pub mod pipe {
    pub use weft_reactor::pipe::*;
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
