//! The server side: [`serve`], [`accept`], [`Server`] and [`ServeOptions`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use tracing::Instrument;
use tungstenite::protocol::Role;
use weft_executor::Task;
use weft_reactor::net::{TcpListener, TcpStream};

use crate::conn::{register, Conn};
use crate::handshake::{self, Accepted, ProcessRequest, Request, Response, ServerPolicy};
use crate::{Config, Error, WebSocket};

/// How long the accept loop rests after an error that is not about one connection
/// (out of file descriptors), before it tries again.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// The server's side of the handshake: [`Config`], allowed origins, subprotocols and
/// a hook that may answer a request with plain HTTP.
///
/// ```
/// use weft_ws::{Config, Response, ServeOptions};
///
/// let options = ServeOptions::new()
///     .config(Config::new().max_size(Some(16 << 20)))
///     .origins(["https://example.com"])
///     .subprotocols(["chat.v2", "chat"])
///     .process_request(|req| (req.path() == "/healthz").then(|| Response::new(200, "OK\n")));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct ServeOptions {
    config: Config,
    origins: Option<Vec<String>>,
    subprotocols: Vec<String>,
    process_request: Option<Rc<ProcessRequest>>,
}

impl ServeOptions {
    /// Defaults: [`Config::default`], any origin, no subprotocol, no hook.
    ///
    /// ```
    /// let options = weft_ws::ServeOptions::new();
    /// # let _ = options;
    /// ```
    pub fn new() -> ServeOptions {
        ServeOptions::default()
    }

    /// The limits and timeouts of each connection.
    ///
    /// ```
    /// let options = weft_ws::ServeOptions::new().config(weft_ws::Config::new().ping_interval(None));
    /// # let _ = options;
    /// ```
    pub fn config(mut self, config: Config) -> ServeOptions {
        self.config = config;
        self
    }

    /// Accepts only handshakes whose `Origin` header is one of these (others get
    /// 403); browsers send it, so this guards against cross-site WebSocket use.
    ///
    /// ```
    /// let options = weft_ws::ServeOptions::new().origins(["http://localhost:8000"]);
    /// # let _ = options;
    /// ```
    pub fn origins<I, S>(mut self, origins: I) -> ServeOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// The subprotocols this server speaks, by preference; the first the client
    /// offers is chosen ([`WebSocket::subprotocol`]).
    ///
    /// ```
    /// let options = weft_ws::ServeOptions::new().subprotocols(["graphql-ws"]);
    /// # let _ = options;
    /// ```
    pub fn subprotocols<I, S>(mut self, subprotocols: I) -> ServeOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = subprotocols.into_iter().map(Into::into).collect();
        self
    }

    /// A hook run on every request before the upgrade: returning a [`Response`]
    /// answers with plain HTTP (a health check, a page) and closes the connection.
    ///
    /// ```
    /// use weft_ws::{Response, ServeOptions};
    /// let options = ServeOptions::new().process_request(|req| match req.path() {
    ///     "/" => Some(Response::new(200, "<h1>hi</h1>").header("Content-Type", "text/html")),
    ///     _ => None,
    /// });
    /// # let _ = options;
    /// ```
    pub fn process_request(
        mut self,
        hook: impl Fn(&Request) -> Option<Response> + 'static,
    ) -> ServeOptions {
        self.process_request = Some(Rc::new(hook));
        self
    }
}

impl fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeOptions")
            .field("config", &self.config)
            .field("origins", &self.origins)
            .field("subprotocols", &self.subprotocols)
            .field("process_request", &self.process_request.is_some())
            .finish()
    }
}

