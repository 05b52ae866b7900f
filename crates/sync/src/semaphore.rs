//! [`Semaphore`] and [`BoundedSemaphore`].

use std::fmt;

use crate::error::{AcquireError, OverReleaseError};
use crate::sem::{Sem, MAX_PERMITS};

/// asyncio's `Semaphore`: a counter of permits; [`acquire`](Semaphore::acquire) waits
/// while it is zero. Waiters are served first come, first served, and a waiter cancelled
/// after it was handed a permit passes it on: nothing is lost.
///
/// `release` without a matching acquire adds a permit, as in asyncio; see
/// [`BoundedSemaphore`] for the checked kind.
///
/// ```
/// use std::time::Duration;
/// weft::EventLoop::new().unwrap().paused().run_until_complete(async {
///     let sem = std::rc::Rc::new(weft_sync::Semaphore::new(2));
///     let tasks: Vec<_> = (0..4).map(|i| {
///         let sem = sem.clone();
///         weft::spawn(async move {
///             let _permit = sem.acquire().await.unwrap(); // `async with sem:`
///             weft::sleep(Duration::from_secs(1)).await;
///             i
///         })
///     }).collect();
///     let start = weft::Handle::current().time();
///     for t in tasks { t.await.unwrap(); }
///     // Two at a time: two rounds of one second.
///     assert_eq!(weft::Handle::current().time() - start, Duration::from_secs(2));
/// });
/// ```
pub struct Semaphore {
    sem: Sem,
}

/// A permit of a [`Semaphore`] or [`BoundedSemaphore`]; released when dropped.
///
/// ```
/// weft::run(async {
///     let sem = weft_sync::Semaphore::new(1);
///     let p = sem.acquire().await.unwrap();
///     assert!(sem.locked());
///     drop(p);
///     assert!(!sem.locked());
/// });
/// ```
#[must_use = "the permit is released when dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Sem,
    n: usize,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken (asyncio's bare `acquire()` without `release()`).
    ///
    /// ```
    /// weft::run(async {
    ///     let sem = weft_sync::Semaphore::new(1);
    ///     sem.acquire().await.unwrap().forget();
    ///     assert!(sem.locked());
    ///     sem.release();
    ///     assert!(!sem.locked());
    /// });
    /// ```
    pub fn forget(mut self) {
        self.n = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.n);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("n", &self.n)
            .finish()
    }
}

impl Semaphore {
    /// A semaphore with `value` permits.
    ///
    /// # Panics
    /// If `value` exceeds `usize::MAX >> 2`.
    ///
    /// ```
    /// let s = weft_sync::Semaphore::new(3);
    /// assert_eq!(s.available_permits(), 3);
    /// ```
    pub fn new(value: usize) -> Semaphore {
        Semaphore {
            sem: Sem::new(value),
        }
    }

    /// Waits for a permit.
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is (or gets) [closed](Self::close).
    ///
    /// ```
    /// weft::run(async {
    ///     let s = weft_sync::Semaphore::new(1);
    ///     let _p = s.acquire().await.unwrap();
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once (FIFO: a large request holds back later ones).
    ///
    /// # Errors
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// weft::run(async {
    ///     let s = weft_sync::Semaphore::new(5);
    ///     let p = s.acquire_many(3).await.unwrap();
    ///     assert_eq!(s.available_permits(), 2);
    ///     drop(p);
    ///     assert_eq!(s.available_permits(), 5);
    /// });
    /// ```
    pub async fn acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.sem.acquire(n).await.map_err(|_| AcquireError)?;
        Ok(SemaphorePermit { sem: &self.sem, n })
    }

    /// Takes a permit if one is free and nobody is waiting.
    ///
    /// ```
    /// let s = weft_sync::Semaphore::new(1);
    /// let p = s.try_acquire().unwrap();
    /// assert!(s.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        match self.sem.try_acquire(1) {
            Ok(true) => Some(SemaphorePermit {
                sem: &self.sem,
                n: 1,
            }),
            _ => None,
        }
    }

    /// Adds a permit, waking the first waiter (asyncio's `release()`).
    ///
    /// ```
    /// let s = weft_sync::Semaphore::new(0);
    /// s.release();
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub fn release(&self) {
        self.sem.release(1);
    }

    /// Whether an acquire would wait (asyncio's `locked()`).
    ///
    /// ```
    /// assert!(weft_sync::Semaphore::new(0).locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.sem.available() == 0
    }

    /// Permits free right now.
    ///
    /// ```
    /// assert_eq!(weft_sync::Semaphore::new(2).available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.sem.available()
    }

    /// Closes the semaphore: waiting and future acquires fail with [`AcquireError`];
    /// permits already held stay valid.
    ///
    /// ```
    /// let s = weft_sync::Semaphore::new(1);
    /// s.close();
    /// assert!(s.is_closed());
    /// ```
    pub fn close(&self) {
        self.sem.close();
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// assert!(!weft_sync::Semaphore::new(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.sem.is_closed()
    }

    /// The most permits a semaphore can hold.
    pub const MAX_PERMITS: usize = MAX_PERMITS;
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.sem.available())
            .field("waiters", &self.sem.waiting())
            .finish()
    }
}

/// asyncio's `BoundedSemaphore`: a [`Semaphore`] whose `release` fails with
/// [`OverReleaseError`] instead of growing past its initial value.
///
/// ```
/// weft::run(async {
///     let s = weft_sync::BoundedSemaphore::new(1);
///     s.acquire().await.unwrap().forget();
///     assert_eq!(s.release(), Ok(()));
///     assert_eq!(s.release(), Err(weft_sync::OverReleaseError));
/// });
/// ```
pub struct BoundedSemaphore {
    sem: Sem,
    bound: usize,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` permits, which is also its ceiling.
    ///
    /// ```
    /// let s = weft_sync::BoundedSemaphore::new(2);
    /// assert_eq!(s.available_permits(), 2);
    /// ```
    pub fn new(value: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            sem: Sem::new(value),
            bound: value,
        }
    }

    /// Waits for a permit. See [`Semaphore::acquire`].
    ///
    /// # Errors
    /// [`AcquireError`] if closed.
    ///
    /// ```
    /// weft::run(async {
    ///     let s = weft_sync::BoundedSemaphore::new(1);
    ///     let _p = s.acquire().await.unwrap();
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.sem.acquire(1).await.map_err(|_| AcquireError)?;
        Ok(SemaphorePermit {
            sem: &self.sem,
            n: 1,
        })
    }

    /// Gives a permit back.
    ///
    /// # Errors
    /// [`OverReleaseError`] if that would exceed the initial value (the permit count is
    /// unchanged then). With waiters queued the count is zero, so a release is always
    /// valid then.
    ///
    /// ```
    /// let s = weft_sync::BoundedSemaphore::new(1);
    /// assert!(s.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), OverReleaseError> {
        // Held permits = bound - available; a release needs one outstanding. The check
        // and the release are not one atomic step; a concurrent over-release of the same
        // permit by two threads is a caller bug either way, and at worst both succeed.
        if self.sem.available() >= self.bound {
            return Err(OverReleaseError);
        }
        self.sem.release(1);
        Ok(())
    }

    /// Whether an acquire would wait.
    ///
    /// ```
    /// assert!(!weft_sync::BoundedSemaphore::new(1).locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.sem.available() == 0
    }

    /// Permits free right now.
    ///
    /// ```
    /// assert_eq!(weft_sync::BoundedSemaphore::new(3).available_permits(), 3);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.sem.available()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("available", &self.sem.available())
            .field("bound", &self.bound)
            .finish()
    }
}
