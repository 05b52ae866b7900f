//! Producer/consumer with a `Queue`: workers share a queue of jobs, `task_done` marks
//! each job finished, `join` waits for all of them, then the workers are cancelled.
//!
//! asyncio's classic queue example (from the `asyncio.Queue` docs), with a producer
//! task feeding a bounded queue instead of filling it up front:
//!
//! ```python
//! async def worker(name, queue):
//!     while True:
//!         sleep_for = await queue.get()
//!         await asyncio.sleep(sleep_for)
//!         queue.task_done()
//!         print(f'{name} has slept for {sleep_for:.2f} seconds')
//!
//! async def producer(queue, jobs):
//!     for sleep_for in jobs:
//!         await queue.put(sleep_for)    # waits while the queue is full
//!     print(f'producer: all {len(jobs)} jobs queued')
//!
//! async def main():
//!     queue = asyncio.Queue(maxsize=3)
//!     tasks = [asyncio.create_task(worker(f'worker-{i}', queue)) for i in range(3)]
//!     started_at = time.monotonic()
//!     await producer(queue, JOBS)
//!     await queue.join()                # every job is task_done
//!     total_slept_for = time.monotonic() - started_at
//!     for task in tasks:
//!         task.cancel()
//!     await asyncio.gather(*tasks, return_exceptions=True)
//!     print('====')
//!     print(f'3 workers slept in parallel for {total_slept_for:.1f} seconds')
//!     print(f'total expected sleep time: {sum(JOBS):.1f} seconds')
//! ```
//!
//! The docs draw the durations at random; here they are fixed, chosen so that no two
//! jobs end within 100 ms of each other, which keeps the printed order deterministic
//! on the real clock. The workers take jobs in queue order, each as soon as it is free:
//! 5 seconds of work take 2 seconds with 3 workers.
//!
//! In weft, `asyncio.Queue(maxsize=3)` is `weft::sync::Queue::new(3)`; it is shared
//! through an `Rc` (tasks on one loop need not be `Send`; an `Arc` works across
//! threads). `get`/`put` return `Result`s that only fail once the queue is shut down
//! (Python 3.13's `queue.shutdown()`, an alternative to cancelling the workers: their
//! `get` would then fail with `QueueShutDown` once the queue is empty).
//!
//! Run it with `cargo run --example producer_consumer` (it takes 2 seconds).

use std::rc::Rc;
use std::time::Duration;

use weft::sync::Queue;

/// The jobs, in milliseconds of sleep.
const JOBS: [u64; 9] = [600, 500, 100, 700, 200, 400, 600, 900, 1000];

async fn worker(name: String, queue: Rc<Queue<Duration>>) {
    loop {
        let sleep_for = queue.get().await.expect("the queue is never shut down");
        weft::sleep(sleep_for).await;
        queue.task_done().expect("one task_done per job taken");
        println!(
            "{name} has slept for {:.2} seconds",
            sleep_for.as_secs_f64()
        );
    }
}

async fn producer(queue: Rc<Queue<Duration>>) {
    for ms in JOBS {
        queue
            .put(Duration::from_millis(ms)) // waits while the queue is full
            .await
            .expect("the queue is never shut down");
    }
    println!("producer: all {} jobs queued", JOBS.len());
}

#[weft::main]
async fn main() {
    let queue = Rc::new(Queue::new(3));
    let tasks: Vec<_> = (0..3)
        .map(|i| weft::spawn(worker(format!("worker-{i}"), queue.clone())))
        .collect();

    let handle = weft::Handle::current();
    let started_at = handle.time();
    producer(queue.clone()).await;
    queue.join().await; // every job is task_done
    let total_slept_for = handle.time() - started_at;

    for task in &tasks {
        task.cancel();
    }
    let mut cancelled = 0;
    for task in tasks {
        if task.await.is_err_and(|e| e.is_cancelled()) {
            cancelled += 1;
        }
    }
    println!("====");
    println!(
        "3 workers slept in parallel for {:.1} seconds",
        total_slept_for.as_secs_f64()
    );
    let total: u64 = JOBS.iter().sum();
    println!(
        "total expected sleep time: {:.1} seconds",
        total as f64 / 1000.0
    );
    println!("{cancelled} workers cancelled");
}