/// Runs the server side of the opening handshake on an accepted TCP connection.
///
/// # Errors
///
/// [`Error::Handshake`] if the request is not a valid WebSocket upgrade (it was
/// answered with 400, or 403 for a refused origin) or was answered by the
/// `process_request` hook; [`Error::Timeout`] past
/// [`Config::open_timeout`](crate::Config::open_timeout).
///
/// ```
/// use weft::reactor::net::TcpListener;
///
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let url = format!("ws://{}", listener.local_addr()?);
///     weft::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut ws = weft_ws::accept(stream).await.unwrap();
///         let msg = ws.recv().await.unwrap();
///         ws.send(msg).await.unwrap();
///     });
///     let mut ws = weft_ws::connect(&url).await?;
///     ws.send("echo?").await?;
///     assert_eq!(ws.recv().await?.to_text().unwrap(), "echo?");
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub async fn accept(stream: TcpStream) -> Result<WebSocket, Error> {
    accept_with(stream, &ServeOptions::default()).await
}

/// [`accept`] with options.
///
/// # Errors
///
/// As [`accept`].
///
/// ```
/// # async fn f(stream: weft::reactor::net::TcpStream) -> Result<(), weft_ws::Error> {
/// let options = weft_ws::ServeOptions::new().subprotocols(["chat"]);
/// let ws = weft_ws::accept_with(stream, &options).await?;
/// # drop(ws); Ok(()) }
/// ```
pub async fn accept_with(stream: TcpStream, options: &ServeOptions) -> Result<WebSocket, Error> {
    match upgrade(stream, options, &Rc::new(options.config.clone())).await? {
        Some(conn) => Ok(WebSocket::new(conn)),
        None => Err(Error::handshake(None, "answered by process_request")),
    }
}

/// The handshake, bounded by `open_timeout`; `None` if the hook answered.
async fn upgrade(
    mut stream: TcpStream,
    options: &ServeOptions,
    config: &Rc<Config>,
) -> Result<Option<Rc<Conn>>, Error> {
    let policy = ServerPolicy {
        max_request_size: config.max_request_size,
        origins: options.origins.as_deref(),
        subprotocols: &options.subprotocols,
        process_request: options.process_request.as_deref(),
    };
    let accepted = match config.open_timeout {
        Some(t) => weft_futures::timeout(t, handshake::accept(&mut stream, &policy))
            .await
            .map_err(|_| Error::Timeout)??,
        None => handshake::accept(&mut stream, &policy).await?,
    };
    match accepted {
        Accepted::Answered => Ok(None),
        Accepted::Upgrade {
            leftover,
            subprotocol,
            request,
        } => Ok(Some(Conn::new(
            stream,
            leftover,
            Role::Server,
            config.clone(),
            subprotocol,
            Some(request.path().to_owned()),
        ))),
    }
}

/// Serves WebSocket connections on `addr`, running `handler` for each one in its
/// own task: Python's `websockets.serve(handler, host, port)`.
///
/// The handler owns its [`WebSocket`]; when it returns, an open connection is
/// closed with 1000.
///
/// # Errors
///
/// [`Error::Io`] if the address cannot be bound.
///
/// ```
/// weft::run(async {
///     let server = weft_ws::serve("127.0.0.1:0", |mut ws| async move {
///         while let Ok(msg) = ws.recv().await {
///             let _ = ws.send(msg).await;
///         }
///     })
///     .await?;
///     println!("listening on ws://{}", server.local_addr());
///     server.close();
///     server.wait_closed().await;
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub async fn serve<A, H, F>(addr: A, handler: H) -> Result<Server, Error>
where
    A: ToSocketAddrs,
    H: Fn(WebSocket) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    serve_with(addr, ServeOptions::default(), handler).await
}

/// [`serve`] with options.
///
/// # Errors
///
/// As [`serve`].
///
/// ```
/// weft::run(async {
///     let options = weft_ws::ServeOptions::new().config(weft_ws::Config::new().ping_interval(None));
///     let server = weft_ws::serve_with("127.0.0.1:0", options, |ws| async move { drop(ws) }).await?;
///     server.close();
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
pub async fn serve_with<A, H, F>(
    addr: A,
    options: ServeOptions,
    handler: H,
) -> Result<Server, Error>
where
    A: ToSocketAddrs,
    H: Fn(WebSocket) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let listener = TcpListener::bind(addr)?;
    Ok(serve_on(listener, options, handler))
}

