//! The error types shared by every weft layer.

use thiserror::Error;

/// An operation found an object in the wrong state, like asyncio's `InvalidStateError`:
/// setting the result of a [`Promise`](crate::Promise) that is already done, or asking
/// for the result of one that is not.
///
/// ```
/// use weft_futures::Promise;
/// let p = Promise::new();
/// p.set_result(1).unwrap();
/// let err = p.set_result(2).unwrap_err();
/// assert_eq!(err.to_string(), "invalid state: promise is already done");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("invalid state: {what}")]
pub struct InvalidStateError {
    what: &'static str,
}

impl InvalidStateError {
    /// An error describing the state that made the operation invalid.
    ///
    /// ```
    /// let e = weft_futures::InvalidStateError::new("loop is closed");
    /// assert_eq!(e.reason(), "loop is closed");
    /// ```
    pub const fn new(what: &'static str) -> Self {
        InvalidStateError { what }
    }

    /// What was wrong.
    ///
    /// ```
    /// let e = weft_futures::InvalidStateError::new("x");
    /// assert_eq!(e.reason(), "x");
    /// ```
    pub fn reason(&self) -> &'static str {
        self.what
    }
}

/// The awaited [`Promise`](crate::Promise) was cancelled (asyncio's `CancelledError`).
///
/// ```
/// use weft_futures::{Cancelled, Promise};
/// let p = Promise::<u8>::new();
/// p.cancel();
/// assert_eq!(p.result(), Err(weft_futures::ResultError::Cancelled(Cancelled)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the promise was cancelled")]
pub struct Cancelled;

/// A deadline passed before the operation finished (asyncio's `TimeoutError`).
///
/// ```
/// use std::time::Duration;
/// # weft::EventLoop::new().unwrap().paused().run_until_complete(async {
/// let slow = weft_futures::sleep(Duration::from_secs(3));
/// let r = weft_futures::wait_for(Duration::from_secs(2), slow).await;
/// assert_eq!(r, Err(weft_futures::TimeoutError));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("deadline elapsed before the operation completed")]
pub struct TimeoutError;

/// Why [`Promise::result`](crate::Promise::result) has no value to give.
///
/// ```
/// use weft_futures::{Promise, ResultError};
/// let p = Promise::<u8>::new();
/// assert!(matches!(p.result(), Err(ResultError::InvalidState(_))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ResultError {
    /// The promise is not done yet.
    #[error(transparent)]
    InvalidState(#[from] InvalidStateError),
    /// The promise was cancelled.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}
