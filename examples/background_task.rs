//! A background task completes a future that `main` is waiting on.
//!
//! From seed 002, "Example of Low-Level `asyncio` Code with `Future` and `Event Loop`":
//!
//! ```python
//! import asyncio
//!
//! async def background_task(future):
//!     await asyncio.sleep(2)  # Simulate an I/O operation
//!     future.set_result("Task completed")  # Set result in the future
//!
//! async def main():
//!     loop = asyncio.get_running_loop()
//!
//!     # Create a Future object and a background task to complete it
//!     future = loop.create_future()
//!     loop.create_task(background_task(future))
//!
//!     print("Waiting for the background task to finish...")
//!     result = await future  # Wait for the future to have a result
//!     print(result)
//!
//! asyncio.run(main())
//! ```
//!
//! `asyncio.get_running_loop()` is `weft::Handle::current()`, `loop.create_future()` is
//! `weft::Promise::new()`, `loop.create_task(...)` is `Handle::spawn(...)`. `main`
//! suspends on the promise; the loop meanwhile runs the task, whose timer fires after
//! 2 seconds.
//!
//! Run it with `cargo run --example background_task` (it takes 2 seconds).

use std::time::Duration;

async fn background_task(future: weft::Promise<&'static str>) {
    weft::sleep(Duration::from_secs(2)).await; // Simulate an I/O operation
    future
        .set_result("Task completed") // Set result in the promise
        .expect("the future is still pending");
}

#[weft::main]
async fn main() {
    let lp = weft::Handle::current();

    // Create a Promise and a background task to complete it
    let future = weft::Promise::new();
    lp.spawn(background_task(future.clone()));

    println!("Waiting for the background task to finish...");
    let result = future.await.expect("not cancelled"); // Wait for the promise to have a result
    println!("{result}");
}
