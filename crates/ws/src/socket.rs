//! [`WebSocket`] and its halves, [`Reader`] and [`Writer`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_sink::Sink;
use tungstenite::Message;

use crate::conn::{Conn, PingSlot};
use crate::Error;

/// An open WebSocket connection: asyncio's `websockets` connection object.
///
/// [`recv`](WebSocket::recv) returns the next text or binary message (pings are
/// answered and pongs matched by the connection itself); [`send`](WebSocket::send)
/// sends one; [`close`](WebSocket::close) runs the closing handshake. Once the
/// connection is over, every operation returns [`Error::ConnectionClosed`].
///
/// As a [`Stream`] it yields messages and ends after a normal closure (1000, 1001),
/// like `async for message in websocket`; after an abnormal one it yields the error
/// first. It is also a [`Sink`] of [`Message`]s. [`split`](WebSocket::split) gives a
/// reading half and a writing half for two tasks.
///
/// Dropping the last handle of an open connection closes it with 1000 in the
/// background (within [`Config::close_timeout`](crate::Config::close_timeout)).
///
/// ```
/// use weft_ws::{connect, serve, Message};
///
/// weft::run(async {
///     let server = serve("127.0.0.1:0", |mut ws| async move {
///         while let Ok(msg) = ws.recv().await {
///             if ws.send(msg).await.is_err() {
///                 break;
///             }
///         }
///     })
///     .await?;
///     let mut ws = connect(&format!("ws://{}", server.local_addr())).await?;
///     ws.send("hello").await?;
///     assert_eq!(ws.recv().await?, Message::text("hello"));
///     ws.close(1000, "bye").await?;
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub struct WebSocket {
    reader: Reader,
    writer: Writer,
}

/// The reading half of a [`WebSocket`] ([`WebSocket::split`]).
///
/// ```
/// # weft::run(async {
/// # let server = weft_ws::serve("127.0.0.1:0", |ws| async move {
/// #     let (mut rd, wr) = ws.split();
/// #     while let Ok(m) = rd.recv().await { let _ = wr.send(m).await; }
/// # }).await?;
/// let ws = weft_ws::connect(&format!("ws://{}", server.local_addr())).await?;
/// let (mut reader, writer) = ws.split();
/// writer.send("ping?").await?;
/// assert_eq!(reader.recv().await?.to_text().unwrap(), "ping?");
/// # Ok::<(), weft_ws::Error>(())
/// # })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub struct Reader {
    conn: Rc<Conn>,
    /// The Stream ended (normal closure seen).
    ended: bool,
}

/// The writing half of a [`WebSocket`] ([`WebSocket::split`]); clones share the
/// connection, so several tasks may send.
///
/// ```
/// # weft::run(async {
/// # let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
/// #     while let Ok(m) = ws.recv().await { let _ = ws.send(m).await; }
/// # }).await?;
/// let ws = weft_ws::connect(&format!("ws://{}", server.local_addr())).await?;
/// let (mut reader, writer) = ws.split();
/// let w2 = writer.clone();
/// weft::spawn(async move { w2.send("from a task").await }).await.unwrap()?;
/// assert_eq!(reader.recv().await?.to_text().unwrap(), "from a task");
/// # Ok::<(), weft_ws::Error>(())
/// # })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
#[derive(Clone)]
pub struct Writer {
    conn: Rc<Conn>,
}

impl WebSocket {
    pub(crate) fn new(conn: Rc<Conn>) -> WebSocket {
        WebSocket {
            reader: Reader {
                conn: conn.clone(),
                ended: false,
            },
            writer: Writer { conn },
        }
    }

