//! [`Barrier`]: asyncio's barrier, a meeting point for a fixed number of tasks.
//!
//! The waiters of the round being filled are the linked nodes of a FIFO. The last
//! arrival gives each of them its index (its place in the queue) and unlinks them all:
//! they are released, and the queue is empty again for the next round at once. Each
//! released waiter reads its result from its own node, so nothing has to wait for the
//! previous round to drain.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use thiserror::Error;
use weft_futures::coop::poll_proceed;

use crate::loom::{lock, Mutex};
use crate::waiters::{Waiters, WakeList};

/// A [`Barrier`] was [aborted](Barrier::abort), or [reset](Barrier::reset) while this
/// task waited (asyncio's `BrokenBarrierError`).
///
/// ```
/// weft::run(async {
///     let barrier = weft_sync::Barrier::new(2);
///     barrier.abort();
///     assert_eq!(barrier.wait().await, Err(weft_sync::BrokenBarrierError));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the barrier was aborted or reset")]
pub struct BrokenBarrierError;

type Outcome = Result<usize, BrokenBarrierError>;

struct Inner {
    /// `data` is `None` while waiting, the outcome once released.
    waiters: Waiters<Option<Outcome>>,
    broken: bool,
}

impl Inner {
    /// Releases every waiter of the round with `outcome(index)`.
    fn release_all(&mut self, wake: &mut WakeList, outcome: impl Fn(usize) -> Outcome) {
        let mut index = 0;
        while let Some(key) = self.waiters.front() {
            self.waiters.get_mut(key).data = Some(outcome(index));
            wake.push(self.waiters.unlink(key));
            index += 1;
        }
    }
}

