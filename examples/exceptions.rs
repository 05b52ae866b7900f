//! Handling an error raised by an awaited coroutine.
//!
//! From seed 003, "5. Handling exceptions":
//!
//! ```python
//! async def faulty_task():
//!     raise ValueError("Something went wrong")
//!
//! async def main():
//!     try:
//!         await faulty_task()
//!     except ValueError as e:
//!         print(f"Caught an exception: {e}")
//!
//! asyncio.run(main())
//! ```
//!
//! Expected output (from the seed):
//!
//! ```text
//! Caught an exception: Something went wrong
//! ```
//!
//! Rust has no exceptions: a coroutine that can fail returns a `Result`, Python's
//! `ValueError` becomes an error type, `raise` becomes `return Err(...)` and
//! `try`/`except` becomes a `match` (or `?` to let the error propagate, as an uncaught
//! exception would).
//!
//! Run it with `cargo run --example exceptions`.

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
    Err(ValueError("Something went wrong".into()))
}

#[weft::main]
async fn main() {
    match faulty_task().await {
        Ok(()) => {}
        Err(e) => println!("Caught an exception: {e}"),
    }
}
