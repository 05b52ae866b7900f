//! asyncio's `Event`, `Condition` and `Barrier`, in weft.
//!
//! ```python
//! async def waiter(event):
//!     await event.wait()
//!     print("the event is set")
//!
//! async def consumer(cond, items):
//!     async with cond:
//!         await cond.wait_for(lambda: items)
//!         print("consumed", items.pop())
//!
//! async def runner(barrier, name):
//!     print(name, "arrives")
//!     await barrier.wait()
//!     print(name, "passes")
//! ```
//!
//! `Condition::wait` takes the lock guard and hands it back, like `std::sync::Condvar`.
//!
//! Run it with `cargo run --example sync_events`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use weft::sync::{Barrier, Condition, Event};

#[weft::main]
async fn main() {
    println!("-- Event");
    let event = Rc::new(Event::new());
    let e = event.clone();
    let waiter = weft::spawn(async move {
        e.wait().await;
        println!("the event is set");
    });
    weft::sleep(Duration::from_millis(50)).await;
    println!("setting the event");
    event.set();
    waiter.await.expect("waiter failed");

    println!("-- Condition");
    let cond = Rc::new(Condition::new());
    let items = Rc::new(RefCell::new(Vec::new()));
    let (c, it) = (cond.clone(), items.clone());
    let consumer = weft::spawn(async move {
        let guard = c.acquire().await;
        let _guard = c.wait_for(guard, || !it.borrow().is_empty()).await;
        println!("consumed {}", it.borrow_mut().pop().expect("an item"));
    });
    weft::sleep(Duration::from_millis(50)).await;
    {
        let _guard = cond.acquire().await;
        items.borrow_mut().push("a message");
        println!("produced, notifying");
        cond.notify(1);
    }
    consumer.await.expect("consumer failed");

    println!("-- Barrier");
    let barrier = Rc::new(Barrier::new(3));
    let runners: Vec<_> = [("first", 10u64), ("second", 60), ("third", 110)]
        .into_iter()
        .map(|(name, ms)| {
            let b = barrier.clone();
            weft::spawn(async move {
                weft::sleep(Duration::from_millis(ms)).await;
                println!("{name} arrives");
                let index = b.wait().await.expect("the barrier is never broken");
                (name, index)
            })
        })
        .collect();
    for r in runners {
        let (name, index) = r.await.expect("runner failed");
        println!("{name} passed the barrier as arrival {index}");
    }
}