/// [`serve_with`] on a listener you already have (SO_REUSEPORT, an inherited socket).
///
/// ```
/// use weft::reactor::net::TcpListener;
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let server = weft_ws::serve_on(listener, weft_ws::ServeOptions::new(), |ws| async move { drop(ws) });
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn serve_on<H, F>(listener: TcpListener, options: ServeOptions, handler: H) -> Server
where
    H: Fn(WebSocket) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let addr = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let state = Rc::new(State {
        listener: RefCell::new(Some(listener)),
        accept_task: RefCell::new(None),
        closing: Cell::new(false),
        active: Cell::new(0),
        conns: RefCell::new(slab::Slab::new()),
        waiters: RefCell::new(Vec::new()),
    });
    let config = Rc::new(options.config.clone());
    let options = Rc::new(options);
    let handler = Rc::new(handler);
    let st = state.clone();
    let task = weft_executor::Builder::new()
        .name("weft-ws accept")
        .spawn(async move {
            loop {
                let accepted = poll_fn(|cx| match &*st.listener.borrow() {
                    Some(l) => l.poll_accept(cx).map(Some),
                    None => Poll::Ready(None),
                })
                .await;
                match accepted {
                    None => return,
                    Some(Ok((stream, peer))) => {
                        spawn_connection(&st, stream, peer, &options, &config, &handler)
                    }
                    Some(Err(e)) if about_one_connection(&e) => {
                        tracing::debug!(error = %e, "weft-ws: accept failed for one connection");
                    }
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "weft-ws: accept failed; retrying in {} ms", ACCEPT_RETRY_DELAY.as_millis());
                        weft_futures::sleep(ACCEPT_RETRY_DELAY).await;
                    }
                }
            }
        });
    *state.accept_task.borrow_mut() = Some(task);
    Server { state, addr }
}

fn spawn_connection<H, F>(
    state: &Rc<State>,
    stream: TcpStream,
    peer: SocketAddr,
    options: &Rc<ServeOptions>,
    config: &Rc<Config>,
    handler: &Rc<H>,
) where
    H: Fn(WebSocket) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let guard = Active::new(state);
    let (options, config, handler) = (options.clone(), config.clone(), handler.clone());
    weft_executor::Builder::new()
        .name("weft-ws connection")
        .spawn(async move {
            let conn = match upgrade(stream, &options, &config).await {
                Ok(Some(conn)) => conn,
                Ok(None) => return,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "weft-ws: opening handshake failed");
                    return;
                }
            };
            let key = guard.0.conns.borrow_mut().insert(Rc::downgrade(&conn));
            if guard.0.closing.get() {
                conn.start_close(1001, "going away");
            }
            let _registered = Registered(&guard.0, key);
            let span = tracing::debug_span!("weft-ws connection", %peer);
            handler(WebSocket::new(conn)).instrument(span).await;
        });
}

fn about_one_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted
            | ConnectionReset
            | Interrupted
            | WouldBlock
            | InvalidInput
            | NotConnected
    )
}

struct State {
    listener: RefCell<Option<TcpListener>>,
    accept_task: RefCell<Option<Task<()>>>,
    closing: Cell<bool>,
    /// Connection tasks not finished.
    active: Cell<usize>,
    /// Open connections, for `close` (1001).
    conns: RefCell<slab::Slab<Weak<Conn>>>,
    waiters: RefCell<Vec<Waker>>,
}

impl State {
    fn wake(&self) {
        for w in self.waiters.borrow_mut().drain(..) {
            w.wake();
        }
    }
}

/// Counts a connection task for `wait_closed`.
struct Active(Rc<State>);

impl Active {
    fn new(state: &Rc<State>) -> Active {
        state.active.set(state.active.get() + 1);
        Active(state.clone())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.set(self.0.active.get() - 1);
        if self.0.active.get() == 0 {
            self.0.wake();
        }
    }
}

