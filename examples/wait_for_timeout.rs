//! `asyncio.wait_for`: give up on a coroutine that takes too long.
//!
//! From seed 003, "6. Timeouts":
//!
//! ```python
//! import asyncio
//!
//! async def my_task():
//!     await asyncio.sleep(3)
//!     return "Done"
//!
//! async def main():
//!     try:
//!         result = await asyncio.wait_for(my_task(), timeout=2)
//!     except asyncio.TimeoutError:
//!         print("Task took too long!")
//!     else:
//!         print(result)
//!
//! asyncio.run(main())
//! ```
//!
//! Expected output (from the seed):
//!
//! ```text
//! Task took too long!
//! ```
//!
//! `asyncio.wait_for(aw, timeout=2)` is `weft::wait_for(Duration::from_secs(2), fut)`
//! (the duration comes first). It gives `Ok(output)`, or `Err(weft::TimeoutError)` once
//! the deadline passes; the `try`/`except`/`else` becomes a `match`. As in asyncio, the
//! slow future is dropped (cancelled) at the deadline, so the program ends after
//! 2 seconds, not 3.
//!
//! Run it with `cargo run --example wait_for_timeout` (it takes 2 seconds).

use std::time::Duration;

async fn my_task() -> &'static str {
    weft::sleep(Duration::from_secs(3)).await;
    "Done"
}

#[weft::main]
async fn main() {
    match weft::wait_for(Duration::from_secs(2), my_task()).await {
        Err(weft::TimeoutError) => println!("Task took too long!"),
        Ok(result) => println!("{result}"),
    }
}
