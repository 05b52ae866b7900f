//! [`Error`]: what can go wrong on a WebSocket.

use std::io;
use std::sync::Arc;

/// A WebSocket error.
///
/// [`Error::ConnectionClosed`] is asyncio's `websockets.ConnectionClosed`: the
/// connection is over, and `code` says how. [`Error::is_normal_close`] tells a normal
/// closure (1000, 1001) from an abnormal one (1006: the TCP connection was lost
/// without a closing handshake; 1002, 1007, 1009, 1011: a failure).
///
/// ```
/// use weft_ws::Error;
///
/// let err = Error::ConnectionClosed { code: 1001, reason: "going away".into() };
/// assert!(err.is_normal_close());
/// assert_eq!(err.to_string(), "connection closed: 1001 going away");
/// let err = Error::ConnectionClosed { code: 1006, reason: String::new() };
/// assert!(!err.is_normal_close());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection is closed: by a closing handshake (`code` and `reason` from
    /// the close frame, the peer's if it sent one first), by a failure (the code this
    /// side sent: 1002 protocol error, 1007 invalid UTF-8, 1009 message too big,
    /// 1011 keepalive timeout) or by the loss of the TCP connection (1006).
    #[error("connection closed: {code}{}{reason}", if reason.is_empty() { "" } else { " " })]
    ConnectionClosed {
        /// The close code.
        code: u16,
        /// The close reason (may be empty).
        reason: String,
    },
    /// The opening handshake failed: the peer is not a WebSocket endpoint, refused
    /// the upgrade (`status` is its HTTP status) or answered something invalid.
    #[error("handshake failed: {message}")]
    Handshake {
        /// The HTTP status of the answer, if there was one.
        status: Option<u16>,
        /// What was wrong.
        message: String,
    },
    /// A URL `connect` cannot use.
    #[error("invalid URL {url:?}: {why}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The opening handshake did not finish within
    /// [`Config::open_timeout`](crate::Config::open_timeout).
    #[error("timed out during the opening handshake")]
    Timeout,
    /// An I/O error of the underlying socket (connecting, binding, accepting).
    #[error("I/O error: {0}")]
    Io(#[from] Arc<io::Error>),
}

impl Error {
    /// Whether this is a [`ConnectionClosed`](Error::ConnectionClosed) with a normal
    /// code: 1000 (normal closure) or 1001 (going away).
    ///
    /// ```
    /// use weft_ws::Error;
    /// assert!(Error::ConnectionClosed { code: 1000, reason: String::new() }.is_normal_close());
    /// assert!(!Error::Timeout.is_normal_close());
    /// ```
    pub fn is_normal_close(&self) -> bool {
        matches!(
            self,
            Error::ConnectionClosed {
                code: 1000 | 1001,
                ..
            }
        )
    }

    /// The close code of a [`ConnectionClosed`](Error::ConnectionClosed).
    ///
    /// ```
    /// use weft_ws::Error;
    /// let err = Error::ConnectionClosed { code: 1009, reason: "too big".into() };
    /// assert_eq!(err.close_code(), Some(1009));
    /// assert_eq!(Error::Timeout.close_code(), None);
    /// ```
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Error::ConnectionClosed { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn closed(code: u16, reason: impl Into<String>) -> Error {
        Error::ConnectionClosed {
            code,
            reason: reason.into(),
        }
    }

    pub(crate) fn handshake(status: Option<u16>, message: impl Into<String>) -> Error {
        Error::Handshake {
            status,
            message: message.into(),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(Arc::new(e))
    }
}
