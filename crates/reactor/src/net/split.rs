//! Reading and writing halves of a stream: owned ([`OwnedReadHalf`],
//! [`OwnedWriteHalf`]) and borrowed ([`ReadHalf`], [`WriteHalf`]).
//!
//! A stream's registration has one waker slot per direction, so a reader and a
//! writer never overwrite each other's waker, and since all socket calls go
//! through `&self` the halves need no lock: the owned ones share the stream
//! through an `Arc`, the borrowed ones through a shared reference.

use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::io::{Evented, StreamSource};
use crate::ready::Direction;

pub(crate) mod sealed {
    use super::{Evented, StreamSource};

    /// What the halves need of a stream; not implementable outside the crate.
    pub trait Sealed {
        /// The mio stream inside.
        type Source: StreamSource;

        /// The registered mio stream.
        fn evented(&self) -> &Evented<Self::Source>;
    }
}

/// A byte stream that can be split into halves:
/// [`TcpStream`](super::TcpStream) and [`UnixStream`](super::UnixStream).
///
/// This trait is sealed: it cannot be implemented outside this crate.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::{OwnedReadHalf, SplitStream, TcpListener, TcpStream};
///
/// fn reader<S: SplitStream>(stream: S) -> OwnedReadHalf<S> {
///     stream.into_halves().0
/// }
///
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let _rd: OwnedReadHalf<TcpStream> = reader(client);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait SplitStream: sealed::Sealed + Send + Sync + Sized + 'static {
    /// The same as the stream's own `into_split`, for generic code.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{SplitStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let (_rd, _wr) = a.into_halves();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn into_halves(self) -> (OwnedReadHalf<Self>, OwnedWriteHalf<Self>) {
        into_split(self)
    }

    /// The same as the stream's own `split`, for generic code: borrowed halves, no
    /// allocation, so code that keeps the stream itself can still read and write it
    /// through the halves' methods.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{SplitStream, UnixStream};
    ///
    /// async fn send<S: SplitStream>(stream: &mut S, data: &[u8]) -> std::io::Result<()> {
    ///     stream.halves().1.write_all(data).await
    /// }
    ///
    /// weft::run(async {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     send(&mut a, b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     b.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn halves(&mut self) -> (ReadHalf<'_, Self>, WriteHalf<'_, Self>) {
        split(self)
    }
}

pub(crate) fn into_split<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Arc::new(stream);
    (
        OwnedReadHalf {
            stream: stream.clone(),
        },
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        },
    )
}

pub(crate) fn split<S: SplitStream>(stream: &mut S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    let stream = &*stream;
    (ReadHalf { stream }, WriteHalf { stream })
}

/// The reading half of a stream, from `into_split`. It can move to another
/// task than its [`OwnedWriteHalf`].
///
/// [`AsRef`] gives access to the stream's other methods (addresses, options).
///
/// # Examples
///
/// ```
/// use weft_reactor::net::{TcpListener, TcpStream};
///
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     let (mut rd, _wr) = server.into_split();
///     let reader = weft::spawn(async move {
///         let mut buf = [0; 2];
///         rd.read(&mut buf).await.map(|n| buf[..n].to_vec())
///     });
///     client.write_all(b"hi").await?;
///     assert!(b"hi".starts_with(&reader.await.unwrap()?));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct OwnedReadHalf<S: SplitStream> {
    stream: Arc<S>,
}

/// The writing half of a stream, from `into_split`.
///
/// Dropping it shuts down the writing side of the stream (the peer reads end
/// of stream), unless it is given back through [`OwnedReadHalf::reunite`].
///
/// # Examples
///
/// ```
/// use weft_reactor::net::{TcpListener, TcpStream};
///
/// weft::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (_rd, mut wr) = client.into_split();
///     wr.write_all(b"last words").await?;
///     drop(wr); // shuts down the writing side
///     let mut got = Vec::new();
///     let mut buf = [0; 32];
///     loop {
///         match server.read(&mut buf).await? {
///             0 => break,
///             n => got.extend_from_slice(&buf[..n]),
///         }
///     }
///     assert_eq!(got, b"last words");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct OwnedWriteHalf<S: SplitStream> {
    stream: Arc<S>,
    shutdown_on_drop: bool,
}

/// The reading half of a borrowed stream, from `split`.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::UnixStream;
///
/// weft::run(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     let (mut rd, _wr) = a.split();
///     b.write_all(b"x").await?;
///     let mut buf = [0; 1];
///     assert_eq!(rd.read(&mut buf).await?, 1);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ReadHalf<'a, S: SplitStream> {
    stream: &'a S,
}

/// The writing half of a borrowed stream, from `split`. Dropping it does
/// not shut anything down.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::UnixStream;
///
/// weft::run(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     let (_rd, mut wr) = a.split();
///     wr.write_all(b"y").await?;
///     let mut buf = [0; 1];
///     assert_eq!(b.read(&mut buf).await?, 1);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct WriteHalf<'a, S: SplitStream> {
    stream: &'a S,
}

