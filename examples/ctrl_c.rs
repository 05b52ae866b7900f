//! Ctrl+C handling, as seed 004 describes asyncio's:
//!
//! ```text
//! First Ctrl+C:
//!   - Cancels the main coroutine via .cancel()
//!   - Inside your coroutine, asyncio.CancelledError is raised
//!   - You can handle cleanup there
//! Second Ctrl+C:
//!   - Immediately raises KeyboardInterrupt and exits forcefully
//! ```
//!
//! In weft, `weft::run` (and `#[weft::main]`) does the same: the first SIGINT drops the
//! main future — cleanup is its `Drop` — then exits with status 130; a second SIGINT
//! during that cleanup ends the process at once.
//!
//! Run it with `cargo run --example ctrl_c` and press Ctrl+C (twice, with
//! `CTRL_C_SLOW_CLEANUP=1`, to see the second one cut the cleanup short). Its output is
//! pinned by `tests/ctrl_c.rs`, which sends the signals.

use std::time::Duration;

/// Held by the main future: dropping it is the cleanup.
struct Resources;

impl Drop for Resources {
    fn drop(&mut self) {
        println!("cleanup: closing resources");
        if std::env::var_os("CTRL_C_SLOW_CLEANUP").is_some() {
            println!("cleanup: this takes a while...");
            std::thread::sleep(Duration::from_secs(30));
            println!("cleanup: done");
        }
    }
}

#[weft::main]
async fn main() {
    let _resources = Resources;
    println!("working; press Ctrl+C to stop");
    loop {
        weft::sleep(Duration::from_secs(3600)).await;
    }
}
