//! [`StreamReader`] and the errors of its reads.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::task::{ready, Context, Poll};

use weft_reactor::net::{OwnedReadHalf, SplitStream, TcpStream};

/// The size of the read buffer when it is first needed.
const INITIAL_CAPACITY: usize = 16 * 1024;

/// The least free space a read is given: below it the buffer is compacted or grown
/// first. Reading into a large space keeps reads short, and a short read is what
/// lets the reactor skip the `EAGAIN` round (one `read(2)` per message).
const MIN_READ_SPACE: usize = 8 * 1024;

/// `readexactly` reached end of stream first, or `readuntil` did not find its
/// separator before end of stream (asyncio's `IncompleteReadError`).
///
/// The bytes read before end of stream are consumed and handed back in `partial`.
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server, StreamError};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |_reader, writer| async move {
///         writer.write(b"abc");
///         writer.close();
///     })
///     .await?;
///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
///     match reader.readexactly(5).await {
///         Err(StreamError::IncompleteRead(e)) => {
///             assert_eq!(e.partial, b"abc");
///             assert_eq!(e.expected, Some(5));
///         }
///         other => panic!("{other:?}"),
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} bytes read on a total of {} expected bytes", .partial.len(), Expected(*.expected))]
pub struct IncompleteReadError {
    /// What was read before end of stream.
    pub partial: Vec<u8>,
    /// How many bytes were asked for (`readexactly`), or `None` when reading up to a
    /// separator (`readuntil`).
    pub expected: Option<usize>,
}

/// Formats an `expected` the way asyncio does (`None` or a count).
struct Expected(Option<usize>);

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("None"),
        }
    }
}

