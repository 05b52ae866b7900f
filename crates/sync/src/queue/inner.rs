//! The one implementation behind [`Queue`](crate::Queue), [`LifoQueue`](crate::LifoQueue)
//! and [`PriorityQueue`](crate::PriorityQueue).
//!
//! - `state` (a mutex) holds the items, the count of unfinished tasks, the shutdown
//!   flag and the `join()` waiters.
//! - `items` is a [`Sem`] with one permit per item a getter may take: a put pushes its
//!   item under the mutex, then releases one permit; a get acquires one permit, then
//!   pops under the mutex. The Sem serves waiting getters first come, first served, and
//!   a getter dropped after it was handed a permit passes it on: no item is stranded.
//! - `slots` (bounded queues only) is a [`Sem`] with one permit per free place: a put
//!   acquires one before pushing, a get releases one after popping.
//!
//! Invariants, outside of `shutdown(immediate = true)`: every item in the container has
//! one `items` permit, released or about to be (its put is between the push and the
//! release), and every acquired permit is followed at once by a pop, within the same
//! poll. So once the queue is shut down, no more puts happen, and a pop that leaves the
//! container empty means every permit was released and taken: `items` can be closed
//! then (waking the getters that wait in vain with `QueueShutDown`), and never while it
//! still holds a permit. An immediate shutdown drains the container and closes `items`
//! at once; a getter whose permit outlives its item then finds nothing and reports
//! `QueueShutDown`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::container::Container;
use super::error::{GetError, PutError, QueueShutDown, TaskDoneError};
use crate::loom::{lock, Mutex};
use crate::sem::{Closed, Sem};
use crate::waiters::{Waiters, WakeList};

/// Most of a bounded queue's places allocated up front.
const PREALLOCATE: usize = 1024;

pub(crate) struct Inner<C> {
    state: Mutex<State<C>>,
    items: Sem,
    slots: Option<Sem>,
    maxsize: usize,
}

struct State<C> {
    buf: C,
    /// Items put and not yet `task_done`'d (asyncio's `_unfinished_tasks`).
    unfinished: usize,
    shutdown: bool,
    /// Tasks in `join()`; all served (unlinked) when `unfinished` drops to 0.
    joiners: Waiters<()>,
}

impl<C> State<C> {
    fn finish(&mut self, wake: &mut WakeList) {
        while let Some(key) = self.joiners.front() {
            wake.push(self.joiners.unlink(key));
        }
    }
}

