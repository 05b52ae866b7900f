//! weft against tokio's current-thread runtime (and, where the work is `Send`, tokio's
//! multi-thread runtime), side by side in one process.
//!
//! `cargo bench -p weft-bench --bench compare -- [--quick] [--reps N] [--markdown PATH]
//! [SCENARIO..]`. Each scenario has a weft closure and a tokio closure doing the same
//! work; all return a checksum that must equal the expected value. `task_memory` is not
//! timed: it counts the heap bytes a pending task holds, through the counting global
//! allocator below.
//!
//! With `--markdown PATH`, the ratios for the chart are written next to the report
//! ([`weft_bench::write_ratios`]).

// The counting allocator needs `unsafe impl GlobalAlloc`; nothing else may be unsafe.
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use weft_bench::{
    measure, write_ratios, Args, Comparison, MachineInfo, Ratio, Report, Run, XorShift64,
};

// ---- the counting allocator --------------------------------------------------------

/// The global allocator: [`System`], which also adds up the bytes allocated minus the
/// bytes freed while [`COUNTING`] is set. Outside `task_memory` the only cost is one
/// relaxed load of a flag that never changes (no shared cache line is written, so the
/// multi-thread runtime's workers do not contend on it).
struct CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Whether allocations are being counted.
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Bytes allocated minus bytes freed (by any thread) while counting.
static COUNTED: AtomicIsize = AtomicIsize::new(0);

