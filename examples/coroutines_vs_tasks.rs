//! Coroutines awaited one after the other run sequentially; tasks run concurrently.
//!
//! From seed 002, "Coroutines vs. Tasks / Example: Coroutine vs. Task in Practice":
//!
//! ```python
//! import asyncio
//!
//! async def my_coroutine(name):
//!     print(f"{name} started")
//!     await asyncio.sleep(2)  # Simulates a long I/O operation
//!     print(f"{name} finished")
//!
//! # Using coroutines directly - they run sequentially if awaited directly
//! async def run_sequentially():
//!     await my_coroutine("Coroutine 1")
//!     await my_coroutine("Coroutine 2")
//!
//! # Using tasks - they run concurrently
//! async def run_concurrently():
//!     task1 = asyncio.create_task(my_coroutine("Task 1"))
//!     task2 = asyncio.create_task(my_coroutine("Task 2"))
//!     await task1
//!     await task2
//!
//! async def main():
//!     print("Running coroutines sequentially:")
//!     await run_sequentially()
//!     print("\nRunning tasks concurrently:")
//!     await run_concurrently()
//!
//! asyncio.run(main())
//! ```
//!
//! Expected output (from the seed):
//!
//! ```text
//! Running coroutines sequentially:
//! Coroutine 1 started
//! Coroutine 1 finished
//! Coroutine 2 started
//! Coroutine 2 finished
//!
//! Running tasks concurrently:
//! Task 1 started
//! Task 2 started
//! Task 1 finished
//! Task 2 finished
//! ```
//!
//! An `async fn` is a coroutine: calling it makes a future that does nothing until it is
//! awaited. `weft::spawn` (asyncio's `create_task`) makes it a task that the loop runs
//! on its own. The sequential half takes 4 seconds, the concurrent half 2. Both tasks
//! sleep for the same 2 seconds; task 1 started first, so its deadline comes first and
//! it finishes first (timers fire in deadline order, ties in the order they were set).
//!
//! Run it with `cargo run --example coroutines_vs_tasks` (it takes 6 seconds).

use std::time::Duration;

async fn my_coroutine(name: &str) {
    println!("{name} started");
    weft::sleep(Duration::from_secs(2)).await; // Simulates a long I/O operation
    println!("{name} finished");
}

/// Using coroutines directly: they run sequentially if awaited directly.
async fn run_sequentially() {
    my_coroutine("Coroutine 1").await;
    my_coroutine("Coroutine 2").await;
}

/// Using tasks: they run concurrently.
async fn run_concurrently() {
    let task1 = weft::spawn(my_coroutine("Task 1"));
    let task2 = weft::spawn(my_coroutine("Task 2"));
    task1
        .await
        .expect("task 1 neither panicked nor was cancelled");
    task2
        .await
        .expect("task 2 neither panicked nor was cancelled");
}

#[weft::main]
async fn main() {
    println!("Running coroutines sequentially:");
    run_sequentially().await;
    println!("\nRunning tasks concurrently:");
    run_concurrently().await;
}
