//! A one-shot channel: a single value, sent once, from one task (or thread) to another.
//!
//! [`channel`] makes a [`Sender`] and a [`Receiver`]. [`Sender::send`] consumes the
//! sender; the receiver is a future that resolves to the value, or to [`RecvError`] if
//! the sender was dropped without sending.
//!
//! ```
//! weft::run(async {
//!     let (tx, rx) = weft_sync::oneshot::channel();
//!     std::thread::spawn(move || tx.send("pong").unwrap());
//!     assert_eq!(rx.await, Ok("pong"));
//! });
//! ```
//!
//! Both halves share one allocation: an atomic state word and a mutex-protected slot
//! holding the value and the wakers. `send` takes that mutex once, storing the value
//! and publishing `SENT` (a plain atomic store) under it. The receiver sees `SENT` with
//! one atomic load and, as the sender is gone by then, unwraps the shared allocation
//! (one compare-exchange, the one its reference count drop would cost anyway) and moves
//! the value out without locking; if the sender is still on its way out, it locks once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use thiserror::Error;
use weft_futures::coop::poll_proceed;

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};

// The state word is only written under the slot lock (plain load + store: no RMW), so
// under the lock it is exact; outside, a load is a hint that may be stale but never
// runs ahead: a flag, once seen, is final.

/// The value is in the slot (or was received).
const SENT: usize = 1;
/// The sender was dropped without sending.
const TX_DROPPED: usize = 2;
/// The receiver was closed or dropped.
const RX_CLOSED: usize = 4;

struct Inner<T> {
    state: AtomicUsize,
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    value: Option<T>,
    rx_waker: Option<Waker>,
    tx_waker: Option<Waker>,
}

impl<T> Inner<T> {
    /// Sets `flag`; the caller holds the slot lock.
    fn set_locked(&self, flag: usize) {
        let cur = self.state.load(Ordering::Relaxed);
        self.state.store(cur | flag, Ordering::Release);
    }
}

fn store_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Makes a one-shot channel: the [`Sender`] sends one value, the [`Receiver`] awaits it.
///
/// ```
/// weft::run(async {
///     let (tx, rx) = weft_sync::oneshot::channel::<u32>();
///     tx.send(7).unwrap();
///     assert_eq!(rx.await.unwrap(), 7);
/// });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        slot: Mutex::new(Slot {
            value: None,
            rx_waker: None,
            tx_waker: None,
        }),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// What a [`Receiver`] resolves to when no value will arrive: the sender was dropped
/// without sending, or the receiver was [closed](Receiver::close) first.
///
/// ```
/// weft::run(async {
///     let (tx, rx) = weft_sync::oneshot::channel::<u32>();
///     drop(tx);
///     let err: weft_sync::oneshot::RecvError = rx.await.unwrap_err();
///     assert_eq!(
///         err.to_string(),
///         "no value will arrive: the oneshot sender was dropped without sending (or the receiver was closed)"
///     );
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "no value will arrive: the oneshot sender was dropped without sending (or the receiver was closed)"
)]
pub struct RecvError;

/// Why [`Receiver::try_recv`] returned no value.
///
/// ```
/// use weft_sync::oneshot::{channel, TryRecvError};
/// let (tx, mut rx) = channel::<u32>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TryRecvError {
    /// Nothing was sent yet, and the sender is still there.
    #[error("no value has been sent on the oneshot channel yet")]
    Empty,
    /// No value will come: the sender was dropped without sending, the receiver was
    /// closed before a value arrived, or the value was already received.
    #[error("the oneshot channel is closed: no value will arrive")]
    Closed,
}

/// The sending half of a [`channel`]: sends one value with [`send`](Sender::send).
/// Dropping it without sending makes the receiver resolve to [`RecvError`].
///
/// ```
/// weft::run(async {
///     let (tx, rx) = weft_sync::oneshot::channel();
///     weft::spawn(async move { tx.send(String::from("hi")).unwrap() });
///     assert_eq!(rx.await.unwrap(), "hi");
/// });
/// ```
pub struct Sender<T> {
    /// `None` only inside `send` (which consumes the sender).
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waking the receiver. Gives the value back if the receiver was
    /// dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = weft_sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self
            .inner
            .take()
            .expect("oneshot::Sender without its channel");
        let waker = {
            let mut slot = lock(&inner.slot);
            if inner.state.load(Ordering::Relaxed) & RX_CLOSED != 0 {
                return Err(value);
            }
            slot.value = Some(value);
            inner.set_locked(SENT);
            slot.rx_waker.take()
        };
        // Let go of the allocation before waking, so the receiver usually finds it
        // unshared and takes the value without locking.
        drop(inner);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped or closed (a [`send`](Sender::send) would give
    /// the value back).
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::oneshot::channel::<u8>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner()
            .is_some_and(|i| i.state.load(Ordering::Acquire) & RX_CLOSED != 0)
    }

