//! A task sets a future's result after a delay while `main` awaits the future.
//!
//! From seed 001, "Usage" (the example of asyncio's documentation for `Future`):
//!
//! ```python
//! async def set_after(fut, delay, value):
//!     # Sleep for *delay* seconds.
//!     await asyncio.sleep(delay)
//!
//!     # Set *value* as a result of *fut* Future.
//!     fut.set_result(value)
//!
//! async def main():
//!     # Get the current event loop.
//!     loop = asyncio.get_running_loop()
//!
//!     # Create a new Future object.
//!     fut = loop.create_future()
//!
//!     # Run "set_after()" coroutine in a parallel Task.
//!     # We are using the low-level "loop.create_task()" API here because
//!     # we already have a reference to the event loop at hand.
//!     # Otherwise we could have just used "asyncio.create_task()".
//!     loop.create_task(
//!         set_after(fut, 1, '... world'))
//!
//!     print('hello ...')
//!
//!     # Wait until *fut* has a result (1 second) and print it.
//!     print(await fut)
//!
//! asyncio.run(main())
//! ```
//!
//! `asyncio.get_running_loop()` is `weft::Handle::current()`, `loop.create_future()` is
//! `weft::Promise::new()` and `loop.create_task(...)` is `Handle::spawn` (which, being
//! callable from any thread, wants a `Send` future; `weft::spawn` is
//! `asyncio.create_task` and takes any future). The task handle is dropped at once:
//! that detaches the task, it keeps running, as in Python.
//!
//! Run it with `cargo run --example set_after` (it takes 1 second).

use std::time::Duration;

async fn set_after(fut: weft::Promise<&'static str>, delay: Duration, value: &'static str) {
    // Sleep for *delay*.
    weft::sleep(delay).await;

    // Set *value* as a result of *fut* Promise.
    fut.set_result(value).expect("the future is still pending");
}

#[weft::main]
async fn main() {
    // Get the current event loop.
    let lp = weft::Handle::current();

    // Create a new Promise object.
    let fut = weft::Promise::new();

    // Run "set_after()" in a parallel Task.
    lp.spawn(set_after(fut.clone(), Duration::from_secs(1), "... world"));

    println!("hello ...");

    // Wait until *fut* has a result (1 second) and print it.
    println!("{}", fut.await.expect("not cancelled"));
}
