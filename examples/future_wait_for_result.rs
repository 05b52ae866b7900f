//! A task that sets a future's result, awaited by `main`.
//!
//! From seed 003, "8. Futures":
//!
//! ```python
//! import asyncio
//!
//! async def wait_for_result(future):
//!     await asyncio.sleep(1)  # Simulate some I/O
//!     future.set_result("Result is ready!")  # Manually set the result
//!     print("Result set!")
//!
//! async def main():
//!     future = asyncio.Future()  # Create an empty future
//!     await asyncio.create_task(wait_for_result(future))  # Wait for the future to be completed
//!     print(await future)  # Await the result of the future
//!
//! asyncio.run(main())
//! ```
//!
//! Expected output (from the seed):
//!
//! ```text
//! Result set!
//! Result is ready!
//! ```
//!
//! `asyncio.Future()` is `weft::Promise::new()`, `asyncio.create_task` is `weft::spawn`,
//! `asyncio.run` is `#[weft::main]`. Awaiting a task gives `Result<T, weft::TaskError>`
//! and awaiting a promise `Result<T, weft::Cancelled>`; neither fails here.
//!
//! Run it with `cargo run --example future_wait_for_result` (it takes 1 second).

use std::time::Duration;

async fn wait_for_result(future: weft::Promise<&'static str>) {
    weft::sleep(Duration::from_secs(1)).await; // Simulate some I/O
    future
        .set_result("Result is ready!") // Manually set the result
        .expect("the future is still pending");
    println!("Result set!");
}

#[weft::main]
async fn main() {
    let future = weft::Promise::new(); // Create an empty future
    weft::spawn(wait_for_result(future.clone()))
        .await // Wait for the future to be completed
        .expect("the task neither panicked nor was cancelled");
    println!("{}", future.await.expect("not cancelled")); // Await the result of the future
}
