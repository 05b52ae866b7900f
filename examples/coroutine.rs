//! A coroutine that pauses at an `await`.
//!
//! From seed 003, "1. Coroutines":
//!
//! ```python
//! import asyncio
//!
//! async def my_coroutine():
//!     print("Start")
//!     await asyncio.sleep(1)
//!     print("End")
//!
//! # Running the coroutine
//! asyncio.run(my_coroutine())
//! ```
//!
//! A coroutine is an `async fn`; `asyncio.run(coro)` is `weft::run(fut)`: it makes a
//! loop, runs the future to completion and closes the loop. While the coroutine sleeps,
//! the loop is free to run anything else that is ready.
//!
//! Run it with `cargo run --example coroutine` (it takes 1 second).

use std::time::Duration;

async fn my_coroutine() {
    println!("Start");
    weft::sleep(Duration::from_secs(1)).await;
    println!("End");
}

fn main() {
    // Running the coroutine
    weft::run(my_coroutine());
}
