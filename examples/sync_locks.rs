//! asyncio's `Lock` and `Semaphore`, in weft.
//!
//! ```python
//! async def worker(i, name, lock, sem):
//!     async with sem:             # at most 2 workers inside at once
//!         async with lock:        # one at a time in the critical section
//!             print(f"{name} has the lock")
//!             await asyncio.sleep(0.1)
//!         await asyncio.sleep(0.3 + 0.05 * i)
//! ```
//!
//! `async with lock:` becomes a guard that releases when dropped. Waiters are served in
//! arrival order, so the output order is fixed.
//!
//! Run it with `cargo run --example sync_locks`.

use std::rc::Rc;
use std::time::Duration;

use weft::sync::{Lock, Semaphore};

async fn worker(i: u64, name: &'static str, lock: Rc<Lock>, sem: Rc<Semaphore>) {
    let _slot = sem.acquire().await.expect("the semaphore is never closed");
    println!("{name} got a semaphore slot");
    {
        let _held = lock.acquire().await;
        println!("{name} has the lock");
        weft::sleep(Duration::from_millis(100)).await;
        println!("{name} releases the lock");
    }
    // Staggered so that no two events share a deadline: the output order is fixed.
    weft::sleep(Duration::from_millis(300 + 50 * i)).await;
    println!("{name} leaves");
}

#[weft::main]
async fn main() {
    let lock = Rc::new(Lock::new());
    let sem = Rc::new(Semaphore::new(2));
    let tasks: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .zip(0..)
        .map(|(name, i)| weft::spawn(worker(i, name, lock.clone(), sem.clone())))
        .collect();
    for t in tasks {
        t.await.expect("worker failed");
    }
    println!("lock free again: {}", !lock.locked());
}
