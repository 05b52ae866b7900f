//! Calling a coroutine function only makes a coroutine object; awaiting it runs it.
//!
//! From seed 004, "Basics":
//!
//! ```python
//! async def get_data():
//!     return "hello"
//!
//! async def main():
//!     coro = get_data()
//!     data = await coro
//!     print(data)
//!
//! asyncio.run(main())  # main() returns a coroutine object
//! ```
//!
//! and its closing remark (in an HTML comment of the seed):
//!
//! ```python
//! async def hello():
//!     print("I am async code")
//!
//! hello()  # ❌ Does NOT run
//! # Output: <coroutine object hello at 0x722da904c4c0>
//! ```
//!
//! Rust futures are just as lazy: calling an `async fn` returns a future and runs none
//! of its body; `.await` (or a loop) runs it. The Rust compiler even warns about a
//! future that is made and never used (`unused_must_use`). The weft version makes the
//! `hello()` future, drops it unawaited (nothing is printed), then awaits a fresh one.
//!
//! Run it with `cargo run --example coroutine_object`.

async fn get_data() -> &'static str {
    "hello"
}

async fn hello() {
    println!("I am async code");
}

async fn main_coro() {
    let coro = get_data();
    let data = coro.await;
    println!("{data}");

    // Not in the seed's main: the closing remark about un-awaited coroutines.
    let never_awaited = hello(); // Does NOT run: nothing is printed here
    drop(never_awaited);
    println!("(the un-awaited hello() printed nothing)");
    hello().await; // Runs
}

fn main() {
    weft::run(main_coro()); // main_coro() returns a future: run() runs it
}
