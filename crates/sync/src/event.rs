//! [`Event`]: asyncio's event, a flag that tasks can wait for.
//!
//! The state word holds the flag, a `WAITERS` bit (someone is queued) and a generation
//! count bumped by every `set` that takes the slow path (the one that drains the queue).
//! A queued waiter remembers the generation it queued in; once it changes, the waiter
//! was released, whatever the flag says now, so a `clear` right after `set` cannot
//! strand it (asyncio: waiters woken by `set` return even if the event is cleared
//! before they run). Seeing the change is one atomic load: a released waiter does not
//! touch the mutex again.
//!
//! Fast paths: `is_set`, `wait` on a set event, `clear`, and `set` with nobody waiting
//! are single atomic operations.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use weft_futures::coop::poll_proceed;

use crate::loom::{lock, AtomicUsize, Mutex, Ordering};
use crate::waiters::{Waiters, WakeList};

const SET: usize = 1;
const WAITERS: usize = 2;
const SHIFT: u32 = 2;

/// asyncio's `Event`: a flag, initially false. [`set`](Event::set) makes it true and
/// releases every task [waiting](Event::wait) for it, in the order they started
/// waiting; [`clear`](Event::clear) makes it false again.
///
/// A waiter released by `set` returns even if `clear` follows before it runs.
///
/// ```
/// use std::{rc::Rc, time::Duration};
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let ready = Rc::new(weft_sync::Event::new());
///     let waiter = weft::spawn({
///         let ready = ready.clone();
///         async move {
///             ready.wait().await;
///             "released"
///         }
///     });
///     weft::sleep(Duration::from_secs(1)).await;
///     assert!(!waiter.done());
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "released");
/// });
/// ```
pub struct Event {
    state: AtomicUsize,
    waiters: Mutex<Waiters<()>>,
}

impl Event {
    /// An event that is not set.
    ///
    /// ```
    /// assert!(!weft_sync::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            state: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::new()),
        }
    }

    /// Whether the event is set. One atomic load.
    ///
    /// ```
    /// let ev = weft_sync::Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Sets the event and releases every waiter, first come first woken. Waits that
    /// start while it is set return at once. Setting a set event does nothing.
    ///
    /// ```
    /// use std::rc::Rc;
    /// weft::run(async {
    ///     let ev = Rc::new(weft_sync::Event::new());
    ///     let tasks: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let ev = ev.clone();
    ///             weft::spawn(async move { ev.wait().await })
    ///         })
    ///         .collect();
    ///     weft::yield_now().await; // let them start waiting
    ///     ev.set();
    ///     for t in tasks {
    ///         t.await.unwrap();
    ///     }
    /// });
    /// ```
    pub fn set(&self) {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            if cur & SET != 0 {
                return;
            }
            if cur & WAITERS != 0 {
                break;
            }
            // Nobody queued: just raise the flag.
            match self.state.compare_exchange_weak(
                cur,
                cur | SET,
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
            // Waiters queue (and raise `WAITERS`) only under the mutex, so the queue
            // seen here is exactly the set of waiters this `set` releases.
            let prev = self
                .state
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                    (cur & SET == 0).then(|| ((cur >> SHIFT).wrapping_add(1) << SHIFT) | SET)
                });
            if prev.is_ok() {
                while let Some(key) = w.front() {
                    wake.push(w.unlink(key));
                    w.remove(key);
                }
            }
        }
        wake.wake_all();
    }

    /// Clears the event: later [`wait`](Event::wait)s block until the next
    /// [`set`](Event::set). Waiters already released by a `set` still return. One atomic
    /// operation.
    ///
    /// ```
    /// let ev = weft_sync::Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        self.state.fetch_and(!SET, Ordering::AcqRel);
    }

    /// Waits until the event is set; returns at once if it is (asyncio's
    /// `await event.wait()`, which always returns `True`).
    ///
    /// The wait queues when first polled. Dropping the future before it completes just
    /// leaves the queue. Waiting costs no allocation beyond a slot in the event's
    /// waiter slab (reused).
    ///
    /// ```
    /// weft::run(async {
    ///     let ev = weft_sync::Event::new();
    ///     ev.set();
    ///     ev.wait().await; // already set: no waiting
    /// });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            queued: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .field("waiters", &lock(&self.waiters).len())
            .finish()
    }
}

/// The future of [`Event::wait`]: completes once the event is set (or was set while it
/// was queued).
///
/// ```
/// weft::run(async {
///     let ev = weft_sync::Event::new();
///     let wait: weft_sync::EventWait<'_> = ev.wait();
///     ev.set();
///     wait.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    /// Slab key and the generation it queued in.
    queued: Option<(usize, usize)>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(poll_proceed(cx));
        let this = &mut *self;
        let ev = this.event;
        match this.queued {
            None => {
                let mut cur = ev.state.load(Ordering::Acquire);
                if cur & SET != 0 {
                    coop.made_progress();
                    return Poll::Ready(());
                }
                let mut w = lock(&ev.waiters);
                cur = ev.state.load(Ordering::Acquire);
                loop {
                    if cur & SET != 0 {
                        drop(w);
                        coop.made_progress();
                        return Poll::Ready(());
                    }
                    match ev.state.compare_exchange_weak(
                        cur,
                        cur | WAITERS,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => break,
                        Err(actual) => cur = actual,
                    }
                }
                let key = w.push_back((), cx.waker().clone());
                this.queued = Some((key, cur >> SHIFT));
                Poll::Pending
            }
            Some((key, gen)) => {
                if ev.state.load(Ordering::Acquire) >> SHIFT != gen {
                    this.queued = None;
                    coop.made_progress();
                    return Poll::Ready(());
                }
                let mut w = lock(&ev.waiters);
                // `set` bumps the generation under the mutex: checked again here, an
                // unchanged one means our node is still queued.
                if ev.state.load(Ordering::Acquire) >> SHIFT != gen {
                    drop(w);
                    this.queued = None;
                    coop.made_progress();
                    return Poll::Ready(());
                }
                let node = w.get_mut(key);
                match &node.waker {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    _ => node.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        let Some((key, gen)) = self.queued.take() else {
            return;
        };
        let ev = self.event;
        if ev.state.load(Ordering::Acquire) >> SHIFT != gen {
            return; // released: `set` already removed the node
        }
        let mut w = lock(&ev.waiters);
        if ev.state.load(Ordering::Acquire) >> SHIFT != gen {
            return;
        }
        let node = w.remove(key);
        if w.is_empty() {
            ev.state.fetch_and(!WAITERS, Ordering::AcqRel);
        }
        drop(w);
        drop(node); // its waker, outside the lock
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("queued", &self.queued.is_some())
            .finish()
    }
}
