//! [`Config`]: limits and timeouts of a connection, with Python websockets' defaults.

use std::time::Duration;

/// Limits and timeouts of a WebSocket connection, on either side.
///
/// The defaults are those of Python's `websockets`: messages up to 1 MiB, a
/// keepalive ping every 20 s that must be answered within 20 s, 10 s to finish the
/// opening and the closing handshakes, and backpressure once 32 KiB wait to be
/// written.
///
/// ```
/// use std::time::Duration;
/// use weft_ws::Config;
///
/// let config = Config::default()
///     .max_size(Some(16 << 20))
///     .ping_interval(None)
///     .open_timeout(Some(Duration::from_secs(2)));
/// assert_eq!(config.max_size_limit(), Some(16 << 20));
/// assert_eq!(Config::default().max_size_limit(), Some(1 << 20));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) max_size: Option<usize>,
    pub(crate) max_queue: usize,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) ping_timeout: Option<Duration>,
    pub(crate) close_timeout: Duration,
    pub(crate) open_timeout: Option<Duration>,
    pub(crate) write_limit: usize,
    pub(crate) read_buffer: usize,
    pub(crate) max_request_size: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_size: Some(1 << 20),
            max_queue: 16,
            ping_interval: Some(Duration::from_secs(20)),
            ping_timeout: Some(Duration::from_secs(20)),
            close_timeout: Duration::from_secs(10),
            open_timeout: Some(Duration::from_secs(10)),
            write_limit: 32 * 1024,
            read_buffer: 1024,
            max_request_size: 8 * 1024,
        }
    }
}

impl Config {
    /// The same as [`Config::default`].
    ///
    /// ```
    /// let config = weft_ws::Config::new();
    /// assert_eq!(config.max_size_limit(), Some(1 << 20));
    /// ```
    pub fn new() -> Config {
        Config::default()
    }

    /// The largest message accepted, in bytes (`None`: no limit). A bigger one fails
    /// the connection with close code 1009. Default 1 MiB.
    ///
    /// ```
    /// let config = weft_ws::Config::new().max_size(Some(64 * 1024));
    /// assert_eq!(config.max_size_limit(), Some(64 * 1024));
    /// ```
    pub fn max_size(mut self, max_size: Option<usize>) -> Config {
        self.max_size = max_size;
        self
    }

    /// The current [`max_size`](Config::max_size).
    ///
    /// ```
    /// assert_eq!(weft_ws::Config::new().max_size(None).max_size_limit(), None);
    /// ```
    pub fn max_size_limit(&self) -> Option<usize> {
        self.max_size
    }

    /// How many received messages may wait for `recv` when they were read by
    /// someone else (the keepalive, a `ping`). Past it, the connection stops reading
    /// until `recv` catches up. Default 16, at least 1.
    ///
    /// ```
    /// let config = weft_ws::Config::new().max_queue(4);
    /// # let _ = config;
    /// ```
    pub fn max_queue(mut self, max_queue: usize) -> Config {
        self.max_queue = max_queue.max(1);
        self
    }

    /// How often a keepalive ping is sent (`None`: never). Default 20 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = weft_ws::Config::new().ping_interval(Some(Duration::from_secs(5)));
    /// # let _ = config;
    /// ```
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Config {
        self.ping_interval = interval;
        self
    }

    /// How long a keepalive ping may wait for its pong before the connection is
    /// closed with code 1011 (`None`: forever). Default 20 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = weft_ws::Config::new().ping_timeout(Some(Duration::from_secs(5)));
    /// # let _ = config;
    /// ```
    pub fn ping_timeout(mut self, timeout: Option<Duration>) -> Config {
        self.ping_timeout = timeout;
        self
    }

    /// How long the closing handshake may take before the TCP connection is closed
    /// anyway. Default 10 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = weft_ws::Config::new().close_timeout(Duration::from_secs(1));
    /// # let _ = config;
    /// ```
    pub fn close_timeout(mut self, timeout: Duration) -> Config {
        self.close_timeout = timeout;
        self
    }

    /// How long the opening handshake may take: a server drops a client that has not
    /// sent its request by then; `connect` gives up with [`Error::Timeout`]
    /// (`None`: no limit). Default 10 s.
    ///
    /// [`Error::Timeout`]: crate::Error::Timeout
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = weft_ws::Config::new().open_timeout(Some(Duration::from_secs(1)));
    /// # let _ = config;
    /// ```
    pub fn open_timeout(mut self, timeout: Option<Duration>) -> Config {
        self.open_timeout = timeout;
        self
    }

    /// The write-buffer limit, in bytes: `send` waits (backpressure) while more than
    /// this is buffered, and [`broadcast`](crate::broadcast) skips such a connection.
    /// Default 32 KiB.
    ///
    /// ```
    /// let config = weft_ws::Config::new().write_limit(1 << 20);
    /// # let _ = config;
    /// ```
    pub fn write_limit(mut self, limit: usize) -> Config {
        self.write_limit = limit;
        self
    }

    /// The read buffer allocated per connection, in bytes; it grows for a bigger
    /// frame. tungstenite zero-fills up to this much before every read, so small is
    /// cheap for small messages and keeps idle connections small; bigger messages
    /// are read ahead in one syscall anyway (into a buffer that exists only while
    /// they come). Default 1 KiB.
    ///
    /// ```
    /// let config = weft_ws::Config::new().read_buffer(64 * 1024);
    /// # let _ = config;
    /// ```
    pub fn read_buffer(mut self, size: usize) -> Config {
        self.read_buffer = size.max(256);
        self
    }

    /// tungstenite's configuration for this one.
    pub(crate) fn protocol(&self) -> tungstenite::protocol::WebSocketConfig {
        let mut c = tungstenite::protocol::WebSocketConfig::default();
        c.read_buffer_size = self.read_buffer;
        // Frames collect in tungstenite's buffer until `send` (or a Sink flush) writes
        // them out: many messages sent back to back leave in one write(2).
        c.write_buffer_size = 16 * 1024;
        c.max_write_buffer_size = usize::MAX;
        c.max_message_size = self.max_size;
        c.max_frame_size = self.max_size;
        c
    }
}
