//! Channels: `oneshot` for one value, `mpsc` for a stream of them.
//!
//! asyncio has no channels; a `Future` plays the oneshot's part and a `Queue` the
//! mpsc's. weft-sync has both, and they work under any executor.
//!
//! Run it with `cargo run --example sync_channels`.

use std::time::Duration;

use weft::sync::{mpsc, oneshot};

#[weft::main]
async fn main() {
    println!("-- oneshot");
    let (tx, rx) = oneshot::channel();
    weft::spawn(async move {
        weft::sleep(Duration::from_millis(50)).await;
        tx.send("the answer is 42").expect("the receiver is alive");
    });
    println!("{}", rx.await.expect("the sender sent"));

    println!("-- mpsc, bounded to 2, two producers");
    let (tx, mut rx) = mpsc::channel(2);
    let start = std::time::Instant::now();
    let producers: Vec<_> = ["left", "right"]
        .into_iter()
        .enumerate()
        .map(|(p, name)| {
            let tx = tx.clone();
            weft::spawn(async move {
                for i in 1..=3u64 {
                    // Every 40 ms and every 70 ms from one start: no two sends share a
                    // deadline, and deadlines (not delays) keep the order on a busy
                    // machine.
                    let every = Duration::from_millis(40 + 30 * p as u64);
                    weft::sleep_until(start + every * i as u32).await;
                    tx.send(format!("{name} #{}", i - 1))
                        .await
                        .expect("the receiver is alive");
                }
            })
        })
        .collect();
    drop(tx); // the channel closes once both producers are done
    while let Some(msg) = rx.recv().await {
        println!("got {msg}");
    }
    for p in producers {
        p.await.expect("producer failed");
    }
    println!("all senders gone: the channel is closed");
}
