//! The buffered, non-blocking write side shared by
//! [`StreamWriter`](super::StreamWriter) and [`Transport`](crate::Transport):
//! asyncio's selector transport write path.
//!
//! A write on an empty buffer goes straight to the socket (one `write(2)`, no
//! copy); only what the socket did not take is buffered. Whoever drives the
//! connection (a flusher task for a `StreamWriter`, the connection driver for a
//! `Transport`) flushes the buffer when the socket becomes writable, and is the only
//! one waiting on the socket's write direction while the buffer is not empty. While
//! nothing is buffered a `StreamWriter` holds the socket itself
//! ([`WriteCore::lend`]), so that a write (and a `drain`) of a request-response
//! connection reads no shared state at all. Flow
//! control follows asyncio: writing is "paused" once the buffer grows above the
//! high-water mark, and resumed once it drains to the low-water mark.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use weft_reactor::net::{OwnedWriteHalf, SplitStream};

/// The socket a [`WriteCore`] writes to: the write half a
/// [`StreamWriter`](super::StreamWriter) owns, or the whole stream a
/// [`Transport`](crate::Transport) keeps in its shared state (one allocation fewer
/// between the protocol and its socket, read by the connection's driver too).
/// Dropping it shuts the writing side down (a half) or closes the socket (a whole
/// stream).
pub(crate) trait WriteSide {
    /// The stream written to.
    type Stream: SplitStream;

    /// The stream itself, for its addresses and options.
    fn stream(&self) -> &Self::Stream;

    /// `write(2)` without waiting (`WouldBlock` when the socket is full).
    fn try_write(&mut self, data: &[u8]) -> io::Result<usize>;

    /// Ready once the socket can take bytes; else stores the waker.
    fn poll_writable(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// `shutdown(SHUT_WR)`. The halves' `shutdown` is an `async fn` that completes
    /// without waiting; it is polled once.
    fn shutdown_write(&mut self) -> io::Result<()>;
}

impl<S: SplitStream> WriteSide for OwnedWriteHalf<S> {
    type Stream = S;

    fn stream(&self) -> &S {
        self.as_ref()
    }

    fn try_write(&mut self, data: &[u8]) -> io::Result<usize> {
        OwnedWriteHalf::try_write(self, data)
    }

    fn poll_writable(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        pin!(self.writable()).poll(cx)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        poll_once(pin!(self.shutdown()))
    }
}

/// A whole stream, owned by the [`WriteCore`] of a [`Transport`](crate::Transport).
///
/// Dropping it shuts the writing side down before the socket closes, as dropping a
/// write half and then the read half did: the peer gets the FIN for what was sent
/// even if unread data makes the close itself reset the connection.
pub(crate) struct Whole<S: SplitStream>(pub(crate) S);

impl<S: SplitStream> Drop for Whole<S> {
    fn drop(&mut self) {
        // The peer may already be gone; there is no one to tell.
        let _ = self.shutdown_write();
    }
}

impl<S: SplitStream> WriteSide for Whole<S> {
    type Stream = S;

    fn stream(&self) -> &S {
        &self.0
    }

    fn try_write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.halves().1.try_write(data)
    }

    fn poll_writable(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        pin!(self.0.halves().1.writable()).poll(cx)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        poll_once(pin!(self.0.halves().1.shutdown()))
    }
}

/// Polls a future that never waits, once.
fn poll_once(fut: std::pin::Pin<&mut impl Future<Output = io::Result<()>>>) -> io::Result<()> {
    match fut.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => Ok(()),
    }
}

/// asyncio's default high-water mark of a transport's write buffer: 64 KiB.
pub(crate) const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// asyncio's default low-water mark: a quarter of the high-water mark.
pub(crate) const DEFAULT_LOW_WATER: usize = DEFAULT_HIGH_WATER / 4;

/// What [`WriteCore::write`] did with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrote {
    /// Nothing: the side is closing, closed, or failed; or the data was empty.
    Ignored,
    /// All of it went to the socket.
    Sent,
    /// Some or all was buffered; `first` if the buffer was empty before, so the
    /// flusher has to start waiting for writability.
    Buffered { first: bool },
    /// The socket failed; the error is stored.
    Failed,
}

/// The write half of a stream and its buffer.
///
/// In declaration order (`repr(C)`, and first in the `RefCell` its owners keep first):
/// what every write reads (the flags, the socket, the buffer's bounds) comes right
/// after the `RefCell`'s flag: 64 bytes with a write half, one cache line when the
/// owner is aligned to one (as [`StreamWriter`](super::StreamWriter)'s is). The error
/// itself and the water marks, read only after a failure or when bytes are buffered,
/// come last; `failed` stands for the error on the hot line. (callgrind, 100
/// connections, a 4 KiB fully associative L1 standing for the kernel's evictions
/// between a message's syscalls: the streams echo server touched 13.9 lines per
/// message against 14.9 with the error on the hot line and the owner unaligned.)
#[repr(C)]
pub(crate) struct WriteCore<W: WriteSide> {
    /// Above the high-water mark and not yet back to the low one.
    paused: bool,
    /// `close()` was called: no more writes; close once flushed.
    pub(crate) closing: bool,
    /// `write_eof()` was called: no more writes; shut down once flushed.
    eof: bool,
    eof_sent: bool,
    /// `error.is_some()`.
    failed: bool,
    /// `None` once closed (or failed): dropping it shuts down the writing side (a
    /// half) or closes the socket (a whole stream).
    sock: Option<W>,
    start: usize,
    /// The unsent bytes are `buf[start..]`.
    buf: Vec<u8>,
    /// The first failure of the socket; the side is dead.
    error: Option<io::Error>,
    high: usize,
    low: usize,
}

