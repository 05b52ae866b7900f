//! The blocking pool: `weft::to_thread` and `BlockingPool` (asyncio's `to_thread` /
//! `run_in_executor` on the default executor).
//!
//! No test asserts on a duration. Each waits on an event (a channel, a promise, a
//! condvar) with a generous bound that only a bug would reach.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use weft::{BlockingError, BlockingPool, Promise};

/// The bound on every wait: reached only if something is broken.
const BOUND: Duration = Duration::from_secs(5);

/// A long keep-alive, for pools whose threads must not retire during a test.
const LONG: Duration = Duration::from_secs(3600);

/// A gate that jobs wait on until the test opens it (waiting at most `BOUND`).
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }

    /// Waits for the gate; `false` if it stayed shut for `BOUND`.
    fn wait(&self) -> bool {
        let (open, cv) = &*self.0;
        let guard = open.lock().unwrap();
        let (guard, _) = cv.wait_timeout_while(guard, BOUND, |o| !*o).unwrap();
        *guard
    }
}

/// Drives `fut` to completion on this thread with no event loop: its waker unparks us.
/// `on_pending` runs once, after the first poll, if that poll returned `Pending`.
fn block_on<F: Future>(fut: F, on_pending: impl FnOnce()) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let mut on_pending = Some(on_pending);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        if let Some(f) = on_pending.take() {
            f();
        }
        thread::park();
    }
}

#[test]
fn to_thread_returns_the_value() {
    let v = weft::run(async { weft::to_thread(|| 6 * 7).await });
    assert_eq!(v.unwrap(), 42);
}

#[test]
fn to_thread_runs_on_a_named_pool_thread() {
    let name = weft::run(weft::to_thread(|| {
        thread::current().name().map(String::from)
    }));
    let name = name.unwrap().expect("pool threads are named");
    assert!(name.starts_with("weft-blocking-"), "{name}");
}

#[test]
fn the_job_runs_off_the_loop_thread_while_the_loop_runs_other_tasks() {
    // The job waits for a message that only a task of the loop sends, and only after
    // the job has told it (through a promise) that it is blocked. Had the job blocked
    // the loop's thread, the task could never send: the job would give up after BOUND.
    let loop_thread = thread::current().id();
    let (job_thread, got_signal, task_ran) = weft::run(async {
        let started = Promise::<()>::new();
        let (tx, rx) = mpsc::channel::<()>();
        let job = weft::to_thread({
            let started = started.clone();
            move || {
                started.set_result(()).unwrap();
                let got = rx.recv_timeout(BOUND).is_ok();
                (thread::current().id(), got)
            }
        });
        let task = weft::spawn(async move {
            started.await.unwrap();
            weft::yield_now().await;
            tx.send(()).unwrap();
            true
        });
        let (id, got) = job.await.unwrap();
        (id, got, task.await.unwrap())
    });
    assert!(got_signal, "the loop's task never reached the blocked job");
    assert!(task_ran);
    assert_ne!(job_thread, loop_thread);
}

#[test]
fn to_thread_works_outside_any_event_loop() {
    assert!(weft::Handle::try_current().is_none());
    let gate = Gate::default();
    let job = weft::to_thread({
        let gate = gate.clone();
        move || {
            gate.wait();
            "from the pool"
        }
    });
    // The gate opens only once the first poll returned `Pending`: the result then
    // arrives through the waker.
    let out = block_on(job, || gate.open());
    assert_eq!(out.unwrap(), "from the pool");
}

#[test]
fn a_panic_comes_back_as_blocking_error_and_the_thread_survives() {
    let pool = BlockingPool::new(1, LONG);
    let panicker: Arc<Mutex<Option<ThreadId>>> = Arc::default();
    let (err, next) = weft::run(async {
        let err = pool
            .spawn({
                let panicker = panicker.clone();
                move || -> u8 {
                    *panicker.lock().unwrap() = Some(thread::current().id());
                    panic!("blocking boom")
                }
            })
            .await
            .unwrap_err();
        let next = pool.spawn(|| thread::current().id()).await.unwrap();
        (err, next)
    });
    let BlockingError::Panicked(p) = err;
    assert_eq!(p.message(), Some("blocking boom"));
    // The same (only) thread ran the next job: it survived the panic.
    assert_eq!(Some(next), *panicker.lock().unwrap());
    assert_eq!(pool.threads(), 1);
    assert_eq!(pool.retired_threads(), 0);
}

