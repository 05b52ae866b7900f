//! The client side: [`connect`], [`ConnectOptions`] and the reconnecting
//! [`Reconnect`].

use std::rc::Rc;
use std::time::Duration;

use tungstenite::protocol::Role;
use weft_reactor::net::TcpStream;

use crate::conn::Conn;
use crate::handshake::{self, ClientRequest, WsUrl};
use crate::{Config, Error, WebSocket};

/// The client's side of the handshake: [`Config`], extra request headers and the
/// subprotocols to offer.
///
/// ```
/// use weft_ws::{Config, ConnectOptions};
///
/// let options = ConnectOptions::new()
///     .config(Config::new().max_size(None))
///     .header("Authorization", "Bearer t0k3n")
///     .subprotocols(["chat"]);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    config: Config,
    headers: Vec<(String, String)>,
    subprotocols: Vec<String>,
}

impl ConnectOptions {
    /// Defaults: [`Config::default`], no extra header, no subprotocol.
    ///
    /// ```
    /// let options = weft_ws::ConnectOptions::new();
    /// # let _ = options;
    /// ```
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// The limits and timeouts of the connection.
    ///
    /// ```
    /// let options = weft_ws::ConnectOptions::new().config(weft_ws::Config::new().ping_interval(None));
    /// # let _ = options;
    /// ```
    pub fn config(mut self, config: Config) -> ConnectOptions {
        self.config = config;
        self
    }

    /// Adds a header to the handshake request (`Origin`, `Authorization`, cookies).
    ///
    /// ```
    /// let options = weft_ws::ConnectOptions::new().header("Origin", "http://localhost");
    /// # let _ = options;
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> ConnectOptions {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Subprotocols to offer, by preference; the server picks one or none
    /// ([`WebSocket::subprotocol`]).
    ///
    /// ```
    /// let options = weft_ws::ConnectOptions::new().subprotocols(["v2.chat", "chat"]);
    /// # let _ = options;
    /// ```
    pub fn subprotocols<I, S>(mut self, subprotocols: I) -> ConnectOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = subprotocols.into_iter().map(Into::into).collect();
        self
    }
}

/// Connects to a WebSocket server: Python's `websockets.connect(uri)`. Only `ws://`
/// URLs (`wss://` needs TLS, which this build does not have). The host name is
/// resolved off the loop.
///
/// # Errors
///
/// [`Error::InvalidUrl`], [`Error::Io`] (connection refused...), [`Error::Handshake`]
/// (not a WebSocket server, upgrade refused), [`Error::Timeout`] past
/// [`Config::open_timeout`](crate::Config::open_timeout).
///
/// ```
/// weft::run(async {
///     let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
///         let _ = ws.send("hello").await;
///     })
///     .await?;
///     let mut ws = weft_ws::connect(&format!("ws://{}/", server.local_addr())).await?;
///     assert_eq!(ws.recv().await?.to_text().unwrap(), "hello");
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub async fn connect(url: &str) -> Result<WebSocket, Error> {
    connect_with(url, &ConnectOptions::default()).await
}

/// [`connect`] with options.
///
/// # Errors
///
/// As [`connect`].
///
/// ```
/// # weft::run(async {
/// # let server = weft_ws::serve_with("127.0.0.1:0", weft_ws::ServeOptions::new().subprotocols(["chat"]),
/// #     |ws| async move { let _ = ws.send(ws.subprotocol().unwrap_or("none").to_owned()).await; }).await?;
/// let options = weft_ws::ConnectOptions::new().subprotocols(["chat"]);
/// let mut ws = weft_ws::connect_with(&format!("ws://{}", server.local_addr()), &options).await?;
/// assert_eq!(ws.subprotocol(), Some("chat"));
/// # Ok::<(), weft_ws::Error>(()) })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub async fn connect_with(url: &str, options: &ConnectOptions) -> Result<WebSocket, Error> {
    let url = WsUrl::parse(url)?;
    let config = Rc::new(options.config.clone());
    let open = async {
        let mut stream = TcpStream::connect_host(url.host_port()).await?;
        let _ = stream.set_nodelay(true);
        let wishes = ClientRequest {
            headers: &options.headers,
            subprotocols: &options.subprotocols,
            max_response_size: config.max_request_size,
        };
        let (leftover, subprotocol) = handshake::connect(&mut stream, &url, &wishes).await?;
        Ok::<_, Error>(Conn::new(
            stream,
            leftover,
            Role::Client,
            config.clone(),
            subprotocol,
            None,
        ))
    };
    let conn = match config.open_timeout {
        Some(t) => weft_futures::timeout(t, open)
            .await
            .map_err(|_| Error::Timeout)??,
        None => open.await?,
    };
    Ok(WebSocket::new(conn))
}

