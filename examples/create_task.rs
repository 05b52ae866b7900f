//! Wrapping a coroutine in a task on a loop, then running the loop until the task is
//! done: `loop.create_task` + `run_until_complete`.
//!
//! From seed 000 (and 001), "Key Low-Level APIs / 3. Task":
//!
//! ```python
//! import asyncio
//!
//! async def say_hello():
//!     await asyncio.sleep(1)
//!     print("Hello!")
//!
//! loop = asyncio.get_event_loop()
//! task = loop.create_task(say_hello())  # Manually create a task
//! loop.run_until_complete(task)
//! loop.close()
//! ```
//!
//! `loop.create_task` on a loop that is not running yet is `EventLoop::spawn`. The task
//! starts when the loop runs. Awaiting (or running until) a `weft::Task` gives
//! `Result<T, weft::TaskError>`, `Err` if the task panicked or was cancelled.
//!
//! Run it with `cargo run --example create_task` (it takes 1 second).

use std::time::Duration;

async fn say_hello() {
    weft::sleep(Duration::from_secs(1)).await;
    println!("Hello!");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let task = lp.spawn(say_hello()); // Manually create a task
    lp.run_until_complete(task)
        .expect("the task neither panicked nor was cancelled");
    lp.close();
}