/// Keeps a connection in the server's table while its handler runs.
struct Registered<'a>(&'a State, usize);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.0.conns.borrow_mut().try_remove(self.1);
    }
}

/// A running WebSocket server ([`serve`]): Python's `websockets.Server`.
///
/// ```
/// weft::run(async {
///     let server = weft_ws::serve("127.0.0.1:0", |ws| async move { drop(ws) }).await?;
///     assert!(server.is_serving());
///     server.close(); // stop accepting; open connections get 1001
///     server.wait_closed().await; // every handler returned
///     Ok::<(), weft_ws::Error>(())
/// })?;
/// # Ok::<(), weft_ws::Error>(())
/// ```
#[derive(Clone)]
pub struct Server {
    state: Rc<State>,
    addr: SocketAddr,
}

impl Server {
    /// The address the server listens on.
    ///
    /// ```
    /// # weft::run(async {
    /// let server = weft_ws::serve("127.0.0.1:0", |ws| async move { drop(ws) }).await?;
    /// assert_ne!(server.local_addr().port(), 0);
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and closes every open one with 1001 (going
    /// away). Handlers see [`Error::ConnectionClosed`] once their peer answers.
    ///
    /// ```
    /// # weft::run(async {
    /// let server = weft_ws::serve("127.0.0.1:0", |ws| async move { drop(ws) }).await?;
    /// server.close();
    /// assert!(!server.is_serving());
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub fn close(&self) {
        let state = &self.state;
        if state.closing.replace(true) {
            return;
        }
        drop(state.listener.borrow_mut().take());
        if let Some(task) = state.accept_task.borrow_mut().take() {
            task.cancel();
        }
        let conns: Vec<Rc<Conn>> = state
            .conns
            .borrow()
            .iter()
            .filter_map(|(_, w)| w.upgrade())
            .collect();
        for conn in conns {
            conn.start_close(1001, "going away");
        }
        state.wake();
    }

    /// Whether the server still accepts connections.
    ///
    /// ```
    /// # weft::run(async {
    /// let server = weft_ws::serve("127.0.0.1:0", |ws| async move { drop(ws) }).await?;
    /// assert!(server.is_serving());
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub fn is_serving(&self) -> bool {
        !self.state.closing.get()
    }

    /// Connections whose handler is still running (or whose handshake is).
    ///
    /// ```
    /// # weft::run(async {
    /// let server = weft_ws::serve("127.0.0.1:0", |ws| async move { drop(ws) }).await?;
    /// assert_eq!(server.active_connections(), 0);
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub fn active_connections(&self) -> usize {
        self.state.active.get()
    }

    /// Waits until the server is closed and every handler has returned.
    ///
    /// ```
    /// # weft::run(async {
    /// let server = weft_ws::serve("127.0.0.1:0", |ws| async move { drop(ws) }).await?;
    /// server.close();
    /// server.wait_closed().await;
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            if self.state.closing.get() && self.state.active.get() == 0 {
                return Poll::Ready(());
            }
            register(&mut self.state.waiters.borrow_mut(), cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Serves until [`close`](Server::close) is called (from another task), like
    /// Python's `await server.serve_forever()` or `await asyncio.Future()`.
    ///
    /// ```no_run
    /// # weft::run(async {
    /// let server = weft_ws::serve("127.0.0.1:8765", |ws| async move { drop(ws) }).await?;
    /// server.serve_forever().await;
    /// # Ok::<(), weft_ws::Error>(()) })?;
    /// # Ok::<(), weft_ws::Error>(())
    /// ```
    pub async fn serve_forever(&self) {
        poll_fn(|cx| {
            if self.state.closing.get() {
                return Poll::Ready(());
            }
            register(&mut self.state.waiters.borrow_mut(), cx.waker());
            Poll::Pending
        })
        .await
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("serving", &self.is_serving())
            .field("active", &self.active_connections())
            .finish()
    }
}