/// `readuntil` (or `readline`) found no separator within the reader's limit, or found
/// one beyond it (asyncio's `LimitOverrunError`).
///
/// `readuntil` leaves the data in the buffer; `consumed` says how many bytes of it
/// were looked at (the separator, if any, starts there), so that the caller can
/// decide what to skip. `readline` discards as asyncio does: up to and including the
/// separator if it starts at `consumed`, else the whole buffer.
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server, StreamError};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |_reader, writer| async move {
///         writer.write(b"0123456789\n");
///     })
///     .await?;
///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
///     reader.set_limit(4);
///     match reader.readuntil(b"\n").await {
///         Err(StreamError::LimitOverrun(e)) => assert!(e.consumed > 4),
///         other => panic!("{other:?}"),
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the separator is not within the limit of the stream ({consumed} bytes consumed)")]
pub struct LimitOverrunError {
    /// How many bytes of the buffer were looked at.
    pub consumed: usize,
}

/// The error of a [`StreamReader`] read: one enum for asyncio's
/// `IncompleteReadError`, `LimitOverrunError` and `OSError`.
///
/// It converts into an [`io::Error`] (`UnexpectedEof`, `InvalidData`, or the I/O
/// error itself), so `?` works in functions returning `io::Result`.
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server};
///
/// async fn first_line(addr: std::net::SocketAddr) -> std::io::Result<Vec<u8>> {
///     let (mut reader, _writer) = open_connection(addr).await?;
///     Ok(reader.readuntil(b"\n").await?) // StreamError -> io::Error
/// }
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |_reader, writer| async move {
///         writer.write(b"no newline");
///     })
///     .await?;
///     let err = first_line(server.local_addr()).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// End of stream came first; what was read is in the error.
    #[error(transparent)]
    IncompleteRead(#[from] IncompleteReadError),
    /// The separator is not within the limit.
    #[error(transparent)]
    LimitOverrun(#[from] LimitOverrunError),
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<StreamError> for io::Error {
    fn from(e: StreamError) -> io::Error {
        match e {
            StreamError::IncompleteRead(e) => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            StreamError::LimitOverrun(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            StreamError::Io(e) => e,
        }
    }
}

/// The reading side of a stream connection (asyncio's `StreamReader`), from
/// [`open_connection`](crate::open_connection) or given to a
/// [`start_server`](crate::start_server) handler.
///
/// It owns the read half of the socket and one growable buffer: a read makes at most
/// one `read(2)` call and no allocation besides the `Vec` it returns;
/// [`readinto`](Self::readinto) reads into the caller's buffer and allocates nothing. Reads happen in
/// the task that awaits them (there is no background reader), so a reader that is
/// not read from applies backpressure to the peer through the kernel's buffers.
///
/// Every read is cancel-safe: a read whose future is dropped before it completes
/// leaves what it had buffered for the next read.
///
/// `S` is [`TcpStream`] or [`UnixStream`](weft_reactor::net::UnixStream).
///
/// # Examples
///
/// ```
/// use weft::net::{open_connection, start_server};
///
/// weft::run(async {
///     let server = start_server("127.0.0.1:0", |_reader, writer| async move {
///         writer.write(b"first line\nsecond");
///     })
///     .await?;
///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
///     assert_eq!(reader.readline().await?, b"first line\n");
///     assert_eq!(reader.readline().await?, b"second"); // end of stream
///     assert!(reader.at_eof());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct StreamReader<S: SplitStream = TcpStream> {
    half: OwnedReadHalf<S>,
    /// Initialized storage; the unread bytes are `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    limit: usize,
}

impl<S: SplitStream> StreamReader<S> {
    /// asyncio's default limit of `readuntil` / `readline`: 64 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::StreamReader;
    /// assert_eq!(StreamReader::<weft::net::TcpStream>::DEFAULT_LIMIT, 65536);
    /// ```
    pub const DEFAULT_LIMIT: usize = 64 * 1024;

    /// A reader over the read half of a stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{StreamReader, StreamWriter, TcpListener, TcpStream};
    ///
    /// weft::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let (rd, _wr) = server.into_split();
    ///     let mut reader = StreamReader::new(rd);
    ///     let (_crd, cwr) = client.into_split();
    ///     StreamWriter::new(cwr).write(b"hi\n");
    ///     assert_eq!(reader.readline().await?, b"hi\n");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(half: OwnedReadHalf<S>) -> StreamReader<S> {
        StreamReader {
            half,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            limit: Self::DEFAULT_LIMIT,
        }
    }

    /// The limit of [`readuntil`](Self::readuntil) and [`readline`](Self::readline).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.limit(), 64 * 1024);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the limit of [`readuntil`](Self::readuntil) and
    /// [`readline`](Self::readline) (asyncio's `limit=` argument).
    ///
    /// # Panics
    ///
    /// If `limit` is 0 (asyncio raises `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     reader.set_limit(1024);
    ///     assert_eq!(reader.limit(), 1024);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_limit(&mut self, limit: usize) {
        assert!(limit > 0, "the limit of a StreamReader must be positive");
        self.limit = limit;
    }

    /// The stream this reader reads from, for its addresses and options.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, _w| async {}).await?;
    ///     let (reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.get_ref().peer_addr()?, server.local_addr());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &S {
        self.half.as_ref()
    }

    /// The bytes received but not read yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"ab\ncd") }).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     let _ = reader.readexactly(5).await?;
    ///     assert!(reader.buffer().is_empty());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Whether the peer ended the stream and everything was read (asyncio's
    /// `at_eof()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"x") }).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert!(!reader.at_eof());
    ///     assert_eq!(reader.read(10).await?, b"x");
    ///     assert_eq!(reader.read(10).await?, b""); // end of stream
    ///     assert!(reader.at_eof());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.start == self.end
    }

    /// Reads up to `n` bytes: what is buffered, else what one `read(2)` returns once
    /// the socket is readable. Empty at end of stream (or if `n` is 0).
    ///
    /// # Errors
    ///
    /// The error of `read(2)`, for example
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"hello") }).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     let mut got = Vec::new();
    ///     loop {
    ///         let chunk = reader.read(2).await?;
    ///         if chunk.is_empty() {
    ///             break;
    ///         }
    ///         assert!(chunk.len() <= 2);
    ///         got.extend(chunk);
    ///     }
    ///     assert_eq!(got, b"hello");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        if self.start == self.end && !self.eof {
            poll_fn(|cx| self.poll_fill(cx)).await?;
        }
        let k = n.min(self.end - self.start);
        Ok(self.take(k))
    }

    /// Reads up to `buf.len()` bytes into `buf` (Python's `readinto`): what is
    /// buffered, else what one `read(2)` puts straight into `buf` once the socket is
    /// readable. `Ok(0)` at end of stream (or if `buf` is empty).
    ///
    /// Unlike [`read`](Self::read) it allocates nothing, and a reader only ever read
    /// this way never allocates its own buffer: data the caller consumes at once (an
    /// echo, a parser with its own buffer) is copied once, by the kernel. Mixing it
    /// with the other reads is fine: what they buffered comes first.
    ///
    /// # Errors
    ///
    /// The error of `read(2)`, for example
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"one\ntwo") }).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.readline().await?, b"one\n");
    ///     let mut buf = [0; 16];
    ///     let mut got = Vec::new();
    ///     loop {
    ///         match reader.readinto(&mut buf).await? {
    ///             0 => break, // end of stream
    ///             n => got.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert_eq!(got, b"two");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readinto<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        // A plain `fn` returning a future rather than an `async fn`: its future holds
        // the two references and nothing else, 24 bytes against the `async fn`'s 64,
        // in every task awaiting it.
        poll_fn(move |cx| self.poll_readinto(cx, buf))
    }

    fn poll_readinto(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.start < self.end {
            let k = buf.len().min(self.end - self.start);
            buf[..k].copy_from_slice(&self.buf[self.start..self.start + k]);
            self.consume(k);
            return Poll::Ready(Ok(k));
        }
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(poll_read_once(&self.half, cx, buf))?;
        self.eof |= n == 0;
        Poll::Ready(Ok(n))
    }

    /// Reads until end of stream (asyncio's `read()` / `read(-1)`).
    ///
    /// # Errors
    ///
    /// The error of `read(2)`; what was read before it stays buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move {
    ///         w.write(b"all of ");
    ///         w.write(b"it");
    ///     })
    ///     .await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.read_to_end().await?, b"all of it");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        while !self.eof {
            poll_fn(|cx| self.poll_fill(cx)).await?;
        }
        Ok(self.take(self.end - self.start))
    }

    /// Reads exactly `n` bytes.
    ///
    /// # Errors
    ///
    /// [`StreamError::IncompleteRead`] if the stream ends first (the bytes read are
    /// in it and consumed); [`StreamError::Io`] if the socket fails (what was read
    /// stays buffered).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move {
    ///         w.write(&[0, 3]);
    ///         w.write(b"abc");
    ///     })
    ///     .await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     let header = reader.readexactly(2).await?;
    ///     let len = u16::from_be_bytes([header[0], header[1]]) as usize;
    ///     assert_eq!(reader.readexactly(len).await?, b"abc");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        while self.end - self.start < n {
            if self.eof {
                let partial = self.take(self.end - self.start);
                return Err(IncompleteReadError {
                    partial,
                    expected: Some(n),
                }
                .into());
            }
            poll_fn(|cx| self.poll_fill(cx)).await?;
        }
        Ok(self.take(n))
    }

    /// Reads up to and including `separator` (asyncio's `readuntil`).
    ///
    /// # Errors
    ///
    /// - [`StreamError::LimitOverrun`] if the separator is not within
    ///   [`limit`](Self::limit) bytes; the data stays buffered.
    /// - [`StreamError::IncompleteRead`] if the stream ends before a separator; what
    ///   was read is in the error and consumed.
    /// - [`StreamError::Io`] if the socket fails.
    ///
    /// # Panics
    ///
    /// If `separator` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move {
    ///         w.write(b"GET / HTTP/1.0\r\n\r\nbody");
    ///     })
    ///     .await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.readuntil(b"\r\n\r\n").await?, b"GET / HTTP/1.0\r\n\r\n");
    ///     assert_eq!(reader.read(100).await?, b"body");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
        assert!(!separator.is_empty(), "the separator must not be empty");
        let seplen = separator.len();
        // Where the search resumes, relative to `start`: bytes before it were searched.
        let mut offset = 0;
        let isep = loop {
            let avail = self.end - self.start;
            if avail >= seplen {
                if let Some(i) = find(&self.buf[self.start + offset..self.end], separator) {
                    break offset + i;
                }
                offset = avail + 1 - seplen;
                if offset > self.limit {
                    return Err(LimitOverrunError { consumed: offset }.into());
                }
            }
            if self.eof {
                let partial = self.take(avail);
                return Err(IncompleteReadError {
                    partial,
                    expected: None,
                }
                .into());
            }
            poll_fn(|cx| self.poll_fill(cx)).await?;
        };
        if isep > self.limit {
            return Err(LimitOverrunError { consumed: isep }.into());
        }
        Ok(self.take(isep + seplen))
    }

    /// Reads a line: up to and including `b'\n'`, or what is left at end of stream
    /// (empty once everything was read).
    ///
    /// # Errors
    ///
    /// [`StreamError::LimitOverrun`] if the line is longer than the
    /// [`limit`](Self::limit): as in asyncio, the line is discarded if its end is in
    /// the buffer, else the whole buffer is. [`StreamError::Io`] if the socket fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft::net::{open_connection, start_server};
    ///
    /// weft::run(async {
    ///     let server = start_server("127.0.0.1:0", |_r, w| async move { w.write(b"a\nb\n") }).await?;
    ///     let (mut reader, _writer) = open_connection(server.local_addr()).await?;
    ///     assert_eq!(reader.readline().await?, b"a\n");
    ///     assert_eq!(reader.readline().await?, b"b\n");
    ///     assert_eq!(reader.readline().await?, b"");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readline(&mut self) -> Result<Vec<u8>, StreamError> {
        match self.readuntil(b"\n").await {
            Err(StreamError::IncompleteRead(e)) => Ok(e.partial),
            Err(StreamError::LimitOverrun(e)) => {
                let data = &self.buf[self.start..self.end];
                if data.get(e.consumed) == Some(&b'\n') {
                    self.start += e.consumed + 1;
                } else {
                    self.start = self.end;
                }
                self.reset_if_empty();
                Err(e.into())
            }
            other => other,
        }
    }

    /// Removes and returns the first `n` unread bytes (`n` <= what is buffered).
    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.start..self.start + n].to_vec();
        self.consume(n);
        out
    }

    /// Drops the first `n` unread bytes (`n` <= what is buffered).
    fn consume(&mut self, n: usize) {
        self.start += n;
        self.reset_if_empty();
    }

    fn reset_if_empty(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Makes at least [`MIN_READ_SPACE`] bytes free after `end`: first by moving the
    /// unread bytes to the front, else by growing the buffer.
    fn make_room(&mut self) {
        if self.buf.len() - self.end >= MIN_READ_SPACE {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < MIN_READ_SPACE {
            let len = (self.buf.len() * 2)
                .max(INITIAL_CAPACITY)
                .max(self.end + MIN_READ_SPACE);
            self.buf.resize(len, 0);
        }
    }

    /// One `read(2)` into the buffer once the socket is readable: `Ok(n)` bytes were
    /// added, `Ok(0)` is end of stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.make_room();
        let n = ready!(poll_read_once(&self.half, cx, &mut self.buf[self.end..]))?;
        self.end += n;
        self.eof |= n == 0;
        Poll::Ready(Ok(n))
    }
}

/// One `read(2)` into `buf` once the socket is readable (an interrupted one is
/// retried). It spends the coop budget: a reader that always has data must still let
/// the loop run.
fn poll_read_once<S: SplitStream>(
    half: &OwnedReadHalf<S>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    loop {
        match ready!(half.poll_read(cx, buf)) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return Poll::Ready(other),
        }
    }
}

/// The first position of `needle` (not empty) in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if let [byte] = needle {
        return haystack.iter().position(|b| b == byte);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<S: SplitStream + fmt::Debug> fmt::Debug for StreamReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("stream", self.get_ref())
            .field("buffered", &(self.end - self.start))
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn find_single_and_multi_byte_separators() {
        assert_eq!(find(b"abc\n", b"\n"), Some(3));
        assert_eq!(find(b"abc", b"\n"), None);
        assert_eq!(find(b"a\r\nb\r\n\r\n", b"\r\n\r\n"), Some(4));
        assert_eq!(find(b"\r\n", b"\r\n\r\n"), None);
    }
}
