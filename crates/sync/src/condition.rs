//! [`Condition`]: asyncio's condition variable, on a [`Lock`].
//!
//! Waiters queue in a FIFO; `notify(n)` takes the first `n` out of it (marks them
//! chosen) and wakes them. A waiter whose future is dropped after it was chosen, and
//! before it returned, notifies the next one in its place, so cancellation never
//! swallows a notification (asyncio fixed this race in 3.13; like asyncio, the hand-on
//! may be a spurious wake-up, which condition variables allow).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use weft_futures::coop::poll_proceed;

use crate::lock::{Lock, LockGuard};
use crate::loom::{lock, AtomicUsize, Mutex, Ordering};
use crate::waiters::{Waiters, WakeList};

enum LockRef {
    Own(Lock),
    Shared(Arc<Lock>),
}

/// asyncio's `Condition`: lets tasks wait, holding a [`Lock`], until another task
/// notifies them.
///
/// The shape is std's `Condvar` made async: take the lock with
/// [`acquire`](Condition::acquire) (asyncio's `async with cond:`), then
/// [`wait`](Condition::wait) *consumes* the [`LockGuard`], releases the lock while
/// waiting and returns a new guard once notified and the lock is re-acquired.
/// [`notify`](Condition::notify) wakes waiters first come, first served.
///
/// Differences from asyncio, forced by Rust or chosen:
/// - `notify` does not require the lock to be held (asyncio raises `RuntimeError`).
///   Notifying while holding it is still the way to avoid missed notifications: a
///   waiter is queued before its `wait` releases the lock.
/// - A `wait` future that is dropped (cancelled) does not re-acquire the lock: the guard
///   it consumed is gone, so the lock is simply not held afterwards (asyncio's `wait`
///   re-acquires even when cancelled, because the `async with` block around it will
///   release).
///
/// ```
/// use std::{cell::RefCell, collections::VecDeque, rc::Rc};
/// weft::run(async {
///     let cond = Rc::new(weft_sync::Condition::new());
///     let queue = Rc::new(RefCell::new(VecDeque::new()));
///     let consumer = weft::spawn({
///         let (cond, queue) = (cond.clone(), queue.clone());
///         async move {
///             let guard = cond.acquire().await;
///             let _guard = cond.wait_for(guard, || !queue.borrow().is_empty()).await;
///             queue.borrow_mut().pop_front().unwrap()
///         }
///     });
///     weft::yield_now().await;
///     {
///         let _guard = cond.acquire().await;
///         queue.borrow_mut().push_back("item");
///         cond.notify(1);
///     }
///     assert_eq!(consumer.await.unwrap(), "item");
/// });
/// ```
pub struct Condition {
    lock: LockRef,
    waiters: Mutex<Waiters<()>>,
    /// Waiters not yet chosen (the linked ones), mirrored from `waiters` so that a
    /// `notify` with nobody waiting needs no mutex.
    waiting: AtomicUsize,
}

impl Condition {
    /// A condition with a lock of its own (asyncio's `Condition()`).
    ///
    /// ```
    /// let cond = weft_sync::Condition::new();
    /// assert!(!cond.locked());
    /// ```
    pub fn new() -> Condition {
        Condition::from_ref(LockRef::Own(Lock::new()))
    }

    /// A condition on a shared lock (asyncio's `Condition(lock)`): several conditions
    /// may use one lock, e.g. "not empty" and "not full" of a bounded buffer.
    ///
    /// ```
    /// use std::sync::Arc;
    /// weft::run(async {
    ///     let lock = Arc::new(weft_sync::Lock::new());
    ///     let not_empty = weft_sync::Condition::with_lock(lock.clone());
    ///     let not_full = weft_sync::Condition::with_lock(lock.clone());
    ///     let guard = not_empty.acquire().await;
    ///     assert!(not_full.locked() && lock.locked());
    ///     drop(guard);
    /// });
    /// ```
    pub fn with_lock(lock: Arc<Lock>) -> Condition {
        Condition::from_ref(LockRef::Shared(lock))
    }

    fn from_ref(lock: LockRef) -> Condition {
        Condition {
            lock,
            waiters: Mutex::new(Waiters::new()),
            waiting: AtomicUsize::new(0),
        }
    }

    /// The underlying lock.
    ///
    /// ```
    /// let cond = weft_sync::Condition::new();
    /// let guard = cond.lock().try_acquire().unwrap();
    /// assert!(cond.locked());
    /// # drop(guard);
    /// ```
    pub fn lock(&self) -> &Lock {
        match &self.lock {
            LockRef::Own(l) => l,
            LockRef::Shared(l) => l,
        }
    }

