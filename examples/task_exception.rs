//! A task that fails, and the error caught where the loop runs it.
//!
//! From seed 000 (and 001), "Error Handling in Low-Level APIs / Handle Task Exceptions":
//!
//! ```python
//! import asyncio
//!
//! async def faulty_task():
//!     raise ValueError("Oops!")
//!
//! loop = asyncio.get_event_loop()
//! task = loop.create_task(faulty_task())
//!
//! try:
//!     loop.run_until_complete(task)
//! except ValueError as e:
//!     print(f"Caught exception: {e}")
//! ```
//!
//! Rust has no exceptions: the task's coroutine returns `Result<(), ValueError>` and
//! the error travels as the task's output. Running a `weft::Task` until complete gives
//! `Result<Result<(), ValueError>, weft::TaskError>`: the outer `Result` says whether
//! the task ran to its end (it is `Err` only if the task panicked or was cancelled),
//! the inner one is the coroutine's own success or "exception". The `task_panic`
//! example shows the other way to fail, a panic.
//!
//! Run it with `cargo run --example task_exception`.

use std::fmt;

/// Python's `ValueError`: a message.
#[derive(Debug)]
struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

async fn faulty_task() -> Result<(), ValueError> {
    Err(ValueError("Oops!".into()))
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let task = lp.spawn(faulty_task());

    match lp.run_until_complete(task) {
        Ok(Ok(())) => println!("No exception"),
        Ok(Err(e)) => println!("Caught exception: {e}"),
        Err(e) => println!("The task did not finish: {e}"),
    }
    lp.close();
}
