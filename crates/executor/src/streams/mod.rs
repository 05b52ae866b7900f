//! asyncio's streams: [`open_connection`] and [`start_server`], with
//! [`StreamReader`] and [`StreamWriter`], over TCP and Unix sockets.
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.open_connection(host, port)` | [`open_connection`]`("host:port")` -> `(StreamReader, StreamWriter)` |
//! | `asyncio.start_server(cb, host, port)` | [`start_server`]`("host:port", handler)` -> [`Server`] |
//! | `asyncio.start_server(cb, sock=s)` | [`start_server_on`]`(listener, handler)` |
//! | `asyncio.open_unix_connection(path)` / `start_unix_server(cb, path)` | [`open_unix_connection`] / [`start_unix_server`] |
//! | `reader.read(n)`, `readline()`, `readexactly(n)`, `readuntil(sep)`, `at_eof()` | same names on [`StreamReader`] |
//! | `reader.read()` (to end of stream) | [`StreamReader::read_to_end`] |
//! | `IncompleteReadError`, `LimitOverrunError` | [`StreamError::IncompleteRead`], [`StreamError::LimitOverrun`] |
//! | `writer.write`, `writelines`, `drain`, `write_eof`, `close`, `is_closing`, `wait_closed` | same names on [`StreamWriter`] |
//! | `writer.get_extra_info('peername')` | [`StreamWriter::peer_addr`] |
//!
//! The reader reads in the task that awaits it, straight from the socket into one
//! buffer per connection; the writer writes straight to the socket when nothing is
//! buffered. An echo of one message costs one `read(2)` and one `write(2)`.

mod reader;
mod server;
mod write;
mod writer;

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::ToSocketAddrs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;
use weft_reactor::net::{
    lookup_host, ListenOptions, SplitStream, TcpListener, TcpStream, UnixListener, UnixStream,
};

pub use self::reader::{IncompleteReadError, LimitOverrunError, StreamError, StreamReader};
pub(crate) use self::server::{serve, ConnGuard};
pub use self::server::{Server, UnixServer};
pub(crate) use self::write::{Whole, WriteCore, Wrote};
pub use self::writer::StreamWriter;

/// Tasks waiting for a state change (a drained buffer, a closed server).
#[derive(Default)]
pub(crate) struct Waiters(RefCell<Vec<Waker>>);

impl Waiters {
    pub(crate) fn register(&self, waker: &Waker) {
        let mut list = self.0.borrow_mut();
        if !list.iter().any(|w| w.will_wake(waker)) {
            list.push(waker.clone());
        }
    }

    pub(crate) fn wake_all(&self) {
        let list = std::mem::take(&mut *self.0.borrow_mut());
        for w in list {
            w.wake();
        }
    }
}

fn split<S: SplitStream>(stream: S) -> (StreamReader<S>, StreamWriter<S>) {
    let (rd, wr) = stream.into_halves();
    (StreamReader::new(rd), StreamWriter::new(wr))
}

/// Opens a TCP connection and returns its reader and writer (asyncio's
/// `open_connection`).
///
/// `host` is anything [`ToSocketAddrs`] takes: `"example.com:80"`, `("::1", 8080)`,
/// a [`SocketAddr`](std::net::SocketAddr). Names are resolved off the loop, and the
/// addresses tried in turn. As in asyncio, Nagle's algorithm is disabled
/// (`TCP_NODELAY`).
///
/// # Errors
///
/// The resolver's error, or the error of the last connection attempt (for example
/// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused)).
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"welcome\n") }).await?;
///     let port = server.local_addr().port();
///     let (mut reader, _writer) = open_connection(("127.0.0.1", port)).await?;
///     assert_eq!(reader.readline().await?, b"welcome\n");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn open_connection<A>(host: A) -> io::Result<(StreamReader, StreamWriter)>
where
    A: ToSocketAddrs + Send + 'static,
{
    let stream = TcpStream::connect_host(host).await?;
    stream.set_nodelay(true)?;
    Ok(split(stream))
}

/// Connects to the Unix socket at `path` and returns its reader and writer
/// (asyncio's `open_unix_connection`).
///
/// # Errors
///
/// The error of the connection attempt: [`NotFound`](io::ErrorKind::NotFound),
/// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused)...
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use weft::net::{open_unix_connection, start_unix_server};
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-open-unix-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// weft::run(async {
///     let server = start_unix_server(&path, |_r, w| async move { w.write(b"local") }).await?;
///     let (mut reader, _writer) = open_unix_connection(&path).await?;
///     assert_eq!(reader.read_to_end().await?, b"local");
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader<UnixStream>, StreamWriter<UnixStream>)> {
    let stream = UnixStream::connect(path).await?;
    Ok(split(stream))
}

/// Binds a TCP listener as asyncio's `start_server` does: names resolved off the
/// loop, `SO_REUSEADDR`, a backlog of 1024, and `TCP_NODELAY` on accepted
/// connections.
pub(crate) async fn bind_tcp<A>(addr: A) -> io::Result<TcpListener>
where
    A: ToSocketAddrs + Send + 'static,
{
    let addrs = lookup_host(addr).await?;
    TcpListener::bind_with(&addrs[..], ListenOptions::new().nodelay(true))
}

/// Binds a Unix listener at `path`, first removing a stale socket file there (as
/// asyncio does), and returns what `close` runs: the removal of the socket file, if
/// it is still ours.
pub(crate) fn bind_unix(path: &Path) -> io::Result<(UnixListener, Box<dyn FnOnce()>)> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            std::fs::remove_file(path)?;
        }
    }
    let listener = UnixListener::bind(path)?;
    let meta = std::fs::metadata(path)?;
    let (dev, ino) = (meta.dev(), meta.ino());
    let path = path.to_path_buf();
    let cleanup = move || {
        if let Ok(now) = std::fs::metadata(&path) {
            if now.dev() == dev && now.ino() == ino {
                let _ = std::fs::remove_file(&path);
            }
        }
    };
    Ok((listener, Box::new(cleanup)))
}

/// Starts a TCP server (asyncio's `start_server`): each connection is handed to
/// `handler` as a reader and a writer, in a task of its own.
///
/// The handler's future ends the connection when it returns (the reader and writer
/// it was given are dropped: what is buffered is still sent, then the socket is
/// closed). A handler that panics ends only its own connection; the panic is
/// reported by the loop's exception handler ("Task exception was never retrieved").
///
/// # Errors
///
/// The resolver's error, or the error of `bind(2)` / `listen(2)`.
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server, StreamReader, StreamWriter};
///
/// async fn handle_echo(mut reader: StreamReader, writer: StreamWriter) {
///     let data = reader.read(100).await.unwrap();
///     println!("Received {:?}", String::from_utf8_lossy(&data));
///     writer.write(&data);
///     writer.drain().await.unwrap();
///     writer.close();
/// }
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", handle_echo).await?;
///     let (mut reader, writer) = open_connection(server.local_addr()).await?;
///     writer.write(b"Hello World!");
///     assert_eq!(reader.read(100).await?, b"Hello World!");
///     server.close();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn start_server<A, F, Fut>(addr: A, handler: F) -> io::Result<Server>
where
    A: ToSocketAddrs + Send + 'static,
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let listener = bind_tcp(addr).await?;
    start_server_on(listener, handler)
}

/// Starts a TCP server on a listener that is already bound (asyncio's
/// `start_server(cb, sock=...)`): to choose its options, for example
/// `SO_REUSEPORT` to share a port between loops. The listener's options are kept
/// as they are (accepted connections get `TCP_NODELAY` only if the listener's
/// [`ListenOptions`] asked for it).
///
/// # Errors
///
/// The error of `getsockname(2)`.
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server_on, ListenOptions, TcpListener};
///
/// weft::run(async {
///     let listener = TcpListener::bind_with("127.0.0.1:0", ListenOptions::new().backlog(16))?;
///     let server = start_server_on(listener, |_r, w| async move { w.write(b"ok") })?;
///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
///     assert_eq!(reader.read_to_end().await?, b"ok");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn start_server_on<F, Fut>(listener: TcpListener, handler: F) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let addr = listener.local_addr()?;
    Ok(serve(listener, addr, None, stream_handler(handler)))
}

/// Starts a server on the Unix socket `path` (asyncio's `start_unix_server`). A
/// stale socket file at `path` is removed first, and [`Server::close`] removes the
/// file again (if it is still the one bound), as asyncio does.
///
/// # Errors
///
/// The error of removing a stale socket, of `bind(2)` or of `listen(2)`.
///
/// # Panics
///
/// Outside a running weft loop.
///
/// # Examples
///
/// ```
/// use weft::net::{open_unix_connection, start_unix_server};
///
/// let dir = std::env::temp_dir().join(format!("weft-doc-start-unix-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("echo.sock");
/// weft::run(async {
///     let server = start_unix_server(&path, |mut r, w| async move {
///         let line = r.readline().await.unwrap();
///         w.write(&line);
///     })
///     .await?;
///     let (mut reader, writer) = open_unix_connection(&path).await?;
///     writer.write(b"over unix\n");
///     assert_eq!(reader.readline().await?, b"over unix\n");
///     server.close();
///     assert!(!path.exists()); // the socket file is removed
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn start_unix_server<F, Fut>(path: impl AsRef<Path>, handler: F) -> io::Result<UnixServer>
where
    F: Fn(StreamReader<UnixStream>, StreamWriter<UnixStream>) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let (listener, cleanup) = bind_unix(path.as_ref())?;
    let addr = listener.local_addr()?;
    Ok(serve(
        listener,
        addr,
        Some(cleanup),
        stream_handler(handler),
    ))
}

