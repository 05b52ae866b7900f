//! [`TaskError`]: how a task can end without an output.

use std::any::Any;
use std::fmt;

use thiserror::Error;

/// Why a [`Task`](crate::Task) has no output.
///
/// ```
/// weft::run(async {
///     let t = weft::spawn(async { panic!("Oops!") });
///     match t.await {
///         Err(weft::TaskError::Panicked(p)) => assert_eq!(p.message(), Some("Oops!")),
///         other => panic!("unexpected {other:?}"),
///     }
/// });
/// ```
#[derive(Debug, Error)]
pub enum TaskError {
    /// The task was cancelled ([`Task::cancel`](crate::Task::cancel), or its loop closed)
    /// before it finished; its future was dropped.
    #[error("task was cancelled")]
    Cancelled,
    /// The task's future panicked; the panic was caught and the loop kept running.
    #[error("task panicked: {0}")]
    Panicked(Panic),
}

impl TaskError {
    /// Whether the task was cancelled.
    ///
    /// ```
    /// assert!(weft::TaskError::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// assert!(!weft::TaskError::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }
}

/// The payload of a caught panic.
///
/// ```
/// let p = weft::Panic::new(Box::new("boom"));
/// assert_eq!(p.message(), Some("boom"));
/// assert_eq!(p.to_string(), "boom");
/// ```
pub struct Panic {
    payload: Box<dyn Any + Send>,
}

impl Panic {
    /// Wraps a payload from [`std::panic::catch_unwind`].
    ///
    /// ```
    /// let caught = std::panic::catch_unwind(|| panic!("at the disco")).unwrap_err();
    /// assert_eq!(weft::Panic::new(caught).message(), Some("at the disco"));
    /// ```
    pub fn new(payload: Box<dyn Any + Send>) -> Panic {
        Panic { payload }
    }

    /// The panic message, if the payload is a string (as with `panic!("...")`).
    ///
    /// ```
    /// assert_eq!(weft::Panic::new(Box::new(7)).message(), None);
    /// ```
    pub fn message(&self) -> Option<&str> {
        if let Some(s) = self.payload.downcast_ref::<&'static str>() {
            Some(s)
        } else {
            self.payload.downcast_ref::<String>().map(String::as_str)
        }
    }

    /// The raw payload, e.g. for [`std::panic::resume_unwind`].
    ///
    /// ```
    /// let p = weft::Panic::new(Box::new("x"));
    /// let payload = p.into_payload();
    /// assert!(payload.downcast_ref::<&str>().is_some());
    /// ```
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Panic")
            .field(&self.message().unwrap_or("<non-string payload>"))
            .finish()
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message().unwrap_or("<non-string payload>"))
    }
}