#[inline]
fn count(delta: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        COUNTED.fetch_add(delta, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards its arguments unchanged to `System` and returns what
// `System` returned, so `System`'s implementation of the contract holds; the counting
// only updates atomics and never allocates.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which is `System.alloc`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc_zeroed`'s contract, which is `System`'s.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, that is by `System`, with
        // `layout` (the caller's contract).
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`, and `new_size` is valid
        // for it (the caller's contract).
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Workload sizes: full, or quick (divided by 100).
struct Sizes {
    spawn_join: u64,
    call_soon: u64,
    timers: u64,
    timer_max: Duration,
    /// Timers armed and cancelled by `timers_cancel`, and how many are pending at once.
    timers_cancel: u64,
    timers_cancel_batch: usize,
    spawn_many: u64,
    yield_tasks: u64,
    yield_count: u64,
    ping_pong: u64,
    chain: u64,
    /// How many times the small scenarios (spawn_many, ping_pong, chained_spawn) run
    /// back to back in one repetition, so that a repetition lasts long enough to time.
    batch: u64,
    lock_uncontended: u64,
    lock_tasks: u64,
    lock_iters: u64,
    sem_permits: u64,
    sem_tasks: u64,
    sem_iters: u64,
    mpsc: u64,
    mpsc_capacity: usize,
    oneshot: u64,
    /// Pending tasks measured together by `task_memory`.
    task_memory: u64,
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            spawn_join: 1_000_000,
            call_soon: 1_000_000,
            timers: 100_000,
            timer_max: Duration::from_secs(1),
            timers_cancel: 1_000_000,
            timers_cancel_batch: 1_000,
            spawn_many: 10_000,
            yield_tasks: 1_000,
            yield_count: 1_000,
            ping_pong: 1_000,
            chain: 1_000,
            batch: 100,
            lock_uncontended: 1_000_000,
            lock_tasks: 100,
            lock_iters: 10_000,
            sem_permits: 10,
            sem_tasks: 100,
            sem_iters: 10_000,
            mpsc: 1_000_000,
            mpsc_capacity: 128,
            oneshot: 200_000,
            task_memory: 10_000,
        }
    }

    fn quick() -> Sizes {
        Sizes {
            spawn_join: 10_000,
            call_soon: 10_000,
            timers: 1_000,
            timers_cancel: 10_000,
            timers_cancel_batch: 100,
            timer_max: Duration::from_millis(10),
            spawn_many: 100,
            yield_tasks: 100,
            yield_count: 100,
            ping_pong: 10,
            chain: 10,
            batch: 1,
            lock_uncontended: 10_000,
            lock_tasks: 10,
            lock_iters: 1_000,
            // Still ten times more tasks than permits, so that acquires queue.
            sem_permits: 10,
            sem_tasks: 100,
            sem_iters: 100,
            mpsc: 10_000,
            mpsc_capacity: 128,
            oneshot: 2_000,
            task_memory: 1_000,
        }
    }
}

/// Which of tokio's runtimes a tokio closure runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tokio {
    /// The current-thread runtime: the headline comparison (the issues' targets).
    CurrentThread,
    /// The multi-thread runtime with [`MT_WORKERS`] workers.
    MultiThread,
}

/// Worker threads of the multi-thread tokio runtime (the machine has 2 cores).
const MT_WORKERS: usize = 2;

struct Scenario {
    name: &'static str,
    expected: fn(&Sizes) -> u64,
    weft: fn(&Sizes) -> Run,
    tokio: fn(&Sizes, Tokio) -> Run,
    /// Whether `tokio` also runs on the multi-thread runtime (its work is `Send`).
    multi_thread: bool,
    /// Also report CPU time (where wall time is mostly waiting).
    cpu: bool,
    /// The target for the ratio tokio (current-thread) / weft, for the chart.
    target: Option<f64>,
    note: fn(&Sizes) -> String,
}

/// The scenario that counts bytes per task instead of timing (run after the others).
const TASK_MEMORY: &str = "task_memory";

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "spawn_join",
        expected: |s| s.spawn_join * (s.spawn_join - 1) / 2,
        weft: weft_spawn_join,
        tokio: tokio_spawn_join,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "{} trivial tasks spawned from inside the runtime (each returns its index), \
                 then every handle awaited in order and the outputs summed.",
                n(s.spawn_join)
            )
        },
    },
    Scenario {
        name: "spawn_join_named",
        expected: |s| s.spawn_join * (s.spawn_join - 1) / 2,
        weft: weft_spawn_join_named,
        tokio: tokio_spawn_join,
        multi_thread: false,
        cpu: false,
        target: None,
        note: |s| {
            format!(
                "as spawn_join, but weft names every task (`Builder::new().name(format!(\"task-{{i}}\"))`, \
                 one string allocation each); tokio's side is unchanged (it has no stable \
                 task names). Comparing weft's median here with spawn_join's gives the cost \
                 of names, {} tasks.",
                n(s.spawn_join)
            )
        },
    },
    Scenario {
        name: "call_soon",
        expected: |s| s.call_soon,
        weft: weft_call_soon,
        tokio: tokio_call_soon,
        multi_thread: false,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "{} callbacks each incrementing a counter. weft: `Handle::call_soon` with \
                 `!Send` closures over an `Rc<Cell<u64>>`, then one `yield_now` (they all \
                 run in the next turn). tokio has no callbacks: each closure becomes a \
                 task, `tokio::task::spawn_local` on a `LocalSet` over the same \
                 `Rc<Cell<u64>>` (join handles dropped), and the main future yields until \
                 the count is reached. The `LocalSet` variant was chosen because it mirrors \
                 weft's `!Send` closures and measured faster for tokio than plain \
                 `tokio::spawn` with an `Arc<AtomicU64>` (`WEFT_BENCH_CALL_SOON=spawn` \
                 runs that variant).",
                n(s.call_soon)
            )
        },
    },
    Scenario {
        name: "timers",
        expected: |s| s.timers,
        weft: weft_timers,
        tokio: tokio_timers,
        multi_thread: true,
        cpu: true,
        target: Some(1.5),
        note: |s| {
            format!(
                "{} tasks each sleeping a pseudo-random duration uniform in (0, {}] \
                 (xorshift64, fixed seed, same deadlines for both) on the real clock, then \
                 counting itself if it did not wake early. Wall time is dominated by the \
                 longest sleep; the `timers (cpu)` row is the CPU time (user + system, \
                 from `/proc/self/task/*/schedstat`) the process used during the run: the \
                 runtime's own cost of arming, firing and waking the timers.",
                n(s.timers),
                weft_bench::fmt_duration(s.timer_max)
            )
        },
    },
    Scenario {
        name: "timers_cancel",
        expected: |s| s.timers_cancel,
        weft: weft_timers_cancel,
        tokio: tokio_timers_cancel,
        multi_thread: true,
        cpu: false,
        target: Some(1.5),
        note: |s| {
            format!(
                "{} timers armed and cancelled in one task, {} pending at any time: each \
                 a sleep of a pseudo-random duration in (1 s, 10 s] (xorshift64, fixed \
                 seed), polled once (which arms it; it must be pending, unless the run has \
                 already lasted that long), and cancelled {} \
                 arms later by being replaced in its box (the boxes are allocated once) — \
                 the pattern of timeouts around requests that finish in time.",
                n(s.timers_cancel),
                n(s.timers_cancel_batch as u64),
                n(s.timers_cancel_batch as u64)
            )
        },
    },
    Scenario {
        name: "spawn_many",
        expected: |s| s.spawn_many * s.batch,
        weft: weft_spawn_many,
        tokio: tokio_spawn_many,
        multi_thread: true,
        cpu: false,
        target: Some(1.2),
        note: |s| {
            format!(
                "{} tasks spawned from inside the runtime, each bumping a shared atomic \
                 counter and finishing at once; the last one signals the main future \
                 (weft: a `Promise<()>`; tokio: a `oneshot`). Repeated {} times per \
                 repetition.",
                n(s.spawn_many),
                s.batch
            )
        },
    },
    Scenario {
        name: "yield_many",
        expected: |s| s.yield_tasks * s.yield_count,
        weft: weft_yield_many,
        tokio: tokio_yield_many,
        multi_thread: true,
        cpu: false,
        target: Some(1.2),
        note: |s| {
            format!(
                "{} tasks each yielding {} times (`weft::yield_now` / \
                 `tokio::task::yield_now`), all joined.",
                n(s.yield_tasks),
                n(s.yield_count)
            )
        },
    },
    Scenario {
        name: "ping_pong",
        expected: |s| s.batch * (s.ping_pong * (s.ping_pong + 1) / 2),
        weft: weft_ping_pong,
        tokio: tokio_ping_pong,
        multi_thread: true,
        cpu: false,
        target: Some(1.2),
        note: |s| {
            format!(
                "{} tasks, each spawning a partner and exchanging one message there and \
                 back with it through two oneshot channels (`weft::sync::oneshot` on the \
                 weft loop, `tokio::sync::oneshot` on tokio); all joined. Repeated {} \
                 times per repetition.",
                n(s.ping_pong),
                s.batch
            )
        },
    },
    Scenario {
        name: "chained_spawn",
        expected: |s| s.chain * s.batch,
        weft: weft_chained_spawn,
        tokio: tokio_chained_spawn,
        multi_thread: true,
        cpu: false,
        target: Some(1.2),
        note: |s| {
            format!(
                "a task spawns a task which spawns a task ... {} deep; the last one \
                 signals the main future (weft: `Promise`; tokio: `oneshot`). Repeated {} \
                 times per repetition.",
                n(s.chain),
                s.batch
            )
        },
    },
    Scenario {
        name: "lock_uncontended",
        expected: |s| s.lock_uncontended,
        weft: weft_lock_uncontended,
        tokio: tokio_lock_uncontended,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "one task (the main future) acquiring and releasing a lock {} times, \
                 counting: `weft::sync::Lock::acquire` on the weft loop against \
                 `tokio::sync::Mutex<()>::lock` on tokio's current-thread runtime. Nobody \
                 else wants the lock, so this is each one's fast path (plus its \
                 cooperative-budget check).",
                n(s.lock_uncontended)
            )
        },
    },
    Scenario {
        name: "lock_contended",
        expected: |s| s.lock_tasks * s.lock_iters,
        weft: weft_lock_contended,
        tokio: tokio_lock_contended,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "{} tasks each taking a shared lock {} times; while holding it a task \
                 reads a shared counter, yields once (so the others queue up behind \
                 the lock) and writes the counter back incremented, so any overlap \
                 would lose counts. `weft::sync::Lock` (tasks from `weft::spawn`, \
                 `weft::yield_now`) on the weft loop against `tokio::sync::Mutex<()>` \
                 (`tokio::spawn`, `tokio::task::yield_now`) on tokio's current-thread \
                 runtime; both FIFO, so every release hands the lock to the next queued \
                 task.",
                n(s.lock_tasks),
                n(s.lock_iters)
            )
        },
    },
    Scenario {
        name: "semaphore",
        expected: |s| s.sem_tasks * s.sem_iters + s.sem_permits,
        weft: weft_semaphore,
        tokio: tokio_semaphore,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "a semaphore of {} permits, {} tasks each acquiring a permit {} times, \
                 yielding once while holding it, releasing it. `weft::sync::Semaphore` \
                 (`weft::spawn`, `weft::yield_now`) on the weft loop against \
                 `tokio::sync::Semaphore` (`tokio::spawn`, `tokio::task::yield_now`) on \
                 tokio's current-thread runtime. Checksum: the acquisitions that saw at \
                 most {} holders, plus the peak number of holders (which must be {}).",
                s.sem_permits,
                n(s.sem_tasks),
                n(s.sem_iters),
                s.sem_permits,
                s.sem_permits
            )
        },
    },
    Scenario {
        name: "mpsc_bounded",
        expected: |s| s.mpsc * (s.mpsc - 1) / 2,
        weft: weft_mpsc_bounded,
        tokio: tokio_mpsc_bounded,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "one spawned producer task sending the integers 0..{} through a bounded \
                 channel of capacity {}, the main future receiving and summing them. \
                 `weft::sync::mpsc::channel` (`weft::spawn`) on the weft loop against \
                 `tokio::sync::mpsc::channel` (`tokio::spawn`) on tokio's current-thread \
                 runtime; the producer waits whenever the channel is full.",
                n(s.mpsc),
                s.mpsc_capacity
            )
        },
    },
    Scenario {
        name: "mpsc_unbounded",
        expected: |s| s.mpsc * (s.mpsc - 1) / 2,
        weft: weft_mpsc_unbounded,
        tokio: tokio_mpsc_unbounded,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "as `mpsc_bounded`, through an unbounded channel: \
                 `weft::sync::mpsc::unbounded_channel` on the weft loop against \
                 `tokio::sync::mpsc::unbounded_channel` on tokio's current-thread \
                 runtime. Sending never waits, so the producer sends all {} values in \
                 one poll and the receiver then drains them.",
                n(s.mpsc)
            )
        },
    },
    Scenario {
        name: "oneshot_ping_pong",
        expected: |s| s.oneshot * (s.oneshot - 1) / 2,
        weft: weft_oneshot_ping_pong,
        tokio: tokio_oneshot_ping_pong,
        multi_thread: true,
        cpu: false,
        target: Some(1.0),
        note: |s| {
            format!(
                "{} round trips, one after the other: the main future makes a fresh \
                 oneshot channel, spawns a task that sends the round's index through it, \
                 and awaits the receiver. `weft::sync::oneshot` (`weft::spawn`) on the \
                 weft loop against `tokio::sync::oneshot` (`tokio::spawn`) on tokio's \
                 current-thread runtime; each round costs a channel, a spawn, a send and \
                 a wake-up.",
                n(s.oneshot)
            )
        },
    },
    Scenario {
        name: "oneshot_bounce",
        expected: |s| 2 * s.oneshot,
        weft: weft_oneshot_bounce,
        tokio: tokio_oneshot_bounce,
        multi_thread: true,
        cpu: false,
        target: None,
        note: |s| {
            format!(
                "the main future and one spawned peer task bouncing a counter {} times \
                 there and back through oneshot channels, each message carrying a \
                 fresh oneshot sender for the reply (two channels and two wake-ups per \
                 round trip, no spawn, unlike `oneshot_ping_pong`); the peer increments \
                 the counter. `weft::sync::oneshot` (`weft::spawn`) on the weft loop \
                 against `tokio::sync::oneshot` (`tokio::spawn`) on tokio's \
                 current-thread runtime. Checksum: the final counter plus the peer's \
                 count of round trips.",
                n(s.oneshot)
            )
        },
    },
];

