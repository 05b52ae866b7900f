//! A future resolved by a scheduled function: `asyncio.Future()` and a callback that
//! calls `future.set_result`.
//!
//! From seed 000 (and 001), "Custom Futures and Tasks / 1. Using `asyncio.Future`":
//!
//! ```python
//! import asyncio
//!
//! def set_future_result(future):
//!     future.set_result("Future is done!")
//!
//! loop = asyncio.get_event_loop()
//! future = asyncio.Future()
//!
//! loop.call_soon(set_future_result, future)
//! print(loop.run_until_complete(future))  # Output: "Future is done!"
//! ```
//!
//! `asyncio.Future()` is `weft::Promise::new()`. Python's `call_soon(f, arg)` passes the
//! argument along; in Rust the callback is a closure that moves a clone of the promise
//! into `set_future_result`.
//!
//! Run it with `cargo run --example future_set_result`.

fn set_future_result(future: weft::Promise<&'static str>) {
    future
        .set_result("Future is done!")
        .expect("the future is still pending");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let future = weft::Promise::new();

    let arg = future.clone();
    lp.handle().call_soon(move || set_future_result(arg));
    let result = lp.run_until_complete(future).expect("not cancelled");
    println!("{result}"); // Output: "Future is done!"
    lp.close();
}
