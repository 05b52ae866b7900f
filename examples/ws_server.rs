//! The seed's WebSocket echo server, and two clients talking to it.
//!
//! ```python
//! import asyncio
//! import websockets
//!
//! async def server_handler(websocket, path):
//!     print("Client connected")
//!     try:
//!         async for message in websocket:
//!             print(f"Received message: {message}")
//!             await websocket.send(f"Echo: {message}")
//!     except websockets.ConnectionClosed:
//!         print("Client disconnected")
//!
//! async def start_server():
//!     async with websockets.serve(server_handler, "localhost", 8765):
//!         print("WebSocket server started on ws://localhost:8765")
//!         await asyncio.Future()  # Run forever
//! ```
//!
//! `websockets.serve` is `weft::ws::serve`: each connection runs the handler in a
//! task of its own. `async for message in websocket` is `while let Ok(message) =
//! ws.recv().await`; the `ConnectionClosed` the Python loop ends with is the `Err`
//! that ends ours, with the close code in it. So that the example ends (and its
//! output can be pinned), the server listens on a free port and two clients
//! visit it before it closes; the seed's `await asyncio.Future()` is
//! `server.serve_forever().await`.
//!
//! Run it with `cargo run --example ws_server`.

use weft::ws::{connect, serve, Error, WebSocket};

async fn server_handler(mut websocket: WebSocket) {
    println!("[server] Client connected");
    loop {
        match websocket.recv().await {
            Ok(message) => {
                let text = message.to_text().unwrap_or("<binary>").to_owned();
                println!("[server] Received message: {text}");
                // Echo the message back to the client.
                if websocket.send(format!("Echo: {text}")).await.is_err() {
                    break;
                }
            }
            Err(Error::ConnectionClosed { code, .. }) => {
                println!("[server] Client disconnected ({code})");
                break;
            }
            Err(e) => {
                println!("[server] error: {e}");
                break;
            }
        }
    }
}

async fn client(url: &str, name: &str, messages: &[&str]) -> Result<(), Error> {
    let mut ws = connect(url).await?;
    for message in messages {
        ws.send(format!("{message} (from {name})")).await?;
        let reply = ws.recv().await?;
        println!("[{name}] got: {}", reply.to_text().unwrap_or("<binary>"));
    }
    ws.close(1000, "done").await
}

#[weft::main]
async fn main() -> Result<(), Error> {
    let server = serve("127.0.0.1:0", server_handler).await?;
    println!("WebSocket server started on ws://127.0.0.1");
    let url = format!("ws://{}", server.local_addr());

    client(&url, "alice", &["Hello, Server!", "How are you?"]).await?;
    client(&url, "bob", &["Hi!"]).await?;

    server.close();
    server.wait_closed().await;
    println!("Server closed");
    Ok(())
}