#[test]
fn a_panic_through_to_thread_keeps_its_message() {
    let r = weft::run(weft::to_thread(|| -> () { panic!("to_thread {}", "boom") }));
    match r {
        Err(BlockingError::Panicked(p)) => assert_eq!(p.message(), Some("to_thread boom")),
        Ok(()) => panic!("the panic was lost"),
    }
}

#[test]
fn at_most_max_threads_jobs_run_at_once() {
    const MAX: usize = 2;
    let pool = BlockingPool::new(MAX, LONG);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let gate = Gate::default();
    let (started_tx, started_rx) = mpsc::channel::<usize>();
    let jobs: Vec<_> = (0..3 * MAX)
        .map(|i| {
            let (running, peak, gate, started) = (
                running.clone(),
                peak.clone(),
                gate.clone(),
                started_tx.clone(),
            );
            pool.spawn(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                started.send(i).unwrap();
                let opened = gate.wait();
                running.fetch_sub(1, Ordering::SeqCst);
                opened
            })
        })
        .collect();
    // The first MAX jobs start and block on the gate...
    for _ in 0..MAX {
        started_rx
            .recv_timeout(BOUND)
            .expect("a job should have started");
    }
    // ...and, every thread being busy, the rest wait in the queue.
    assert_eq!(pool.threads(), MAX);
    assert_eq!(pool.queued(), 2 * MAX);
    assert_eq!(running.load(Ordering::SeqCst), MAX);
    gate.open();
    let opened = weft::run(weft::gather(jobs));
    assert!(opened.into_iter().all(|r| r.unwrap()));
    assert_eq!(peak.load(Ordering::SeqCst), MAX);
    assert_eq!(pool.threads(), MAX);
    assert_eq!(pool.queued(), 0);
}

#[test]
fn queued_jobs_start_in_fifo_order() {
    let pool = BlockingPool::new(1, LONG);
    let gate = Gate::default();
    let order: Arc<Mutex<Vec<usize>>> = Arc::default();
    let blocker = pool.spawn({
        let gate = gate.clone();
        move || gate.wait()
    });
    let jobs: Vec<_> = (0..10)
        .map(|i| {
            let order = order.clone();
            pool.spawn(move || order.lock().unwrap().push(i))
        })
        .collect();
    gate.open();
    weft::run(async {
        assert!(blocker.await.unwrap());
        for r in weft::gather(jobs).await {
            r.unwrap();
        }
    });
    assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
}

#[test]
fn idle_threads_retire_after_the_keep_alive() {
    let pool = BlockingPool::new(2, Duration::from_millis(50));
    // Two jobs that wait for each other: two threads must exist at once.
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let ids = weft::run(weft::gather((0..2).map(|_| {
        let barrier = barrier.clone();
        pool.spawn(move || {
            barrier.wait();
            thread::current().id()
        })
    })));
    let ids: Vec<ThreadId> = ids.into_iter().map(Result::unwrap).collect();
    assert_ne!(ids[0], ids[1]);
    assert!(
        pool.wait_retired(2, BOUND),
        "the idle threads never retired"
    );
    assert_eq!(pool.retired_threads(), 2);
    assert_eq!(pool.threads(), 0);
    // The next job spawns a fresh thread.
    let id = weft::run(pool.spawn(|| thread::current().id())).unwrap();
    assert!(!ids.contains(&id));
}

