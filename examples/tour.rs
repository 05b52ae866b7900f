//! A tour of weft in one program: the event loop, callbacks, a promise, tasks,
//! `gather`, `wait_for` and a caught panic, each next to the asyncio call it mirrors.
//!
//! This is the demo of the README: `cargo run --example tour`. It takes about one
//! second (the sleeps are 100 to 200 ms). Every other example mirrors one example of the
//! asyncio documents weft was made from, with their real durations; this one strings the
//! ideas together:
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.new_event_loop()` | `weft::EventLoop::new()` |
//! | `loop.run_until_complete(coro)` / `loop.close()` | `lp.run_until_complete(fut)` / `lp.close()` |
//! | `loop.call_soon(cb)` / `loop.call_later(d, cb)` | `h.call_soon(cb)` / `h.call_later(d, cb)` |
//! | `loop.run_forever()` / `loop.stop()` | `lp.run_forever()` / `h.stop()` |
//! | `asyncio.run(main())` | `weft::run(main())` or `#[weft::main]` |
//! | `asyncio.get_running_loop()` | `weft::Handle::current()` |
//! | `asyncio.Future()` / `fut.set_result(v)` | `weft::Promise::new()` / `p.set_result(v)` |
//! | `asyncio.create_task(coro)` | `weft::spawn(fut)` |
//! | `asyncio.sleep(1)` | `weft::sleep(Duration::from_secs(1))` |
//! | `asyncio.gather(a, b)` | `weft::gather!(a, b)` or `weft::gather(iter)` |
//! | `asyncio.wait_for(aw, timeout=t)` | `weft::wait_for(t, fut)` |
//!
//! Output order never depends on luck: the loop is single-threaded, and timers fire in
//! deadline order.

use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn section(title: &str) {
    println!("\n== {title} ==");
}

fn main() {
    println!("A tour of weft: asyncio's model, in Rust.");

    section("1. The event loop: run_until_complete, close");
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let answer = lp.run_until_complete(async {
        println!("Running in the event loop");
        6 * 7
    });
    println!("run_until_complete returned {answer}");
    lp.close();
    println!("closed: {}", lp.is_closed());

    section("2. Callbacks: call_soon, call_later, run_forever, stop");
    let mut lp = weft::EventLoop::new().expect("could not create an event loop");
    let h = lp.handle();
    // Scheduled out of order on purpose: call_soon callbacks run at the next turn, in
    // the order they were scheduled; timers run by deadline, whatever order they were
    // set in.
    let stopper = h.clone();
    h.call_later(200 * MS, move || {
        println!("call_later(200 ms): B, and stop the loop");
        stopper.stop();
    });
    h.call_later(100 * MS, || println!("call_later(100 ms): A"));
    h.call_soon(|| println!("call_soon: first"));
    h.call_soon(|| println!("call_soon: second"));
    lp.run_forever(); // Returns after the turn in which stop() was called.
    lp.close();

    // The rest runs inside one coroutine, as with `asyncio.run(main())`.
    weft::run(async_main());
}

async fn async_main() {
    section("3. A Promise (asyncio's Future), set by a task");
    let fut = weft::Promise::new();
    let setter = fut.clone();
    weft::spawn(async move {
        weft::sleep(100 * MS).await;
        setter
            .set_result("... world")
            .expect("the promise is pending");
    });
    println!("hello ...");
    println!("{}", fut.await.expect("not cancelled"));

    section("4. Tasks: sequential vs concurrent");
    println!("awaited one after the other (300 ms):");
    work("one", 200).await;
    work("two", 100).await;
    println!("spawned as tasks, then awaited (200 ms):");
    let one = weft::spawn(work("one", 200));
    let two = weft::spawn(work("two", 100));
    one.await.expect("task one finished");
    two.await.expect("task two finished");

    section("5. gather: results in argument order, not finishing order");
    let (slow, quick) = weft::gather!(result_after("slow", 200), result_after("quick", 100)).await;
    println!("gather!(slow 200 ms, quick 100 ms) = ({slow:?}, {quick:?})");
    let all = weft::gather([
        result_after("c", 150),
        result_after("a", 50),
        result_after("b", 100),
    ])
    .await;
    println!("gather([c 150 ms, a 50 ms, b 100 ms]) = {all:?}");

    section("6. wait_for: a timeout");
    // The slow future is dropped at the deadline: this section takes 200 ms in all.
    for (limit, name, ms) in [(100, "slow", 1000), (200, "quick", 100)] {
        print!("wait_for({limit} ms, {name} {ms} ms): ");
        match weft::wait_for(limit * MS, result_after(name, ms)).await {
            Ok(v) => println!("finished in time, returned {v:?}"),
            Err(weft::TimeoutError) => println!("Task took too long!"),
        }
    }

    section("7. A panicking task is caught, the loop goes on");
    // The default panic hook would print the panic and a backtrace to stderr; for a
    // tidy demo, a quiet hook stands in while the task panics.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let faulty = weft::spawn(async {
        panic!("Oops!");
    });
    let outcome = faulty.await;
    std::panic::set_hook(default_hook);
    match outcome {
        Err(weft::TaskError::Panicked(p)) => println!("Caught exception: {p}"),
        other => println!("unexpected: {other:?}"),
    }
    let still_alive = weft::spawn(async { "yes" }).await.expect("a healthy task");
    println!("the loop still runs tasks: {still_alive}");

    section("Done");
    println!("See the other examples: cargo run --example NAME");
}

/// A coroutine that says when it starts and finishes.
async fn work(name: &str, ms: u32) {
    println!("  {name} started");
    weft::sleep(ms * MS).await;
    println!("  {name} finished");
}

/// A coroutine that returns a value after a while.
async fn result_after(name: &'static str, ms: u32) -> &'static str {
    weft::sleep(ms * MS).await;
    name
}