impl<C: Container> Inner<C> {
    pub(crate) fn new(maxsize: usize) -> Self {
        Inner {
            state: Mutex::new(State {
                buf: C::with_capacity(maxsize.min(PREALLOCATE)),
                unfinished: 0,
                shutdown: false,
                joiners: Waiters::new(),
            }),
            items: Sem::new(0),
            slots: (maxsize > 0).then(|| Sem::new(maxsize)),
            maxsize,
        }
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn qsize(&self) -> usize {
        lock(&self.state).buf.len()
    }

    pub(crate) fn full(&self) -> bool {
        self.maxsize > 0 && self.qsize() >= self.maxsize
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        lock(&self.state).shutdown
    }

    pub(crate) fn put_nowait(&self, item: C::Item) -> Result<(), PutError<C::Item>> {
        if let Some(slots) = &self.slots {
            match slots.try_acquire(1) {
                Ok(true) => {}
                // `shutdown` sets the flag before it closes `slots`.
                Ok(false) if self.is_shutdown() => return Err(PutError::QueueShutDown(item)),
                Ok(false) => return Err(PutError::QueueFull(item)),
                Err(Closed) => return Err(PutError::QueueShutDown(item)),
            }
        }
        self.push(item).map_err(PutError::from)
    }

    pub(crate) async fn put(&self, item: C::Item) -> Result<(), QueueShutDown<C::Item>> {
        if let Some(slots) = &self.slots {
            if slots.acquire(1).await.is_err() {
                return Err(QueueShutDown(item));
            }
        }
        self.push(item)
    }

    /// Pushes `item` (its slot, if bounded, is taken) and announces it to the getters.
    fn push(&self, item: C::Item) -> Result<(), QueueShutDown<C::Item>> {
        {
            let mut st = lock(&self.state);
            if st.shutdown {
                // The slot is not given back: `slots` is (being) closed and its count
                // no longer matters.
                return Err(QueueShutDown(item));
            }
            st.buf.push(item);
            st.unfinished += 1;
        }
        self.items.release(1);
        Ok(())
    }

    pub(crate) fn get_nowait(&self) -> Result<C::Item, GetError> {
        match self.items.try_acquire(1) {
            Ok(true) => self.pop().map_err(GetError::from),
            Err(Closed) => Err(GetError::QueueShutDown),
            Ok(false) => {
                // Between the pop that emptied a shut-down queue and the close of
                // `items`, the flag tells.
                let st = lock(&self.state);
                if st.shutdown && st.buf.len() == 0 {
                    Err(GetError::QueueShutDown)
                } else {
                    Err(GetError::QueueEmpty)
                }
            }
        }
    }

    pub(crate) async fn get(&self) -> Result<C::Item, QueueShutDown> {
        match self.items.acquire(1).await {
            Ok(()) => self.pop(),
            Err(Closed) => Err(QueueShutDown(())),
        }
    }

    /// Pops the item whose permit was just taken.
    fn pop(&self) -> Result<C::Item, QueueShutDown> {
        let (item, last) = {
            let mut st = lock(&self.state);
            let Some(item) = st.buf.pop() else {
                // Only an immediate shutdown takes items without their permits.
                debug_assert!(st.shutdown);
                return Err(QueueShutDown(()));
            };
            (item, st.shutdown && st.buf.len() == 0)
        };
        if last {
            // Shut down and drained: the getters still waiting get `QueueShutDown`.
            self.items.close();
        }
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
        Ok(item)
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut wake = WakeList::default();
        {
            let mut st = lock(&self.state);
            if st.unfinished == 0 {
                return Err(TaskDoneError);
            }
            st.unfinished -= 1;
            if st.unfinished == 0 {
                st.finish(&mut wake);
            }
        }
        wake.wake_all();
        Ok(())
    }

    pub(crate) fn join(&self) -> Join<'_, C> {
        Join {
            state: &self.state,
            key: None,
        }
    }

    pub(crate) fn shutdown(&self, immediate: bool) {
        let mut wake = WakeList::default();
        let (drained, empty) = {
            let mut st = lock(&self.state);
            st.shutdown = true;
            let drained = immediate.then(|| std::mem::take(&mut st.buf));
            if let Some(d) = &drained {
                st.unfinished = st.unfinished.saturating_sub(d.len());
                if st.unfinished == 0 {
                    st.finish(&mut wake);
                }
            }
            (drained, st.buf.len() == 0)
        };
        if empty {
            self.items.close();
        }
        if let Some(slots) = &self.slots {
            slots.close();
        }
        wake.wake_all();
        // The items' destructors run outside the lock.
        drop(drained);
    }

    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (qsize, unfinished, shutdown) = {
            let st = lock(&self.state);
            (st.buf.len(), st.unfinished, st.shutdown)
        };
        f.debug_struct(name)
            .field("maxsize", &self.maxsize)
            .field("qsize", &qsize)
            .field("unfinished_tasks", &unfinished)
            .field("shutdown", &shutdown)
            .field("getters", &self.items.waiting())
            .field("putters", &self.slots.as_ref().map_or(0, Sem::waiting))
            .finish()
    }
}

/// The future of `join()`: ready once the unfinished count drops to zero.
pub(crate) struct Join<'a, C> {
    state: &'a Mutex<State<C>>,
    key: Option<usize>,
}

impl<C> Future for Join<'_, C> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut st = lock(this.state);
        match this.key {
            None if st.unfinished == 0 => Poll::Ready(()),
            None => {
                this.key = Some(st.joiners.push_back((), cx.waker().clone()));
                Poll::Pending
            }
            Some(key) => {
                let node = st.joiners.get_mut(key);
                if !node.linked {
                    // Served: the count was zero at some point since we queued, as
                    // with asyncio's Event, even if items were put again since.
                    st.joiners.remove(key);
                    this.key = None;
                    return Poll::Ready(());
                }
                match &node.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => node.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<C> Drop for Join<'_, C> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(self.state).joiners.remove(key);
        }
    }
}