impl<W: WriteSide> WriteCore<W> {
    pub(crate) fn new(sock: W) -> WriteCore<W> {
        WriteCore {
            sock: Some(sock),
            buf: Vec::new(),
            start: 0,
            high: DEFAULT_HIGH_WATER,
            low: DEFAULT_LOW_WATER,
            paused: false,
            closing: false,
            eof: false,
            eof_sent: false,
            failed: false,
            error: None,
        }
    }

    pub(crate) fn sock(&self) -> Option<&W::Stream> {
        self.sock.as_ref().map(W::stream)
    }

    /// The write side itself (for a whole stream, the socket the driver reads), while
    /// it is open.
    pub(crate) fn side_mut(&mut self) -> Option<&mut W> {
        self.sock.as_mut()
    }

    pub(crate) fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether the driver has anything to do on the writing side: bytes to flush, a
    /// `close` or `write_eof` to carry out, or an error to report.
    pub(crate) fn needs_flush(&self) -> bool {
        self.buffered() > 0 || self.closing || (self.eof && !self.eof_sent) || self.failed
    }

    pub(crate) fn paused(&self) -> bool {
        self.paused
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing || self.failed || self.sock.is_none()
    }

    /// Closed and flushed (or failed): nothing more will be sent.
    pub(crate) fn is_closed(&self) -> bool {
        self.sock.is_none()
    }

    pub(crate) fn error(&self) -> Option<io::Error> {
        if !self.failed {
            return None; // the flag is on the hot line; the error is not
        }
        self.error.as_ref().map(copy_error)
    }

    pub(crate) fn take_error(&mut self) -> Option<io::Error> {
        self.failed = false;
        self.error.take()
    }

    pub(crate) fn limits(&self) -> (usize, usize) {
        (self.low, self.high)
    }

    /// Sets the water marks; pauses at once if the buffer is above the new high one.
    /// Returns whether that paused.
    pub(crate) fn set_limits(&mut self, high: usize, low: usize) -> bool {
        assert!(
            low <= high,
            "the low-water mark ({low}) must not exceed the high-water mark ({high})"
        );
        self.high = high;
        self.low = low;
        self.maybe_pause()
    }

    fn maybe_pause(&mut self) -> bool {
        if !self.paused && self.buffered() > self.high {
            self.paused = true;
            return true;
        }
        false
    }

    /// Writes `data`: straight to the socket if nothing is buffered (one `write(2)`,
    /// which the reactor skips when the socket is known not to be writable), the
    /// rest into the buffer.
    pub(crate) fn write(&mut self, data: &[u8]) -> Wrote {
        if data.is_empty() || self.closing || self.eof || self.failed {
            return Wrote::Ignored;
        }
        let first = self.buffered() == 0;
        let Some(sock) = &mut self.sock else {
            return Wrote::Ignored;
        };
        if !first {
            self.buffer(data);
            return Wrote::Buffered { first: false };
        }
        let result = sock.try_write(data);
        self.after_direct_write(data, result)
    }

    /// With the buffer empty and the side open: what `write` does once `data` was
    /// offered to the socket and `result` came back (also for a writer that made the
    /// attempt itself, see [`lend`](Self::lend)).
    pub(crate) fn after_direct_write(&mut self, data: &[u8], result: io::Result<usize>) -> Wrote {
        let rest = match result {
            Ok(n) if n == data.len() => return Wrote::Sent,
            Ok(n) => &data[n..],
            Err(e) if retry(&e) => data,
            Err(e) => {
                self.fail(e);
                return Wrote::Failed;
            }
        };
        self.buffer(rest);
        Wrote::Buffered { first: true }
    }

    fn buffer(&mut self, rest: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            // Most of the buffer was sent: move the rest to the front rather than
            // grow.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(rest);
        self.maybe_pause();
    }

    /// Hands the socket out while the side is idle (open, nothing buffered, no
    /// `close`, `write_eof` or failure): its holder may write to it directly and must
    /// [`restore`](Self::restore) it before anything else of this core is used.
    /// `None` when the side is not idle.
    pub(crate) fn lend(&mut self) -> Option<W> {
        // A failed side is also closing, and a paused one has bytes buffered.
        if !self.closing && !self.eof && self.buffered() == 0 {
            self.sock.take()
        } else {
            None
        }
    }

