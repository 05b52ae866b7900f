//! # weft-ws
//!
//! WebSocket server and client on weft's event loop, in the model of Python's
//! [`websockets`](https://websockets.readthedocs.io): [`serve`] runs a handler per
//! connection, [`connect`] opens one, and a [`WebSocket`] has `send`, `recv`,
//! `close` and `ping`. The protocol (framing, masking, UTF-8 checks, the closing
//! handshake) is [tungstenite](https://docs.rs/tungstenite)'s sans-I/O
//! `WebSocketContext`; this crate is the I/O adapter that drives it from weft's
//! readiness, the handshake, keepalive and the server.
//!
//! ```
//! use weft_ws::{connect, serve};
//!
//! weft::run(async {
//!     // Python: `async with websockets.serve(handler, "localhost", 8765)`
//!     let server = serve("127.0.0.1:0", |mut ws| async move {
//!         while let Ok(msg) = ws.recv().await {
//!             let reply = format!("Echo: {}", msg.to_text().unwrap_or("<binary>"));
//!             if ws.send(reply).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//!     .await?;
//!
//!     let mut ws = connect(&format!("ws://{}", server.local_addr())).await?;
//!     ws.send("Hello, Server!").await?;
//!     assert_eq!(ws.recv().await?.to_text().unwrap(), "Echo: Hello, Server!");
//!     Ok::<(), weft_ws::Error>(())
//! })?;
//! # Ok::<(), weft_ws::Error>(())
//! ```
//!
//! Defaults follow Python's websockets ([`Config`]): 1 MiB messages, a keepalive
//! ping every 20 s, 10 s handshake timeouts, 32 KiB write limit. Errors:
//! [`Error::ConnectionClosed`] carries the close code (1000/1001 normal; 1002
//! protocol error, 1006 connection lost, 1007 invalid UTF-8, 1009 too big, 1011
//! keepalive timeout); a bad handshake gets an HTTP 400.
//!
//! Not here (yet): `wss://` (TLS) and permessage-deflate compression.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod broadcast;
mod client;
mod config;
mod conn;
mod error;
mod handshake;
mod server;
mod socket;

pub use broadcast::broadcast;
pub use client::{connect, connect_with, Backoff, ConnectOptions, Reconnect};
pub use config::Config;
pub use error::Error;
pub use handshake::{Request, Response};
pub use server::{accept, accept_with, serve, serve_on, serve_with, ServeOptions, Server};
pub use socket::{Reader, WebSocket, Writer};
pub use tungstenite::protocol::frame::Utf8Bytes;
pub use tungstenite::{Bytes, Message};
