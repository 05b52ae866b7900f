//! A TCP echo server and client written as protocols: callbacks instead of
//! coroutines, asyncio's fastest path.
//!
//! asyncio's protocol-based echo server and client:
//!
//! ```python
//! import asyncio
//!
//! class EchoServerProtocol(asyncio.Protocol):
//!     def connection_made(self, transport):
//!         self.transport = transport
//!
//!     def data_received(self, data):
//!         host, port = self.transport.get_extra_info('peername')
//!         print(f'[server] Data received from {host}: {data.decode()!r}')
//!         self.transport.write(data)
//!         print('[server] Close the client socket')
//!         self.transport.close()
//!
//! class EchoClientProtocol(asyncio.Protocol):
//!     def __init__(self, message, on_con_lost):
//!         self.message = message
//!         self.on_con_lost = on_con_lost
//!
//!     def connection_made(self, transport):
//!         transport.write(self.message.encode())
//!         print(f'[client] Data sent: {self.message!r}')
//!
//!     def data_received(self, data):
//!         print(f'[client] Data received: {data.decode()!r}')
//!
//!     def connection_lost(self, exc):
//!         print('[client] The server closed the connection')
//!         self.on_con_lost.set_result(True)
//!
//! async def main():
//!     loop = asyncio.get_running_loop()
//!     server = await loop.create_server(EchoServerProtocol, '127.0.0.1', 0)
//!     host, port = server.sockets[0].getsockname()
//!     for message in ['Hello World!', 'Second client']:
//!         on_con_lost = loop.create_future()
//!         transport, protocol = await loop.create_connection(
//!             lambda: EchoClientProtocol(message, on_con_lost), host, port)
//!         await on_con_lost
//!     server.close()
//! ```
//!
//! `loop.create_server(factory, host, port)` is `weft::net::create_server(addr,
//! factory)`; `loop.create_connection` is `weft::net::create_connection`. The loop
//! calls the protocol's methods directly when data arrives, with a slice of the
//! connection's read buffer: no task and no allocation per read. The connection's
//! driver owns the protocol, so `create_connection` returns only the transport; the
//! protocol reports back through a `Promise`, asyncio's `on_con_lost` idiom.
//!
//! Run it with `cargo run --example tcp_echo_protocol`.

use std::io;

use weft::net::{create_connection, create_server, Protocol, Transport};
use weft::Promise;

struct EchoServerProtocol {
    transport: Option<Transport>,
}

impl Protocol for EchoServerProtocol {
    fn connection_made(&mut self, transport: Transport) {
        self.transport = Some(transport);
    }

    fn data_received(&mut self, data: &[u8]) {
        let transport = self.transport.as_ref().expect("connection made");
        let host = transport.peer_addr().expect("connected").ip();
        println!(
            "[server] Data received from {host}: {:?}",
            String::from_utf8_lossy(data)
        );
        transport.write(data);
        println!("[server] Close the client socket");
        transport.close();
    }

    fn connection_lost(&mut self, _err: Option<io::Error>) {}
}

struct EchoClientProtocol {
    message: &'static str,
    on_con_lost: Promise<bool>,
}

impl Protocol for EchoClientProtocol {
    fn connection_made(&mut self, transport: Transport) {
        transport.write(self.message.as_bytes());
        println!("[client] Data sent: {:?}", self.message);
    }

    fn data_received(&mut self, data: &[u8]) {
        println!(
            "[client] Data received: {:?}",
            String::from_utf8_lossy(data)
        );
    }

    fn connection_lost(&mut self, _err: Option<io::Error>) {
        println!("[client] The server closed the connection");
        self.on_con_lost.set_result(true).expect("lost once");
    }
}

#[weft::main]
async fn main() -> io::Result<()> {
    let server = create_server("127.0.0.1:0", || EchoServerProtocol { transport: None }).await?;

    for message in ["Hello World!", "Second client"] {
        let on_con_lost = Promise::new();
        let lost = on_con_lost.clone();
        let _transport = create_connection(server.local_addr(), move || EchoClientProtocol {
            message,
            on_con_lost: lost,
        })
        .await?;
        on_con_lost.await.expect("not cancelled");
    }

    server.close();
    server.wait_closed().await;
    println!("Server closed");
    Ok(())
}
