//! Creating, using and closing a loop of your own.
//!
//! From seed 000 (and 001), "Key Low-Level APIs / 4. Custom Event Loop":
//!
//! ```python
//! import asyncio
//!
//! async def my_task():
//!     await asyncio.sleep(1)
//!     print("Task completed!")
//!
//! # Create a new event loop
//! custom_loop = asyncio.new_event_loop()
//! asyncio.set_event_loop(custom_loop)
//!
//! custom_loop.run_until_complete(my_task())
//! custom_loop.close()
//! ```
//!
//! `asyncio.new_event_loop()` is `weft::EventLoop::new()`. There is no
//! `set_event_loop`: weft keeps no "current loop" for a thread that is not running one.
//! A loop is current exactly while it runs (that is what `weft::Handle::current()` and
//! `weft::spawn` find), and a `weft::Handle` reaches it from anywhere.
//!
//! Run it with `cargo run --example custom_loop` (it takes 1 second).

use std::time::Duration;

async fn my_task() {
    weft::sleep(Duration::from_secs(1)).await;
    println!("Task completed!");
}

fn main() {
    // Create a new event loop
    let mut custom_loop = weft::EventLoop::new().expect("could not create an event loop");

    custom_loop.run_until_complete(my_task());
    custom_loop.close();
}
