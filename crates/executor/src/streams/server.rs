//! [`Server`]: the accept loop behind `start_server` and `create_server`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use weft_reactor::net::{SplitStream, TcpListener, TcpStream, UnixListener, UnixStream};

use super::Waiters;
use crate::Task;

/// How long the accept loop rests after an error that is not about one connection
/// (out of file descriptors, out of memory), before it tries again.
pub(crate) const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// A listening socket the accept loop can take connections from.
pub(crate) trait Listen: 'static {
    /// What it accepts.
    type Stream: SplitStream;

    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Stream>>;
}

impl Listen for TcpListener {
    type Stream = TcpStream;

    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        self.poll_accept(cx).map_ok(|(stream, _)| stream)
    }
}

impl Listen for UnixListener {
    type Stream = UnixStream;

    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<UnixStream>> {
        self.poll_accept(cx).map_ok(|(stream, _)| stream)
    }
}

/// The listener, shared by the server (which drops it on `close`) and the accept
/// loop (which borrows it only inside `poll_accept`).
trait ListenerSlot {
    fn close(&self);
}

impl<L: 'static> ListenerSlot for RefCell<Option<L>> {
    fn close(&self) {
        drop(self.borrow_mut().take());
    }
}

/// The state of a server shared by its handles, its accept loop and its connections.
pub(crate) struct ServerState {
    listener: Rc<dyn ListenerSlot>,
    accept_task: RefCell<Option<Task<()>>>,
    closing: Cell<bool>,
    /// Connections (handler tasks, protocol drivers) not finished yet.
    active: Cell<usize>,
    /// `wait_closed` and `serve_forever`.
    waiters: Waiters,
    /// Run on close (a Unix server removes its socket file).
    on_close: RefCell<Option<Box<dyn FnOnce()>>>,
}

impl ServerState {
    fn close(&self) {
        if self.closing.replace(true) {
            return;
        }
        // The listening socket is closed now: from here on connections are refused.
        self.listener.close();
        if let Some(task) = self.accept_task.borrow_mut().take() {
            task.cancel();
        }
        if let Some(f) = self.on_close.borrow_mut().take() {
            f();
        }
        self.waiters.wake_all();
    }

    fn closed(&self) -> bool {
        self.closing.get() && self.active.get() == 0
    }
}

/// Held by each connection of a server while it is handled: `wait_closed` waits
/// for all of them to be dropped.
pub(crate) struct ConnGuard(Rc<ServerState>);

impl ConnGuard {
    fn new(state: &Rc<ServerState>) -> ConnGuard {
        state.active.set(state.active.get() + 1);
        ConnGuard(state.clone())
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let state = &self.0;
        state.active.set(state.active.get() - 1);
        if state.closed() {
            state.waiters.wake_all();
        }
    }
}

/// Starts the accept loop of `listener` as a task: each accepted connection goes to
/// `on_conn`, with the guard that keeps the server's `wait_closed` waiting for it.
pub(crate) fn serve<L, A>(
    listener: L,
    addr: A,
    on_close: Option<Box<dyn FnOnce()>>,
    on_conn: impl Fn(L::Stream, ConnGuard) + 'static,
) -> Server<A>
where
    L: Listen,
{
    let slot = Rc::new(RefCell::new(Some(listener)));
    let state = Rc::new(ServerState {
        listener: slot.clone(),
        accept_task: RefCell::new(None),
        closing: Cell::new(false),
        active: Cell::new(0),
        waiters: Waiters::default(),
        on_close: RefCell::new(on_close),
    });
    let loop_state = state.clone();
    let task = crate::Builder::new()
        .name("weft::Server accept")
        .spawn(async move {
            loop {
                let accepted = poll_fn(|cx| match &*slot.borrow() {
                    Some(l) => l.poll_accept_stream(cx).map(Some),
                    None => Poll::Ready(None),
                })
                .await;
                match accepted {
                    None => return,
                    Some(Ok(stream)) => on_conn(stream, ConnGuard::new(&loop_state)),
                    Some(Err(e)) if about_one_connection(&e) => {
                        tracing::debug!(error = %e, "weft: accept failed for one connection");
                    }
                    Some(Err(e)) => {
                        // asyncio's "socket.accept() out of system resource": the loop
                        // goes on, so the server recovers once descriptors are freed.
                        tracing::error!(
                            error = %e,
                            "weft: accept failed; retrying in {} ms",
                            ACCEPT_RETRY_DELAY.as_millis()
                        );
                        weft_futures::sleep(ACCEPT_RETRY_DELAY).await;
                    }
                }
            }
        });
    *state.accept_task.borrow_mut() = Some(task);
    Server { state, addr }
}

/// Accept errors that concern one connection only: try the next one at once.
fn about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::NotConnected
    )
}

