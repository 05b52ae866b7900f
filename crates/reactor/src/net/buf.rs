//! [`BufStream`]: a read buffer in front of a stream, for [`AsyncBufRead`].

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

/// The default capacity of a [`BufStream`]'s read buffer.
const DEFAULT_CAPACITY: usize = 8 * 1024;

/// A stream with a read buffer: [`AsyncBufRead`] (line and delimiter reads,
/// asyncio's `StreamReader.readline` / `readuntil`) over any [`AsyncRead`],
/// with writes passed straight through.
///
/// The buffer is allocated once, when the `BufStream` is created. A read at
/// least as large as the buffer, made while the buffer is empty, bypasses it.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::{BufStream, UnixStream};
///
/// weft::run(async {
///     let (a, mut b) = UnixStream::pair()?;
///     let mut a = BufStream::new(a);
///     b.write_all(b"first line\nsecond").await?;
///     let mut line = String::new();
///     a.read_line(&mut line).await?;
///     assert_eq!(line, "first line\n");
///     a.write_all(b"ack\n").await?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct BufStream<S> {
    inner: S,
    buf: Box<[u8]>,
    /// The unread bytes are `buf[pos..filled]`.
    pos: usize,
    filled: usize,
}

impl<S> BufStream<S> {
    /// Wraps `inner` with a read buffer of 8 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = BufStream::new(a);
    ///     assert!(a.buffer().is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(inner: S) -> BufStream<S> {
        BufStream::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// Wraps `inner` with a read buffer of `capacity` bytes (at least one).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let _a = BufStream::with_capacity(64 * 1024, a);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_capacity(capacity: usize, inner: S) -> BufStream<S> {
        BufStream {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = BufStream::new(a);
    ///     assert!(a.get_ref().peer_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream, mutably. Reading from it directly skips whatever
    /// is buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let mut a = BufStream::new(a);
    ///     a.get_mut().write_all(b"direct").await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The bytes read from the stream but not yet consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut a = BufStream::new(a);
    ///     b.write_all(b"one\ntwo\n").await?;
    ///     let mut line = Vec::new();
    ///     a.read_until(b'\n', &mut line).await?;
    ///     // "two\n" was read along with the first line, if it had arrived.
    ///     assert!(b"two\n".starts_with(a.buffer()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// Unwraps the stream. Buffered bytes are lost; read
    /// [`buffer`](BufStream::buffer) first if they matter.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a: UnixStream = BufStream::new(a).into_inner();
    ///     # drop(a);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> BufStream<S> {
    /// Reads some bytes into `buf`, from the buffer if it holds any.
    ///
    /// # Errors
    ///
    /// The error of the stream's read.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut a = BufStream::new(a);
    ///     b.write_all(b"xyz").await?;
    ///     let mut buf = [0; 3];
    ///     assert!(a.read(&mut buf).await? > 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf)).await
    }

    /// Reads into `out` up to and including `delimiter`, or to end of
    /// stream; returns the number of bytes appended (0 at end of stream).
    ///
    /// # Errors
    ///
    /// The error of the stream's read; the bytes read before it stay in
    /// `out`.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut a = BufStream::new(a);
    ///     b.write_all(b"key=value;rest").await?;
    ///     let mut field = Vec::new();
    ///     a.read_until(b';', &mut field).await?;
    ///     assert_eq!(field, b"key=value;");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_until(&mut self, delimiter: u8, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut appended = 0;
        loop {
            let (done, used) = {
                poll_fn(|cx| Pin::new(&mut *self).poll_fill_buf(cx).map_ok(drop)).await?;
                let available = self.buffer();
                match available.iter().position(|&b| b == delimiter) {
                    Some(i) => {
                        out.extend_from_slice(&available[..=i]);
                        (true, i + 1)
                    }
                    None => {
                        out.extend_from_slice(available);
                        (available.is_empty(), available.len())
                    }
                }
            };
            self.consume_buf(used);
            appended += used;
            if done {
                return Ok(appended);
            }
        }
    }

    /// Reads a line, including its `\n`, into `line`; returns the number of
    /// bytes appended (0 at end of stream).
    ///
    /// # Errors
    ///
    /// The error of the stream's read, or
    /// [`InvalidData`](io::ErrorKind::InvalidData) if the line is not UTF-8
    /// (then nothing is appended, and the line is consumed).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let mut a = BufStream::new(a);
    ///     b.write_all("héllo\n".as_bytes()).await?;
    ///     let mut line = String::new();
    ///     assert_eq!(a.read_line(&mut line).await?, 7);
    ///     assert_eq!(line, "héllo\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_line(&mut self, line: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        let n = self.read_until(b'\n', &mut bytes).await?;
        let text =
            String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        line.push_str(&text);
        Ok(n)
    }

    fn consume_buf(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

impl<S: AsyncWrite + Unpin> BufStream<S> {
    /// Writes all of `buf` to the stream (writes are not buffered).
    ///
    /// # Errors
    ///
    /// The first error of the stream's write.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::net::{BufStream, UnixStream};
    ///
    /// weft::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let mut a = BufStream::new(a);
    ///     a.write_all(b"straight through").await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match poll_fn(|cx| Pin::new(&mut self.inner).poll_write(cx, buf)).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for BufStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pos == this.filled && out.len() >= this.buf.len() {
            // Nothing buffered and a large read: skip the copy.
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let available = ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        this.consume_buf(n);
        Poll::Ready(Ok(n))
    }
}

impl<S: AsyncRead + Unpin> AsyncBufRead for BufStream<S> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos == this.filled {
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf))?;
            this.pos = 0;
            this.filled = n;
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume_buf(amt);
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for BufStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl<S: fmt::Debug> fmt::Debug for BufStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufStream")
            .field("inner", &self.inner)
            .field("buffered", &(self.filled - self.pos))
            .field("capacity", &self.buf.len())
            .finish()
    }
}
