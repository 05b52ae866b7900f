//! Multi-producer, single-consumer channels: [`channel`] (bounded: senders wait for
//! capacity) and [`unbounded_channel`].
//!
//! Senders are `Clone`; each one's values arrive in the order it sent them. The
//! receiver gets `None` from [`recv`](Receiver::recv) once every sender is gone (or it
//! [closed](Receiver::close) the channel) and the buffer is drained. Dropping the
//! receiver drops what is buffered and fails every pending and later send with
//! [`SendError`], which gives the value back.
//!
//! ```
//! weft::run(async {
//!     let (tx, mut rx) = weft_sync::mpsc::channel(8);
//!     for id in 0..3 {
//!         let tx = tx.clone();
//!         weft::spawn(async move { tx.send(id).await.unwrap() });
//!     }
//!     drop(tx);
//!     let mut got = Vec::new();
//!     while let Some(id) = rx.recv().await {
//!         got.push(id);
//!     }
//!     got.sort();
//!     assert_eq!(got, [0, 1, 2]);
//! });
//! ```
//!
//! Design: one mutex-protected `VecDeque` shared by the senders and the receiver, plus
//! the receiver's waker and the close flags under the same lock. A send takes the lock
//! once (and, when bounded, takes one permit from the crate's fair semaphore: one CAS).
//! The receiver keeps a private buffer: when it runs dry it swaps it with the shared
//! deque under one lock, taking the whole batch, so a busy receiver locks once per batch
//! rather than once per value. Bounded capacity counts values until they are received
//! (the receiver returns one permit per value it hands out).

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use futures_core::Stream;
use thiserror::Error;
use weft_futures::coop::poll_proceed;

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};
use crate::sem::{Acquire, Closed, Sem};

/// `Chan::state`: the receiver closed or dropped the channel.
const RX_CLOSED: usize = 1;

/// What the senders and the receiver share.
struct Chan<T> {
    shared: Mutex<Shared<T>>,
    /// `RX_CLOSED`, mirrored from `Shared::rx_closed` for lock-free `is_closed`.
    state: AtomicUsize,
    /// Live senders; the last one to go marks `Shared::tx_gone`.
    senders: AtomicUsize,
    /// Capacity permits (bounded channels only).
    sem: Option<Sem>,
    capacity: usize,
}

struct Shared<T> {
    items: VecDeque<T>,
    rx_waker: Option<Waker>,
    rx_closed: bool,
    tx_gone: bool,
}

impl<T> Chan<T> {
    fn new(sem: Option<Sem>, capacity: usize) -> Arc<Chan<T>> {
        Arc::new(Chan {
            shared: Mutex::new(Shared {
                items: VecDeque::new(),
                rx_waker: None,
                rx_closed: false,
                tx_gone: false,
            }),
            state: AtomicUsize::new(0),
            senders: AtomicUsize::new(1),
            sem,
            capacity,
        })
    }

