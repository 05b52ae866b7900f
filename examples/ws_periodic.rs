//! The seed's server that pushes a message to its client every 5 seconds.
//!
//! ```python
//! import asyncio
//! import websockets
//!
//! async def server_handler(websocket, path):
//!     print("Client connected")
//!     try:
//!         # Periodically send a message to the client every 5 seconds
//!         while True:
//!             await asyncio.sleep(5)
//!             await websocket.send("Server message every 5 seconds")
//!     except websockets.ConnectionClosed:
//!         print("Client disconnected")
//! ```
//!
//! The handler never reads: the connection itself answers pings and notices the
//! client's close frame, so `send` fails with `ConnectionClosed` once the client
//! has gone — the `except` of the seed. A client in the same loop takes three
//! pushes (15 s, the seed's real interval) and closes.
//!
//! Run it with `cargo run --example ws_periodic`.

use std::time::Duration;

use weft::ws::{connect, serve, Error, WebSocket};

async fn server_handler(websocket: WebSocket) {
    println!("[server] Client connected");
    let mut n = 0;
    loop {
        weft::sleep(Duration::from_secs(5)).await;
        n += 1;
        match websocket
            .send(format!("Server message every 5 seconds (#{n})"))
            .await
        {
            Ok(()) => {}
            Err(Error::ConnectionClosed { code, .. }) => {
                println!("[server] Client disconnected ({code})");
                return;
            }
            Err(e) => {
                println!("[server] error: {e}");
                return;
            }
        }
    }
}

#[weft::main]
async fn main() -> Result<(), Error> {
    let server = serve("127.0.0.1:0", server_handler).await?;
    let mut ws = connect(&format!("ws://{}", server.local_addr())).await?;
    println!("[client] Connected");
    for _ in 0..3 {
        let message = ws.recv().await?;
        println!("[client] {}", message.to_text().unwrap_or("<binary>"));
    }
    ws.close(1000, "enough").await?;
    println!("[client] Closed");

    server.close();
    server.wait_closed().await;
    Ok(())
}