#[test]
fn a_busy_thread_does_not_retire() {
    let pool = BlockingPool::new(1, Duration::from_millis(1));
    let gate = Gate::default();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let job = pool.spawn({
        let gate = gate.clone();
        move || {
            started_tx.send(()).unwrap();
            gate.wait()
        }
    });
    started_rx.recv_timeout(BOUND).unwrap();
    // Far longer than the keep-alive passes while the job runs; the event we wait for
    // (a retirement) must not happen, so this wait runs out its (short) bound.
    assert!(!pool.wait_retired(1, Duration::from_millis(50)));
    assert_eq!(pool.threads(), 1);
    gate.open();
    assert!(weft::run(job).unwrap());
}

#[test]
fn a_dropped_job_that_has_not_started_never_runs() {
    let pool = BlockingPool::new(1, LONG);
    let gate = Gate::default();
    let ran = Arc::new(AtomicBool::new(false));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let blocker = pool.spawn({
        let gate = gate.clone();
        move || {
            started_tx.send(()).unwrap();
            gate.wait()
        }
    });
    started_rx.recv_timeout(BOUND).unwrap();
    let dropped = pool.spawn({
        let ran = ran.clone();
        move || ran.store(true, Ordering::SeqCst)
    });
    let after = pool.spawn(|| "after");
    assert_eq!(pool.queued(), 2, "the single thread is held by the blocker");
    drop(dropped);
    gate.open();
    weft::run(async {
        assert!(blocker.await.unwrap());
        // FIFO: once the job queued after it has run, the dropped one had its turn.
        assert_eq!(after.await.unwrap(), "after");
    });
    assert!(!ran.load(Ordering::SeqCst), "a cancelled job ran");
}

#[test]
fn a_dropped_running_job_runs_to_its_end() {
    let pool = BlockingPool::new(1, LONG);
    let gate = Gate::default();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let job = pool.spawn({
        let gate = gate.clone();
        move || {
            started_tx.send(()).unwrap();
            gate.wait();
            done_tx.send(()).unwrap();
        }
    });
    started_rx.recv_timeout(BOUND).unwrap();
    drop(job); // threads cannot be interrupted: the job goes on
    gate.open();
    done_rx
        .recv_timeout(BOUND)
        .expect("the running job was stopped");
}

#[test]
fn dropping_the_last_handle_drains_the_queue_then_ends_the_threads() {
    /// Lives in a pool thread's thread-local storage: reports the thread's exit.
    struct OnExit(mpsc::Sender<()>);
    impl Drop for OnExit {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    thread_local! {
        static ON_EXIT: std::cell::RefCell<Option<OnExit>> = const { std::cell::RefCell::new(None) };
    }

    let pool = BlockingPool::new(1, LONG);
    let gate = Gate::default();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let first = pool.spawn({
        let gate = gate.clone();
        move || {
            ON_EXIT.with(|e| *e.borrow_mut() = Some(OnExit(exit_tx)));
            gate.wait()
        }
    });
    let queued = pool.spawn(|| "still runs");
    drop(pool);
    gate.open();
    let (a, b) = weft::run(async { (first.await.unwrap(), queued.await.unwrap()) });
    assert!(a);
    assert_eq!(b, "still runs");
    // The thread exits without waiting out the hour-long keep-alive.
    exit_rx
        .recv_timeout(BOUND)
        .expect("the pool thread outlived its pool");
}

#[test]
fn the_future_is_usable_from_another_loop_and_thread() {
    let job = weft::to_thread(|| String::from("moved"));
    let out = thread::spawn(move || weft::run(job)).join().unwrap();
    assert_eq!(out.unwrap(), "moved");
}

#[test]
fn the_global_pool_cannot_be_configured_once_in_use() {
    let _ = BlockingPool::global();
    let err = BlockingPool::configure_global(3, Duration::from_secs(1)).unwrap_err();
    assert!(err.reason().contains("already in use"));
    assert_eq!(
        BlockingPool::global().keep_alive(),
        BlockingPool::DEFAULT_KEEP_ALIVE
    );
    assert_eq!(
        BlockingPool::global().max_threads(),
        BlockingPool::default_max_threads()
    );
}

#[test]
fn a_pool_needs_at_least_one_thread() {
    let r = std::panic::catch_unwind(|| BlockingPool::new(0, LONG));
    assert!(r.is_err());
}
