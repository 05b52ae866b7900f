//! Time: the loop [`Clock`], the [`TimerDriver`] (a hierarchical timer wheel), and the
//! futures that use them: [`sleep`], [`sleep_until`], [`interval`], [`wait_for`].
//!
//! Timers have a resolution of one millisecond tick; deadlines round up, so a timer
//! never fires early. Each future finds the wheel of the loop it is polled on through
//! the thread's [`LoopContext`](crate::rt::LoopContext).

mod clock;
mod driver;
mod interval;
mod scope;
mod sleep;
mod sys;
mod timeout;
mod wheel;

pub use clock::Clock;
pub use driver::{Fired, TimerDriver, TimerKey};
pub use interval::{interval, interval_at, Interval};
pub use scope::{timeout_scope, timeout_scope_at, TimeoutScope};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, wait_for, Timeout};

/// Length of one timer tick in nanoseconds (1 ms).
pub const TICK_NANOS: u64 = 1_000_000;
