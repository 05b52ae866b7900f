//! A chat room: a web page and a WebSocket endpoint on one port. Every message a
//! browser sends is broadcast to everyone in the room.
//!
//! ```sh
//! cargo run --example ws_chat 127.0.0.1:8000
//! # then open http://127.0.0.1:8000/?name=alice and http://127.0.0.1:8000/?name=bob
//! ```
//!
//! The page is plain HTTP, answered by the `process_request` hook before any
//! upgrade (as with Python websockets' `process_request`); `/ws` upgrades. The
//! room is a list of writer halves, and [`broadcast`] sends to all of them without
//! waiting: a browser tab that stops reading is skipped rather than slowing the
//! others. `tests/ws_chat_browser.rs` drives two headless Chromium tabs through it.

use std::cell::RefCell;
use std::rc::Rc;

use weft::ws::{broadcast, serve_with, Response, ServeOptions, WebSocket, Writer};

/// The chat page (also used by the browser test).
const PAGE: &str = include_str!("../tests/peers/ws_chat.html");

type Room = Rc<RefCell<Vec<Writer>>>;

async fn member(ws: WebSocket, room: Room) {
    let (mut reader, writer) = ws.split();
    room.borrow_mut().push(writer.clone());
    while let Ok(msg) = reader.recv().await {
        if msg.is_text() {
            broadcast(room.borrow().iter(), msg);
        }
    }
    // Gone: leave the room.
    room.borrow_mut().retain(|w| w.close_reason().is_none());
}

#[weft::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let options = ServeOptions::new().process_request(|req| {
        (!req.path().starts_with("/ws"))
            .then(|| Response::new(200, PAGE).header("Content-Type", "text/html; charset=utf-8"))
    });
    let room: Room = Rc::default();
    let server = serve_with(addr.as_str(), options, move |ws| member(ws, room.clone())).await?;
    println!("listening on http://{}/", server.local_addr());
    server.serve_forever().await;
    Ok(())
}
