//! A task starts on its own, without being awaited; `main` goes on meanwhile.
//!
//! From seed 002, "Coroutines vs. Tasks / 1. Coroutines" and "2. Tasks":
//!
//! ```python
//! async def my_coroutine():
//!     print("Starting coroutine")
//!     await asyncio.sleep(1)
//!     print("Coroutine done")
//!
//! async def main():
//!     task = asyncio.create_task(my_coroutine())  # Starts executing immediately
//!     print("Task created and running in the background")
//!     await task  # Wait for the task to finish
//!
//! asyncio.run(main())
//! ```
//!
//! The seed says the task "starts executing immediately"; more precisely, in asyncio
//! as in weft, `create_task` schedules it for the loop's next turn, and `main` keeps
//! running until its next `await`. So `main`'s line comes first:
//!
//! ```text
//! Task created and running in the background
//! Starting coroutine
//! Coroutine done
//! ```
//!
//! `asyncio.create_task` is `weft::spawn`. Awaiting the `weft::Task` gives
//! `Result<(), weft::TaskError>`.
//!
//! Run it with `cargo run --example task_background` (it takes 1 second).

use std::time::Duration;

async fn my_coroutine() {
    println!("Starting coroutine");
    weft::sleep(Duration::from_secs(1)).await;
    println!("Coroutine done");
}

#[weft::main]
async fn main() {
    let task = weft::spawn(my_coroutine()); // Scheduled: starts at the loop's next turn
    println!("Task created and running in the background");
    task.await // Wait for the task to finish
        .expect("the task neither panicked nor was cancelled");
}
