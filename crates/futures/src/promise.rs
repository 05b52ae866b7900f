//! [`Promise`]: asyncio's `Future`, a result that someone will set later.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::coop;
use crate::error::{Cancelled, InvalidStateError, ResultError};
use crate::rt::{self, Schedule};

type DoneCallback<T> = Box<dyn FnOnce(&Promise<T>) + Send>;

/// A placeholder for a value that is not there yet: asyncio's `Future`.
///
/// Anyone holding a clone may set it once ([`set_result`](Promise::set_result),
/// [`set_exception`](Promise::set_exception) or [`cancel`](Promise::cancel)); any number
/// of clones may await it, and each gets a clone of the value, or [`Cancelled`].
///
/// Done callbacks ([`add_done_callback`](Promise::add_done_callback)) are never run inside
/// the call that resolves the promise: like asyncio, they are scheduled on the promise's
/// loop (the loop that was current when the first callback was added, else the one
/// current where it is resolved) and run from there, in the order they were added. A
/// promise that never met a loop has nowhere to schedule them; its callbacks then run
/// when it is resolved.
///
/// `Promise<T>` is `Send + Sync` when `T: Send`, so another thread may resolve it.
///
/// ```
/// use weft_futures::Promise;
///
/// weft::run(async {
///     let p = Promise::new();
///     let setter = p.clone();
///     weft::Handle::current().call_soon(move || {
///         setter.set_result("Result is ready").unwrap();
///     });
///     assert_eq!(p.await, Ok("Result is ready"));
/// });
/// ```
pub struct Promise<T> {
    inner: Arc<Inner<T>>,
    /// This clone's slot among the waiters, once it has been polled.
    waiter: Option<usize>,
}

struct Inner<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    outcome: Outcome<T>,
    waiters: Slab<Option<Waker>>,
    callbacks: Vec<DoneCallback<T>>,
    scheduler: Option<Arc<dyn Schedule>>,
}

enum Outcome<T> {
    Pending,
    Ready(T),
    Cancelled,
}

impl<T> Promise<T> {
    /// A new pending promise. It binds to a loop when its first done callback is added.
    ///
    /// ```
    /// let p = weft_futures::Promise::<i32>::new();
    /// assert!(!p.done());
    /// ```
    pub fn new() -> Self {
        Promise {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    outcome: Outcome::Pending,
                    waiters: Slab::new(),
                    callbacks: Vec::new(),
                    scheduler: None,
                }),
            }),
            waiter: None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while the lock is held cannot leave the state half-written (every
        // critical section is a few assignments), so a poisoned lock is still usable.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the promise has a result or was cancelled.
    ///
    /// ```
    /// let p = weft_futures::Promise::new();
    /// assert!(!p.done());
    /// p.set_result(42).unwrap();
    /// assert!(p.done());
    /// ```
    pub fn done(&self) -> bool {
        !matches!(self.lock().outcome, Outcome::Pending)
    }

    /// Whether the promise was cancelled.
    ///
    /// ```
    /// let p = weft_futures::Promise::<()>::new();
    /// assert!(p.cancel());
    /// assert!(p.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        matches!(self.lock().outcome, Outcome::Cancelled)
    }

    /// Sets the result and wakes every awaiter.
    ///
    /// Fails with [`InvalidStateError`] if the promise is already done (set or cancelled).
    ///
    /// ```
    /// let p = weft_futures::Promise::new();
    /// assert!(p.set_result(1).is_ok());
    /// assert!(p.set_result(2).is_err());
    /// assert_eq!(p.result(), Ok(1));
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError>
    where
        T: Send + 'static,
    {
        self.resolve(Outcome::Ready(value))
            .map_err(|_| InvalidStateError::new("promise is already done"))
    }

    /// Cancels the promise: awaiters get [`Cancelled`]. Returns `false` (and changes
    /// nothing) if it was already done, like asyncio's `Future.cancel`.
    ///
    /// ```
    /// let p = weft_futures::Promise::new();
    /// p.set_result(1).unwrap();
    /// assert!(!p.cancel());
    /// ```
    pub fn cancel(&self) -> bool
    where
        T: Send + 'static,
    {
        self.resolve(Outcome::Cancelled).is_ok()
    }

    fn resolve(&self, outcome: Outcome<T>) -> Result<(), Outcome<T>>
    where
        T: Send + 'static,
    {
        let (wakers, callbacks, scheduler) = {
            let mut st = self.lock();
            if !matches!(st.outcome, Outcome::Pending) {
                return Err(outcome);
            }
            st.outcome = outcome;
            let wakers: Vec<Waker> = st
                .waiters
                .iter_mut()
                .filter_map(|(_, w)| w.take())
                .collect();
            let callbacks = std::mem::take(&mut st.callbacks);
            let scheduler = if callbacks.is_empty() {
                None
            } else {
                st.scheduler.clone().or_else(rt::current_scheduler)
            };
            (wakers, callbacks, scheduler)
        };
        for w in wakers {
            w.wake();
        }
        self.run_callbacks(callbacks, scheduler);
        Ok(())
    }

    fn run_callbacks(&self, callbacks: Vec<DoneCallback<T>>, scheduler: Option<Arc<dyn Schedule>>)
    where
        T: Send + 'static,
    {
        if callbacks.is_empty() {
            return;
        }
        let this = Promise {
            inner: self.inner.clone(),
            waiter: None,
        };
        let run = move || {
            for cb in callbacks {
                cb(&this);
            }
        };
        match scheduler {
            // One scheduled job runs them all: FIFO, and nothing else interleaves.
            Some(s) => s.schedule(Box::new(run)),
            None => run(),
        }
    }

    /// Adds a callback to run (scheduled on the loop) once the promise is done; if it is
    /// already done, the callback is scheduled at once. Callbacks run in the order added.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// weft::run(async {
    ///     let log = Arc::new(Mutex::new(Vec::new()));
    ///     let p = weft_futures::Promise::new();
    ///     for i in 0..3 {
    ///         let log = log.clone();
    ///         p.add_done_callback(move |p| log.lock().unwrap().push((i, p.result().unwrap())));
    ///     }
    ///     p.set_result("x").unwrap();
    ///     assert!(log.lock().unwrap().is_empty()); // never run inside set_result
    ///     weft::yield_now().await;
    ///     assert_eq!(*log.lock().unwrap(), vec![(0, "x"), (1, "x"), (2, "x")]);
    /// });
    /// ```
    pub fn add_done_callback(&self, cb: impl FnOnce(&Promise<T>) + Send + 'static)
    where
        T: Send + 'static,
    {
        let mut st = self.lock();
        if st.scheduler.is_none() {
            st.scheduler = rt::current_scheduler();
        }
        if matches!(st.outcome, Outcome::Pending) {
            st.callbacks.push(Box::new(cb));
        } else {
            let scheduler = st.scheduler.clone();
            drop(st);
            self.run_callbacks(vec![Box::new(cb)], scheduler);
        }
    }

    /// The result: a clone of the value, [`ResultError::Cancelled`], or
    /// [`ResultError::InvalidState`] while it is still pending.
    ///
    /// ```
    /// let p = weft_futures::Promise::new();
    /// assert!(p.result().is_err());
    /// p.set_result(String::from("done")).unwrap();
    /// assert_eq!(p.result().unwrap(), "done");
    /// ```
    pub fn result(&self) -> Result<T, ResultError>
    where
        T: Clone,
    {
        match &self.lock().outcome {
            Outcome::Pending => Err(InvalidStateError::new("result is not set yet").into()),
            Outcome::Ready(v) => Ok(v.clone()),
            Outcome::Cancelled => Err(Cancelled.into()),
        }
    }
}

