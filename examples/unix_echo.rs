//! An echo server on a Unix domain socket, with the streams API.
//!
//! asyncio's Unix-socket streams:
//!
//! ```python
//! import asyncio, os, tempfile
//!
//! async def handle(reader, writer):
//!     while line := await reader.readline():
//!         print(f'[server] Received {line.decode()!r}')
//!         writer.write(line.upper())
//!         await writer.drain()
//!     writer.close()
//!
//! async def main():
//!     path = os.path.join(tempfile.mkdtemp(), 'echo.sock')
//!     server = await asyncio.start_unix_server(handle, path)
//!     reader, writer = await asyncio.open_unix_connection(path)
//!     for line in ['hello\n', 'over a unix socket\n']:
//!         writer.write(line.encode())
//!         print(f'[client] Received {(await reader.readline()).decode()!r}')
//!     writer.close()
//!     server.close()
//!     await server.wait_closed()
//!     print(f'socket file removed: {not os.path.exists(path)}')
//! ```
//!
//! `start_unix_server` / `open_unix_connection` are the Unix-socket forms of
//! `start_server` / `open_connection`, with the same reader and writer. As in
//! asyncio, a stale socket file is replaced when binding, and `close` removes the
//! file.
//!
//! Run it with `cargo run --example unix_echo`.

use weft::net::{open_unix_connection, start_unix_server, StreamReader, StreamWriter, UnixStream};

async fn handle(mut reader: StreamReader<UnixStream>, writer: StreamWriter<UnixStream>) {
    while let Ok(line) = reader.readline().await {
        if line.is_empty() {
            break;
        }
        println!("[server] Received {:?}", String::from_utf8_lossy(&line));
        writer.write(&line.to_ascii_uppercase());
        if writer.drain().await.is_err() {
            break;
        }
    }
    writer.close();
}

fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("weft-unix-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("echo.sock");

    let result = weft::run(async {
        let server = start_unix_server(&path, handle).await?;
        let (mut reader, writer) = open_unix_connection(&path).await?;
        for line in ["hello\n", "over a unix socket\n"] {
            writer.write(line.as_bytes());
            let answer = reader.readline().await?;
            println!("[client] Received {:?}", String::from_utf8_lossy(&answer));
        }
        writer.close();
        server.close();
        server.wait_closed().await;
        println!("socket file removed: {}", !path.exists());
        Ok::<(), std::io::Error>(())
    });

    std::fs::remove_dir_all(&dir)?;
    result
}
