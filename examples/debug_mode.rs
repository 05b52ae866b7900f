//! Debug mode catching a blocking call, as asyncio's debug mode does:
//!
//! ```python
//! async def blocker():
//!     time.sleep(0.15)            # blocks the whole loop
//!
//! loop.set_debug(True)            # or PYTHONASYNCIODEBUG=1
//! loop.slow_callback_duration = 0.1
//! # -> "Executing <Task ... blocker()> took 0.150 seconds"
//! ```
//!
//! In weft: `EventLoop::debug(true)` (or `WEFT_DEBUG=1`), and the warning comes through
//! `tracing`, naming the task and where it was spawned. The task dump shows what every
//! live task is doing; in debug mode SIGQUIT prints it on stderr.
//!
//! Run it with `cargo run --example debug_mode`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Collects the log so that the example can print it (with the measured time masked:
/// it differs on every run, and this example's output is pinned by a test).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn mask_seconds(line: &str) -> String {
    match (line.find("took "), line.find(" seconds")) {
        (Some(a), Some(b)) if a < b => format!("{}took N.NNN{}", &line[..a], &line[b..]),
        _ => line.to_string(),
    }
}

fn main() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing_subscriber::util::SubscriberInitExt::init(subscriber);

    // The paused clock keeps the dump's ages exact; the blocking call is real time.
    let mut lp = weft::EventLoop::new()
        .expect("could not create an event loop")
        .paused()
        .debug(true);
    lp.handle()
        .set_slow_callback_duration(Duration::from_millis(100));
    lp.run_until_complete(async {
        let quick = weft::Builder::new().name("quick").spawn(async {
            weft::sleep(Duration::from_millis(10)).await;
        });
        let blocker = weft::Builder::new().name("blocker").spawn(async {
            // A blocking call inside a task: nothing else runs for 150 ms.
            std::thread::sleep(Duration::from_millis(150));
        });
        println!("{}", weft::Handle::current().dump());
        blocker.await.expect("blocker failed");
        // In debug mode SIGQUIT (Ctrl+\\ in a terminal) prints the task dump on stderr.
        let _idle = weft::Builder::new()
            .name("idle")
            .spawn(std::future::pending::<()>());
        weft::signal::raise(weft::signal::SIGQUIT).expect("raise");
        weft::yield_now().await;
        quick.await.expect("quick failed");
    });

    println!("what debug mode reported:");
    let text = String::from_utf8(log.0.lock().expect("log lock").clone()).expect("utf-8 log");
    for line in text.lines() {
        println!("  {}", mask_seconds(line));
    }
}
