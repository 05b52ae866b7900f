//! The seed's WebSocket client, against the seed's echo server.
//!
//! ```python
//! import asyncio
//! import websockets
//!
//! async def client_handler():
//!     uri = "ws://localhost:8765"
//!     async with websockets.connect(uri) as websocket:
//!         print("Connected to the server")
//!         await websocket.send("Hello, Server!")
//!         print("Message sent to server")
//!         response = await websocket.recv()
//!         print(f"Received from server: {response}")
//!
//! asyncio.run(client_handler())
//! ```
//!
//! `websockets.connect(uri)` is `weft::ws::connect(url)`; leaving `async with`
//! closes the connection, which is `ws.close(1000, "")` here (dropping the
//! `WebSocket` would also close it, in the background). The server the seed
//! connects to runs in the same loop, on a free port, so the example is
//! self-contained.
//!
//! Run it with `cargo run --example ws_client`.

use weft::ws::{connect, serve, Error};

async fn client_handler(uri: &str) -> Result<(), Error> {
    let websocket = connect(uri).await?;
    println!("Connected to the server");

    // Send a message to the server.
    websocket.send("Hello, Server!").await?;
    println!("Message sent to server");

    // Receive the echoed response from the server.
    let mut websocket = websocket;
    let response = websocket.recv().await?;
    println!(
        "Received from server: {}",
        response.to_text().unwrap_or("<binary>")
    );

    websocket.close(1000, "").await
}

#[weft::main]
async fn main() -> Result<(), Error> {
    // The seed's echo server.
    let server = serve("127.0.0.1:0", |mut websocket| async move {
        while let Ok(message) = websocket.recv().await {
            let text = message.to_text().unwrap_or("<binary>").to_owned();
            if websocket.send(format!("Echo: {text}")).await.is_err() {
                break;
            }
        }
    })
    .await?;

    client_handler(&format!("ws://{}", server.local_addr())).await?;
    server.close();
    server.wait_closed().await;
    Ok(())
}
