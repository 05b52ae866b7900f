//! I/O readiness for weft, on top of [mio].
//!
//! This crate knows nothing of tasks or executors; it only wakes
//! [`std::task::Waker`]s. The model:
//!
//! * A [`Reactor`] owns the OS selector (epoll, kqueue, ...) and belongs to
//!   one event loop thread, which calls [`Reactor::turn`] once per iteration
//!   with the time until its next timer.
//! * I/O sources are registered through a [`Handle`] (from
//!   [`Reactor::handle`] or, inside [`Reactor::enter`], [`Handle::current`]),
//!   which gives a [`Registration`]: the source's readiness plus one waker
//!   slot per [`Direction`].
//! * Readiness is edge-triggered. A turn sets the reported bits and wakes the
//!   waiting tasks; the bits stay set until the owner, having hit
//!   `WouldBlock`, calls [`Registration::clear_ready`] with the [`Ready`] it
//!   acted on. [`Registration::poll_io`] does that dance for you.
//! * An [`Unparker`] wakes a reactor blocked in `turn` from any thread.
//!
//! # Examples
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//! use std::task::{Context, Poll, Wake, Waker};
//! use std::time::Duration;
//! use weft_reactor::{Direction, Interest, Reactor, Registration};
//!
//! struct CountWakes(AtomicUsize);
//! impl Wake for CountWakes {
//!     fn wake(self: Arc<Self>) {
//!         self.0.fetch_add(1, Ordering::SeqCst);
//!     }
//! }
//!
//! let mut reactor = Reactor::new()?;
//! let _guard = reactor.enter();
//! let (mut a, mut b) = mio::net::UnixStream::pair()?;
//! let reg = Registration::new(&mut a, Interest::READABLE)?;
//!
//! let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
//! let waker = Waker::from(wakes.clone());
//! let mut cx = Context::from_waker(&waker);
//! let mut buf = [0; 8];
//!
//! // A task tries to read and has to wait.
//! assert!(reg.poll_io(&mut cx, Direction::Read, || a.read(&mut buf)).is_pending());
//!
//! // The peer writes; the loop turns and the task is woken.
//! b.write_all(b"ping")?;
//! assert_eq!(reactor.turn(Some(Duration::ZERO))?, 1);
//! assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
//!
//! // The task polls again and reads.
//! let Poll::Ready(n) = reg.poll_io(&mut cx, Direction::Read, || a.read(&mut buf)) else {
//!     panic!("the source is readable");
//! };
//! assert_eq!(&buf[..n?], b"ping");
//! # Ok::<(), std::io::Error>(())
//! ```

#![forbid(unsafe_code)]

mod reactor;
mod ready;
mod registration;
mod state;
mod sys;
mod token;

pub use mio::Interest;

pub use crate::reactor::{EnterGuard, Handle, Reactor, Unparker};
pub use crate::ready::{Direction, Ready};
pub use crate::registration::Registration;
pub mod fd;
pub mod net;
pub mod pipe;
pub mod process;
pub mod signal;

/// The readiness state of a source, for the loom models (`tests/loom_state.rs`) only.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::state::{SourceState, ERROR, READABLE, WRITABLE};
}
