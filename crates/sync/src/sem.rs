//! [`Sem`]: the fair, cancel-safe counting semaphore under `Lock`, `Semaphore`,
//! `BoundedSemaphore`, the queues and the bounded channel.
//!
//! The state word holds the available permits and two flags:
//! - `WAITERS`: someone is queued. While it is set, the word holds **no** permits:
//!   released permits are handed to the queued waiters in FIFO order (under the
//!   mutex), so a newcomer's lock-free fast path can never overtake them (asyncio's
//!   Lock and Semaphore are fair in the same way).
//! - `CLOSED`: no more waiting; queued waiters are woken with `Closed`.
//!
//! Fast paths (no waiters): acquire and release are one CAS each. A waiter whose future
//! is dropped after permits were handed to it gives them back through the same handoff,
//! so a cancelled acquire never loses a permit (asyncio's acquire/release cancel race).

#![cfg_attr(loom, allow(missing_docs))] // public only for the loom models, through `__loom`

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};
use crate::waiters::{Waiters, WakeList};

const CLOSED: usize = 1;
const WAITERS: usize = 2;
const SHIFT: u32 = 2;
/// Most permits a semaphore can hold.
pub const MAX_PERMITS: usize = usize::MAX >> SHIFT;

/// Why an acquire failed: the semaphore was closed.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

struct Want {
    need: usize,
    got: usize,
    /// Served: `got == need`, handed over but not yet seen by the future.
    done: bool,
    closed: bool,
}

#[allow(missing_docs)]
pub struct Sem {
    state: AtomicUsize,
    waiters: Mutex<Waiters<Want>>,
}

impl Sem {
    pub fn new(permits: usize) -> Sem {
        assert!(permits <= MAX_PERMITS, "too many permits for a semaphore");
        Sem {
            state: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(Waiters::new()),
        }
    }

    /// Permits available right now (0 while anyone waits).
    pub fn available(&self) -> usize {
        self.state.load(Ordering::Acquire) >> SHIFT
    }

    pub fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Number of queued waiters.
    pub fn waiting(&self) -> usize {
        lock(&self.waiters).len()
    }