impl<T, E> Promise<Result<T, E>> {
    /// Resolves the promise with an error, like asyncio's `set_exception`: awaiters get
    /// `Ok(Err(error))`.
    ///
    /// ```
    /// let p = weft_futures::Promise::<Result<u8, String>>::new();
    /// p.set_exception("An error occurred".to_string()).unwrap();
    /// assert_eq!(p.result(), Ok(Err("An error occurred".to_string())));
    /// ```
    pub fn set_exception(&self, error: E) -> Result<(), InvalidStateError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.set_result(Err(error))
    }
}

impl<T> Default for Promise<T> {
    fn default() -> Self {
        Promise::new()
    }
}

impl<T> Clone for Promise<T> {
    fn clone(&self) -> Self {
        Promise {
            inner: self.inner.clone(),
            waiter: None,
        }
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let mut st = self.lock();
            st.waiters.try_remove(key);
        }
    }
}

impl<T> Unpin for Promise<T> {}

impl<T: Clone> Future for Promise<T> {
    type Output = Result<T, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let this = &mut *self;
        let mut st = this.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        match &st.outcome {
            Outcome::Ready(v) => {
                let v = v.clone();
                coop.made_progress();
                Poll::Ready(Ok(v))
            }
            Outcome::Cancelled => {
                coop.made_progress();
                Poll::Ready(Err(Cancelled))
            }
            Outcome::Pending => {
                match this.waiter {
                    Some(key) => match st.waiters.get_mut(key) {
                        Some(Some(w)) if w.will_wake(cx.waker()) => {}
                        Some(slot) => *slot = Some(cx.waker().clone()),
                        None => this.waiter = Some(st.waiters.insert(Some(cx.waker().clone()))),
                    },
                    None => this.waiter = Some(st.waiters.insert(Some(cx.waker().clone()))),
                }
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.lock().outcome {
            Outcome::Pending => "pending",
            Outcome::Ready(_) => "finished",
            Outcome::Cancelled => "cancelled",
        };
        f.debug_struct("Promise").field("state", &state).finish()
    }
}
