//! [`Lock`]: asyncio's mutual exclusion lock.

use std::fmt;

use crate::sem::Sem;

/// asyncio's `Lock`: one holder at a time, first come first served. Acquiring gives a
/// [`LockGuard`]; dropping it releases the lock (asyncio's `async with lock:`).
///
/// Like asyncio's, it guards no data: it orders tasks. A waiter cancelled after the
/// lock was handed to it passes it on to the next waiter.
///
/// ```
/// use std::{cell::RefCell, rc::Rc, time::Duration};
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let lock = Rc::new(weft_sync::Lock::new());
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let tasks: Vec<_> = (0..3).map(|i| {
///         let (lock, log) = (lock.clone(), log.clone());
///         weft::spawn(async move {
///             let _held = lock.acquire().await;
///             log.borrow_mut().push(format!("{i} in"));
///             weft::sleep(Duration::from_millis(10)).await;
///             log.borrow_mut().push(format!("{i} out"));
///         })
///     }).collect();
///     for t in tasks { t.await.unwrap(); }
///     assert_eq!(*log.borrow(), ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]);
/// });
/// ```
pub struct Lock {
    sem: Sem,
}

/// Proof of holding a [`Lock`]; releases it when dropped.
///
/// ```
/// weft::run(async {
///     let lock = weft_sync::Lock::new();
///     let g = lock.acquire().await;
///     assert!(lock.locked());
///     drop(g);
///     assert!(!lock.locked());
/// });
/// ```
#[must_use = "the lock is released when the guard drops"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl Lock {
    /// An unlocked lock.
    ///
    /// ```
    /// assert!(!weft_sync::Lock::new().locked());
    /// ```
    pub fn new() -> Lock {
        Lock { sem: Sem::new(1) }
    }

    /// Waits until the lock is free and takes it.
    ///
    /// ```
    /// weft::run(async {
    ///     let lock = weft_sync::Lock::new();
    ///     let _g = lock.acquire().await;
    /// });
    /// ```
    pub async fn acquire(&self) -> LockGuard<'_> {
        match self.sem.acquire(1).await {
            Ok(()) => LockGuard { lock: self },
            Err(_) => unreachable!("a Lock's semaphore is never closed"),
        }
    }

    /// Takes the lock if it is free and nobody waits.
    ///
    /// ```
    /// let lock = weft_sync::Lock::new();
    /// let g = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        match self.sem.try_acquire(1) {
            Ok(true) => Some(LockGuard { lock: self }),
            _ => None,
        }
    }

    /// Whether the lock is held.
    ///
    /// ```
    /// let lock = weft_sync::Lock::new();
    /// let _g = lock.try_acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.sem.available() == 0
    }

    /// Whether `guard` is a guard of this lock (used by [`Condition`](crate::Condition)).
    pub(crate) fn owns(&self, guard: &LockGuard<'_>) -> bool {
        std::ptr::eq(self, guard.lock)
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl<'a> LockGuard<'a> {
    /// The lock this guard holds.
    ///
    /// ```
    /// weft::run(async {
    ///     let lock = weft_sync::Lock::new();
    ///     let g = lock.acquire().await;
    ///     assert!(std::ptr::eq(g.lock(), &lock));
    /// });
    /// ```
    pub fn lock(&self) -> &'a Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .field("waiters", &self.sem.waiting())
            .finish()
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockGuard")
    }
}