/// A listening server (asyncio's `Server`), from
/// [`start_server`](crate::start_server) or [`create_server`](crate::create_server).
///
/// It serves from the moment it is created: an accept loop runs as a task, and each
/// connection is handled in a task of its own, so a failing connection (an I/O
/// error, a panicking handler) ends only itself. Errors of `accept(2)` do not end
/// the loop either: one about a single connection is skipped, and a shortage of
/// resources (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) is logged through `tracing`
/// and retried after 100 ms, so the server recovers once descriptors are freed.
///
/// A `Server` is a cheap handle (`Clone`); dropping it does not close the server,
/// as in asyncio: call [`close`](Self::close). `A` is the type of its address:
/// [`std::net::SocketAddr`], or for [`start_unix_server`](crate::start_unix_server)
/// [`std::os::unix::net::SocketAddr`] (see [`UnixServer`]).
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |mut reader, writer| async move {
///         while let Ok(line) = reader.readline().await {
///             if line.is_empty() {
///                 break;
///             }
///             writer.write(&line);
///         }
///     })
///     .await?;
///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
///     writer.write(b"ping\n");
///     assert_eq!(reader.readline().await?, b"ping\n");
///
///     server.close();
///     writer.close(); // the handler sees end of stream and returns
///     server.wait_closed().await;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server<A = std::net::SocketAddr> {
    state: Rc<ServerState>,
    addr: A,
}

/// A server listening on a Unix socket, from
/// [`start_unix_server`](crate::start_unix_server) or
/// [`create_unix_server`](crate::create_unix_server).
///
/// # Examples
///
/// ```
/// use weft::net::{start_unix_server, UnixServer};
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-unix-server-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// weft::run(async {
///     let server: UnixServer = start_unix_server(&path, |_r, _w| async {}).await?;
///     assert_eq!(server.local_addr().as_pathname(), Some(path.as_path()));
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub type UnixServer = Server<std::os::unix::net::SocketAddr>;

impl<A: Clone> Server<A> {
    /// The address the server listens on (asyncio's `server.sockets[0].getsockname()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::start_server;
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     assert!(server.local_addr().ip().is_loopback());
    ///     assert_ne!(server.local_addr().port(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> A {
        self.addr.clone()
    }
}

impl<A> Server<A> {
    /// Stops serving: the listening socket is closed at once (new connections are
    /// refused) and the accept loop ends. Connections already accepted go on, as in
    /// asyncio. Closing twice does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     server.close();
    ///     assert!(!server.is_serving());
    ///     assert!(open_connection(server.local_addr()).await.is_err()); // refused
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(&self) {
        self.state.close();
    }

    /// Whether the server still accepts connections.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::start_server;
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     assert!(server.is_serving());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_serving(&self) -> bool {
        !self.state.closing.get()
    }

    /// How many connections are being handled now.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::start_server;
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     assert_eq!(server.active_connections(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn active_connections(&self) -> usize {
        self.state.active.get()
    }

    /// Waits until the server is closed and every connection it accepted has been
    /// handled (asyncio 3.12's `wait_closed`). Before [`close`](Self::close) it
    /// waits for the close too.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |mut r, _w| async move {
    ///         let _ = r.read_to_end().await; // until the client closes
    ///     })
    ///     .await?;
    ///     let (_reader, writer) = open_connection(server.local_addr()).await?;
    ///     writer.write(b"x");
    ///     server.close();
    ///     drop(writer);
    ///     server.wait_closed().await; // the handler has returned
    ///     assert_eq!(server.active_connections(), 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            if self.state.closed() {
                return Poll::Ready(());
            }
            self.state.waiters.register(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// Serves until the server is closed (asyncio's `serve_forever`). Dropping this
    /// future before then — cancelling the task that awaits it — closes the server,
    /// as in asyncio.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"hi") }).await?;
    ///     let addr = server.local_addr();
    ///     let serving = weft::spawn({
    ///         let server = server.clone();
    ///         async move { server.serve_forever().await }
    ///     });
    ///     let (mut reader, _writer) = open_connection(addr).await?;
    ///     assert_eq!(reader.read_to_end().await?, b"hi");
    ///     serving.cancel(); // closes the server
    ///     assert!(serving.await.is_err());
    ///     assert!(!server.is_serving());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn serve_forever(&self) {
        struct CloseOnDrop<'a>(&'a ServerState);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let guard = CloseOnDrop(&self.state);
        poll_fn(|cx| {
            if self.state.closing.get() {
                return Poll::Ready(());
            }
            self.state.waiters.register(cx.waker());
            Poll::Pending
        })
        .await;
        std::mem::forget(guard);
    }
}

impl<A: Clone> Clone for Server<A> {
    fn clone(&self) -> Server<A> {
        Server {
            state: self.state.clone(),
            addr: self.addr.clone(),
        }
    }
}

impl<A: fmt::Debug> fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("serving", &!self.state.closing.get())
            .field("active", &self.state.active.get())
            .finish()
    }
}