/// The accept loop's callback for a streams server: calls the handler and runs its
/// future as the connection's task, beside the connection's guard.
///
/// The call is made here rather than inside the task so that the task's future is the
/// handler's own plus the guard ([`Guarded`]). An `async` block around the call kept
/// the captured stream and handler beside the handler's future, which measured nearly
/// one more cache line per echoed message (docs/benchmarks.md). A panic in the call
/// still ends only this connection: it is caught, and resumed inside the connection's
/// task, so that it is reported as a panic in the handler's future would be. As in
/// asyncio, where a plain-function `client_connected_cb` is called outside any task,
/// what a handler does before returning its future runs in the accept loop's task;
/// an `async` closure does nothing until its task polls it.
fn stream_handler<S, F, Fut>(handler: F) -> impl Fn(S, ConnGuard) + 'static
where
    S: SplitStream,
    F: Fn(StreamReader<S>, StreamWriter<S>) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    move |stream, guard| {
        let (reader, writer) = split(stream);
        let task = crate::Builder::new().name("weft::Server connection");
        match panic::catch_unwind(AssertUnwindSafe(|| handler(reader, writer))) {
            Ok(fut) => {
                task.spawn(Guarded { fut, _guard: guard });
            }
            Err(payload) => {
                task.spawn(async move {
                    let _guard = guard;
                    panic::resume_unwind(payload)
                });
            }
        }
    }
}

pin_project! {
    /// A connection's future and the guard that keeps the server's `wait_closed`
    /// waiting for it; the guard drops with the task's future.
    struct Guarded<Fut> {
        #[pin]
        fut: Fut,
        _guard: ConnGuard,
    }
}

impl<Fut: Future> Future for Guarded<Fut> {
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        self.project().fut.poll(cx)
    }
}