    /// Appends `value` (a bounded sender holds a permit for it), waking the receiver.
    /// Gives it back if the receiver closed the channel.
    fn push(&self, value: T) -> Result<(), T> {
        let waker = {
            let mut s = lock(&self.shared);
            if s.rx_closed {
                return Err(value);
            }
            s.items.push_back(value);
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Pushes with a permit already held; returns the permit if the channel is closed.
    fn push_permitted(&self, value: T) -> Result<(), SendError<T>> {
        self.push(value).map_err(|v| {
            if let Some(sem) = &self.sem {
                sem.release(1);
            }
            SendError(v)
        })
    }

    fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & RX_CLOSED != 0
    }

    fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let waker = {
            let mut s = lock(&self.shared);
            s.tx_gone = true;
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The receiving side shared by [`Receiver`] and [`UnboundedReceiver`].
struct Rx<T> {
    chan: Arc<Chan<T>>,
    /// The batch taken from the shared deque, received before anything newer. Never
    /// locked (only `get_mut`): a `Mutex` only so the receiver is `Sync` for any
    /// `T: Send`.
    local: std::sync::Mutex<VecDeque<T>>,
}

impl<T> Rx<T> {
    fn new(chan: Arc<Chan<T>>) -> Rx<T> {
        Rx {
            chan,
            local: std::sync::Mutex::new(VecDeque::new()),
        }
    }

    fn local(&mut self) -> &mut VecDeque<T> {
        self.local.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    fn pop_local(&mut self) -> Option<T> {
        let value = self.local().pop_front()?;
        if let Some(sem) = &self.chan.sem {
            sem.release(1);
        }
        Some(value)
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = ready!(poll_proceed(cx));
        if let Some(value) = self.pop_local() {
            coop.made_progress();
            return Poll::Ready(Some(value));
        }
        {
            let mut s = lock(&self.chan.shared);
            if !s.items.is_empty() {
                take_batch(&mut self.local, &mut s);
            } else if s.rx_closed || s.tx_gone {
                drop(s);
                coop.made_progress();
                return Poll::Ready(None);
            } else {
                match &s.rx_waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => s.rx_waker = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
        }
        let value = self.pop_local();
        coop.made_progress();
        Poll::Ready(value)
    }

    fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(value) = self.pop_local() {
            return Ok(value);
        }
        {
            let mut s = lock(&self.chan.shared);
            if !s.items.is_empty() {
                take_batch(&mut self.local, &mut s);
            } else if s.rx_closed || s.tx_gone {
                return Err(TryRecvError::Disconnected);
            } else {
                return Err(TryRecvError::Empty);
            }
        }
        Ok(self.pop_local().expect("a batch was just taken"))
    }

    /// Closes the channel; with `drain`, also takes what is buffered in the shared
    /// deque (returned, to be dropped outside the lock).
    fn close(&mut self, drain: bool) -> VecDeque<T> {
        let items = {
            let mut s = lock(&self.chan.shared);
            s.rx_closed = true;
            self.chan.state.fetch_or(RX_CLOSED, Ordering::AcqRel);
            if drain {
                std::mem::take(&mut s.items)
            } else {
                VecDeque::new()
            }
        };
        if let Some(sem) = &self.chan.sem {
            // Wakes the senders waiting for capacity: they fail with `SendError`.
            sem.close();
        }
        items
    }

    fn len(&self) -> usize {
        let local = self
            .local
            .lock()
            .map_or_else(|e| e.into_inner().len(), |l| l.len());
        local + lock(&self.chan.shared).items.len()
    }
}

/// Refills the (empty) local buffer from the shared deque by swapping them: the empty
/// local deque goes back with its allocation, so steady state does not reallocate.
fn take_batch<T>(local: &mut std::sync::Mutex<VecDeque<T>>, s: &mut Shared<T>) {
    let local = local.get_mut().unwrap_or_else(|e| e.into_inner());
    debug_assert!(local.is_empty());
    std::mem::swap(local, &mut s.items);
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        // What was buffered is dropped here, outside the lock (a value's drop may use
        // channels); the local buffer goes with `self`.
        drop(self.close(true));
    }
}

/// Makes a bounded channel holding up to `capacity` values: [`Sender::send`] waits
/// while it is full.
///
/// # Panics
/// If `capacity` is 0 (or more than `usize::MAX / 4`).
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::channel(1);
///     tx.send("a").await.unwrap();
///     assert!(tx.try_send("b").is_err()); // full
///     assert_eq!(rx.recv().await, Some("a"));
///     tx.try_send("b").unwrap();
/// });
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc::channel capacity must be at least 1");
    let chan = Chan::new(Some(Sem::new(capacity)), capacity);
    (
        Sender { chan: chan.clone() },
        Receiver { rx: Rx::new(chan) },
    )
}

/// Makes an unbounded channel: [`UnboundedSender::send`] never waits (memory is the
/// only limit).
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
///     for i in 0..1000 {
///         tx.send(i).unwrap();
///     }
///     drop(tx);
///     let mut n = 0;
///     while let Some(i) = rx.recv().await {
///         assert_eq!(i, n);
///         n += 1;
///     }
///     assert_eq!(n, 1000);
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None, usize::MAX);
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { rx: Rx::new(chan) },
    )
}

/// A send failed because the receiver was dropped or closed the channel; holds the
/// value that was not sent.
///
/// ```
/// weft::run(async {
///     let (tx, rx) = weft_sync::mpsc::channel(4);
///     drop(rx);
///     let err = tx.send(9).await.unwrap_err();
///     assert_eq!(err.to_string(), "the channel is closed: its receiver was dropped or closed");
///     assert_eq!(err.into_inner(), 9);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Error)]
#[error("the channel is closed: its receiver was dropped or closed")]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let (tx, rx) = weft_sync::mpsc::unbounded_channel();
    /// drop(rx);
    /// assert_eq!(tx.send("x").unwrap_err().into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

/// Why [`Sender::try_send`] failed; holds the value that was not sent.
///
/// ```
/// use weft_sync::mpsc::{channel, TrySendError};
/// let (tx, rx) = channel(1);
/// tx.try_send(1).unwrap();
/// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
/// drop(rx);
/// assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Error)]
pub enum TrySendError<T> {
    /// The channel is at capacity (or other senders are already waiting for room).
    #[error("the channel is full")]
    Full(T),
    /// The receiver was dropped or closed the channel.
    #[error("the channel is closed: its receiver was dropped or closed")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let (tx, _rx) = weft_sync::mpsc::channel(1);
    /// tx.try_send('a').unwrap();
    /// assert_eq!(tx.try_send('b').unwrap_err().into_inner(), 'b');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Closed(e.0)
    }
}

