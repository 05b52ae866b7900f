//! # weft-futures
//!
//! The executor-independent half of weft's asyncio model:
//!
//! - [`Promise`]: asyncio's `Future` — set once, awaited by many, done callbacks
//!   scheduled through the loop;
//! - [`time`]: the loop [`Clock`](time::Clock) (pausable for tests), a hierarchical
//!   timer wheel ([`TimerDriver`](time::TimerDriver)), [`sleep`], [`interval`],
//!   [`wait_for`] / [`timeout`];
//! - combinators that need no spawning: [`gather()`] and [`gather!`];
//! - [`yield_now`], and the cooperative budget ([`coop`]) that keeps an always-ready
//!   future from starving the loop.
//!
//! Nothing here knows the executor. A loop lends its timer wheel and its scheduler to
//! the thread it runs on through [`rt::enter`]; most users reach all of this through
//! the `weft` facade instead.
//!
//! ```
//! use std::time::Duration;
//! use weft_futures::{sleep, Promise};
//!
//! weft::run(async {
//!     let fut = Promise::new();
//!     let setter = fut.clone();
//!     weft::spawn(async move {
//!         sleep(Duration::from_millis(10)).await;
//!         setter.set_result("... world").unwrap();
//!     });
//!     assert_eq!(fut.await, Ok("... world"));
//! });
//! ```
// The one `unsafe` block is the clock read in `time/sys.rs`; everything else is safe.
#![deny(unsafe_code)]

pub mod coop;
mod error;
mod gather;
mod promise;
pub mod rt;
pub mod time;
mod yield_now;

pub use error::{Cancelled, InvalidStateError, ResultError, TimeoutError};
pub use gather::{gather, Gather};
pub use promise::Promise;
pub use time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, timeout_scope,
    timeout_scope_at, wait_for, Interval, Sleep, Timeout, TimeoutScope,
};
pub use yield_now::{yield_now, YieldNow};