/// `1000000` as `1,000,000`.
fn n(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn weft_loop() -> weft::EventLoop {
    weft::EventLoop::new().expect("could not create a weft event loop")
}

/// Times `fut` as the main future of a fresh weft loop (loop creation and closing are
/// not timed).
fn weft_run(fut: impl std::future::Future<Output = u64>) -> Run {
    let mut lp = weft_loop();
    let (checksum, sample) = measure(|| lp.run_until_complete(fut));
    lp.close();
    Run { checksum, sample }
}

/// A fresh tokio runtime of flavor `rt`, with the timer if `time`. The multi-thread
/// one has run a task already, so that its workers are up before anything is timed.
fn tokio_runtime(rt: Tokio, time: bool) -> tokio::runtime::Runtime {
    let mut b = match rt {
        Tokio::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Tokio::MultiThread => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(MT_WORKERS);
            b
        }
    };
    if time {
        b.enable_time();
    }
    let runtime = b.build().expect("could not build a tokio runtime");
    if rt == Tokio::MultiThread {
        runtime
            .block_on(runtime.spawn(async {}))
            .expect("warm-up task failed");
    }
    runtime
}

/// Runs `fut` to completion as the main future on `runtime` of flavor `rt`: under
/// `block_on` on the current-thread runtime; on the multi-thread runtime as a spawned
/// task, so that it runs on a worker like the tasks it spawns (`block_on` only waits).
fn tokio_block_on<F>(runtime: &tokio::runtime::Runtime, rt: Tokio, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match rt {
        Tokio::CurrentThread => runtime.block_on(fut),
        Tokio::MultiThread => runtime
            .block_on(runtime.spawn(fut))
            .expect("main task failed"),
    }
}

/// Times `fut` as the main future of a fresh tokio runtime of flavor `rt` (creation and
/// drop not timed).
fn tokio_run<F>(rt: Tokio, time: bool, fut: F) -> Run
where
    F: Future<Output = u64> + Send + 'static,
{
    let runtime = tokio_runtime(rt, time);
    let (checksum, sample) = measure(|| tokio_block_on(&runtime, rt, fut));
    drop(runtime);
    Run { checksum, sample }
}

// ---- spawn_join -------------------------------------------------------------------

fn weft_spawn_join(s: &Sizes) -> Run {
    let n = s.spawn_join;
    weft_run(async move {
        let handles: Vec<_> = (0..n).map(|i| weft::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task failed");
        }
        sum
    })
}

fn weft_spawn_join_named(s: &Sizes) -> Run {
    let n = s.spawn_join;
    weft_run(async move {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                weft::Builder::new()
                    .name(format!("task-{i}"))
                    .spawn(async move { i })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task failed");
        }
        sum
    })
}

fn tokio_spawn_join(s: &Sizes, rt: Tokio) -> Run {
    let n = s.spawn_join;
    tokio_run(rt, false, async move {
        let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task failed");
        }
        sum
    })
}

// ---- call_soon --------------------------------------------------------------------

