//! The blocking pool: asyncio's default executor, behind [`to_thread`].
//!
//! A [`BlockingPool`] runs closures on its own threads so that blocking code (file I/O,
//! a synchronous library, a long computation) does not stall an event loop. Its
//! threads are spawned on demand up to a bound, the jobs that find every thread busy
//! wait in a FIFO queue, and a thread that stays idle for the keep-alive retires.
//!
//! The pool knows nothing of loops: a job's result is handed over through a small
//! mutex-guarded slot that wakes whatever [`Waker`] last polled the [`ToThread`]
//! future, so that future works on any weft loop, under another executor, or outside
//! any executor.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;
use weft_futures::InvalidStateError;

use crate::error::Panic;

/// Runs `f` on the process-wide blocking pool and returns a future of its result
/// (asyncio's `asyncio.to_thread(f)` and `loop.run_in_executor(None, f)`).
///
/// The loop keeps running other tasks and callbacks while `f` blocks a pool thread. A
/// panic in `f` is caught and comes back as [`BlockingError::Panicked`]; the pool
/// thread survives it.
///
/// The future only needs a [`Waker`]: it can be awaited on any weft loop, or outside
/// one. Dropping it does not interrupt `f` once `f` has started (threads cannot be
/// interrupted, as in asyncio); a job that has not started yet is skipped.
///
/// The pool is [`BlockingPool::global`]; its size and keep-alive are set, before its
/// first use, with [`BlockingPool::configure_global`].
///
/// ```
/// use std::time::Duration;
///
/// fn blocking_io() -> &'static str {
///     std::thread::sleep(Duration::from_millis(20)); // e.g. reading a file
///     "read"
/// }
///
/// weft::run(async {
///     let ticker = weft::spawn(async {
///         weft::sleep(Duration::from_millis(1)).await; // runs while blocking_io blocks
///         "tick"
///     });
///     assert_eq!(weft::to_thread(blocking_io).await.unwrap(), "read");
///     assert_eq!(ticker.await.unwrap(), "tick");
/// });
/// ```
pub fn to_thread<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    BlockingPool::global().spawn(f)
}

/// Why a job of the blocking pool has no result.
///
/// ```
/// weft::run(async {
///     match weft::to_thread(|| panic!("disk on fire")).await {
///         Err(weft::BlockingError::Panicked(p)) => assert_eq!(p.message(), Some("disk on fire")),
///         Ok(()) => unreachable!(),
///     }
/// });
/// ```
#[derive(Debug, Error)]
pub enum BlockingError {
    /// The closure panicked; the panic was caught on the pool thread, which goes on
    /// running jobs.
    #[error("blocking job panicked: {0}")]
    Panicked(Panic),
}

/// The result of a job of a [`BlockingPool`]: a future resolving to the closure's
/// output, or to [`BlockingError::Panicked`].
///
/// Returned by [`to_thread`] and [`BlockingPool::spawn`]. It is `Send` when `T` is, and
/// it needs nothing but a [`Waker`], so any executor (or none) can await it.
///
/// Dropping it cancels the job only if the job has not started: a running job runs to
/// its end and its result is dropped.
///
/// ```
/// let job: weft::ToThread<u32> = weft::to_thread(|| 6 * 7);
/// assert_eq!(weft::run(job).unwrap(), 42);
/// ```
#[must_use = "the job runs anyway, but its result is lost unless the ToThread is awaited"]
pub struct ToThread<T> {
    slot: Arc<Slot<T>>,
}