/// Exponential backoff with jitter for [`Reconnect`].
///
/// The n-th retry waits a random time in `[delay/2, delay]` where `delay =
/// min(initial * factor^n, max)` ("equal jitter": retries of many clients spread
/// out, none comes back at once).
///
/// ```
/// use std::time::Duration;
/// let backoff = weft_ws::Backoff {
///     initial: Duration::from_millis(100),
///     factor: 2.0,
///     max: Duration::from_secs(10),
/// };
/// assert!(backoff.delay(0, 0.0) >= Duration::from_millis(50));
/// assert_eq!(backoff.delay(20, 1.0), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The delay before the first retry.
    pub initial: Duration,
    /// How much each retry multiplies the delay by.
    pub factor: f64,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, times 1.618 per retry, at most 60 s.
    fn default() -> Backoff {
        Backoff {
            initial: Duration::from_secs(1),
            factor: 1.618,
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (0-based), with `jitter` in `[0, 1]`
    /// picking where in `[delay/2, delay]` it falls.
    ///
    /// ```
    /// let b = weft_ws::Backoff::default();
    /// assert!(b.delay(1, 1.0) > b.delay(0, 1.0));
    /// ```
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self.factor.max(1.0).powi(attempt.min(64) as i32);
        let full = self.initial.as_secs_f64() * exp;
        let full = full.min(self.max.as_secs_f64());
        Duration::from_secs_f64(full * (0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
    }
}

/// A client that reconnects: each [`next`](Reconnect::next) connects, retrying with
/// [`Backoff`] until it succeeds — Python's `async for websocket in connect(uri)`.
///
/// The attempt count resets after a connection that lasted; handshake failures that
/// cannot get better (a 4xx answer, an invalid URL) end it with the error.
///
/// ```
/// # weft::run(async {
/// # let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move { let _ = ws.send("hi").await; }).await?;
/// let mut client = weft_ws::Reconnect::new(&format!("ws://{}", server.local_addr()));
/// let mut ws = client.next().await?;
/// assert_eq!(ws.recv().await?.to_text().unwrap(), "hi");
/// # Ok::<(), weft_ws::Error>(()) })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
#[derive(Debug)]
pub struct Reconnect {
    url: String,
    options: ConnectOptions,
    backoff: Backoff,
    attempt: u32,
    rng: u64,
    connected_once: bool,
}

impl Reconnect {
    /// A reconnecting client of `url` with default options and backoff.
    ///
    /// ```
    /// let client = weft_ws::Reconnect::new("ws://localhost:8765");
    /// # drop(client);
    /// ```
    pub fn new(url: &str) -> Reconnect {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Reconnect {
            url: url.to_owned(),
            options: ConnectOptions::default(),
            backoff: Backoff::default(),
            attempt: 0,
            rng: seed | 1,
            connected_once: false,
        }
    }

    /// Sets the connect options.
    ///
    /// ```
    /// let client = weft_ws::Reconnect::new("ws://localhost:8765")
    ///     .options(weft_ws::ConnectOptions::new().header("X-Client", "weft"));
    /// # drop(client);
    /// ```
    pub fn options(mut self, options: ConnectOptions) -> Reconnect {
        self.options = options;
        self
    }

    /// Sets the backoff.
    ///
    /// ```
    /// let client = weft_ws::Reconnect::new("ws://localhost:8765")
    ///     .backoff(weft_ws::Backoff { initial: std::time::Duration::from_millis(10), ..Default::default() });
    /// # drop(client);
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Reconnect {
        self.backoff = backoff;
        self
    }

    /// Retries so far since the last success.
    ///
    /// ```
    /// assert_eq!(weft_ws::Reconnect::new("ws://x").attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Connects (again), waiting between failed attempts.
    ///
    /// # Errors
    ///
    /// Only errors a retry cannot fix: an invalid URL, or a handshake refused with
    /// a 4xx status.
    ///
    /// ```no_run
    /// # weft::run(async {
    /// let mut client = weft_ws::Reconnect::new("ws://localhost:8765");
    /// loop {
    ///     let mut ws = client.next().await?;
    ///     while let Ok(msg) = ws.recv().await {
    ///         println!("{msg}");
    ///     }
    /// }
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn next(&mut self) -> Result<WebSocket, Error> {
        if self.connected_once {
            // The previous connection ended: wait a little before coming back.
            self.wait().await;
        }
        loop {
            match connect_with(&self.url, &self.options).await {
                Ok(ws) => {
                    self.attempt = 0;
                    self.connected_once = true;
                    return Ok(ws);
                }
                Err(e @ Error::InvalidUrl { .. }) => return Err(e),
                Err(
                    e @ Error::Handshake {
                        status: Some(400..=499),
                        ..
                    },
                ) => return Err(e),
                Err(e) => {
                    tracing::debug!(url = %self.url, error = %e, attempt = self.attempt, "weft-ws: connect failed; retrying");
                    self.wait().await;
                }
            }
        }
    }

    async fn wait(&mut self) {
        // xorshift64: jitter needs no cryptographic randomness.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let jitter = (self.rng >> 11) as f64 / (1u64 << 53) as f64;
        let delay = self.backoff.delay(self.attempt, jitter);
        self.attempt = self.attempt.saturating_add(1);
        weft_futures::sleep(delay).await;
    }
}