fn weft_call_soon(s: &Sizes) -> Run {
    let n = s.call_soon;
    weft_run(async move {
        let count = Rc::new(Cell::new(0u64));
        let h = weft::Handle::current();
        for _ in 0..n {
            let c = count.clone();
            h.call_soon(move || c.set(c.get() + 1));
        }
        // All callbacks run in the next turn, before the main future is polled again.
        weft::yield_now().await;
        while count.get() < n {
            weft::yield_now().await;
        }
        count.get()
    })
}

/// tokio's closest match of `call_soon`: `!Send` closures over an `Rc<Cell<u64>>`, run
/// as `spawn_local` tasks on a `LocalSet` (so on the current-thread runtime only).
fn tokio_call_soon(s: &Sizes, rt: Tokio) -> Run {
    assert_eq!(
        rt,
        Tokio::CurrentThread,
        "call_soon has no multi-thread variant"
    );
    let n = s.call_soon;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("could not build a tokio runtime");
    let local = tokio::task::LocalSet::new();
    let (checksum, sample) = measure(|| {
        local.block_on(&rt, async move {
            let count = Rc::new(Cell::new(0u64));
            for _ in 0..n {
                let c = count.clone();
                drop(tokio::task::spawn_local(async move { c.set(c.get() + 1) }));
            }
            while count.get() < n {
                tokio::task::yield_now().await;
            }
            count.get()
        })
    });
    drop(local);
    drop(rt);
    Run { checksum, sample }
}

/// The alternative, `WEFT_BENCH_CALL_SOON=spawn`: plain `tokio::spawn`ed tasks over an
/// `Arc<AtomicU64>` (join handles dropped).
fn tokio_call_soon_spawn(s: &Sizes, rt: Tokio) -> Run {
    let n = s.call_soon;
    tokio_run(rt, false, async move {
        let count = Arc::new(AtomicU64::new(0));
        for _ in 0..n {
            let c = count.clone();
            drop(tokio::spawn(async move {
                c.fetch_add(1, Ordering::Relaxed);
            }));
        }
        while count.load(Ordering::Relaxed) < n {
            tokio::task::yield_now().await;
        }
        count.load(Ordering::Relaxed)
    })
}

// ---- timers -----------------------------------------------------------------------

/// The same pseudo-random sleep durations for both runtimes, uniform in (0, max].
fn deadlines(s: &Sizes) -> Vec<Duration> {
    let mut rng = XorShift64::new(0x5EED_7153);
    let max = s.timer_max.as_nanos() as u64;
    (0..s.timers)
        .map(|_| Duration::from_nanos(1 + rng.below(max)))
        .collect()
}