    /// Receives the next text or binary message.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] once the connection is over: after a closing
    /// handshake (`code` 1000, 1001...), after a failure (1002 protocol error, 1007
    /// invalid UTF-8, 1009 message over [`Config::max_size`](crate::Config::max_size),
    /// 1011 keepalive timeout) or when the TCP connection was lost (1006).
    ///
    /// ```
    /// # weft::run(async {
    /// # let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
    /// #     let _ = ws.send("welcome").await;
    /// # }).await?;
    /// let mut ws = weft_ws::connect(&format!("ws://{}", server.local_addr())).await?;
    /// assert_eq!(ws.recv().await?.to_text().unwrap(), "welcome");
    /// // The server's handler returned: its connection closed with 1000.
    /// let err = ws.recv().await.unwrap_err();
    /// assert_eq!(err.close_code(), Some(1000));
    /// # Ok::<(), weft_ws::Error>(())
    /// # })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn recv(&mut self) -> Result<Message, Error> {
        self.reader.recv().await
    }

    /// Sends a message: text from a `&str` or `String`, binary from a `Vec<u8>` or
    /// [`Bytes`](crate::Bytes). It returns once the message is written or buffered;
    /// while more than [`Config::write_limit`](crate::Config::write_limit) bytes wait
    /// to be written, it waits first (backpressure).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] if the connection is closing or closed.
    ///
    /// ```
    /// # weft::run(async {
    /// # let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
    /// #     while let Ok(m) = ws.recv().await { let _ = ws.send(m).await; }
    /// # }).await?;
    /// let mut ws = weft_ws::connect(&format!("ws://{}", server.local_addr())).await?;
    /// ws.send("text").await?;
    /// ws.send(vec![1u8, 2, 3]).await?;
    /// assert!(ws.recv().await?.is_text());
    /// assert!(ws.recv().await?.is_binary());
    /// # Ok::<(), weft_ws::Error>(())
    /// # })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn send(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.writer.send(message).await
    }

    /// Closes the connection with `code` and `reason`, waiting for the peer's close
    /// frame (at most [`Config::close_timeout`](crate::Config::close_timeout); then
    /// the TCP connection is closed anyway). Messages that arrive meanwhile are
    /// dropped. Closing a closed connection does nothing.
    ///
    /// # Errors
    ///
    /// None so far; the `Result` leaves room for one.
    ///
    /// ```
    /// # weft::run(async {
    /// # let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
    /// #     while ws.recv().await.is_ok() {}
    /// # }).await?;
    /// let mut ws = weft_ws::connect(&format!("ws://{}", server.local_addr())).await?;
    /// ws.close(1000, "done").await?;
    /// assert_eq!(ws.recv().await.unwrap_err().close_code(), Some(1000));
    /// # Ok::<(), weft_ws::Error>(())
    /// # })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.writer.close(code, reason).await
    }

    /// Sends a ping and resolves to the round-trip time when its pong comes back.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] if the connection closes first.
    ///
    /// ```
    /// # weft::run(async {
    /// # let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
    /// #     while ws.recv().await.is_ok() {}
    /// # }).await?;
    /// let ws = weft_ws::connect(&format!("ws://{}", server.local_addr())).await?;
    /// let rtt = ws.ping().await?;
    /// assert!(rtt < std::time::Duration::from_secs(5));
    /// # Ok::<(), weft_ws::Error>(())
    /// # })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn ping(&self) -> Result<Duration, Error> {
        self.writer.ping().await
    }

    /// The writing half, borrowed: what [`broadcast`](crate::broadcast) takes.
    ///
    /// ```
    /// # fn f(ws: &weft_ws::WebSocket) -> weft_ws::Writer {
    /// ws.writer().clone()
    /// # }
    /// ```
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Splits the connection into a reading half and a writing half.
    ///
    /// ```
    /// # fn f(ws: weft_ws::WebSocket) {
    /// let (reader, writer) = ws.split();
    /// # drop((reader, writer));
    /// # }
    /// ```
    pub fn split(self) -> (Reader, Writer) {
        (self.reader, self.writer)
    }

    /// The subprotocol both sides agreed on in the handshake, if any.
    ///
    /// ```
    /// # fn f(ws: &weft_ws::WebSocket) {
    /// if ws.subprotocol() == Some("chat") { /* ... */ }
    /// # }
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        self.writer.conn.subprotocol()
    }

    /// The request path (with query) of a server-side connection (`None` on a
    /// client).
    ///
    /// ```
    /// # fn f(ws: &weft_ws::WebSocket) {
    /// if ws.path() == Some("/chat") { /* ... */ }
    /// # }
    /// ```
    pub fn path(&self) -> Option<&str> {
        self.writer.conn.path()
    }

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// The error of `getpeername(2)` (the socket may be disconnected).
    ///
    /// ```
    /// # fn f(ws: &weft_ws::WebSocket) -> std::io::Result<()> {
    /// println!("peer: {}", ws.peer_addr()?);
    /// # Ok(()) }
    /// ```
    pub fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.writer.conn.peer_addr()
    }

    /// The local address of the connection.
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    ///
    /// ```
    /// # fn f(ws: &weft_ws::WebSocket) -> std::io::Result<()> {
    /// println!("local: {}", ws.local_addr()?);
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.writer.conn.local_addr()
    }

    /// How the connection ended ([`Error::ConnectionClosed`]), or `None` while open.
    ///
    /// ```
    /// # fn f(ws: &weft_ws::WebSocket) {
    /// if let Some(err) = ws.close_reason() { println!("{err}"); }
    /// # }
    /// ```
    pub fn close_reason(&self) -> Option<Error> {
        self.writer.conn.closed_error()
    }
}

impl Reader {
    /// Receives the next text or binary message; see [`WebSocket::recv`].
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] once the connection is over.
    ///
    /// ```
    /// # async fn f(mut reader: weft_ws::Reader) -> Result<(), weft_ws::Error> {
    /// let msg = reader.recv().await?;
    /// # drop(msg); Ok(()) }
    /// ```
    pub async fn recv(&mut self) -> Result<Message, Error> {
        poll_fn(|cx| self.conn.poll_recv(cx)).await
    }
}

