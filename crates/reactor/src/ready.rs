//! [`Direction`] and the [`Ready`] snapshot handed out by
//! [`Registration::poll_ready`](crate::Registration::poll_ready).

use std::fmt;

use crate::state::{ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

/// Which half of a source a task waits on.
///
/// Each direction of a [`Registration`](crate::Registration) has its own
/// waker slot, so one task may wait to read while another waits to write.
///
/// # Examples
///
/// ```
/// use weft_reactor::Direction;
///
/// let dirs = [Direction::Read, Direction::Write];
/// assert_ne!(dirs[0], dirs[1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Waiting for the source to become readable, read-closed or errored.
    ///
    /// ```
    /// let dir = weft_reactor::Direction::Read;
    /// assert_eq!(format!("{dir:?}"), "Read");
    /// ```
    Read,
    /// Waiting for the source to become writable, write-closed or errored.
    ///
    /// ```
    /// let dir = weft_reactor::Direction::Write;
    /// assert_eq!(format!("{dir:?}"), "Write");
    /// ```
    Write,
}

impl Direction {
    /// The readiness bits that satisfy a waiter in this direction.
    #[inline]
    pub(crate) fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// A copy of a registration's readiness, as seen by one
/// [`poll_ready`](crate::Registration::poll_ready) call.
///
/// It only holds the bits relevant to the direction that was polled, plus the
/// registration's event counter ("tick") at that moment. Passing it back to
/// [`clear_ready`](crate::Registration::clear_ready) clears exactly those bits,
/// and only if no newer event has arrived since.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use std::task::{Context, Poll};
/// use std::time::Duration;
/// use weft_reactor::{Direction, Interest, Reactor, Registration};
/// # use std::sync::Arc;
/// # use std::task::{Wake, Waker};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// # let waker = Waker::from(Arc::new(Noop));
///
/// let mut reactor = Reactor::new()?;
/// let (mut a, mut b) = mio::net::UnixStream::pair()?;
/// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
/// b.write_all(b"ping")?;
/// reactor.turn(Some(Duration::ZERO))?;
///
/// let mut cx = Context::from_waker(&waker);
/// let Poll::Ready(ready) = reg.poll_ready(&mut cx, Direction::Read) else {
///     panic!("data was written");
/// };
/// let ready = ready?;
/// assert!(ready.is_readable());
/// assert!(!ready.is_writable()); // only the polled direction is reported
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    bits: u8,
    tick: usize,
}

impl Ready {
    #[inline]
    pub(crate) fn new(bits: usize, tick: usize) -> Ready {
        Ready {
            // All readiness bits fit in the low byte (see `state`).
            bits: (bits & 0xff) as u8,
            tick,
        }
    }

    #[inline]
    pub(crate) fn bits(self) -> usize {
        usize::from(self.bits)
    }

    #[inline]
    pub(crate) fn tick(self) -> usize {
        self.tick
    }

    /// The source has data to read (or a connection to accept).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, mut b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// b.write_all(b"x")?;
    /// reactor.turn(Some(Duration::ZERO))?;
    /// let Poll::Ready(Ok(ready)) = reg.poll_ready(&mut cx, Direction::Read) else { panic!() };
    /// assert!(ready.is_readable());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_readable(self) -> bool {
        self.bits() & READABLE != 0
    }

    /// The source has room to write.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, _b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::WRITABLE)?;
    /// reactor.turn(Some(Duration::ZERO))?; // a fresh socket reports writable at once
    /// let Poll::Ready(Ok(ready)) = reg.poll_ready(&mut cx, Direction::Write) else { panic!() };
    /// assert!(ready.is_writable());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_writable(self) -> bool {
        self.bits() & WRITABLE != 0
    }

    /// The peer will send no more data: reads return end-of-file once the
    /// buffered data is consumed. This bit is final; `clear_ready` keeps it.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// drop(b);
    /// reactor.turn(Some(Duration::ZERO))?;
    /// let Poll::Ready(Ok(ready)) = reg.poll_ready(&mut cx, Direction::Read) else { panic!() };
    /// assert!(ready.is_read_closed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_read_closed(self) -> bool {
        self.bits() & READ_CLOSED != 0
    }

    /// The source can no longer be written to (the peer hung up). This bit is
    /// final; `clear_ready` keeps it.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::WRITABLE)?;
    /// drop(b);
    /// reactor.turn(Some(Duration::ZERO))?;
    /// let Poll::Ready(Ok(ready)) = reg.poll_ready(&mut cx, Direction::Write) else { panic!() };
    /// // Whether a hang-up is reported as write-closed is platform specific.
    /// println!("write closed: {}", ready.is_write_closed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_write_closed(self) -> bool {
        self.bits() & WRITE_CLOSED != 0
    }

    /// The OS reported an error condition on the source; the next I/O call
    /// (or `take_error`) will surface it.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::task::{Context, Poll};
    /// use std::time::Duration;
    /// use weft_reactor::{Direction, Interest, Reactor, Registration};
    /// # use std::sync::Arc;
    /// # use std::task::{Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (mut a, mut b) = mio::net::UnixStream::pair()?;
    /// let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    /// b.write_all(b"fine")?;
    /// reactor.turn(Some(Duration::ZERO))?;
    /// let Poll::Ready(Ok(ready)) = reg.poll_ready(&mut cx, Direction::Read) else { panic!() };
    /// assert!(!ready.is_error());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_error(self) -> bool {
        self.bits() & ERROR != 0
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("error", &self.is_error())
            .field("tick", &self.tick)
            .finish()
    }
}
