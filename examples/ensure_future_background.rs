//! A task runs in the background while `main` does other work, then `main` collects
//! its result.
//!
//! From seed 003, "8. Futures / Using `asyncio.ensure_future()`":
//!
//! ```python
//! async def slow_operation():
//!     await asyncio.sleep(2)
//!     return "Slow operation result"
//!
//! async def main():
//!     future = asyncio.ensure_future(slow_operation())  # Run in background
//!     await asyncio.sleep(1)  # Do other work while waiting
//!     result = await future  # Wait for the future's result
//!     print(result)
//!
//! asyncio.run(main())
//! ```
//!
//! `asyncio.ensure_future(coro)` is `weft::spawn(fut)`. The task's 2-second sleep and
//! `main`'s 1-second sleep overlap, so the whole program takes 2 seconds, not 3.
//!
//! Run it with `cargo run --example ensure_future_background` (it takes 2 seconds).

use std::time::Duration;

async fn slow_operation() -> &'static str {
    weft::sleep(Duration::from_secs(2)).await;
    "Slow operation result"
}

#[weft::main]
async fn main() {
    let future = weft::spawn(slow_operation()); // Run in background
    weft::sleep(Duration::from_secs(1)).await; // Do other work while waiting
    let result = future
        .await // Wait for the task's result
        .expect("the task neither panicked nor was cancelled");
    println!("{result}");
}