    /// Acquires the underlying lock (asyncio's `await cond.acquire()` / `async with
    /// cond:`); the lock is released when the guard drops.
    ///
    /// ```
    /// weft::run(async {
    ///     let cond = weft_sync::Condition::new();
    ///     let guard = cond.acquire().await;
    ///     assert!(cond.locked());
    ///     drop(guard);
    ///     assert!(!cond.locked());
    /// });
    /// ```
    pub fn acquire(&self) -> impl Future<Output = LockGuard<'_>> + '_ {
        self.lock().acquire()
    }

    /// Whether the underlying lock is held.
    ///
    /// ```
    /// assert!(!weft_sync::Condition::new().locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock().locked()
    }

    /// Releases the lock held through `guard`, waits until notified, re-acquires the
    /// lock and returns its new guard (asyncio's `await cond.wait()`).
    ///
    /// The waiter joins the queue when the future is first polled, *before* the lock is
    /// released, so a notifier that takes the lock afterwards always sees it. Until that
    /// first poll the lock stays held.
    ///
    /// Cancellation: dropping the future releases the lock if it still held it and
    /// otherwise leaves it unheld (it does not re-acquire). If it had already been chosen
    /// by a `notify`, it passes that notification on to the next waiter; one dropped
    /// before being chosen takes none with it.
    ///
    /// # Panics
    /// If `guard` is not a guard of this condition's lock.
    ///
    /// ```
    /// use std::rc::Rc;
    /// weft::run(async {
    ///     let cond = Rc::new(weft_sync::Condition::new());
    ///     let waiter = weft::spawn({
    ///         let cond = cond.clone();
    ///         async move {
    ///             let guard = cond.acquire().await;
    ///             let guard = cond.wait(guard).await; // lock released while waiting
    ///             assert!(cond.locked()); // and held again
    ///             drop(guard);
    ///         }
    ///     });
    ///     weft::yield_now().await;
    ///     let guard = cond.acquire().await; // free: the waiter released it
    ///     cond.notify(1);
    ///     drop(guard);
    ///     waiter.await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn wait<'a, 'c>(&'c self, guard: LockGuard<'a>) -> impl Future<Output = LockGuard<'a>> + 'c
    where
        'a: 'c,
    {
        assert!(
            self.lock().owns(&guard),
            "Condition::wait: the guard is not of this condition's lock"
        );
        let lock = guard.lock();
        async move {
            Notified {
                cond: self,
                guard: Some(guard),
                key: None,
            }
            .await;
            // Chosen: from here until the lock is ours, a drop passes the notification on.
            let mut pass_on = PassOn(Some(self));
            let guard = lock.acquire().await;
            pass_on.0 = None;
            guard
        }
    }

    /// Waits until `predicate` returns true (asyncio's `await cond.wait_for(predicate)`):
    /// checks it first, with the lock held, then [`wait`](Condition::wait)s and checks
    /// again after each wake-up. Returns the guard, with the predicate true.
    ///
    /// # Panics
    /// If `guard` is not a guard of this condition's lock.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// weft::run(async {
    ///     let cond = Rc::new(weft_sync::Condition::new());
    ///     let count = Rc::new(Cell::new(0));
    ///     let waiter = weft::spawn({
    ///         let (cond, count) = (cond.clone(), count.clone());
    ///         async move {
    ///             let guard = cond.acquire().await;
    ///             let _guard = cond.wait_for(guard, || count.get() >= 3).await;
    ///             count.get()
    ///         }
    ///     });
    ///     for _ in 0..3 {
    ///         weft::yield_now().await;
    ///         let _guard = cond.acquire().await;
    ///         count.set(count.get() + 1);
    ///         cond.notify_all();
    ///     }
    ///     assert_eq!(waiter.await.unwrap(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn wait_for<'a, 'c, F>(
        &'c self,
        guard: LockGuard<'a>,
        mut predicate: F,
    ) -> impl Future<Output = LockGuard<'a>> + 'c
    where
        'a: 'c,
        F: FnMut() -> bool + 'c,
    {
        assert!(
            self.lock().owns(&guard),
            "Condition::wait_for: the guard is not of this condition's lock"
        );
        async move {
            let mut guard = guard;
            while !predicate() {
                guard = self.wait(guard).await;
            }
            guard
        }
    }

    /// Wakes the first `n` waiters that have not been notified yet (asyncio's
    /// `notify(n)`); fewer if fewer wait. Each re-acquires the lock in turn before its
    /// `wait` returns. With nobody waiting this is one atomic load.
    ///
    /// ```
    /// use std::rc::Rc;
    /// weft::run(async {
    ///     let cond = Rc::new(weft_sync::Condition::new());
    ///     let tasks: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let cond = cond.clone();
    ///             weft::spawn(async move {
    ///                 let guard = cond.acquire().await;
    ///                 drop(cond.wait(guard).await);
    ///             })
    ///         })
    ///         .collect();
    ///     weft::yield_now().await;
    ///     cond.notify(2);
    ///     for _ in 0..3 {
    ///         weft::yield_now().await;
    ///     }
    ///     let done: Vec<bool> = tasks.iter().map(|t| t.done()).collect();
    ///     assert_eq!(done, [true, true, false]);
    ///     cond.notify(1);
    ///     for t in tasks {
    ///         t.await.unwrap();
    ///     }
    /// });
    /// ```
    pub fn notify(&self, n: usize) {
        if n == 0 || self.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut wake = WakeList::default();
        {
            let mut w = lock(&self.waiters);
            self.notify_locked(&mut w, n, &mut wake);
        }
        wake.wake_all();
    }

    /// Wakes every waiter (asyncio's `notify_all()`).
    ///
    /// ```
    /// use std::rc::Rc;
    /// weft::run(async {
    ///     let cond = Rc::new(weft_sync::Condition::new());
    ///     let tasks: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let cond = cond.clone();
    ///             weft::spawn(async move {
    ///                 let guard = cond.acquire().await;
    ///                 drop(cond.wait(guard).await);
    ///             })
    ///         })
    ///         .collect();
    ///     weft::yield_now().await;
    ///     cond.notify_all();
    ///     for t in tasks {
    ///         t.await.unwrap();
    ///     }
    /// });
    /// ```
    pub fn notify_all(&self) {
        self.notify(usize::MAX);
    }

    /// Chooses the first `n` queued waiters: takes them out of the FIFO (their nodes
    /// stay until their futures look) and collects their wakers.
    fn notify_locked(&self, w: &mut Waiters<()>, mut n: usize, wake: &mut WakeList) {
        while n > 0 {
            let Some(key) = w.front() else { break };
            wake.push(w.unlink(key));
            n -= 1;
        }
        self.waiting.store(w.len(), Ordering::Release);
    }
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiters", &self.waiting.load(Ordering::Acquire))
            .finish()
    }
}

