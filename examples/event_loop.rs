//! The event loop: run one coroutine to completion on a loop, then close the loop.
//!
//! From seed 000 (and 001), "Key Low-Level APIs / 1. Event Loop":
//!
//! ```python
//! import asyncio
//!
//! async def main():
//!     print("Running in the event loop")
//!
//! loop = asyncio.get_event_loop()
//! loop.run_until_complete(main())  # Manually run the coroutine
//! loop.close()  # Always close the loop when done
//! ```
//!
//! In weft, `asyncio.get_event_loop()` is `weft::EventLoop::new()` (there is no
//! implicit per-thread loop to fetch: you make one), and the rest reads the same.
//! `weft::run(main())` does all three steps at once, like `asyncio.run(main())`.
//!
//! Run it with `cargo run --example event_loop`.

async fn main_coro() {
    println!("Running in the event loop");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    lp.run_until_complete(main_coro()); // Manually run the coroutine
    lp.close(); // Always close the loop when done
}
