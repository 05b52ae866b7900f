//! `call_soon`: schedule a plain callback for the loop's next turn.
//!
//! From seed 000 (and 001), "Low-Level Tasks Management / 1. `loop.call_soon()`":
//!
//! ```python
//! import asyncio
//!
//! def my_callback():
//!     print("Callback executed!")
//!
//! loop = asyncio.get_event_loop()
//! loop.call_soon(my_callback)
//! loop.run_forever()  # Will execute the callback and then keep running
//! ```
//!
//! The Python version never ends: `run_forever` keeps the loop running after the
//! callback, and you stop it with Ctrl+C. So that this example ends (and can be tested),
//! the weft version schedules one more callback that calls `stop()` (asyncio's
//! `loop.stop()`); callbacks run in FIFO order, so it runs right after `my_callback`.
//!
//! Run it with `cargo run --example call_soon`.

fn my_callback() {
    println!("Callback executed!");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let h = lp.handle();
    h.call_soon(my_callback);

    // Not in the Python original: stop the loop once the callback has run.
    let stopper = h.clone();
    h.call_soon(move || stopper.stop());

    lp.run_forever(); // Executes the callback, then (here) returns at the stop.
    lp.close();
}
