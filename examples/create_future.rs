//! A future made by hand, resolved by a callback: `loop.create_future()` and
//! `loop.call_soon(future.set_result, ...)`.
//!
//! From seed 000 (and 001), "Key Low-Level APIs / 2. Future":
//!
//! ```python
//! import asyncio
//!
//! loop = asyncio.get_event_loop()
//! future = loop.create_future()
//!
//! # Set the result of the future
//! loop.call_soon(future.set_result, "Result is ready")
//!
//! # Get the result
//! print(loop.run_until_complete(future))  # Output: "Result is ready"
//! ```
//!
//! asyncio's `Future` is `weft::Promise`. Python passes the bound method
//! `future.set_result` and its argument to `call_soon`; in Rust the callback is a
//! closure that owns a clone of the promise (every clone is the same promise).
//! Awaiting a promise gives `Result<T, weft::Cancelled>`: `Err` only if it was cancelled.
//!
//! Run it with `cargo run --example create_future`.

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let future = weft::Promise::new();

    // Set the result of the future
    let setter = future.clone();
    lp.handle().call_soon(move || {
        setter
            .set_result("Result is ready")
            .expect("the future is still pending");
    });

    // Get the result
    let result = lp.run_until_complete(future).expect("not cancelled");
    println!("{result}"); // Output: "Result is ready"
    lp.close();
}
