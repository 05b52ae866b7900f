//! `call_later`: schedule a plain callback after a delay.
//!
//! From seed 000 (and 001), "Low-Level Tasks Management / 2. `loop.call_later()`":
//!
//! ```python
//! import asyncio
//!
//! def delayed_callback():
//!     print("Callback executed after delay!")
//!
//! loop = asyncio.get_event_loop()
//! loop.call_later(2, delayed_callback)  # 2-second delay
//! loop.run_forever()
//! ```
//!
//! Like the `call_soon` example, the Python version runs forever after the callback.
//! So that this one ends, the weft version stops the loop from inside the delayed
//! callback (asyncio's `loop.stop()`); `run_forever` then returns after that turn.
//!
//! Run it with `cargo run --example call_later` (it waits 2 seconds).

use std::time::Duration;

fn delayed_callback() {
    println!("Callback executed after delay!");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let h = lp.handle();
    let stopper = h.clone();
    h.call_later(Duration::from_secs(2), move || {
        delayed_callback();
        // Not in the Python original: stop the loop so the example ends.
        stopper.stop();
    }); // 2-second delay

    lp.run_forever();
    lp.close();
}