    /// Takes back the socket [`lend`](Self::lend) handed out.
    pub(crate) fn restore(&mut self, sock: W) {
        debug_assert!(self.sock.is_none(), "restored a socket that was not lent");
        self.sock = Some(sock);
    }

    /// Writes the buffer out as the socket takes it. `Ready(Ok)` once it is empty,
    /// `Pending` (the waker stored for writability) while the socket is full,
    /// `Ready(Err)` if the socket failed (the error is also stored).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.buffered() > 0 {
            let Some(sock) = &mut self.sock else {
                return Poll::Ready(Ok(()));
            };
            let ready = sock.poll_writable(cx);
            match ready {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.fail(copy_error(&e));
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(())) => {}
            }
            let Some(sock) = &mut self.sock else {
                return Poll::Ready(Ok(()));
            };
            match sock.try_write(&self.buf[self.start..]) {
                Ok(0) => {
                    let e = io::Error::from(io::ErrorKind::WriteZero);
                    self.fail(copy_error(&e));
                    return Poll::Ready(Err(e));
                }
                Ok(n) => {
                    self.start += n;
                    if self.start == self.buf.len() {
                        self.reset_buffer();
                    }
                    if self.paused && self.buffered() <= self.low {
                        self.paused = false;
                    }
                }
                Err(e) if retry(&e) => {}
                Err(e) => {
                    self.fail(copy_error(&e));
                    return Poll::Ready(Err(e));
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// With the buffer empty: performs a pending `write_eof` or `close`.
    pub(crate) fn finish_flushed(&mut self) {
        if self.buffered() > 0 {
            return;
        }
        if self.closing {
            // Dropping the socket shuts down the writing side (or closes it).
            self.sock = None;
        } else if self.eof && !self.eof_sent {
            self.eof_sent = true;
            if let Some(sock) = &mut self.sock {
                if let Err(e) = sock.shutdown_write() {
                    self.fail(e);
                }
            }
        }
    }

    /// `close()`: no more writes; the side closes once the buffer is flushed.
    pub(crate) fn close(&mut self) {
        self.closing = true;
        self.finish_flushed();
    }

    /// `write_eof()`: no more writes; the writing side is shut down once the buffer
    /// is flushed.
    pub(crate) fn write_eof(&mut self) {
        if self.closing || self.eof {
            return;
        }
        self.eof = true;
        self.finish_flushed();
    }

    /// Drops the buffer and the socket at once (`abort()`, or the connection is gone).
    pub(crate) fn discard(&mut self) {
        self.closing = true;
        self.reset_buffer();
        self.paused = false;
        self.sock = None;
    }

    /// Drops the buffer (`abort()`); the socket goes when the driver ends.
    pub(crate) fn discard_buffer(&mut self) {
        self.closing = true;
        self.reset_buffer();
        self.paused = false;
    }

    /// The socket failed: keep the error, drop everything else.
    fn fail(&mut self, e: io::Error) {
        if self.error.is_none() {
            self.error = Some(e);
            self.failed = true;
        }
        self.discard();
    }

    fn reset_buffer(&mut self) {
        self.start = 0;
        // A burst may have grown the buffer far beyond the marks: give that back.
        if self.buf.capacity() > 4 * self.high.max(DEFAULT_HIGH_WATER) {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
    }
}

/// Errors that only mean "try again".
pub(crate) fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// A copy of an I/O error, to report one stored failure more than once.
pub(crate) fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use weft_reactor::net::{OwnedWriteHalf, UnixStream};

    use super::{WriteCore, Wrote};

    /// A side over a fresh socket pair (its peer closed: these tests never write).
    fn side() -> WriteCore<OwnedWriteHalf<UnixStream>> {
        WriteCore::new(UnixStream::pair().unwrap().0.into_split().1)
    }

    fn would_block() -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }

    /// `lend` hands the socket out only while nothing is buffered and no `close`,
    /// `write_eof` or failure is pending: a holder writing to it directly then
    /// cannot overtake buffered bytes or write after the end.
    #[test]
    fn the_socket_is_lent_only_while_the_side_is_idle() {
        let mut lp = crate::EventLoop::new().unwrap();
        lp.run_until_complete(async {
            let mut idle = side();
            let half = idle.lend().expect("a new side is idle");
            assert!(idle.lend().is_none(), "lent once");
            idle.restore(half);
            assert!(idle.lend().is_some(), "lent again once restored");

            let mut buffered = side();
            let wrote = buffered.after_direct_write(b"queued", would_block());
            assert_eq!(wrote, Wrote::Buffered { first: true });
            assert!(buffered.lend().is_none(), "bytes are buffered");

            for end in [WriteCore::close, WriteCore::write_eof] {
                let mut ended = side();
                end(&mut ended);
                assert!(ended.lend().is_none(), "closed or shut down");
            }

            let mut failed = side();
            let broken = Err(io::ErrorKind::BrokenPipe.into());
            assert_eq!(failed.after_direct_write(b"x", broken), Wrote::Failed);
            assert!(failed.lend().is_none(), "failed");
        });
    }
}
