//! [`Evented`]: a mio source plus its [`Registration`], and the one place where
//! the socket types turn readiness into I/O calls.
//!
//! # Syscalls per message
//!
//! Readiness is edge-triggered: the reactor sets bits when epoll reports an
//! edge, and they stay set until we clear them with the [`Ready`] snapshot we
//! acted on. The textbook protocol ([`Registration::poll_io`]) clears only
//! after a call returned `WouldBlock`, so echoing one message costs three
//! syscalls: the `read` that returns the message, a second `read` that returns
//! `EAGAIN`, and the `write`.
//!
//! For stream sockets a *short* transfer already tells us what that extra call
//! would have said:
//!
//! * `recv` on a TCP or Unix stream socket copies everything that is queued, up
//!   to the buffer's length. A read of `0 < n < buf.len()` therefore drained
//!   the receive queue *at the time of the call*.
//! * `send` on a stream socket copies as much as fits; a write of
//!   `0 < n < buf.len()` means the send buffer is full.
//!
//! So after a short read (write) we clear the readable (writable) bits right
//! away, with the snapshot taken *before* the call, and skip the `EAGAIN`
//! round. This loses no wake-up:
//!
//! * Data that arrives after our `recv` makes the kernel report a new edge
//!   (Linux signals an `EPOLLET` socket on every arrival). If the reactor has
//!   already dispatched that event when we clear, the tick in the registration
//!   is newer than our snapshot's and [`Registration::clear_ready`] clears
//!   nothing; if it dispatches after, it sets the bit again and wakes the
//!   waiter. Either way the next read sees the data.
//! * A short write leaves unacknowledged bytes in the send buffer; their ACKs
//!   free space and produce the `EPOLLOUT` edge the next write waits for.
//! * End of stream is not affected: a read of 0 bytes is not "short", and
//!   read-closed is a final bit that clearing never removes.
//!
//! The rule is only applied where it holds. Datagram sockets return one
//! datagram per call whatever the buffer's size, and `sendfile` can be short
//! because the *file* ended, so those use the plain protocol. The one known
//! exception for `AF_UNIX` streams is ancillary data (a read stops at a message
//! carrying file descriptors, or credentials once `SO_PASSCRED` is set); the
//! types here never ask for either.
//!
//! # Cooperative budget
//!
//! A socket that always has data (or room) would let a task loop on it
//! without ever returning `Pending`, starving the loop. Every completed
//! operation of `poll_op` / `poll_io` therefore spends one unit of the task's
//! [`coop`] budget, like weft's other leaf futures; once it is spent the
//! operation wakes the task and returns `Pending`, *before* any syscall.

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::task::{ready, Context, Poll};

use mio::event::Source;
use mio::Interest;
use weft_futures::coop;

use crate::reactor::Handle;
use crate::ready::{Direction, Ready};
use crate::registration::Registration;
use crate::sys;

/// A mio I/O source registered with a reactor.
///
/// Not nameable outside the crate: it only appears in the sealed
/// [`SplitStream`](super::SplitStream) machinery.
///
/// `repr(C)`, the source (a file descriptor) first and then the registration, whose
/// first field is its state: what every read and write uses (the descriptor and the
/// pointer to the readiness) are the first 16 bytes, so they share a cache line
/// wherever the value sits (an `Arc` of split halves puts it at offset 16).
#[repr(C)]
pub struct Evented<S: Source> {
    source: S,
    registration: Registration,
}