impl Writer {
    /// Sends a message; see [`WebSocket::send`].
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] if the connection is closing or closed.
    ///
    /// ```
    /// # async fn f(writer: weft_ws::Writer) -> Result<(), weft_ws::Error> {
    /// writer.send("hi").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        poll_fn(|cx| self.conn.poll_send_ready(cx)).await?;
        self.conn.send_now(message, true)
    }

    /// Sends without waiting: buffers `message` unless the write buffer is over
    /// [`Config::write_limit`](crate::Config::write_limit), and returns whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] if the connection is closing or closed.
    ///
    /// ```
    /// # fn f(writer: &weft_ws::Writer) -> Result<(), weft_ws::Error> {
    /// if !writer.try_send("tick")? {
    ///     // a slow reader: skip this one
    /// }
    /// # Ok(()) }
    /// ```
    pub fn try_send(&self, message: impl Into<Message>) -> Result<bool, Error> {
        self.conn.try_send(message.into())
    }

    /// Closes the connection; see [`WebSocket::close`].
    ///
    /// # Errors
    ///
    /// None so far.
    ///
    /// ```
    /// # async fn f(writer: weft_ws::Writer) -> Result<(), weft_ws::Error> {
    /// writer.close(1001, "shutting down").await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.conn.start_close(code, reason);
        let timeout = self.conn.config().close_timeout;
        let done = weft_futures::timeout(timeout, poll_fn(|cx| self.conn.poll_closed(cx))).await;
        if done.is_err() {
            self.conn.abandon();
        }
        Ok(())
    }

    /// Sends a ping; resolves to the round-trip time. See [`WebSocket::ping`].
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] if the connection closes first.
    ///
    /// ```
    /// # async fn f(writer: weft_ws::Writer) -> Result<(), weft_ws::Error> {
    /// let rtt = writer.ping().await?;
    /// # drop(rtt); Ok(()) }
    /// ```
    pub async fn ping(&self) -> Result<Duration, Error> {
        let slot = self.conn.start_ping()?;
        Pong {
            conn: &self.conn,
            slot,
            done: false,
        }
        .await
    }

    /// Bytes written by `send` that wait for the socket.
    ///
    /// ```
    /// # fn f(writer: &weft_ws::Writer) {
    /// println!("{} bytes buffered", writer.buffered());
    /// # }
    /// ```
    pub fn buffered(&self) -> usize {
        self.conn.buffered()
    }

    /// How the connection ended ([`Error::ConnectionClosed`]), or `None` while open.
    ///
    /// ```
    /// # fn f(room: &mut Vec<weft_ws::Writer>) {
    /// room.retain(|w| w.close_reason().is_none()); // forget closed connections
    /// # }
    /// ```
    pub fn close_reason(&self) -> Option<Error> {
        self.conn.closed_error()
    }
}

/// The future of [`Writer::ping`].
struct Pong<'a> {
    conn: &'a Conn,
    slot: Rc<PingSlot>,
    done: bool,
}

impl Future for Pong<'_> {
    type Output = Result<Duration, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let r = self.conn.poll_pong(&self.slot, cx);
        if r.is_ready() {
            self.done = true;
        }
        r
    }
}

impl Drop for Pong<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.conn.ping_dropped();
        }
    }
}

fn poll_next(
    conn: &Conn,
    ended: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Message, Error>>> {
    if *ended {
        return Poll::Ready(None);
    }
    match conn.poll_recv(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Ok(msg)) => Poll::Ready(Some(Ok(msg))),
        Poll::Ready(Err(err)) => {
            *ended = true;
            if err.is_normal_close() {
                Poll::Ready(None)
            } else {
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

impl Stream for Reader {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_next(&this.conn, &mut this.ended, cx)
    }
}

impl Stream for WebSocket {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().reader).poll_next(cx)
    }
}

impl Sink<Message> for Writer {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.conn.poll_send_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.conn.send_now(item, false)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.conn.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Flush, then close with 1000 and wait for the peer (bounded by the
        // connection's own close timeout only when awaited through `close`).
        match self.conn.poll_flush(cx) {
            Poll::Ready(Ok(())) | Poll::Ready(Err(_)) => {}
            Poll::Pending => return Poll::Pending,
        }
        self.conn.start_close(1000, "");
        self.conn.poll_closed(cx).map(Ok)
    }
}

impl Sink<Message> for WebSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().writer).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().writer).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().writer).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().writer).poll_close(cx)
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("peer", &self.peer_addr().ok())
            .field("closed", &self.close_reason())
            .finish()
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("buffered", &self.buffered())
            .finish()
    }
}
