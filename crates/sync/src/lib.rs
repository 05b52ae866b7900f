//! # weft-sync
//!
//! asyncio's synchronization primitives, for any executor:
//!
//! | asyncio | weft-sync |
//! |---|---|
//! | `Lock` | [`Lock`] (guard-based: [`LockGuard`] releases on drop) |
//! | `Event` | [`Event`] |
//! | `Condition` | [`Condition`] (`wait(guard)` gives the guard back, like `std`'s `Condvar`) |
//! | `Semaphore`, `BoundedSemaphore` | [`Semaphore`], [`BoundedSemaphore`] |
//! | `Barrier` | [`Barrier`] |
//! | `Queue`, `PriorityQueue`, `LifoQueue` | [`Queue`], [`PriorityQueue`], [`LifoQueue`] |
//! | (none) | channels: [`oneshot`], [`mpsc`] (bounded and unbounded) |
//!
//! Everything here is `Send + Sync` and only uses `Waker`s, so it works under weft's
//! loop, tokio, or anything else. Waiters are served first come, first served, and a
//! waiter whose future is dropped after it was chosen passes what it was given (a
//! permit, the lock) on to the next one: cancellation never loses a wake-up — the race
//! behind some of asyncio's longest-lived bugs.
//!
//! ```
//! weft::run(async {
//!     let lock = weft_sync::Lock::new();
//!     let _guard = lock.acquire().await;
//!     assert!(lock.locked());
//! });
//! ```
#![forbid(unsafe_code)]

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod loom;
mod queue;
mod sem;
mod semaphore;
mod waiters;

#[path = "channel/mpsc.rs"]
pub mod mpsc;
#[path = "channel/oneshot.rs"]
pub mod oneshot;

#[allow(unused_imports)]
pub use barrier::*;
#[allow(unused_imports)]
pub use condition::*;
pub use error::{AcquireError, OverReleaseError};
#[allow(unused_imports)]
pub use event::*;
pub use lock::{Lock, LockGuard};
#[allow(unused_imports)]
pub use queue::*;
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphorePermit};

/// The internals the loom models drive (only with `--cfg loom`). Each primitive family
/// adds what its model needs.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::sem::{Closed, Sem};
}