/// A stream socket (`SOCK_STREAM`) whose reads and writes go through `&self`.
pub trait StreamSource: Source + Send + Sync + 'static {
    /// `read(2)`.
    fn read_ref(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// `readv(2)`.
    fn read_vectored_ref(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>;
    /// `write(2)`.
    fn write_ref(&self, buf: &[u8]) -> io::Result<usize>;
    /// `writev(2)`.
    fn write_vectored_ref(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// `shutdown(2)`.
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

macro_rules! stream_source {
    ($ty:ty) => {
        impl StreamSource for $ty {
            #[inline]
            fn read_ref(&self, buf: &mut [u8]) -> io::Result<usize> {
                sys::recv(self, buf)
            }
            fn read_vectored_ref(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                let mut this = self;
                this.read_vectored(bufs)
            }
            #[inline]
            fn write_ref(&self, buf: &[u8]) -> io::Result<usize> {
                sys::send(self, buf)
            }
            fn write_vectored_ref(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                let mut this = self;
                this.write_vectored(bufs)
            }
            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$ty>::shutdown(self, how)
            }
        }
    };
}

stream_source!(mio::net::TcpStream);
#[cfg(unix)]
stream_source!(mio::net::UnixStream);

fn would_block() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

fn total_len<T: std::ops::Deref<Target = [u8]>>(bufs: &[T]) -> usize {
    bufs.iter().map(|b| b.len()).sum()
}

/// Whether a transfer of `n` bytes out of `len` was short (see the module
/// documentation): it emptied the receive queue or filled the send buffer.
fn short(n: usize, len: usize) -> bool {
    n > 0 && n < len
}

impl<S: Source> Evented<S> {
    /// Registers `source` for `interest` with the reactor of `handle`.
    pub(crate) fn with_handle(
        handle: &Handle,
        mut source: S,
        interest: Interest,
    ) -> io::Result<Evented<S>> {
        let registration = Registration::with_handle(handle, &mut source, interest)?;
        Ok(Evented {
            source,
            registration,
        })
    }

    /// The mio source.
    pub(crate) fn get(&self) -> &S {
        &self.source
    }

    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<Ready>> {
        self.registration.poll_ready(cx, dir)
    }

    pub(crate) fn clear_ready(&self, ready: Ready) {
        self.registration.clear_ready(ready);
    }

    /// Waits until the source is ready in `dir` (or closed, or in error).
    pub(crate) async fn ready(&self, dir: Direction) -> io::Result<()> {
        poll_fn(|cx| self.poll_ready(cx, dir).map_ok(drop)).await
    }

    /// [`Registration::poll_io`] on the source: retries `f` until it does not
    /// return `WouldBlock`, clearing readiness each time it does.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let progress = ready!(coop::poll_proceed(cx));
        let result = ready!(self.registration.poll_io(cx, dir, || f(&self.source)));
        progress.made_progress();
        Poll::Ready(result)
    }

    /// What to do with the result of one I/O call made on the readiness
    /// `ready`: `None` to retry (it would have blocked), else the result.
    /// `drained` says whether a successful result proves the readiness used
    /// up (a short transfer), in which case it is cleared at once.
    fn settle<R>(
        &self,
        ready: Ready,
        result: io::Result<R>,
        drained: impl FnOnce(&R) -> bool,
    ) -> Option<io::Result<R>> {
        match result {
            Ok(value) => {
                if drained(&value) {
                    // `ready` was taken before the call: if an event has been
                    // dispatched since, its tick is newer and nothing is
                    // cleared, so the arrival is not lost (module docs).
                    self.registration.clear_ready(ready);
                }
                Some(Ok(value))
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.registration.clear_ready(ready);
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    /// Like [`poll_io`](Evented::poll_io), but clears readiness without a
    /// further call when `drained` says the result used it up.
    pub(crate) fn poll_op<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut(&S) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        // Readiness first: a source with nothing to do returns `Pending` without
        // touching the coop budget (the common case of the call after a short read).
        let mut ready = ready!(self.poll_ready(cx, dir))?;
        // Dropped unspent (giving the unit back) if this returns `Pending`.
        let progress = ready!(coop::poll_proceed(cx));
        loop {
            if let Some(result) = self.settle(ready, f(&self.source), &drained) {
                progress.made_progress();
                return Poll::Ready(result);
            }
            ready = ready!(self.poll_ready(cx, dir))?;
        }
    }

    /// One attempt of `f`, only if the source is known to be ready in `dir`;
    /// `WouldBlock` otherwise, without a syscall.
    ///
    /// The waker slot of `dir` is not touched: a task waiting in that
    /// direction stays registered and is woken by the next event, so a
    /// `try_*` call from elsewhere (a timer callback) cannot steal its wake-up.
    pub(crate) fn try_op<R>(
        &self,
        dir: Direction,
        f: impl FnOnce(&S) -> io::Result<R>,
        drained: impl FnOnce(&R) -> bool,
    ) -> io::Result<R> {
        let ready = match self.registration.peek_ready(dir) {
            Some(ready) => ready?,
            None => return Err(would_block()),
        };
        self.settle(ready, f(&self.source), drained)
            .unwrap_or_else(|| Err(would_block()))
    }
}

impl<S: StreamSource> Evented<S> {
    /// Reads into `buf`; a short read clears readability (module docs).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_op(cx, Direction::Read, |s| s.read_ref(buf), |&n| short(n, len))
    }

    pub(crate) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = total_len(bufs);
        self.poll_op(
            cx,
            Direction::Read,
            |s| s.read_vectored_ref(bufs),
            |&n| short(n, len),
        )
    }

    /// Writes from `buf`; a short write clears writability (module docs).
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_op(
            cx,
            Direction::Write,
            |s| s.write_ref(buf),
            |&n| short(n, len),
        )
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = total_len(bufs);
        self.poll_op(
            cx,
            Direction::Write,
            |s| s.write_vectored_ref(bufs),
            |&n| short(n, len),
        )
    }

    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len();
        self.try_op(Direction::Read, |s| s.read_ref(buf), |&n| short(n, len))
    }

    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len();
        self.try_op(Direction::Write, |s| s.write_ref(buf), |&n| short(n, len))
    }

    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.shutdown(how)
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for Evented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}
