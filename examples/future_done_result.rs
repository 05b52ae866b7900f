//! Checking whether a future is done, and reading its result.
//!
//! From seed 003, "8. Futures / Checking if a `Future` is done":
//!
//! ```python
//! future = asyncio.Future()
//! print(future.done())  # False (not yet done)
//!
//! # Set a result or exception
//! future.set_result(42)
//! print(future.done())  # True (the future is now completed)
//! print(future.result())  # 42 (the result is ready)
//! ```
//!
//! `weft::Promise` needs no running loop for this: it can be made, set and read
//! anywhere (as Python allowed before 3.10, when `asyncio.Future()` could still pick up
//! a loop outside a coroutine). Rust prints booleans in lower case: `false`, `true`.
//! `result()` is a `Result` too: it fails with `ResultError::InvalidState` while the
//! promise is pending (asyncio raises `InvalidStateError`), which the example shows
//! first.
//!
//! Run it with `cargo run --example future_done_result`.

fn main() {
    let future = weft::Promise::new();
    println!("{}", future.done()); // false (not yet done)
    if let Err(e) = future.result() {
        // Not in the Python original: asking too early is an error, as in asyncio.
        println!("result() too early: {e}");
    }

    // Set a result or exception
    future.set_result(42).expect("the future is still pending");
    println!("{}", future.done()); // true (the future is now completed)
    println!("{}", future.result().expect("the result is ready")); // 42 (the result is ready)
}
