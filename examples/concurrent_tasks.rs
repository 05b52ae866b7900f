//! Two tasks running concurrently: the shorter sleep finishes first.
//!
//! From seed 003, "3. Tasks":
//!
//! ```python
//! import asyncio # Importing the library
//!
//! async def task_one():
//!     print("Task one start")
//!     await asyncio.sleep(2)
//!     print("Task one done")
//!
//! async def task_two():
//!     print("Task two start")
//!     await asyncio.sleep(1)
//!     print("Task two done")
//!
//! async def main():
//!     task1 = asyncio.create_task(task_one())
//!     task2 = asyncio.create_task(task_two())
//!
//!     # Wait for both tasks to complete
//!     await task1
//!     await task2
//!
//! # Running the main coroutine
//! asyncio.run(main())
//! ```
//!
//! Expected output (from the seed):
//!
//! ```text
//! Task one start
//! Task two start
//! Task two done
//! Task one done
//! ```
//!
//! `asyncio.create_task` is `weft::spawn`, `asyncio.run(main())` is `#[weft::main]`.
//! Both tasks start in the loop's next turn, in the order they were spawned; their
//! timers then fire in deadline order, so the output order is fixed. The program takes
//! 2 seconds, not 3.
//!
//! Run it with `cargo run --example concurrent_tasks` (it takes 2 seconds).

use std::time::Duration;

async fn task_one() {
    println!("Task one start");
    weft::sleep(Duration::from_secs(2)).await;
    println!("Task one done");
}

async fn task_two() {
    println!("Task two start");
    weft::sleep(Duration::from_secs(1)).await;
    println!("Task two done");
}

#[weft::main]
async fn main() {
    let task1 = weft::spawn(task_one());
    let task2 = weft::spawn(task_two());

    // Wait for both tasks to complete
    task1
        .await
        .expect("task one neither panicked nor was cancelled");
    task2
        .await
        .expect("task two neither panicked nor was cancelled");
}
