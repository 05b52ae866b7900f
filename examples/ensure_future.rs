//! `asyncio.ensure_future`: wrap a coroutine in a task, then run the loop until it ends.
//!
//! From seed 000 (and 001), "Custom Futures and Tasks / 2. Running Coroutines as Tasks":
//!
//! ```python
//! import asyncio
//!
//! async def my_task():
//!     print("Task running...")
//!     await asyncio.sleep(1)
//!     print("Task finished!")
//!
//! loop = asyncio.get_event_loop()
//! task = asyncio.ensure_future(my_task())  # Wrap coroutine in a Task
//! loop.run_until_complete(task)
//! ```
//!
//! `ensure_future` and `create_task` are the same thing in weft: `EventLoop::spawn`
//! before the loop runs, `weft::spawn` inside it. (Python's `ensure_future` also accepts
//! a future and returns it unchanged; in Rust any future can simply be awaited.)
//!
//! Run it with `cargo run --example ensure_future` (it takes 1 second).

use std::time::Duration;

async fn my_task() {
    println!("Task running...");
    weft::sleep(Duration::from_secs(1)).await;
    println!("Task finished!");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let task = lp.spawn(my_task()); // Wrap the future in a Task
    lp.run_until_complete(task)
        .expect("the task neither panicked nor was cancelled");
}