/// The waiting half of [`Condition::wait`]: queues, releases the lock, completes once
/// chosen by a notify.
struct Notified<'c, 'a> {
    cond: &'c Condition,
    /// Held until the first poll has queued us.
    guard: Option<LockGuard<'a>>,
    key: Option<usize>,
}

impl Future for Notified<'_, '_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(poll_proceed(cx));
        let this = &mut *self;
        let cond = this.cond;
        match this.key {
            None => {
                {
                    let mut w = lock(&cond.waiters);
                    this.key = Some(w.push_back((), cx.waker().clone()));
                    cond.waiting.store(w.len(), Ordering::Release);
                }
                // Queued first, released second: whoever takes the lock next and
                // notifies finds us. (Released outside our mutex: it may wake a task.)
                drop(this.guard.take());
                Poll::Pending
            }
            Some(key) => {
                let mut w = lock(&cond.waiters);
                let node = w.get_mut(key);
                if !node.linked {
                    let node = w.remove(key);
                    drop(w);
                    drop(node);
                    this.key = None;
                    coop.made_progress();
                    return Poll::Ready(());
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

impl Drop for Notified<'_, '_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return; // never polled (the guard drops with us) or done
        };
        let cond = self.cond;
        let mut wake = WakeList::default();
        let node = {
            let mut w = lock(&cond.waiters);
            let chosen = !w.get(key).linked;
            let node = w.remove(key);
            if !chosen {
                cond.waiting.store(w.len(), Ordering::Release);
            } else {
                // Chosen but cancelled: hand the notification to the next waiter.
                cond.notify_locked(&mut w, 1, &mut wake);
            }
            node
        };
        drop(node);
        wake.wake_all();
    }
}

/// Armed between being chosen and getting the lock back: a drop then notifies one more.
struct PassOn<'c>(Option<&'c Condition>);

impl Drop for PassOn<'_> {
    fn drop(&mut self) {
        if let Some(cond) = self.0 {
            cond.notify(1);
        }
    }
}
