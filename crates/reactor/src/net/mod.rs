//! Networking on the reactor: TCP, UDP and Unix domain sockets.
//!
//! Each type wraps a [mio] socket and a [`Registration`](crate::Registration)
//! with the reactor that is current when it is created — inside a running
//! weft loop, that loop's reactor. Creating one elsewhere panics, like
//! [`Handle::current`](crate::Handle::current). Operations are `async` and
//! never block the loop; streams also implement [`futures_io::AsyncRead`] and
//! [`futures_io::AsyncWrite`].
//!
//! | asyncio | here |
//! |---|---|
//! | `loop.create_server` / `start_server` | [`TcpListener::bind`], [`TcpListener::bind_with`], [`TcpListener::accept`] |
//! | `loop.create_connection` / `open_connection` | [`TcpStream::connect`], [`TcpStream::connect_host`] |
//! | `loop.sock_recv` / `sock_sendall` | [`TcpStream::read`], [`TcpStream::write_all`] |
//! | `transport.write_eof()` | [`TcpStream::shutdown`]`(Shutdown::Write)` |
//! | `loop.sendfile` | [`TcpStream::sendfile`] |
//! | `loop.create_datagram_endpoint` | [`UdpSocket`] |
//! | `create_unix_server` / `open_unix_connection` | [`UnixListener`], [`UnixStream`] |
//! | `loop.getaddrinfo` | [`lookup_host`] |
//! | `StreamReader.readline` / `readuntil` | [`BufStream::read_line`], [`BufStream::read_until`] |
//!
//! # Concurrency
//!
//! A registration has one waker slot per direction, so one task can read a
//! stream while another writes it ([`TcpStream::into_split`]); two tasks
//! waiting in the same direction at once are not supported (only the last
//! one to wait is woken).
//!
//! # Examples
//!
//! ```
//! use weft_reactor::net::{TcpListener, TcpStream};
//!
//! async fn echo(mut conn: TcpStream) -> std::io::Result<()> {
//!     let mut buf = vec![0; 4096];
//!     loop {
//!         match conn.read(&mut buf).await? {
//!             0 => return Ok(()),
//!             n => conn.write_all(&buf[..n]).await?,
//!         }
//!     }
//! }
//!
//! weft::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     weft::spawn(async move {
//!         while let Ok((conn, _)) = listener.accept().await {
//!             weft::spawn(echo(conn));
//!         }
//!     });
//!
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"echo me").await?;
//!     let mut buf = [0; 7];
//!     let mut got = 0;
//!     while got < buf.len() {
//!         got += client.read(&mut buf[got..]).await?;
//!     }
//!     assert_eq!(&buf, b"echo me");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod addr;
mod buf;
mod io;
mod split;
mod tcp;
mod udp;
#[cfg(unix)]
mod unix;

pub use self::addr::lookup_host;
pub use self::buf::BufStream;
pub use self::split::{
    OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, SplitStream, WriteHalf,
};
pub use self::tcp::{ListenOptions, TcpListener, TcpStream};
pub use self::udp::UdpSocket;
#[cfg(unix)]
pub use self::unix::{UnixDatagram, UnixListener, UnixStream};
