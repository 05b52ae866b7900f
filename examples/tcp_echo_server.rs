//! A TCP echo server with the streams API, and a few clients talking to it.
//!
//! asyncio's streams echo server (the idea of seed 002's echo server, over plain TCP
//! instead of WebSockets):
//!
//! ```python
//! import asyncio
//!
//! async def handle_echo(reader, writer):
//!     data = await reader.readline()
//!     host, port = writer.get_extra_info('peername')
//!     print(f"Received {data.decode()!r} from {host}")
//!     writer.write(data)
//!     await writer.drain()
//!     print("Close the connection")
//!     writer.close()
//!     await writer.wait_closed()
//!
//! async def client(message):
//!     reader, writer = await asyncio.open_connection(*ADDR)
//!     print(f"Send: {message!r}")
//!     writer.write(message.encode())
//!     print(f"Received: {(await reader.readline()).decode()!r}")
//!     writer.close()
//!
//! async def main():
//!     server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
//!     ADDR[:] = server.sockets[0].getsockname()
//!     for message in ["Hello World!\n", "ping\n", "bye\n"]:
//!         await client(message)
//!     server.close()
//!     await server.wait_closed()
//! ```
//!
//! `asyncio.start_server` is `weft::net::start_server`: each connection is handled by
//! `handle_echo` in a task of its own. `writer.write` never waits; `drain().await` is
//! the flow control. Port 0 asks the OS for a free port (the example prints no
//! port, so its output stays the same from run to run); a real server would bind a
//! fixed one and `serve_forever().await`.
//!
//! Run it with `cargo run --example tcp_echo_server`.

use weft::net::{open_connection, start_server, StreamReader, StreamWriter};

async fn handle_echo(mut reader: StreamReader, writer: StreamWriter) {
    let data = reader.readline().await.expect("a line");
    let host = writer.peer_addr().expect("connected").ip();
    println!(
        "[server] Received {:?} from {host}",
        String::from_utf8_lossy(&data)
    );

    writer.write(&data);
    writer.drain().await.expect("the client is there");

    println!("[server] Close the connection");
    writer.close();
    writer.wait_closed().await.expect("closed cleanly");
}

async fn client(addr: std::net::SocketAddr, message: &str) -> std::io::Result<()> {
    let (mut reader, writer) = open_connection(addr).await?;
    println!("[client] Send: {message:?}");
    writer.write(message.as_bytes());
    writer.drain().await?;

    let data = reader.readline().await?;
    println!("[client] Received: {:?}", String::from_utf8_lossy(&data));
    writer.close();
    Ok(())
}

#[weft::main]
async fn main() -> std::io::Result<()> {
    let server = start_server("127.0.0.1:0", handle_echo).await?;
    println!("Serving on 127.0.0.1");

    for message in ["Hello World!\n", "ping\n", "bye\n"] {
        client(server.local_addr(), message).await?;
    }

    server.close();
    server.wait_closed().await;
    println!("Server closed");
    Ok(())
}
