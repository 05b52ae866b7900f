//! The queues' errors: asyncio's `QueueEmpty`, `QueueFull`, `QueueShutDown`, and the
//! `ValueError` of a `task_done()` too many.

use std::fmt;

use thiserror::Error;

/// The queue was [shut down](crate::Queue::shutdown) (asyncio's `QueueShutDown`).
///
/// [`put`](crate::Queue::put) fails with a `QueueShutDown<T>` that gives the item back;
/// [`get`](crate::Queue::get) fails with a plain `QueueShutDown` (`T = ()`).
///
/// ```
/// weft::run(async {
///     let q = weft_sync::Queue::new(0);
///     q.shutdown(false);
///     assert_eq!(q.put("spam").await, Err(weft_sync::QueueShutDown("spam")));
///     assert_eq!(q.get().await, Err(weft_sync::QueueShutDown(())));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Error)]
#[error("the queue is shut down")]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> QueueShutDown<T> {
    /// The item that could not be put.
    ///
    /// ```
    /// weft::run(async {
    ///     let q = weft_sync::Queue::new(0);
    ///     q.shutdown(false);
    ///     assert_eq!(q.put(7).await.unwrap_err().into_inner(), 7);
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The item is left out so that `unwrap()` works for any `T`.
        f.write_str("QueueShutDown")
    }
}

/// Why [`put_nowait`](crate::Queue::put_nowait) failed; either way the item comes back.
///
/// ```
/// let q = weft_sync::Queue::new(1);
/// q.put_nowait(1).unwrap();
/// assert_eq!(q.put_nowait(2), Err(weft_sync::PutError::QueueFull(2)));
/// q.shutdown(false);
/// assert_eq!(q.put_nowait(3), Err(weft_sync::PutError::QueueShutDown(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum PutError<T> {
    /// The queue holds `maxsize` items (asyncio's `QueueFull`), or a slot freed a moment
    /// ago is already promised to a waiting [`put`](crate::Queue::put).
    #[error("the queue is full")]
    QueueFull(T),
    /// The queue was shut down (asyncio's `QueueShutDown`).
    #[error("the queue is shut down")]
    QueueShutDown(T),
}

impl<T> PutError<T> {
    /// The item that could not be put.
    ///
    /// ```
    /// let q = weft_sync::Queue::new(1);
    /// q.put_nowait("a").unwrap();
    /// assert_eq!(q.put_nowait("b").unwrap_err().into_inner(), "b");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PutError::QueueFull(t) | PutError::QueueShutDown(t) => t,
        }
    }

    /// Whether the queue was full.
    ///
    /// ```
    /// let q = weft_sync::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// assert!(q.put_nowait(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::QueueFull(_))
    }

    /// Whether the queue was shut down.
    ///
    /// ```
    /// let q = weft_sync::Queue::new(0);
    /// q.shutdown(true);
    /// assert!(q.put_nowait(1).unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutError::QueueShutDown(_))
    }
}

impl<T> From<QueueShutDown<T>> for PutError<T> {
    fn from(e: QueueShutDown<T>) -> Self {
        PutError::QueueShutDown(e.0)
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The item is left out so that `unwrap()` works for any `T`.
        f.write_str(match self {
            PutError::QueueFull(_) => "QueueFull(..)",
            PutError::QueueShutDown(_) => "QueueShutDown(..)",
        })
    }
}

/// Why [`get_nowait`](crate::Queue::get_nowait) failed.
///
/// ```
/// let q = weft_sync::Queue::<i32>::new(0);
/// assert_eq!(q.get_nowait(), Err(weft_sync::GetError::QueueEmpty));
/// q.shutdown(false);
/// assert_eq!(q.get_nowait(), Err(weft_sync::GetError::QueueShutDown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum GetError {
    /// No item is available (asyncio's `QueueEmpty`). Items already promised to waiting
    /// [`get`](crate::Queue::get)s are not available.
    #[error("the queue is empty")]
    QueueEmpty,
    /// The queue was shut down and has no items left (asyncio's `QueueShutDown`).
    #[error("the queue is shut down")]
    QueueShutDown,
}

impl From<QueueShutDown> for GetError {
    fn from(_: QueueShutDown) -> Self {
        GetError::QueueShutDown
    }
}

/// [`task_done`](crate::Queue::task_done) was called more times than items were put
/// (asyncio raises `ValueError('task_done() called too many times')`).
///
/// ```
/// let q = weft_sync::Queue::<()>::new(0);
/// assert_eq!(q.task_done(), Err(weft_sync::TaskDoneError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("task_done() called too many times")]
pub struct TaskDoneError;