    /// Takes `n` permits if they are free and nobody is queued.
    pub fn try_acquire(&self, n: usize) -> Result<bool, Closed> {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(Closed);
            }
            if cur & WAITERS != 0 || (cur >> SHIFT) < n {
                return Ok(false);
            }
            match self.state.compare_exchange_weak(
                cur,
                cur - (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(true),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Waits for `n` permits, first come first served.
    pub fn acquire(&self, n: usize) -> Acquire<'_> {
        Acquire {
            sem: self,
            need: n,
            key: None,
        }
    }

    /// Returns (or adds) `n` permits, serving queued waiters first.
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & WAITERS != 0 {
                break;
            }
            assert!(
                (cur >> SHIFT) + n <= MAX_PERMITS,
                "semaphore permit overflow"
            );
            match self.state.compare_exchange_weak(
                cur,
                cur + (n << SHIFT),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let mut wake = WakeList::default();
        {
            let mut w = lock(&self.waiters);
            self.release_locked(&mut w, n, &mut wake);
        }
        wake.wake_all();
    }

    /// Hands `n` permits to the queue in order; what is left goes back to the word.
    fn release_locked(&self, w: &mut Waiters<Want>, mut n: usize, wake: &mut WakeList) {
        while n > 0 {
            let Some(key) = w.front() else { break };
            let node = w.get_mut(key);
            let give = n.min(node.data.need - node.data.got);
            node.data.got += give;
            n -= give;
            if node.data.got == node.data.need {
                node.data.done = true;
                wake.push(w.unlink(key));
            } else {
                break;
            }
        }
        if w.is_empty() {
            // Nobody waits any more: clear the flag and deposit the rest. If the flag was
            // already clear (a served waiter dropped late), fast paths may be changing
            // the count concurrently, so this is an atomic add, not a store.
            let _ = self
                .state
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                    Some((((cur >> SHIFT) + n) << SHIFT) | (cur & CLOSED))
                });
        } else {
            debug_assert_eq!(n, 0);
        }
    }

    /// Closes: queued and future acquires fail with [`Closed`]. Permits already handed
    /// out stay valid.
    pub fn close(&self) {
        let mut wake = WakeList::default();
        {
            let mut w = lock(&self.waiters);
            self.state.fetch_or(CLOSED, Ordering::AcqRel);
            while let Some(key) = w.front() {
                w.get_mut(key).data.closed = true;
                wake.push(w.unlink(key));
            }
            // Give back what the woken waiters had been handed partially.
            self.state.fetch_and(!WAITERS, Ordering::AcqRel);
        }
        wake.wake_all();
    }

    /// Slow path of an acquire: queue up (or succeed, if permits appeared meanwhile).
    fn enqueue(&self, need: usize, cx: &mut Context<'_>) -> Poll<Result<Option<usize>, Closed>> {
        let mut w = lock(&self.waiters);
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Poll::Ready(Err(Closed));
            }
            let have = cur >> SHIFT;
            if cur & WAITERS == 0 && have >= need {
                match self.state.compare_exchange_weak(
                    cur,
                    cur - (need << SHIFT),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Poll::Ready(Ok(None)),
                    Err(actual) => {
                        cur = actual;
                        continue;
                    }
                }
            }
            // Take whatever is there (a partial grant) and raise the flag.
            match self.state.compare_exchange_weak(
                cur,
                WAITERS | (cur & CLOSED),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    let key = w.push_back(
                        Want {
                            need,
                            got: have,
                            done: false,
                            closed: false,
                        },
                        cx.waker().clone(),
                    );
                    return Poll::Ready(Ok(Some(key)));
                }
                Err(actual) => cur = actual,
            }
        }
    }
}

/// The future of [`Sem::acquire`]. Dropping it while queued gives back whatever it had
/// been handed.
#[allow(missing_docs)]
pub struct Acquire<'a> {
    sem: &'a Sem,
    need: usize,
    key: Option<usize>,
}

impl Future for Acquire<'_> {
    type Output = Result<(), Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(weft_futures::coop::poll_proceed(cx));
        let this = &mut *self;
        match this.key {
            None => {
                match this.sem.try_acquire(this.need) {
                    Ok(true) => {
                        coop.made_progress();
                        return Poll::Ready(Ok(()));
                    }
                    Err(Closed) => return Poll::Ready(Err(Closed)),
                    Ok(false) => {}
                }
                match this.sem.enqueue(this.need, cx) {
                    Poll::Ready(Ok(None)) => {
                        coop.made_progress();
                        Poll::Ready(Ok(()))
                    }
                    Poll::Ready(Ok(Some(key))) => {
                        this.key = Some(key);
                        Poll::Pending
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }
            Some(key) => {
                let mut w = lock(&this.sem.waiters);
                let node = w.get_mut(key);
                if node.data.done {
                    w.remove(key);
                    this.key = None;
                    coop.made_progress();
                    return Poll::Ready(Ok(()));
                }
                if node.data.closed {
                    let got = w.remove(key).data.got;
                    this.key = None;
                    drop(w);
                    // Permits handed over before the close are still good: return them.
                    this.sem.release(got);
                    return Poll::Ready(Err(Closed));
                }
                match &node.waker {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    _ => node.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut wake = WakeList::default();
        {
            let mut w = lock(&self.sem.waiters);
            let got = w.remove(key).data.got;
            // Cancelled after being (partly) served: pass the permits on. Or it was the
            // last waiter: clear the flag.
            if got > 0 || w.is_empty() {
                self.sem.release_locked(&mut w, got, &mut wake);
            }
        }
        wake.wake_all();
    }
}