/// The halves given to [`OwnedReadHalf::reunite`] came from different
/// streams; they are handed back.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::UnixStream;
///
/// weft::run(async {
///     let (a, b) = UnixStream::pair()?;
///     let (a_rd, _a_wr) = a.into_split();
///     let (_b_rd, b_wr) = b.into_split();
///     let err = a_rd.reunite(b_wr).unwrap_err();
///     let (_a_rd, _b_wr) = (err.0, err.1);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ReuniteError<S: SplitStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: SplitStream> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S: SplitStream> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<S: SplitStream> Error for ReuniteError<S> {}

/// The read-side operations, shared by both kinds of read half.
macro_rules! read_half_methods {
    ($split:literal) => {
        /// Reads some bytes into `buf`, waiting until at least one is
        /// available; `0` means end of stream. See the stream's `read`.
        ///
        /// # Errors
        ///
        /// The error of `read(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, mut b) = UnixStream::pair()?;
        #[doc = concat!("    let (mut rd, _wr) = a.", $split, "();")]
        ///     b.write_all(b"abc").await?;
        ///     let mut buf = [0; 3];
        ///     let mut got = 0;
        ///     while got < 3 {
        ///         got += rd.read(&mut buf[got..]).await?;
        ///     }
        ///     assert_eq!(&buf, b"abc");
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.stream.evented().read(buf).await
        }

        /// Waits until the stream is readable; see the stream's `readable`.
        ///
        /// # Errors
        ///
        /// Fails once the reactor has shut down.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, mut b) = UnixStream::pair()?;
        #[doc = concat!("    let (rd, _wr) = a.", $split, "();")]
        ///     b.write_all(b"!").await?;
        ///     rd.readable().await?;
        ///     assert_eq!(rd.try_read(&mut [0; 4])?, 1);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn readable(&self) -> io::Result<()> {
            self.stream.evented().ready(Direction::Read).await
        }

        /// Reads without waiting; see the stream's `try_read`.
        ///
        /// # Errors
        ///
        /// [`WouldBlock`](io::ErrorKind::WouldBlock) when nothing can be read
        /// now; the error of `read(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::io::ErrorKind;
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, _b) = UnixStream::pair()?;
        #[doc = concat!("    let (rd, _wr) = a.", $split, "();")]
        ///     assert_eq!(rd.try_read(&mut [0; 4]).unwrap_err().kind(), ErrorKind::WouldBlock);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.stream.evented().try_read(buf)
        }

        /// Polls for a read into `buf`: `Ready(Ok(n))` once `n` bytes (0 at end of
        /// stream) were read, `Pending` with the waker stored while nothing can be read.
        /// What `read` does, for hand-written futures and drivers; it also spends the
        /// task's [cooperative budget](weft_futures::coop).
        ///
        /// # Errors
        ///
        /// The error of `read(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::future::poll_fn;
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, mut b) = UnixStream::pair()?;
        #[doc = concat!("    let (rd, _wr) = a.", $split, "();")]
        ///     b.write_all(b"hi").await?;
        ///     let mut buf = [0; 8];
        ///     let n = poll_fn(|cx| rd.poll_read(cx, &mut buf)).await?;
        ///     assert_eq!(&buf[..n], b"hi");
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            poll_read(&*self.stream, cx, buf)
        }
    };
}

/// The write-side operations, shared by both kinds of write half.
macro_rules! write_half_methods {
    ($split:literal) => {
        /// Writes some bytes of `buf`, waiting until the stream can take at
        /// least one. See the stream's `write`.
        ///
        /// # Errors
        ///
        /// The error of `write(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, _b) = UnixStream::pair()?;
        #[doc = concat!("    let (_rd, mut wr) = a.", $split, "();")]
        ///     assert_eq!(wr.write(b"abc").await?, 3);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.stream.evented().write(buf).await
        }

        /// Writes all of `buf`, waiting for room as needed.
        ///
        /// # Errors
        ///
        /// The first error of `write(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, _b) = UnixStream::pair()?;
        #[doc = concat!("    let (_rd, mut wr) = a.", $split, "();")]
        ///     wr.write_all(b"everything").await?;
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            self.stream.evented().write_all(buf).await
        }

        /// Does nothing: the stream has no buffer of its own.
        ///
        /// # Errors
        ///
        /// None.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, _b) = UnixStream::pair()?;
        #[doc = concat!("    let (_rd, mut wr) = a.", $split, "();")]
        ///     wr.flush().await?;
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }

        /// Shuts down the writing side of the stream: the peer reads end of
        /// stream once it has read what was sent before.
        ///
        /// # Errors
        ///
        /// The error of `shutdown(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, mut b) = UnixStream::pair()?;
        #[doc = concat!("    let (_rd, mut wr) = a.", $split, "();")]
        ///     wr.shutdown().await?;
        ///     assert_eq!(b.read(&mut [0; 4]).await?, 0);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn shutdown(&mut self) -> io::Result<()> {
            self.stream.evented().shutdown(Shutdown::Write)
        }

        /// Waits until the stream is writable; see the stream's `writable`.
        ///
        /// # Errors
        ///
        /// Fails once the reactor has shut down.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, _b) = UnixStream::pair()?;
        #[doc = concat!("    let (_rd, wr) = a.", $split, "();")]
        ///     wr.writable().await?;
        ///     assert_eq!(wr.try_write(b"ok")?, 2);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub async fn writable(&self) -> io::Result<()> {
            self.stream.evented().ready(Direction::Write).await
        }

        /// Writes without waiting; see the stream's `try_write`.
        ///
        /// # Errors
        ///
        /// [`WouldBlock`](io::ErrorKind::WouldBlock) when the stream cannot
        /// take data now; the error of `write(2)`.
        ///
        /// # Examples
        ///
        /// ```
        /// use weft_reactor::net::UnixStream;
        ///
        /// weft::run(async {
        ///     let (mut a, _b) = UnixStream::pair()?;
        #[doc = concat!("    let (_rd, wr) = a.", $split, "();")]
        ///     wr.writable().await?;
        ///     assert_eq!(wr.try_write(b"abc")?, 3);
        ///     Ok::<(), std::io::Error>(())
        /// })?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
            self.stream.evented().try_write(buf)
        }
    };
}