fn weft_timers(s: &Sizes) -> Run {
    let ds = deadlines(s);
    weft_run(async move {
        let fired = Rc::new(Cell::new(0u64));
        let handles: Vec<_> = ds
            .into_iter()
            .map(|d| {
                let fired = fired.clone();
                weft::spawn(async move {
                    let t0 = Instant::now();
                    weft::sleep(d).await;
                    if t0.elapsed() >= d {
                        fired.set(fired.get() + 1);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task failed");
        }
        fired.get()
    })
}

fn tokio_timers(s: &Sizes, rt: Tokio) -> Run {
    let ds = deadlines(s);
    tokio_run(rt, true, async move {
        let fired = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = ds
            .into_iter()
            .map(|d| {
                let fired = fired.clone();
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    tokio::time::sleep(d).await;
                    if t0.elapsed() >= d {
                        fired.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task failed");
        }
        fired.load(Ordering::Relaxed)
    })
}

// ---- timers_cancel ------------------------------------------------------------------

/// The shortest sleep `timers_cancel` arms.
const MIN_CANCEL_SLEEP: Duration = Duration::from_secs(1);

/// Arms `count` sleeps made by `sleep` and cancels each one `batch` arms later, by
/// replacing it in its box; counts the sleeps that were pending after one poll (or
/// already due by then, see below). The boxes are allocated once, up front, so the
/// loop measures the timers, not the allocator.
async fn timers_cancel<S: Future<Output = ()>>(
    count: u64,
    batch: usize,
    sleep: impl Fn(Duration) -> S,
) -> u64 {
    let start = Instant::now();
    let mut rng = XorShift64::new(0xCA9C_E115);
    let (min, max) = (MIN_CANCEL_SLEEP.as_nanos() as u64, 10_000_000_000u64);
    let mut next = move || Duration::from_nanos(min + 1 + rng.below(max - min));
    let mut armed = 0u64;
    let mut slots: Vec<Pin<Box<S>>> = Vec::with_capacity(batch);
    for i in 0..count {
        let k = i as usize % batch;
        let d = next();
        if k == slots.len() {
            slots.push(Box::pin(sleep(d)));
        } else {
            // Dropping the old sleep in place cancels its timer.
            slots[k].set(sleep(d));
        }
        let sl = &mut slots[k];
        let pending =
            std::future::poll_fn(|cx| Poll::Ready(sl.as_mut().poll(cx).is_pending())).await;
        // A sleep must be pending at its first poll, unless the run has already lasted
        // its duration: on tokio's multi-thread runtime the timer advances on another
        // worker, and a preempted worker can come back to find a sleep made just before
        // already due (seen once in a million with 10 ms sleeps on this machine). The
        // clock is read only on that path.
        armed += u64::from(pending || start.elapsed() >= d);
    }
    armed
}

fn weft_timers_cancel(s: &Sizes) -> Run {
    weft_run(timers_cancel(
        s.timers_cancel,
        s.timers_cancel_batch,
        weft::sleep,
    ))
}

fn tokio_timers_cancel(s: &Sizes, rt: Tokio) -> Run {
    let fut = timers_cancel(s.timers_cancel, s.timers_cancel_batch, tokio::time::sleep);
    tokio_run(rt, true, fut)
}

// ---- spawn_many -------------------------------------------------------------------

fn weft_spawn_many(s: &Sizes) -> Run {
    let (n, batch) = (s.spawn_many, s.batch);
    weft_run(async move {
        let mut total = 0;
        for _ in 0..batch {
            let done = Arc::new(AtomicU64::new(0));
            let all = weft::Promise::<()>::new();
            for _ in 0..n {
                let (done, all) = (done.clone(), all.clone());
                drop(weft::spawn(async move {
                    if done.fetch_add(1, Ordering::Relaxed) + 1 == n {
                        all.set_result(()).expect("signalled twice");
                    }
                }));
            }
            all.await.expect("cancelled");
            total += done.load(Ordering::Relaxed);
        }
        total
    })
}

fn tokio_spawn_many(s: &Sizes, rt: Tokio) -> Run {
    let (n, batch) = (s.spawn_many, s.batch);
    tokio_run(rt, false, async move {
        let mut total = 0;
        for _ in 0..batch {
            let done = Arc::new(AtomicU64::new(0));
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let tx = Arc::new(Mutex::new(Some(tx)));
            for _ in 0..n {
                let (done, tx) = (done.clone(), tx.clone());
                drop(tokio::spawn(async move {
                    if done.fetch_add(1, Ordering::Relaxed) + 1 == n {
                        let tx = tx.lock().unwrap().take().expect("signalled twice");
                        tx.send(()).expect("receiver gone");
                    }
                }));
            }
            rx.await.expect("sender dropped");
            total += done.load(Ordering::Relaxed);
        }
        total
    })
}

// ---- yield_many -------------------------------------------------------------------

fn weft_yield_many(s: &Sizes) -> Run {
    let (tasks, yields) = (s.yield_tasks, s.yield_count);
    weft_run(async move {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                weft::spawn(async move {
                    for _ in 0..yields {
                        weft::yield_now().await;
                    }
                    yields
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task failed");
        }
        sum
    })
}

fn tokio_yield_many(s: &Sizes, rt: Tokio) -> Run {
    let (tasks, yields) = (s.yield_tasks, s.yield_count);
    tokio_run(rt, false, async move {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                tokio::spawn(async move {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                    yields
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.expect("task failed");
        }
        sum
    })
}

// ---- ping_pong --------------------------------------------------------------------

fn weft_ping_pong(s: &Sizes) -> Run {
    let (pairs, batch) = (s.ping_pong, s.batch);
    weft_run(async move {
        let mut total = 0;
        for _ in 0..batch {
            let handles: Vec<_> = (0..pairs)
                .map(|i| {
                    weft::spawn(async move {
                        let (ping_tx, ping_rx) = weft::sync::oneshot::channel::<u64>();
                        let (pong_tx, pong_rx) = weft::sync::oneshot::channel::<u64>();
                        drop(weft::spawn(async move {
                            let v = ping_rx.await.expect("ping dropped");
                            pong_tx.send(v + 1).expect("pong receiver gone");
                        }));
                        ping_tx.send(i).expect("ping receiver gone");
                        pong_rx.await.expect("pong dropped")
                    })
                })
                .collect();
            for h in handles {
                total += h.await.expect("task failed");
            }
        }
        total
    })
}

fn tokio_ping_pong(s: &Sizes, rt: Tokio) -> Run {
    let (pairs, batch) = (s.ping_pong, s.batch);
    tokio_run(rt, false, async move {
        let mut total = 0;
        for _ in 0..batch {
            let handles: Vec<_> = (0..pairs)
                .map(|i| {
                    tokio::spawn(async move {
                        let (ping_tx, ping_rx) = tokio::sync::oneshot::channel::<u64>();
                        let (pong_tx, pong_rx) = tokio::sync::oneshot::channel::<u64>();
                        drop(tokio::spawn(async move {
                            let v = ping_rx.await.expect("ping dropped");
                            pong_tx.send(v + 1).expect("pong receiver gone");
                        }));
                        ping_tx.send(i).expect("ping receiver gone");
                        pong_rx.await.expect("pong dropped")
                    })
                })
                .collect();
            for h in handles {
                total += h.await.expect("task failed");
            }
        }
        total
    })
}

// ---- chained_spawn ----------------------------------------------------------------

fn weft_chain(left: u64, depth: u64, done: weft::Promise<u64>) {
    if left == 0 {
        done.set_result(depth).expect("chain end signalled twice");
    } else {
        drop(weft::spawn(
            async move { weft_chain(left - 1, depth + 1, done) },
        ));
    }
}

fn weft_chained_spawn(s: &Sizes) -> Run {
    let (depth, batch) = (s.chain, s.batch);
    weft_run(async move {
        let mut total = 0;
        for _ in 0..batch {
            let done = weft::Promise::new();
            weft_chain(depth, 0, done.clone());
            total += done.await.expect("cancelled");
        }
        total
    })
}

fn tokio_chain(left: u64, depth: u64, done: tokio::sync::oneshot::Sender<u64>) {
    if left == 0 {
        done.send(depth).expect("receiver gone");
    } else {
        drop(tokio::spawn(async move {
            tokio_chain(left - 1, depth + 1, done)
        }));
    }
}

fn tokio_chained_spawn(s: &Sizes, rt: Tokio) -> Run {
    let (depth, batch) = (s.chain, s.batch);
    tokio_run(rt, false, async move {
        let mut total = 0;
        for _ in 0..batch {
            let (tx, rx) = tokio::sync::oneshot::channel();
            tokio_chain(depth, 0, tx);
            total += rx.await.expect("sender dropped");
        }
        total
    })
}

// ---- lock_uncontended -------------------------------------------------------------

fn weft_lock_uncontended(s: &Sizes) -> Run {
    let n = s.lock_uncontended;
    weft_run(async move {
        let lock = weft::sync::Lock::new();
        let mut count = 0;
        for _ in 0..n {
            let guard = lock.acquire().await;
            count += 1;
            drop(guard);
        }
        count
    })
}

fn tokio_lock_uncontended(s: &Sizes, rt: Tokio) -> Run {
    let n = s.lock_uncontended;
    tokio_run(rt, false, async move {
        let lock = tokio::sync::Mutex::new(());
        let mut count = 0;
        for _ in 0..n {
            let guard = lock.lock().await;
            count += 1;
            drop(guard);
        }
        count
    })
}

// ---- lock_contended ---------------------------------------------------------------

fn weft_lock_contended(s: &Sizes) -> Run {
    let (tasks, iters) = (s.lock_tasks, s.lock_iters);
    weft_run(async move {
        let lock = Arc::new(weft::sync::Lock::new());
        let counter = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (lock, counter) = (lock.clone(), counter.clone());
                weft::spawn(async move {
                    for _ in 0..iters {
                        let guard = lock.acquire().await;
                        let v = counter.load(Ordering::Relaxed);
                        weft::yield_now().await;
                        counter.store(v + 1, Ordering::Relaxed);
                        drop(guard);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task failed");
        }
        counter.load(Ordering::Relaxed)
    })
}

fn tokio_lock_contended(s: &Sizes, rt: Tokio) -> Run {
    let (tasks, iters) = (s.lock_tasks, s.lock_iters);
    tokio_run(rt, false, async move {
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let counter = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (lock, counter) = (lock.clone(), counter.clone());
                tokio::spawn(async move {
                    for _ in 0..iters {
                        let guard = lock.lock().await;
                        let v = counter.load(Ordering::Relaxed);
                        tokio::task::yield_now().await;
                        counter.store(v + 1, Ordering::Relaxed);
                        drop(guard);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task failed");
        }
        counter.load(Ordering::Relaxed)
    })
}

// ---- semaphore --------------------------------------------------------------------

/// What the semaphore scenario's tasks share: permit holders right now, the peak, and
/// the acquisitions that stayed within the limit.
#[derive(Default)]
struct Holders {
    now: AtomicU64,
    peak: AtomicU64,
    ok: AtomicU64,
}

impl Holders {
    fn enter(&self, limit: u64) {
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        if now <= limit {
            self.ok.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }

    fn checksum(&self) -> u64 {
        self.ok.load(Ordering::Relaxed) + self.peak.load(Ordering::Relaxed)
    }
}

fn weft_semaphore(s: &Sizes) -> Run {
    let (permits, tasks, iters) = (s.sem_permits, s.sem_tasks, s.sem_iters);
    weft_run(async move {
        let sem = Arc::new(weft::sync::Semaphore::new(permits as usize));
        let holders = Arc::new(Holders::default());
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (sem, holders) = (sem.clone(), holders.clone());
                weft::spawn(async move {
                    for _ in 0..iters {
                        let permit = sem.acquire().await.expect("semaphore closed");
                        holders.enter(permits);
                        weft::yield_now().await;
                        holders.leave();
                        drop(permit);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task failed");
        }
        holders.checksum()
    })
}

fn tokio_semaphore(s: &Sizes, rt: Tokio) -> Run {
    let (permits, tasks, iters) = (s.sem_permits, s.sem_tasks, s.sem_iters);
    tokio_run(rt, false, async move {
        let sem = Arc::new(tokio::sync::Semaphore::new(permits as usize));
        let holders = Arc::new(Holders::default());
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (sem, holders) = (sem.clone(), holders.clone());
                tokio::spawn(async move {
                    for _ in 0..iters {
                        let permit = sem.acquire().await.expect("semaphore closed");
                        holders.enter(permits);
                        tokio::task::yield_now().await;
                        holders.leave();
                        drop(permit);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task failed");
        }
        holders.checksum()
    })
}

// ---- mpsc_bounded / mpsc_unbounded ------------------------------------------------

fn weft_mpsc_bounded(s: &Sizes) -> Run {
    let (n, cap) = (s.mpsc, s.mpsc_capacity);
    weft_run(async move {
        let (tx, mut rx) = weft::sync::mpsc::channel::<u64>(cap);
        let producer = weft::spawn(async move {
            for i in 0..n {
                tx.send(i).await.expect("receiver gone");
            }
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        producer.await.expect("task failed");
        sum
    })
}

fn tokio_mpsc_bounded(s: &Sizes, rt: Tokio) -> Run {
    let (n, cap) = (s.mpsc, s.mpsc_capacity);
    tokio_run(rt, false, async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(cap);
        let producer = tokio::spawn(async move {
            for i in 0..n {
                tx.send(i).await.expect("receiver gone");
            }
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        producer.await.expect("task failed");
        sum
    })
}

fn weft_mpsc_unbounded(s: &Sizes) -> Run {
    let n = s.mpsc;
    weft_run(async move {
        let (tx, mut rx) = weft::sync::mpsc::unbounded_channel::<u64>();
        let producer = weft::spawn(async move {
            for i in 0..n {
                tx.send(i).expect("receiver gone");
            }
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        producer.await.expect("task failed");
        sum
    })
}

fn tokio_mpsc_unbounded(s: &Sizes, rt: Tokio) -> Run {
    let n = s.mpsc;
    tokio_run(rt, false, async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let producer = tokio::spawn(async move {
            for i in 0..n {
                tx.send(i).expect("receiver gone");
            }
        });
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        producer.await.expect("task failed");
        sum
    })
}

// ---- oneshot_ping_pong ------------------------------------------------------------

fn weft_oneshot_ping_pong(s: &Sizes) -> Run {
    let n = s.oneshot;
    weft_run(async move {
        let mut sum = 0;
        for i in 0..n {
            let (tx, rx) = weft::sync::oneshot::channel::<u64>();
            drop(weft::spawn(async move {
                tx.send(i).expect("receiver gone");
            }));
            sum += rx.await.expect("sender dropped");
        }
        sum
    })
}

fn tokio_oneshot_ping_pong(s: &Sizes, rt: Tokio) -> Run {
    let n = s.oneshot;
    tokio_run(rt, false, async move {
        let mut sum = 0;
        for i in 0..n {
            let (tx, rx) = tokio::sync::oneshot::channel::<u64>();
            drop(tokio::spawn(async move {
                tx.send(i).expect("receiver gone");
            }));
            sum += rx.await.expect("sender dropped");
        }
        sum
    })
}

// ---- oneshot_bounce ---------------------------------------------------------------

/// The message of `oneshot_bounce` on weft: the counter, and where to send the reply.
#[derive(Debug)]
struct WeftBall(u64, weft::sync::oneshot::Sender<WeftBall>);

fn weft_oneshot_bounce(s: &Sizes) -> Run {
    let n = s.oneshot;
    weft_run(async move {
        let (mut to_peer, peer_rx) = weft::sync::oneshot::channel::<WeftBall>();
        // The peer returns the ball incremented, until the main future stops sending.
        let peer = weft::spawn(async move {
            let (mut rx, mut bounced) = (peer_rx, 0u64);
            while let Ok(WeftBall(v, reply)) = rx.await {
                let (tx, next) = weft::sync::oneshot::channel();
                reply.send(WeftBall(v + 1, tx)).expect("main gone");
                rx = next;
                bounced += 1;
            }
            bounced
        });
        let mut count = 0;
        for _ in 0..n {
            let (tx, rx) = weft::sync::oneshot::channel();
            to_peer.send(WeftBall(count, tx)).expect("peer gone");
            let WeftBall(v, next) = rx.await.expect("peer dropped the ball");
            (count, to_peer) = (v, next);
        }
        drop(to_peer);
        count + peer.await.expect("task failed")
    })
}

/// The message of `oneshot_bounce` on tokio.
#[derive(Debug)]
struct TokioBall(u64, tokio::sync::oneshot::Sender<TokioBall>);

fn tokio_oneshot_bounce(s: &Sizes, rt: Tokio) -> Run {
    let n = s.oneshot;
    tokio_run(rt, false, async move {
        let (mut to_peer, peer_rx) = tokio::sync::oneshot::channel::<TokioBall>();
        let peer = tokio::spawn(async move {
            let (mut rx, mut bounced) = (peer_rx, 0u64);
            while let Ok(TokioBall(v, reply)) = rx.await {
                let (tx, next) = tokio::sync::oneshot::channel();
                reply.send(TokioBall(v + 1, tx)).expect("main gone");
                rx = next;
                bounced += 1;
            }
            bounced
        });
        let mut count = 0;
        for _ in 0..n {
            let (tx, rx) = tokio::sync::oneshot::channel();
            to_peer.send(TokioBall(count, tx)).expect("peer gone");
            let TokioBall(v, next) = rx.await.expect("peer dropped the ball");
            (count, to_peer) = (v, next);
        }
        drop(to_peer);
        count + peer.await.expect("task failed")
    })
}

// ---- task_memory ------------------------------------------------------------------

/// Polls of every [`Parked`] future so far.
static PARKED_POLLS: AtomicU64 = AtomicU64::new(0);

/// The future of the `task_memory` tasks: `W` words (`8 * W` bytes), never ready, and
/// it keeps no waker (so it allocates nothing anywhere); each poll is counted in
/// [`PARKED_POLLS`].
struct Parked<const W: usize> {
    _state: [u64; W],
}

impl<const W: usize> Parked<W> {
    fn new() -> Parked<W> {
        Parked { _state: [0; W] }
    }
}

impl<const W: usize> Future for Parked<W> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        PARKED_POLLS.fetch_add(1, Ordering::Relaxed);
        Poll::Pending
    }
}

/// What one runtime's `task_memory` run found.
struct TaskMemory {
    /// Tasks polled at least once (the checksum: all of them).
    polled: u64,
    /// Live heap growth from before the first spawn until every task had been polled
    /// once.
    bytes: isize,
}

/// The `task_memory` measurement inside a main future: after one warm-up task (the
/// runtime's one-time allocations), spawns `n` [`Parked`] tasks and yields until each
/// has been polled once, counting the heap growth meanwhile; then cancels them.
/// `spawn`, `yield_now` and `cancel` are the runtime's.
async fn task_memory<const W: usize, H, Y, C>(
    n: u64,
    spawn: impl Fn(Parked<W>) -> H,
    yield_now: impl Fn() -> Y,
    cancel: impl Fn(H) -> C,
) -> TaskMemory
where
    Y: Future<Output = ()>,
    C: Future<Output = ()>,
{
    cancel(spawn(Parked::new())).await;
    // Neither the handles' vector nor anything before the spawns is counted.
    let mut handles = Vec::with_capacity(n as usize);
    PARKED_POLLS.store(0, Ordering::SeqCst);
    COUNTED.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..n {
        handles.push(spawn(Parked::new()));
    }
    while PARKED_POLLS.load(Ordering::SeqCst) < n {
        yield_now().await;
    }
    // The steady state of pending tasks, not the spawn burst: two more turns let a
    // runtime finish the turn that polled them (and trim what the burst grew).
    yield_now().await;
    yield_now().await;
    COUNTING.store(false, Ordering::SeqCst);
    let bytes = COUNTED.load(Ordering::SeqCst);
    let polled = PARKED_POLLS.load(Ordering::SeqCst);
    for h in handles {
        cancel(h).await;
    }
    TaskMemory { polled, bytes }
}

fn weft_task_memory<const W: usize>(n: u64) -> TaskMemory {
    let mut lp = weft_loop();
    let out = lp.run_until_complete(task_memory::<W, _, _, _>(
        n,
        weft::spawn,
        weft::yield_now,
        |t| {
            t.cancel();
            async move {
                let err = t.await.expect_err("a parked task finished");
                assert!(err.is_cancelled(), "a parked task failed: {err}");
            }
        },
    ));
    lp.close();
    out
}

fn tokio_task_memory<const W: usize>(n: u64, rt: Tokio) -> TaskMemory {
    let runtime = tokio_runtime(rt, false);
    let out = tokio_block_on(
        &runtime,
        rt,
        task_memory::<W, _, _, _>(n, tokio::spawn, tokio::task::yield_now, |t| {
            t.abort();
            async move {
                let err = t.await.expect_err("a parked task finished");
                assert!(err.is_cancelled(), "a parked task failed: {err}");
            }
        }),
    );
    drop(runtime);
    out
}

/// Bytes per task beyond a future of `8 * W` bytes, over `n` tasks, on weft, tokio and
/// tokio-mt; an error if a runtime did not poll every task.
fn bytes_per_task<const W: usize>(n: u64) -> Result<[f64; 3], String> {
    let runs = [
        ("weft", weft_task_memory::<W>(n)),
        ("tokio", tokio_task_memory::<W>(n, Tokio::CurrentThread)),
        ("tokio-mt", tokio_task_memory::<W>(n, Tokio::MultiThread)),
    ];
    if let Some((runtime, m)) = runs.iter().find(|(_, m)| m.polled != n) {
        return Err(format!("{runtime} polled {} of {n} tasks", m.polled));
    }
    let future = std::mem::size_of::<Parked<W>>() as f64;
    Ok(runs.map(|(_, m)| m.bytes as f64 / n as f64 - future))
}

/// One `task_memory` measurement: [`bytes_per_task`] for one future size.
type PerTask = fn(u64) -> Result<[f64; 3], String>;

/// Futures of 8, 16, ..., 128 bytes: one period of tokio's task cell, which is aligned
/// to 128 bytes on x86-64 and aarch64 (so its padding, part of the overhead, depends on
/// the future's size modulo 128). The headline is the mean over these sizes.
const PERIOD: [PerTask; 16] = [
    bytes_per_task::<1>,
    bytes_per_task::<2>,
    bytes_per_task::<3>,
    bytes_per_task::<4>,
    bytes_per_task::<5>,
    bytes_per_task::<6>,
    bytes_per_task::<7>,
    bytes_per_task::<8>,
    bytes_per_task::<9>,
    bytes_per_task::<10>,
    bytes_per_task::<11>,
    bytes_per_task::<12>,
    bytes_per_task::<13>,
    bytes_per_task::<14>,
    bytes_per_task::<15>,
    bytes_per_task::<16>,
];

/// The `task_memory` scenario: rows for a few single future sizes (of [`PERIOD`], plus
/// 1 KiB), then the mean over [`PERIOD`], whose ratios go to the chart.
fn run_task_memory(tasks: u64, report: &mut Report, ratios: &mut Vec<Ratio>) -> Result<(), String> {
    let period = PERIOD
        .iter()
        .map(|per_task| per_task(tasks))
        .collect::<Result<Vec<[f64; 3]>, String>>()?;
    let mut row = |future: &str, [weft, tokio, mt]: [f64; 3]| {
        report.push_memory(TASK_MEMORY, future, tasks, weft, tokio, Some(mt));
    };
    for bytes in [16, 64, 128] {
        row(&format!("{bytes} B"), period[bytes / 8 - 1]);
    }
    row("1,024 B", bytes_per_task::<128>(tasks)?);
    let mean = |i: usize| period.iter().map(|b| b[i]).sum::<f64>() / period.len() as f64;
    row("8–128 B, mean", [mean(0), mean(1), mean(2)]);
    let headline = report.memory.last().expect("just pushed");
    ratios.push(Ratio::new("compare", "task overhead vs tokio", headline.ratio()).target(1.0));
    if let Some(r) = headline.ratio_mt() {
        ratios.push(Ratio::new("compare", "task overhead vs tokio-mt", r));
    }
    report.note(
        TASK_MEMORY,
        format!(
            "{} tasks spawned from the main future, each running a future that is never \
             ready and keeps no waker; once each has been polled, the growth of the live \
             heap since before the first spawn (bytes requested from the allocator, \
             counted by a global allocator wrapping `System`; the handles' vector is \
             allocated beforehand), divided by the tasks, minus the future's size. That \
             includes each runtime's share of its task list and run queue grown for that \
             many tasks (vectors that double as they grow, so up to half empty). Measured \
             once per runtime and future size, after one warm-up task; the tasks are then \
             cancelled. The last row is the mean over futures of 8, \
             16, ..., 128 bytes, since tokio aligns its task cell to 128 bytes (its \
             padding depends on the future's size modulo 128); its ratio is the one \
             charted.",
            n(tasks)
        ),
    );
    Ok(())
}

// ---- main -------------------------------------------------------------------------

fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let names: Vec<&str> = SCENARIOS
        .iter()
        .map(|s| s.name)
        .chain([TASK_MEMORY])
        .collect();
    if args.help {
        println!("{}\nscenarios: {}", Args::usage(), names.join(", "));
        return;
    }
    let selected = match args.select(&names) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let sizes = if args.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    let plain_spawn = std::env::var_os("WEFT_BENCH_CALL_SOON").is_some_and(|v| v == "spawn");
    let machine = MachineInfo::detect();
    let mut report = Report::new(args.quick, args.reps);
    let mut ratios = Vec::new();
    if selected.iter().any(|s| *s != TASK_MEMORY) {
        report.note(
            "tokio-mt",
            format!(
                "tokio's multi-thread runtime with {MT_WORKERS} worker threads, running the \
                 same (`Send`) code as the current-thread column; the main future is \
                 spawned as a task (so it runs on a worker like the tasks it spawns) and \
                 `block_on` only waits for it. Scenarios with `!Send` state (call_soon's \
                 `LocalSet`) and weft-only variations (spawn_join_named) have no tokio-mt \
                 column."
            ),
        );
    }
    for sc in SCENARIOS.iter().filter(|s| selected.contains(&s.name)) {
        eprint!("{} ... ", sc.name);
        let t0 = Instant::now();
        let tokio_fn = if sc.name == "call_soon" && plain_spawn {
            tokio_call_soon_spawn
        } else {
            sc.tokio
        };
        let mut mt = || tokio_fn(&sizes, Tokio::MultiThread);
        let result = Comparison::run(
            args.reps,
            (sc.expected)(&sizes),
            &mut || (sc.weft)(&sizes),
            &mut || tokio_fn(&sizes, Tokio::CurrentThread),
            if sc.multi_thread { Some(&mut mt) } else { None },
        );
        let cmp = match result {
            Ok(c) => c,
            Err(e) => {
                eprintln!();
                eprintln!("error: scenario {}: {e}", sc.name);
                std::process::exit(1);
            }
        };
        eprintln!("ok ({:.1} s)", t0.elapsed().as_secs_f64());
        let rows = if sc.cpu {
            let wall = cmp.wall_row(&format!("{} (wall)", sc.name));
            [Some(wall), cmp.cpu_row(&format!("{} (cpu)", sc.name))]
        } else {
            [Some(cmp.wall_row(sc.name)), None]
        };
        for row in rows.into_iter().flatten() {
            let vs_tokio = Ratio::new("compare", format!("{} vs tokio", row.scenario), row.ratio());
            // A CPU scenario's target is on its CPU row: its wall time is mostly the
            // same waiting for both runtimes.
            let is_wall_of_cpu = sc.cpu && row.scenario.ends_with("(wall)");
            ratios.push(match sc.target {
                Some(t) if !is_wall_of_cpu => vs_tokio.target(t),
                _ => vs_tokio,
            });
            if let Some(r) = row.ratio_mt() {
                ratios.push(Ratio::new(
                    "compare",
                    format!("{} vs tokio-mt", row.scenario),
                    r,
                ));
            }
            report.push(row);
        }
        report.note(sc.name, (sc.note)(&sizes));
    }
    if selected.contains(&TASK_MEMORY) {
        eprint!("{TASK_MEMORY} ... ");
        let t0 = Instant::now();
        if let Err(e) = run_task_memory(sizes.task_memory, &mut report, &mut ratios) {
            eprintln!();
            eprintln!("error: scenario {TASK_MEMORY}: {e}");
            std::process::exit(1);
        }
        eprintln!("ok ({:.1} s)", t0.elapsed().as_secs_f64());
    }
    // In quick mode the table starts with the "quick mode: ..." banner.
    print!("{}", report.text_table());
    if let Some(path) = &args.markdown {
        let mut command = String::from("cargo bench -p weft-bench --bench compare --");
        for a in &args.raw {
            command.push(' ');
            command.push_str(a);
        }
        let md = report.markdown(&machine, &command);
        if let Err(e) = std::fs::write(path, md) {
            eprintln!("error: could not write {}: {e}", path.display());
            std::process::exit(1);
        }
        if let Err(e) = write_ratios(path, &ratios) {
            eprintln!(
                "error: could not write the ratios next to {}: {e}",
                path.display()
            );
            std::process::exit(1);
        }
        println!(
            "markdown written to {} (ratios: {})",
            path.display(),
            weft_bench::ratios_path(path).display()
        );
    }
}
