//! [`Bridge`]: the `std::io::{Read, Write}` tungstenite calls, over weft's socket.

use std::io::{self, IoSliceMut, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use weft_reactor::net::TcpStream;

/// Which direction a [`Bridge`] may park the caller on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Neither: `try_read` / `try_write`.
    None,
    Read,
    Write,
    Both,
}

/// The size of a [`Stash`] while a connection receives big frames.
const STASH: usize = 64 * 1024;

/// Bytes read past what tungstenite asked for.
///
/// tungstenite reads at most its read buffer's size (1 KiB by default) per call, so
/// a 16 KiB frame would take seventeen `recv`s. Once a read fills tungstenite's slice
/// (big frames are coming), reads become vectored: tungstenite's slice, then this
/// stash, and the next calls are served from the stash without a syscall. The stash
/// is freed as soon as a read no longer reaches it, so idle and small-message
/// connections do not carry it.
#[derive(Default)]
pub(crate) struct Stash {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The last read filled tungstenite's slice.
    big: bool,
}

impl Stash {
    /// Copies stashed bytes into `out`, if there are any.
    fn take(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.start == self.end {
            return None;
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Some(n)
    }
}

/// `std::io::{Read, Write}` over a weft `TcpStream`, for tungstenite.
pub(crate) struct Bridge<'a, 'b> {
    pub(crate) io: &'a mut TcpStream,
    pub(crate) stash: &'a mut Stash,
    pub(crate) cx: Option<&'a mut Context<'b>>,
    pub(crate) owner: Owner,
    /// Bytes the socket took.
    pub(crate) written: usize,
}

impl Read for Bridge<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(n) = self.stash.take(buf) {
            return Ok(n);
        }
        let Some(cx) = (match self.owner {
            Owner::Read | Owner::Both => self.cx.as_deref_mut(),
            _ => None,
        }) else {
            return self.io.try_read(buf);
        };
        let stash = &mut *self.stash;
        if !stash.big {
            let n = poll_to_io(Pin::new(&mut *self.io).poll_read(cx, buf))?;
            stash.big = n == buf.len();
            return Ok(n);
        }
        if stash.buf.is_empty() {
            stash.buf = vec![0; STASH];
        }
        let want = buf.len();
        let mut bufs = [IoSliceMut::new(buf), IoSliceMut::new(&mut stash.buf)];
        let n = poll_to_io(Pin::new(&mut *self.io).poll_read_vectored(cx, &mut bufs))?;
        if n > want {
            stash.start = 0;
            stash.end = n - want;
            return Ok(want);
        }
        if n < want {
            // The frames got small again: let the stash go.
            *stash = Stash::default();
        }
        Ok(n)
    }
}

fn poll_to_io(poll: Poll<io::Result<usize>>) -> io::Result<usize> {
    match poll {
        Poll::Ready(r) => r,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

impl Write for Bridge<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match (&mut self.cx, self.owner) {
            (Some(cx), Owner::Write | Owner::Both) => {
                match Pin::new(&mut *self.io).poll_write(cx, buf) {
                    Poll::Ready(r) => r,
                    Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
                }
            }
            _ => self.io.try_write(buf),
        }?;
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
