//! `asyncio.gather`: run several coroutines concurrently, get their results in order.
//!
//! From seed 003, "4. Gathering tasks":
//!
//! ```python
//! async def task_one():
//!     await asyncio.sleep(1)
//!     return "Task one result"
//!
//! async def task_two():
//!     await asyncio.sleep(2)
//!     return "Task two result"
//!
//! async def main():
//!     results = await asyncio.gather(task_one(), task_two())
//!     print(results)
//!
//! asyncio.run(main())
//! ```
//!
//! The seed's "Output" block under this example is a copy of the previous example's
//! (it prints "Task one start" and so on, which this code never prints). What Python
//! really prints is `['Task one result', 'Task two result']`, after 2 seconds.
//!
//! `asyncio.gather(a, b)` is `weft::gather!(a, b).await`, which gives a tuple (the two
//! futures have different types); `weft::gather(iter).await` gives a `Vec` when they
//! have the same type, as shown second. Results come in argument order, whatever order
//! the futures finish in: in the second call the first future is the slower one. The
//! weft version prints the results as a list, like Python (Rust's `{:?}` quotes strings
//! with `"`).
//!
//! Run it with `cargo run --example gather` (it takes 4 seconds: twice 2 seconds).

use std::time::Duration;

async fn task_one() -> &'static str {
    weft::sleep(Duration::from_secs(1)).await;
    "Task one result"
}

async fn task_two() -> &'static str {
    weft::sleep(Duration::from_secs(2)).await;
    "Task two result"
}

/// One `async fn` for both, so that the futures have a single type for `weft::gather`.
async fn task(name: &'static str, seconds: u64) -> String {
    weft::sleep(Duration::from_secs(seconds)).await;
    format!("Task {name} result")
}

#[weft::main]
async fn main() {
    let (one, two) = weft::gather!(task_one(), task_two()).await;
    let results = [one, two];
    println!("{results:?}");

    // Not in the Python original: the function form, over an iterator. "slow" finishes
    // last but comes first, in argument order.
    let results = weft::gather([task("slow", 2), task("quick", 1)]).await;
    println!("{results:?}");
}