/// Why `try_recv` returned no value.
///
/// ```
/// use weft_sync::mpsc::{unbounded_channel, TryRecvError};
/// let (tx, mut rx) = unbounded_channel::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TryRecvError {
    /// Nothing is buffered right now, but senders remain.
    #[error("the channel is empty")]
    Empty,
    /// Nothing is buffered and nothing more can arrive: every sender is gone, or the
    /// receiver closed the channel.
    #[error("the channel is empty and closed: no value will arrive")]
    Disconnected,
}

/// The sending half of a bounded [`channel`]. Clone it for more producers; the channel
/// closes for the receiver once every clone is dropped.
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::channel::<u32>(2);
///     let tx2 = tx.clone();
///     tx.send(1).await.unwrap();
///     tx2.send(2).await.unwrap();
///     drop((tx, tx2));
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, Some(2));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room if the channel is full (senders are served in
    /// the order they started waiting). Fails with [`SendError`], giving the value
    /// back, if the receiver is dropped or closes the channel, including while waiting.
    ///
    /// Cancelling the returned future (dropping it) drops the value; the capacity it
    /// was waiting for passes on to the next sender.
    ///
    /// ```
    /// weft::run(async {
    ///     let (tx, mut rx) = weft_sync::mpsc::channel(1);
    ///     tx.send(1).await.unwrap();
    ///     let producer = weft::spawn(async move { tx.send(2).await }); // waits for room
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, Some(2));
    ///     producer.await.unwrap().unwrap();
    /// });
    /// ```
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: &self.chan,
            value: Some(value),
            acquire: None,
        }
    }

    /// Sends `value` if there is room right now.
    ///
    /// ```
    /// use weft_sync::mpsc::{channel, TrySendError};
    /// let (tx, mut rx) = channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let sem = self
            .chan
            .sem
            .as_ref()
            .expect("a bounded channel has a semaphore");
        match sem.try_acquire(1) {
            Ok(true) => self.chan.push_permitted(value).map_err(TrySendError::from),
            Ok(false) => Err(TrySendError::Full(value)),
            Err(Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Whether the receiver was dropped or closed the channel.
    ///
    /// ```
    /// let (tx, rx) = weft_sync::mpsc::channel::<()>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Room left right now: how many values could be sent without waiting (0 while
    /// other senders wait).
    ///
    /// ```
    /// let (tx, _rx) = weft_sync::mpsc::channel(3);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.sem.as_ref().map_or(0, Sem::available)
    }

    /// The capacity the channel was made with.
    ///
    /// ```
    /// let (tx, _rx) = weft_sync::mpsc::channel::<()>(3);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity
    }

    /// Whether `self` and `other` send to the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft_sync::mpsc::channel::<()>(1);
    /// let (other, _rx2) = weft_sync::mpsc::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("capacity", &self.capacity())
            .field("max_capacity", &self.max_capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::send`]. Dropping it drops the value; capacity it was
/// waiting for (or had just been handed) passes on to the next waiting sender.
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::channel(1);
///     let fut: weft_sync::mpsc::SendFuture<'_, u8> = tx.send(1);
///     fut.await.unwrap();
///     assert_eq!(rx.recv().await, Some(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    /// `None` once resolved.
    value: Option<T>,
    /// Waiting for a permit (after the fast path failed).
    acquire: Option<Acquire<'a>>,
}

// The value is never pinned.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(this.value.is_some(), "SendFuture polled after it resolved");
        let sem = this
            .chan
            .sem
            .as_ref()
            .expect("a bounded channel has a semaphore");
        let acquire = match &mut this.acquire {
            Some(acquire) => acquire,
            None => {
                let coop = ready!(poll_proceed(cx));
                match sem.try_acquire(1) {
                    Ok(true) => {
                        let value = this.value.take().expect("checked above");
                        coop.made_progress();
                        return Poll::Ready(this.chan.push_permitted(value));
                    }
                    Err(Closed) => {
                        let value = this.value.take().expect("checked above");
                        coop.made_progress();
                        return Poll::Ready(Err(SendError(value)));
                    }
                    // Full (or others wait): queue up. The acquire spends budget
                    // itself, so give this unit back.
                    Ok(false) => drop(coop),
                }
                this.acquire.insert(sem.acquire(1))
            }
        };
        let granted = ready!(Pin::new(acquire).poll(cx));
        this.acquire = None;
        let value = this.value.take().expect("checked above");
        Poll::Ready(match granted {
            Ok(()) => this.chan.push_permitted(value),
            Err(Closed) => Err(SendError(value)),
        })
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::SendFuture")
            .field("waiting", &self.acquire.is_some())
            .finish_non_exhaustive()
    }
}

/// The receiving half of a bounded [`channel`].
///
/// It is also a [`Stream`] of the values, ending when
/// [`recv`](Receiver::recv) would return `None`.
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::channel(4);
///     weft::spawn(async move {
///         for i in 0..10 {
///             tx.send(i).await.unwrap();
///         }
///     });
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     assert_eq!(sum, 45);
/// });
/// ```
pub struct Receiver<T> {
    rx: Rx<T>,
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting for one; `None` once every sender is gone (or
    /// the channel was closed) and nothing is buffered.
    ///
    /// Cancel-safe: dropping the future before it resolves loses no value.
    ///
    /// ```
    /// weft::run(async {
    ///     let (tx, mut rx) = weft_sync::mpsc::channel(1);
    ///     weft::spawn(async move { tx.send("hello").await.unwrap() });
    ///     assert_eq!(rx.recv().await, Some("hello"));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { rx: &mut self.rx }
    }

    /// Polls for the next value (the poll function behind [`recv`](Receiver::recv)
    /// and the `Stream` impl), registering `cx`'s waker when there is none yet.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = weft_sync::mpsc::channel(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Takes the next value if one is buffered, without waiting.
    ///
    /// ```
    /// use weft_sync::mpsc::{channel, TryRecvError};
    /// let (tx, mut rx) = channel(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Closes the channel: sends fail from now on (senders waiting for room are woken
    /// with [`SendError`]), while what is already buffered can still be received.
    ///
    /// ```
    /// weft::run(async {
    ///     let (tx, mut rx) = weft_sync::mpsc::channel(2);
    ///     tx.send(1).await.unwrap();
    ///     rx.close();
    ///     assert!(tx.send(2).await.is_err());
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn close(&mut self) {
        self.rx.close(false);
    }

    /// Number of values buffered (sent but not yet received).
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::mpsc::channel(4);
    /// tx.try_send(1).unwrap();
    /// tx.try_send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether nothing is buffered.
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::mpsc::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rx.len() == 0
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

// Values are never pinned.
impl<T> Unpin for Receiver<T> {}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("max_capacity", &self.rx.chan.capacity)
            .field("closed", &self.rx.chan.is_closed())
            .finish()
    }
}

