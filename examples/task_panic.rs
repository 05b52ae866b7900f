//! A task that panics: the loop catches the panic and the task's handle reports it.
//!
//! From seed 000 (and 001), "Error Handling in Low-Level APIs / Handle Task Exceptions",
//! the same Python as the `task_exception` example:
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
//! Here the failure is a Rust panic instead of an error value. A panic inside a task
//! does not bring the loop down: weft catches it, the task ends, and its handle
//! resolves to `Err(weft::TaskError::Panicked(p))`, whose `p.message()` is the panic
//! message. (Prefer `Result`s for errors you expect, as in `task_exception`; panics are
//! for bugs.) Rust's default panic hook still prints the panic ("thread 'main' panicked
//! at ... Oops!") to stderr when it happens; only stdout shows the caught message.
//!
//! Run it with `cargo run --example task_panic`.

async fn faulty_task() {
    panic!("Oops!");
}

fn main() {
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let task = lp.spawn(faulty_task());

    match lp.run_until_complete(task) {
        Ok(()) => println!("No exception"),
        Err(weft::TaskError::Panicked(p)) => {
            println!(
                "Caught exception: {}",
                p.message().unwrap_or("(no message)")
            );
        }
        Err(e) => println!("The task did not finish: {e}"),
    }
    lp.close();
}