impl<S: SplitStream> OwnedReadHalf<S> {
    read_half_methods!("into_split");

    /// Puts the halves of one stream back together.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`], holding both halves, if they come from different
    /// streams.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let (rd, wr) = a.into_split();
    ///     let a: UnixStream = rd.reunite(wr).expect("same stream");
    ///     # drop(a);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reunite(self, mut other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.stream, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        other.shutdown_on_drop = false;
        drop(other);
        match Arc::try_unwrap(self.stream) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("the two halves hold the only references to the stream"),
        }
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    write_half_methods!("into_split");

    /// Puts the halves of one stream back together; see
    /// [`OwnedReadHalf::reunite`].
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] if the halves come from different streams.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::UnixStream;
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let (rd, wr) = a.into_split();
    ///     let _a: UnixStream = wr.reunite(rd).expect("same stream");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reunite(self, other: OwnedReadHalf<S>) -> Result<S, ReuniteError<S>> {
        other.reunite(self)
    }
}

impl<S: SplitStream> ReadHalf<'_, S> {
    read_half_methods!("split");
}

impl<S: SplitStream> WriteHalf<'_, S> {
    write_half_methods!("split");
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may already be gone; there is no one to tell.
            let _ = self.stream.evented().shutdown(Shutdown::Write);
        }
    }
}

impl<S: SplitStream> AsRef<S> for OwnedReadHalf<S> {
    fn as_ref(&self) -> &S {
        &self.stream
    }
}

impl<S: SplitStream> AsRef<S> for OwnedWriteHalf<S> {
    fn as_ref(&self) -> &S {
        &self.stream
    }
}

impl<S: SplitStream> AsRef<S> for ReadHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.stream
    }
}

impl<S: SplitStream> AsRef<S> for WriteHalf<'_, S> {
    fn as_ref(&self) -> &S {
        self.stream
    }
}

fn poll_read<S: SplitStream>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    stream.evented().poll_read(cx, buf)
}

fn poll_read_vectored<S: SplitStream>(
    stream: &S,
    cx: &mut Context<'_>,
    bufs: &mut [IoSliceMut<'_>],
) -> Poll<io::Result<usize>> {
    stream.evented().poll_read_vectored(cx, bufs)
}

fn poll_write<S: SplitStream>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    stream.evented().poll_write(cx, buf)
}

fn poll_write_vectored<S: SplitStream>(
    stream: &S,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    stream.evented().poll_write_vectored(cx, bufs)
}

macro_rules! async_read {
    ($($ty:ty),*) => {$(
        impl<S: SplitStream> AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_read(&*self.stream, cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                poll_read_vectored(&*self.stream, cx, bufs)
            }
        }
    )*};
}

macro_rules! async_write {
    ($($ty:ty),*) => {$(
        impl<S: SplitStream> AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                poll_write(&*self.stream, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                poll_write_vectored(&*self.stream, cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// Shuts down the writing side of the stream.
            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.stream.evented().shutdown(Shutdown::Write))
            }
        }
    )*};
}

async_read!(OwnedReadHalf<S>, ReadHalf<'_, S>);
async_write!(OwnedWriteHalf<S>, WriteHalf<'_, S>);

macro_rules! debug {
    ($($ty:ty => $name:literal),*) => {$(
        impl<S: SplitStream + fmt::Debug> fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple($name).field(&*self.stream).finish()
            }
        }
    )*};
}

debug!(
    OwnedReadHalf<S> => "OwnedReadHalf",
    OwnedWriteHalf<S> => "OwnedWriteHalf",
    ReadHalf<'_, S> => "ReadHalf",
    WriteHalf<'_, S> => "WriteHalf"
);
