//! A TCP echo client with the streams API (`open_connection`), against an echo
//! server started in the same program.
//!
//! asyncio's streams echo client:
//!
//! ```python
//! import asyncio
//!
//! async def tcp_echo_client(host, port):
//!     reader, writer = await asyncio.open_connection(host, port)
//!
//!     for message in ["Hello World!", "How are you?"]:
//!         print(f'Send: {message!r}')
//!         writer.write(message.encode() + b'\n')
//!         await writer.drain()
//!         data = await reader.readline()
//!         print(f'Received: {data.decode().rstrip()!r}')
//!
//!     print('Close the connection')
//!     writer.write_eof()                 # no more requests
//!     rest = await reader.read()         # the server's goodbye, then end of stream
//!     print(f'Received: {rest.decode()!r}')
//!     writer.close()
//!     await writer.wait_closed()
//! ```
//!
//! `asyncio.open_connection(host, port)` is `weft::net::open_connection((host, port))`
//! (or `"host:port"`); it returns the same pair, a `StreamReader` and a
//! `StreamWriter`. The server here is the smallest echo server; its port is chosen
//! by the OS and not printed, so the output is the same on every run.
//!
//! Run it with `cargo run --example tcp_echo_client`.

use weft::net::{open_connection, start_server, StreamReader, StreamWriter};

/// Echoes lines until the client's end of stream, then says goodbye.
async fn echo(mut reader: StreamReader, writer: StreamWriter) {
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        writer.write(&line);
    }
    writer.write(b"goodbye");
}

async fn tcp_echo_client(host: &'static str, port: u16) -> std::io::Result<()> {
    let (mut reader, writer) = open_connection((host, port)).await?;

    for message in ["Hello World!", "How are you?"] {
        println!("Send: {message:?}");
        writer.write(message.as_bytes());
        writer.write(b"\n");
        writer.drain().await?;
        let data = reader.readline().await?;
        println!("Received: {:?}", String::from_utf8_lossy(&data).trim_end());
    }

    println!("Close the connection");
    writer.write_eof();
    let rest = reader.read_to_end().await?;
    println!("Received: {:?}", String::from_utf8_lossy(&rest));
    writer.close();
    writer.wait_closed().await
}

#[weft::main]
async fn main() -> std::io::Result<()> {
    let server = start_server("127.0.0.1:0", echo).await?;
    tcp_echo_client("127.0.0.1", server.local_addr().port()).await?;
    server.close();
    Ok(())
}