/// The sending half of an [`unbounded_channel`]. Clone it for more producers.
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
///     let t = std::thread::spawn(move || tx.send(5).unwrap());
///     assert_eq!(rx.recv().await, Some(5));
///     t.join().unwrap();
/// });
/// ```
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` without waiting. Fails with [`SendError`], giving the value back,
    /// if the receiver was dropped or closed the channel.
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value).map_err(SendError)
    }

    /// Whether the receiver was dropped or closed the channel.
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::mpsc::unbounded_channel::<()>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether `self` and `other` send to the same channel.
    ///
    /// ```
    /// let (tx, _rx) = weft_sync::mpsc::unbounded_channel::<()>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiving half of an [`unbounded_channel`]; also a
/// [`Stream`] of the values.
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
///     tx.send('a').unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Some('a'));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next value, waiting for one; `None` once every sender is gone (or
    /// the channel was closed) and nothing is buffered. Cancel-safe.
    ///
    /// ```
    /// weft::run(async {
    ///     let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
    ///     weft::spawn(async move { tx.send(1).unwrap() });
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { rx: &mut self.rx }
    }

    /// Polls for the next value, registering `cx`'s waker when there is none yet.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Takes the next value if one is buffered, without waiting.
    ///
    /// ```
    /// use weft_sync::mpsc::{unbounded_channel, TryRecvError};
    /// let (tx, mut rx) = unbounded_channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Closes the channel: sends fail from now on, while what is already buffered can
    /// still be received.
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        self.rx.close(false);
    }

    /// Number of values buffered (sent but not yet received).
    ///
    /// ```
    /// let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether nothing is buffered.
    ///
    /// ```
    /// let (_tx, mut rx) = weft_sync::mpsc::unbounded_channel::<()>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rx.len() == 0
    }
}

impl<T> Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

// Values are never pinned.
impl<T> Unpin for UnboundedReceiver<T> {}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedReceiver")
            .field("closed", &self.rx.chan.is_closed())
            .finish()
    }
}

/// The future of [`Receiver::recv`] and [`UnboundedReceiver::recv`]. Cancel-safe.
///
/// ```
/// weft::run(async {
///     let (tx, mut rx) = weft_sync::mpsc::unbounded_channel();
///     tx.send(1).unwrap();
///     let fut: weft_sync::mpsc::Recv<'_, i32> = rx.recv();
///     assert_eq!(fut.await, Some(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    rx: &'a mut Rx<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Recv").finish_non_exhaustive()
    }
}