/// Where a job leaves its result for its [`ToThread`].
struct Slot<T> {
    /// Set when the `ToThread` is dropped; a job that sees it before starting is skipped.
    cancelled: AtomicBool,
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    result: Option<Result<T, BlockingError>>,
    waker: Option<Waker>,
    /// The result was handed out; polling again is a bug.
    taken: bool,
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        lock(&self.state)
    }

    fn complete(&self, result: Result<T, BlockingError>) {
        let waker = {
            let mut st = self.lock();
            st.result = Some(result);
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for ToThread<T> {
    type Output = Result<T, BlockingError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(weft_futures::coop::poll_proceed(cx));
        let mut st = self.slot.lock();
        if let Some(result) = st.result.take() {
            st.taken = true;
            coop.made_progress();
            return Poll::Ready(result);
        }
        assert!(!st.taken, "ToThread polled after it completed");
        match &mut st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for ToThread<T> {
    fn drop(&mut self) {
        self.slot.cancelled.store(true, Ordering::Release);
    }
}

impl<T> fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.slot.lock();
        f.debug_struct("ToThread")
            .field("done", &(st.result.is_some() || st.taken))
            .finish()
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A pool of threads for blocking jobs: asyncio's `ThreadPoolExecutor`, as used by
/// `run_in_executor` and `to_thread`.
///
/// - At most [`max_threads`](Self::max_threads) threads, spawned on demand when a job
///   finds no idle thread. The process-wide pool ([`global`](Self::global)) defaults to
///   asyncio's `min(32, cpu_count + 4)` ([`default_max_threads`](Self::default_max_threads)).
/// - Jobs that find every thread busy wait in a FIFO queue: they start in the order
///   they were submitted.
/// - A thread idle for [`keep_alive`](Self::keep_alive) (default
///   [`DEFAULT_KEEP_ALIVE`](Self::DEFAULT_KEEP_ALIVE), 10 s) retires; the next job that
///   needs one spawns a fresh thread.
/// - Threads are named `weft-blocking-N` (N counts up across the process).
///
/// `BlockingPool` is a cheap `Clone` handle. When the last handle of a pool is dropped,
/// its threads run the jobs still queued (their futures still resolve), then exit
/// without waiting for the keep-alive. The global pool lives as long as the process.
///
/// ```
/// use std::time::Duration;
///
/// let pool = weft::BlockingPool::new(2, Duration::from_secs(1));
/// let out = weft::run(async {
///     let a = pool.spawn(|| 1);
///     let b = pool.spawn(|| 2);
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(out, 3);
/// assert!(pool.threads() <= 2);
/// ```
#[derive(Clone)]
pub struct BlockingPool {
    owner: Arc<Owner>,
}

/// The users' side of a pool: dropping the last one shuts the pool down.
struct Owner {
    pool: Arc<Pool>,
}

/// What the pool's threads share with its handles.
struct Pool {
    state: Mutex<State>,
    /// Idle threads wait here for a job.
    work: Condvar,
    /// [`BlockingPool::wait_retired`] waits here.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

struct State {
    queue: VecDeque<Job>,
    /// Live threads, busy or idle (including ones being spawned).
    threads: usize,
    /// Threads waiting for a job that no one has notified yet.
    idle: usize,
    /// Notifications sent to idle threads and not yet consumed.
    notified: usize,
    /// Threads that exited (keep-alive expired, or the pool was dropped).
    retired: u64,
    shutdown: bool,
}

/// Locks `m`, ignoring poisoning: jobs run outside every lock, and each critical
/// section is a few assignments that a panic cannot leave half-done.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Numbers the pool threads of the whole process.
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(1);

/// The process-wide pool, created on first use.
static GLOBAL: OnceLock<BlockingPool> = OnceLock::new();

/// The global pool's settings; `frozen` once the pool is created.
struct GlobalConfig {
    max_threads: Option<usize>,
    keep_alive: Duration,
    frozen: bool,
}

static GLOBAL_CONFIG: Mutex<GlobalConfig> = Mutex::new(GlobalConfig {
    max_threads: None,
    keep_alive: BlockingPool::DEFAULT_KEEP_ALIVE,
    frozen: false,
});

impl BlockingPool {
    /// How long an idle thread waits for a job before it retires, unless configured:
    /// 10 seconds.
    ///
    /// ```
    /// assert_eq!(weft::BlockingPool::DEFAULT_KEEP_ALIVE.as_secs(), 10);
    /// ```
    pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

    /// A new pool of at most `max_threads` threads; a thread idle for `keep_alive`
    /// retires. No thread is spawned until a job needs one.
    ///
    /// # Panics
    /// If `max_threads` is 0.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = weft::BlockingPool::new(4, Duration::from_millis(500));
    /// assert_eq!(pool.max_threads(), 4);
    /// assert_eq!(pool.threads(), 0);
    /// ```
    pub fn new(max_threads: usize, keep_alive: Duration) -> BlockingPool {
        assert!(max_threads > 0, "a BlockingPool needs max_threads >= 1");
        BlockingPool {
            owner: Arc::new(Owner {
                pool: Arc::new(Pool {
                    state: Mutex::new(State {
                        queue: VecDeque::new(),
                        threads: 0,
                        idle: 0,
                        notified: 0,
                        retired: 0,
                        shutdown: false,
                    }),
                    work: Condvar::new(),
                    exited: Condvar::new(),
                    max_threads,
                    keep_alive,
                }),
            }),
        }
    }

    /// The process-wide pool behind [`to_thread`], created on first use with the
    /// settings of [`configure_global`](Self::configure_global), else
    /// [`default_max_threads`](Self::default_max_threads) threads and
    /// [`DEFAULT_KEEP_ALIVE`](Self::DEFAULT_KEEP_ALIVE).
    ///
    /// ```
    /// let pool = weft::BlockingPool::global();
    /// let name = weft::run(pool.spawn(|| std::thread::current().name().map(String::from)));
    /// assert!(name.unwrap().unwrap().starts_with("weft-blocking-"));
    /// ```
    pub fn global() -> &'static BlockingPool {
        GLOBAL.get_or_init(|| {
            let mut cfg = lock(&GLOBAL_CONFIG);
            cfg.frozen = true;
            let max = cfg
                .max_threads
                .unwrap_or_else(BlockingPool::default_max_threads);
            BlockingPool::new(max, cfg.keep_alive)
        })
    }

    /// Sets the size and keep-alive of the [`global`](Self::global) pool. Only before
    /// its first use (by [`to_thread`] or `global`): afterwards it fails with
    /// [`InvalidStateError`] and changes nothing.
    ///
    /// # Panics
    /// If `max_threads` is 0.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft::BlockingPool;
    ///
    /// // At the start of main, before anything uses the pool:
    /// BlockingPool::configure_global(8, Duration::from_secs(30)).unwrap();
    /// assert_eq!(BlockingPool::global().max_threads(), 8);
    /// assert!(BlockingPool::configure_global(4, Duration::from_secs(1)).is_err());
    /// ```
    pub fn configure_global(
        max_threads: usize,
        keep_alive: Duration,
    ) -> Result<(), InvalidStateError> {
        assert!(max_threads > 0, "a BlockingPool needs max_threads >= 1");
        let mut cfg = lock(&GLOBAL_CONFIG);
        if cfg.frozen {
            return Err(InvalidStateError::new(
                "the global blocking pool is already in use",
            ));
        }
        cfg.max_threads = Some(max_threads);
        cfg.keep_alive = keep_alive;
        Ok(())
    }

    /// asyncio's default thread count: `min(32, cpu_count + 4)`, where `cpu_count` is
    /// [`std::thread::available_parallelism`] (1 if unknown). Blocking jobs mostly wait
    /// on I/O, so there are more threads than cores, yet not so many on a big machine.
    ///
    /// ```
    /// let n = weft::BlockingPool::default_max_threads();
    /// assert!((5..=32).contains(&n));
    /// ```
    pub fn default_max_threads() -> usize {
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        (cpus + 4).min(32)
    }

    /// Runs `f` on one of the pool's threads (asyncio's
    /// `loop.run_in_executor(pool, f)`); see [`to_thread`].
    ///
    /// `f` starts at once on an idle thread, or on a new one if the pool has fewer than
    /// [`max_threads`](Self::max_threads); otherwise it waits in the FIFO queue.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = weft::BlockingPool::new(1, Duration::from_secs(1));
    /// let loop_thread = std::thread::current().id();
    /// let job_thread = weft::run(pool.spawn(|| std::thread::current().id())).unwrap();
    /// assert_ne!(job_thread, loop_thread);
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> ToThread<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Arc::new(Slot {
            cancelled: AtomicBool::new(false),
            state: Mutex::new(SlotState {
                result: None,
                waker: None,
                taken: false,
            }),
        });
        let job_slot = slot.clone();
        self.owner.pool.submit(Box::new(move || {
            // The cheap check: a job whose future is gone before it started is skipped.
            if job_slot.cancelled.load(Ordering::Acquire) {
                return;
            }
            let result = panic::catch_unwind(AssertUnwindSafe(f))
                .map_err(|p| BlockingError::Panicked(Panic::new(p)));
            job_slot.complete(result);
        }));
        ToThread { slot }
    }

    /// The most threads this pool runs at once.
    ///
    /// ```
    /// let pool = weft::BlockingPool::new(3, std::time::Duration::from_secs(1));
    /// assert_eq!(pool.max_threads(), 3);
    /// ```
    pub fn max_threads(&self) -> usize {
        self.owner.pool.max_threads
    }

    /// How long an idle thread waits for a job before it retires.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = weft::BlockingPool::new(3, Duration::from_millis(250));
    /// assert_eq!(pool.keep_alive(), Duration::from_millis(250));
    /// ```
    pub fn keep_alive(&self) -> Duration {
        self.owner.pool.keep_alive
    }

    /// The pool's live threads, busy or idle.
    ///
    /// ```
    /// let pool = weft::BlockingPool::new(2, std::time::Duration::from_secs(5));
    /// assert_eq!(pool.threads(), 0); // spawned on demand
    /// weft::run(pool.spawn(|| ())).unwrap();
    /// assert_eq!(pool.threads(), 1); // now idle, until the keep-alive expires
    /// ```
    pub fn threads(&self) -> usize {
        lock(&self.owner.pool.state).threads
    }

    /// Jobs waiting for a thread (including ones whose future was dropped: they are
    /// skipped when their turn comes).
    ///
    /// ```
    /// let pool = weft::BlockingPool::new(1, std::time::Duration::from_secs(1));
    /// assert_eq!(pool.queued(), 0);
    /// ```
    pub fn queued(&self) -> usize {
        lock(&self.owner.pool.state).queue.len()
    }

    /// How many of this pool's threads have exited so far, because their keep-alive
    /// expired (or the pool was dropped).
    ///
    /// ```
    /// let pool = weft::BlockingPool::new(1, std::time::Duration::from_secs(1));
    /// assert_eq!(pool.retired_threads(), 0);
    /// ```
    pub fn retired_threads(&self) -> u64 {
        lock(&self.owner.pool.state).retired
    }

    /// Blocks the calling thread until at least `count` threads of this pool have
    /// retired ([`retired_threads`](Self::retired_threads)), or until `timeout` passes.
    /// Returns whether the count was reached. Meant for tests and shutdown code; do not
    /// call it on a loop's thread while the loop has work to do.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = weft::BlockingPool::new(1, Duration::from_millis(10));
    /// weft::run(pool.spawn(|| ())).unwrap();
    /// assert!(pool.wait_retired(1, Duration::from_secs(5))); // the idle thread retires
    /// assert_eq!(pool.threads(), 0);
    /// ```
    pub fn wait_retired(&self, count: u64, timeout: Duration) -> bool {
        let pool = &self.owner.pool;
        let deadline = Instant::now().checked_add(timeout);
        let mut st = lock(&pool.state);
        while st.retired < count {
            st = match deadline {
                None => pool.exited.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    pool.exited
                        .wait_timeout(st, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        true
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pool = &self.owner.pool;
        let st = lock(&pool.state);
        f.debug_struct("BlockingPool")
            .field("max_threads", &pool.max_threads)
            .field("keep_alive", &pool.keep_alive)
            .field("threads", &st.threads)
            .field("queued", &st.queue.len())
            .field("retired", &st.retired)
            .finish()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        lock(&self.pool.state).shutdown = true;
        self.pool.work.notify_all();
    }
}

impl Pool {
    fn submit(self: &Arc<Pool>, job: Job) {
        let mut st = lock(&self.state);
        st.queue.push_back(job);
        if st.idle > 0 {
            // Hand the job to an idle thread. It is no longer counted idle, so the
            // next submission does not count on it too.
            st.idle -= 1;
            st.notified += 1;
            drop(st);
            self.work.notify_one();
            return;
        }
        if st.threads >= self.max_threads {
            return; // Every thread is busy: the job waits its turn.
        }
        st.threads += 1;
        drop(st);

        let n = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
        let pool = self.clone();
        let spawned = thread::Builder::new()
            .name(format!("weft-blocking-{n}"))
            .spawn(move || pool.work());
        if let Err(e) = spawned {
            let mut st = lock(&self.state);
            st.threads -= 1;
            if st.threads == 0 {
                // No thread would ever run the job. It stays queued: the next
                // submission tries to spawn a thread again.
                drop(st);
                panic!("weft's blocking pool could not spawn a thread: {e}");
            }
            tracing::warn!("weft's blocking pool could not spawn a thread: {e}");
        }
    }

    /// A pool thread: runs queued jobs; when there are none, waits up to the keep-alive
    /// for one, then retires.
    fn work(&self) {
        let mut st = lock(&self.state);
        'run: loop {
            if let Some(job) = st.queue.pop_front() {
                drop(st);
                // The job catches the closure's panic itself; this catches one from
                // dropping its captures or its result, so that the thread's accounting
                // below always runs.
                let _ = panic::catch_unwind(AssertUnwindSafe(job));
                st = lock(&self.state);
                continue;
            }
            if st.shutdown {
                break 'run;
            }
            st.idle += 1;
            let deadline = Instant::now().checked_add(self.keep_alive);
            loop {
                if st.notified > 0 {
                    // `submit` took us off the idle count.
                    st.notified -= 1;
                    continue 'run;
                }
                if st.shutdown {
                    st.idle -= 1;
                    break 'run;
                }
                st = match deadline {
                    None => self.work.wait(st).unwrap_or_else(|e| e.into_inner()),
                    Some(deadline) => {
                        let now = Instant::now();
                        if now >= deadline {
                            st.idle -= 1;
                            break 'run;
                        }
                        self.work
                            .wait_timeout(st, deadline - now)
                            .unwrap_or_else(|e| e.into_inner())
                            .0
                    }
                };
            }
        }
        st.threads -= 1;
        st.retired += 1;
        drop(st);
        self.exited.notify_all();
    }
}

/// A `ToThread` crosses threads with its result; this fails to compile if it stops.
const _: fn() = || {
    fn ok<T: Send + Sync>() {}
    ok::<ToThread<String>>();
    ok::<BlockingPool>();
};
