//! Structured concurrency with `weft::TaskGroup`: fan out fetch-like jobs, and when one
//! fails, the group cancels its siblings and reports the failure.
//!
//! The asyncio it mirrors (Python 3.11+):
//!
//! ```python
//! import asyncio
//!
//! async def fetch(page, delay, fail=False):
//!     print(f"{page}: started")
//!     try:
//!         await asyncio.sleep(delay)
//!         if fail:
//!             raise ConnectionError(f"{page}: connection reset")
//!         print(f"{page}: fetched")
//!         return f"<{page}>"
//!     except asyncio.CancelledError:
//!         print(f"{page}: cancelled, connection closed")
//!         raise
//!
//! async def main():
//!     async with asyncio.TaskGroup() as tg:
//!         tasks = [tg.create_task(fetch(p, d)) for p, d in [("alpha", 0.3), ("beta", 0.1)]]
//!     print("all fetched:", [t.result() for t in tasks])
//!     try:
//!         async with asyncio.TaskGroup() as tg:
//!             tg.create_task(fetch("gamma", 0.3))
//!             tg.create_task(fetch("delta", 0.15, fail=True))
//!             tg.create_task(fetch("epsilon", 0.5))
//!     except* ConnectionError as eg:
//!         print("the group failed:", eg.exceptions)
//!
//! asyncio.run(main())
//! ```
//!
//! In weft the children return `Result<T, E>`; `join()` is the end of the `async with`
//! block: it gives every output in spawn order, or a `TaskGroupError` listing every
//! failure. Cancelling a child drops its future, so its cleanup lives in a `Drop` impl
//! (here: `Connection`). The output is deterministic: timers fire in deadline order and
//! cancelled children are dropped in spawn order.
//!
//! Run it with `cargo run --example taskgroup_fanout`.

use std::fmt;
use std::time::Duration;

/// Why a fetch failed.
#[derive(Debug)]
struct FetchError {
    page: &'static str,
    reason: &'static str,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.page, self.reason)
    }
}

/// A fetch's connection: its `Drop` is the cleanup, which also runs on cancellation.
struct Connection {
    page: &'static str,
    finished: bool,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !self.finished {
            println!("{}: cancelled, connection closed", self.page);
        }
    }
}

async fn fetch(page: &'static str, delay_ms: u64, fail: bool) -> Result<String, FetchError> {
    println!("{page}: started");
    let mut conn = Connection {
        page,
        finished: false,
    };
    weft::sleep(Duration::from_millis(delay_ms)).await;
    conn.finished = true;
    if fail {
        println!("{page}: failed");
        return Err(FetchError {
            page,
            reason: "connection reset",
        });
    }
    println!("{page}: fetched");
    Ok(format!("<{page}>"))
}

fn main() {
    weft::run(async {
        println!("-- every fetch succeeds");
        let group = weft::TaskGroup::new();
        for (page, delay_ms) in [("alpha", 300), ("beta", 100)] {
            group
                .spawn(fetch(page, delay_ms, false))
                .expect("the group is open");
        }
        match group.join().await {
            Ok(pages) => println!("all fetched, in spawn order: {pages:?}"),
            Err(err) => println!("the group failed: {err}"),
        }

        println!("-- one fetch fails");
        let group = weft::TaskGroup::new();
        for (page, delay_ms, fail) in [
            ("gamma", 300, false),
            ("delta", 150, true),
            ("epsilon", 500, false),
        ] {
            group
                .spawn(fetch(page, delay_ms, fail))
                .expect("the group is open");
        }
        match group.join().await {
            Ok(pages) => println!("all fetched: {pages:?}"),
            Err(err) => {
                println!("the group failed: {err}");
                for failure in &err.errors {
                    if let Some(e) = failure.error() {
                        println!("  {} failed: {}", e.page, e.reason);
                    }
                }
            }
        }
        // A finished group takes no more children.
        if let Err(e) = group.spawn(fetch("zeta", 100, false)) {
            println!("spawning after the end: {e}");
        }
    });
}
