//! A WebSocket echo server for conformance testing (Autobahn|Testsuite's
//! `fuzzingclient`) and for trying weft-ws from other clients.
//!
//! ```sh
//! cargo run --release --example ws_echo_server 127.0.0.1:9001
//! ```
//!
//! Every text or binary message comes back as it was received. The limits are
//! raised for the suite's largest cases (16 MiB messages) and the keepalive is off
//! (the suite measures what it sends, not our pings). It prints
//! `listening on ws://ADDR` once it accepts connections and runs until Ctrl+C.

use weft::ws::{serve_with, Config, ServeOptions};

#[weft::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let config = Config::new()
        .max_size(Some(64 << 20))
        .write_limit(64 << 20)
        .read_buffer(64 * 1024)
        .ping_interval(None);
    let server = serve_with(
        addr.as_str(),
        ServeOptions::new().config(config),
        |mut ws| async move {
            while let Ok(msg) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        },
    )
    .await?;
    println!("listening on ws://{}", server.local_addr());
    server.serve_forever().await;
    Ok(())
}
