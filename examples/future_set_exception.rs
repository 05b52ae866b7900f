//! Setting an exception on a future, and catching it where the future is awaited.
//!
//! From seed 003, "8. Futures / Setting Exceptions on a `Future`":
//!
//! ```python
//! async def fail_later(future):
//!     await asyncio.sleep(1)
//!     future.set_exception(ValueError("An error occurred"))
//!
//! async def main():
//!     future = asyncio.Future()
//!     await asyncio.create_task(fail_later(future))
//!     try:
//!         result = await future  # This will raise the exception
//!     except ValueError as e:
//!         print(f"Caught exception: {e}")
//!
//! asyncio.run(main())
//! ```
//!
//! Rust has no exceptions: Python's `ValueError` becomes an error type, and a future
//! that may hold one is a `weft::Promise<Result<T, ValueError>>`. `set_exception(e)` is
//! `set_result(Err(e))`, and `try`/`except ValueError` is a `match` on the awaited
//! value. Awaiting the promise gives `Result<Result<T, ValueError>, weft::Cancelled>`:
//! the outer `Result` says whether the promise was cancelled, the inner one is the
//! value or the "exception".
//!
//! Run it with `cargo run --example future_set_exception` (it takes 1 second).

use std::fmt;
use std::time::Duration;

/// Python's `ValueError`: a message.
#[derive(Debug, Clone)]
struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

async fn fail_later(future: weft::Promise<Result<i32, ValueError>>) {
    weft::sleep(Duration::from_secs(1)).await;
    future
        .set_exception(ValueError("An error occurred".into()))
        .expect("the future is still pending");
}

#[weft::main]
async fn main() {
    let future = weft::Promise::new();
    weft::spawn(fail_later(future.clone()))
        .await
        .expect("the task neither panicked nor was cancelled");
    match future.await.expect("not cancelled") {
        Ok(result) => println!("Result: {result}"),
        Err(e) => println!("Caught exception: {e}"),
    }
}
