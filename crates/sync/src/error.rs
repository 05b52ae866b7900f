//! Errors of the synchronization primitives (asyncio's names where it has them).

use thiserror::Error;

/// A [`BoundedSemaphore`](crate::BoundedSemaphore) was released more times than it was
/// acquired (asyncio raises `ValueError`).
///
/// ```
/// let s = weft_sync::BoundedSemaphore::new(1);
/// assert_eq!(s.release(), Err(weft_sync::OverReleaseError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("BoundedSemaphore released too many times")]
pub struct OverReleaseError;

/// The primitive was closed while (or before) waiting; e.g. [`Semaphore::close`](crate::Semaphore::close).
///
/// ```
/// weft::run(async {
///     let s = weft_sync::Semaphore::new(0);
///     s.close();
///     assert_eq!(s.acquire().await.unwrap_err(), weft_sync::AcquireError);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the semaphore is closed")]
pub struct AcquireError;
