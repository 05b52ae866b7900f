//! The three kinds of awaitables: coroutines, tasks and futures.
//!
//! From seed 002, "Core Concepts and Components of `asyncio`" (items 2 to 5, fragments
//! put together into one program here), and seed 004, "Coroutines and Tasks" ("there
//! are three types of awaitables: coroutines, Tasks, Future"):
//!
//! ```python
//! async def example_coroutine():
//!     await asyncio.sleep(1)  # Yield control back to the event loop
//!     print("Coroutine finished")
//!
//! task = asyncio.create_task(example_coroutine())
//! await task  # Wait for task to complete
//!
//! future = asyncio.Future()
//! future.set_result("Data ready")
//! await future  # Waits for the future to have a result
//!
//! await asyncio.sleep(1)  # Awaiting an asyncio sleep coroutine
//! ```
//!
//! In weft: a coroutine is an `async fn` (its future runs only when awaited), a task is
//! `weft::spawn(fut)` (the loop runs it on its own; awaiting it gives
//! `Result<T, weft::TaskError>`), and a future you resolve by hand is a `weft::Promise`
//! (awaiting it gives `Result<T, weft::Cancelled>`). `weft::sleep` is awaitable like any
//! other future. The printed headers are not in the seed; they say which awaitable
//! produced which line.
//!
//! Run it with `cargo run --example awaitables` (it takes 2 seconds).

use std::time::Duration;

async fn example_coroutine() {
    weft::sleep(Duration::from_secs(1)).await; // Yield control back to the event loop
    println!("Coroutine finished");
}

#[weft::main]
async fn main() {
    println!("1. await a coroutine:");
    example_coroutine().await;

    println!("2. await a task:");
    let task = weft::spawn(example_coroutine());
    task.await // Wait for task to complete
        .expect("the task neither panicked nor was cancelled");

    println!("3. await a future:");
    let future = weft::Promise::new();
    future
        .set_result("Data ready")
        .expect("the future is still pending");
    let data = future.await.expect("not cancelled"); // Waits for the future to have a result
    println!("{data}");
}