    /// Waits until the receiver is dropped or closed: for abandoning work whose result
    /// nobody wants any more.
    ///
    /// ```
    /// weft::run(async {
    ///     let (mut tx, rx) = weft_sync::oneshot::channel::<u8>();
    ///     weft::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn closed(&mut self) -> Closed<'_, T> {
        Closed { tx: self }
    }

    /// Polls for the receiver being dropped or closed, registering `cx`'s waker if not
    /// yet (the poll function behind [`closed`](Sender::closed)).
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// let (mut tx, rx) = weft_sync::oneshot::channel::<u8>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(tx.poll_closed(&mut cx).is_pending());
    /// drop(rx);
    /// assert!(tx.poll_closed(&mut cx).is_ready());
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(poll_proceed(cx));
        let Some(inner) = self.inner() else {
            return Poll::Ready(());
        };
        if inner.state.load(Ordering::Acquire) & RX_CLOSED == 0 {
            let mut slot = lock(&inner.slot);
            if inner.state.load(Ordering::Relaxed) & RX_CLOSED == 0 {
                store_waker(&mut slot.tx_waker, cx);
                return Poll::Pending;
            }
        }
        coop.made_progress();
        Poll::Ready(())
    }

    fn inner(&self) -> Option<&Inner<T>> {
        self.inner.as_deref()
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        if inner.state.load(Ordering::Acquire) & RX_CLOSED != 0 {
            return; // nobody is listening
        }
        let waker = {
            let mut slot = lock(&inner.slot);
            inner.set_locked(TX_DROPPED);
            slot.rx_waker.take()
        };
        drop(inner);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::closed`]: resolves once the receiver is dropped or closed.
///
/// ```
/// weft::run(async {
///     let (mut tx, mut rx) = weft_sync::oneshot::channel::<u8>();
///     rx.close();
///     let closed: weft_sync::oneshot::Closed<'_, u8> = tx.closed();
///     closed.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Closed<'a, T> {
    tx: &'a mut Sender<T>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.tx.poll_closed(cx)
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Closed").finish_non_exhaustive()
    }
}

/// The receiving half of a [`channel`]: a future resolving to the sent value, or to
/// [`RecvError`] if the sender was dropped without sending. Dropping it makes
/// [`Sender::send`] give the value back.
///
/// Polling it again after it resolved panics.
///
/// ```
/// weft::run(async {
///     let (tx, rx) = weft_sync::oneshot::channel();
///     let waiter = weft::spawn(rx);
///     tx.send(1u8).unwrap();
///     assert_eq!(waiter.await.unwrap(), Ok(1));
/// });
/// ```
pub struct Receiver<T> {
    /// `None` once the receiver resolved (or took the value with `try_recv`).
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    ///
    /// ```
    /// use weft_sync::oneshot::{channel, TryRecvError};
    /// let (tx, mut rx) = channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(5).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed)); // already taken
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = self.inner.as_deref() else {
            return Err(TryRecvError::Closed);
        };
        let state = inner.state.load(Ordering::Acquire);
        if state & SENT != 0 {
            Ok(take_value(self.inner.take().expect("checked above")))
        } else if state & (TX_DROPPED | RX_CLOSED) != 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Closes the channel: a later [`Sender::send`] gives its value back. A value sent
    /// before the close can still be received.
    ///
    /// ```
    /// weft::run(async {
    ///     let (tx, mut rx) = weft_sync::oneshot::channel();
    ///     rx.close();
    ///     assert_eq!(tx.send(1), Err(1));
    ///     assert!(rx.await.is_err());
    /// });
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = self.inner.as_deref() {
            close_rx(inner);
        }
    }
}

/// Takes the sent value (`SENT` was seen): without locking if the sender already let
/// go of the allocation.
fn take_value<T>(inner: Arc<Inner<T>>) -> T {
    let value = match Arc::try_unwrap(inner) {
        Ok(inner) => {
            let slot = inner.slot.into_inner();
            slot.unwrap_or_else(|e| e.into_inner()).value
        }
        Err(inner) => lock(&inner.slot).value.take(),
    };
    value.expect("oneshot value already taken")
}

fn close_rx<T>(inner: &Inner<T>) {
    // Once the sender has sent or is gone, nobody can observe the close.
    if inner.state.load(Ordering::Acquire) & (SENT | TX_DROPPED | RX_CLOSED) != 0 {
        return;
    }
    let waker = {
        let mut slot = lock(&inner.slot);
        inner.set_locked(RX_CLOSED);
        slot.tx_waker.take()
    };
    // Wake a `closed()` waiter.
    if let Some(w) = waker {
        w.wake();
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(poll_proceed(cx));
        let inner = self
            .inner
            .as_deref()
            .expect("oneshot::Receiver polled after it resolved");
        let state = inner.state.load(Ordering::Acquire);
        let out = if state & SENT != 0 {
            Ok(take_value(self.inner.take().expect("checked above")))
        } else if state & (TX_DROPPED | RX_CLOSED) != 0 {
            Err(RecvError)
        } else {
            let mut slot = lock(&inner.slot);
            let state = inner.state.load(Ordering::Relaxed);
            if state & SENT != 0 {
                slot.rx_waker = None;
                Ok(slot.value.take().expect("oneshot value already taken"))
            } else if state & TX_DROPPED != 0 {
                Err(RecvError)
            } else {
                // The sender sends or drops under this lock after we release it: it
                // will find the waker.
                store_waker(&mut slot.rx_waker, cx);
                return Poll::Pending;
            }
        };
        self.inner = None;
        coop.made_progress();
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            close_rx(&inner);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self
            .inner
            .as_deref()
            .map(|i| i.state.load(Ordering::Acquire));
        f.debug_struct("oneshot::Receiver")
            .field("sent", &state.map(|s| s & SENT != 0))
            .field("terminated", &state.is_none())
            .finish()
    }
}
