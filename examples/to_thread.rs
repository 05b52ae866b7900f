//! `to_thread`: run blocking code on a thread, and the loop keeps running meanwhile.
//!
//! From seed 003, "7. Running in parallel with `asyncio.to_thread`":
//!
//! > `asyncio.to_thread()` runs blocking code in a separate thread without blocking
//! > the event loop.
//!
//! The seed shows no code for it; in Python it reads:
//!
//! ```python
//! import asyncio
//! import time
//!
//! def blocking_io():
//!     print("blocking_io: start")
//!     time.sleep(0.2)  # blocks its own thread, not the loop
//!     print("blocking_io: done")
//!     return "file contents"
//!
//! async def ticker():
//!     for i in range(1, 4):
//!         print(f"ticker: the loop is free (tick {i})")
//!         await asyncio.sleep(0.02)
//!
//! async def main():
//!     print("main: handing blocking_io to a thread")
//!     ticks = asyncio.create_task(ticker())
//!     result = await asyncio.to_thread(blocking_io)
//!     print(f"main: blocking_io returned {result!r}")
//!     await ticks
//!
//! asyncio.run(main())
//! ```
//!
//! `asyncio.to_thread(f)` is `weft::to_thread(f)`: `f` runs on weft's blocking pool
//! (asyncio's default executor: at most `min(32, cpu_count + 4)` threads) and awaiting
//! gives `Result<T, weft::BlockingError>` — the error carries a panic of `f`.
//!
//! The output is deterministic. The ticker starts ticking only once `blocking_io` has
//! said it started (a `weft::Promise` handshake), and its three ticks take 40 ms of the
//! 200 ms that `blocking_io` sleeps; `main` prints after `blocking_io` returned:
//!
//! ```text
//! main: handing blocking_io to a thread
//! blocking_io: start
//! ticker: the loop is free (tick 1)
//! ticker: the loop is free (tick 2)
//! ticker: the loop is free (tick 3)
//! blocking_io: done
//! main: blocking_io returned "file contents"
//! ```
//!
//! Run it with `cargo run --example to_thread`.

use std::time::Duration;

fn blocking_io(started: weft::Promise<()>) -> &'static str {
    println!("blocking_io: start");
    started.set_result(()).expect("set once");
    std::thread::sleep(Duration::from_millis(200)); // blocks its own thread, not the loop
    println!("blocking_io: done");
    "file contents"
}

async fn ticker(started: weft::Promise<()>) {
    started.await.expect("blocking_io starts");
    for i in 1..=3 {
        println!("ticker: the loop is free (tick {i})");
        weft::sleep(Duration::from_millis(20)).await;
    }
}

#[weft::main]
async fn main() {
    let started = weft::Promise::new();
    println!("main: handing blocking_io to a thread");
    let ticks = weft::spawn(ticker(started.clone()));
    let result = weft::to_thread(move || blocking_io(started))
        .await
        .expect("blocking_io does not panic");
    println!("main: blocking_io returned {result:?}");
    ticks
        .await
        .expect("the ticker neither panicked nor was cancelled");
}