/// asyncio's `Barrier`: [`wait`](Barrier::wait) blocks until `parties` tasks are
/// waiting, then releases them all. It is reusable: the next `parties` arrivals form
/// the next round.
///
/// Each released waiter gets its index in `0..parties`, distinct within a round: the
/// order of arrival among those released (the last arrival gets `parties - 1`).
///
/// A waiter whose future is dropped while the round is filling leaves it, as in
/// asyncio: the round then needs one more arrival, and the indices of the round stay
/// `0..parties` (unlike asyncio's, which can repeat after a cancellation). One dropped
/// after its round was released just does not see its index; the others are not
/// affected. Unlike asyncio, there is no draining phase: a task arriving while the
/// released ones have not run yet joins the next round directly.
///
/// ```
/// use std::rc::Rc;
/// weft::run(async {
///     let barrier = Rc::new(weft_sync::Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let barrier = barrier.clone();
///             weft::spawn(async move { barrier.wait().await.unwrap() })
///         })
///         .collect();
///     let mut indices = Vec::new();
///     for t in tasks {
///         indices.push(t.await.unwrap());
///     }
///     indices.sort();
///     assert_eq!(indices, [0, 1, 2]);
/// });
/// ```
pub struct Barrier {
    parties: usize,
    inner: Mutex<Inner>,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// If `parties` is 0 (asyncio raises `ValueError`).
    ///
    /// ```
    /// assert_eq!(weft_sync::Barrier::new(4).parties(), 4);
    /// ```
    #[track_caller]
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "a Barrier needs at least one party");
        Barrier {
            parties,
            inner: Mutex::new(Inner {
                waiters: Waiters::new(),
                broken: false,
            }),
        }
    }

    /// Waits until `parties` tasks wait, then returns this task's index in the round
    /// (asyncio's `await barrier.wait()`).
    ///
    /// # Errors
    /// [`BrokenBarrierError`] if the barrier is broken ([`abort`](Barrier::abort)) or
    /// gets aborted or [`reset`](Barrier::reset) while waiting.
    ///
    /// ```
    /// weft::run(async {
    ///     let barrier = weft_sync::Barrier::new(1);
    ///     assert_eq!(barrier.wait().await, Ok(0)); // a party of one never waits
    ///     assert_eq!(barrier.wait().await, Ok(0));
    /// });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
        }
    }

    /// Breaks the barrier (asyncio's `abort()`): current and future waiters get
    /// [`BrokenBarrierError`] until [`reset`](Barrier::reset).
    ///
    /// ```
    /// let barrier = weft_sync::Barrier::new(2);
    /// barrier.abort();
    /// assert!(barrier.broken());
    /// ```
    pub fn abort(&self) {
        let mut wake = WakeList::default();
        {
            let mut inner = lock(&self.inner);
            inner.broken = true;
            inner.release_all(&mut wake, |_| Err(BrokenBarrierError));
        }
        wake.wake_all();
    }

    /// Returns the barrier to its empty, unbroken state (asyncio's `reset()`): the tasks
    /// waiting in the current round get [`BrokenBarrierError`].
    ///
    /// ```
    /// let barrier = weft_sync::Barrier::new(2);
    /// barrier.abort();
    /// barrier.reset();
    /// assert!(!barrier.broken());
    /// ```
    pub fn reset(&self) {
        let mut wake = WakeList::default();
        {
            let mut inner = lock(&self.inner);
            inner.broken = false;
            inner.release_all(&mut wake, |_| Err(BrokenBarrierError));
        }
        wake.wake_all();
    }

    /// The number of tasks needed to pass the barrier.
    ///
    /// ```
    /// assert_eq!(weft_sync::Barrier::new(3).parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of tasks waiting in the round being filled.
    ///
    /// ```
    /// use std::rc::Rc;
    /// weft::run(async {
    ///     let barrier = Rc::new(weft_sync::Barrier::new(2));
    ///     let first = weft::spawn({
    ///         let barrier = barrier.clone();
    ///         async move { barrier.wait().await }
    ///     });
    ///     weft::yield_now().await;
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     assert_eq!(barrier.wait().await, Ok(1));
    ///     assert_eq!(barrier.n_waiting(), 0);
    ///     assert_eq!(first.await.unwrap(), Ok(0));
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        lock(&self.inner).waiters.len()
    }

    /// Whether the barrier is broken ([`abort`](Barrier::abort)ed and not
    /// [`reset`](Barrier::reset) since).
    ///
    /// ```
    /// assert!(!weft_sync::Barrier::new(2).broken());
    /// ```
    pub fn broken(&self) -> bool {
        lock(&self.inner).broken
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &inner.waiters.len())
            .field("broken", &inner.broken)
            .finish()
    }
}

/// The future of [`Barrier::wait`]. Dropping it while its round fills takes it out of
/// the round.
///
/// ```
/// weft::run(async {
///     let barrier = weft_sync::Barrier::new(1);
///     let wait: weft_sync::BarrierWait<'_> = barrier.wait();
///     assert_eq!(wait.await, Ok(0));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<usize>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(poll_proceed(cx));
        let this = &mut *self;
        let barrier = this.barrier;
        let mut inner = lock(&barrier.inner);
        let Some(key) = this.key else {
            if inner.broken {
                drop(inner);
                coop.made_progress();
                return Poll::Ready(Err(BrokenBarrierError));
            }
            if inner.waiters.len() + 1 < barrier.parties {
                this.key = Some(inner.waiters.push_back(None, cx.waker().clone()));
                return Poll::Pending;
            }
            // The last arrival: release the round.
            let mut wake = WakeList::default();
            inner.release_all(&mut wake, Ok);
            drop(inner);
            wake.wake_all();
            coop.made_progress();
            return Poll::Ready(Ok(barrier.parties - 1));
        };
        let node = inner.waiters.get_mut(key);
        if let Some(outcome) = node.data {
            let node = inner.waiters.remove(key);
            drop(inner);
            drop(node);
            this.key = None;
            coop.made_progress();
            return Poll::Ready(outcome);
        }
        match &node.waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => node.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        // Still waiting: leave the round. Released: just free the slot.
        let node = lock(&self.barrier.inner).waiters.remove(key);
        drop(node);
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("queued", &self.key.is_some())
            .finish()
    }
}
