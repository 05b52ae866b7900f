//! A UDP echo server and client on `weft::net::UdpSocket`.
//!
//! asyncio's UDP echo, with datagram protocols:
//!
//! ```python
//! import asyncio
//!
//! class EchoServerProtocol(asyncio.DatagramProtocol):
//!     def connection_made(self, transport):
//!         self.transport = transport
//!
//!     def datagram_received(self, data, addr):
//!         print(f'[server] Received {data.decode()!r}')
//!         self.transport.sendto(data.upper(), addr)
//!
//! async def main():
//!     loop = asyncio.get_running_loop()
//!     server, _ = await loop.create_datagram_endpoint(
//!         EchoServerProtocol, local_addr=('127.0.0.1', 0))
//!     client, _ = await loop.create_datagram_endpoint(
//!         asyncio.DatagramProtocol, remote_addr=server.get_extra_info('sockname'))
//!     ...  # send, then wait for each answer
//! ```
//!
//! weft has the socket rather than the datagram protocol: a `UdpSocket` with
//! `send_to` / `recv_from` (and `connect`, then `send` / `recv`). The server is a
//! task looping on `recv_from`; each datagram is one message, never split or merged.
//!
//! Run it with `cargo run --example udp_echo`.

use weft::net::UdpSocket;

#[weft::main]
async fn main() -> std::io::Result<()> {
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let server_addr = server.local_addr()?;

    let serving = weft::spawn(async move {
        let mut buf = [0; 1500];
        while let Ok((n, peer)) = server.recv_from(&mut buf).await {
            let data = &buf[..n];
            println!("[server] Received {:?}", String::from_utf8_lossy(data));
            if server
                .send_to(&data.to_ascii_uppercase(), peer)
                .await
                .is_err()
            {
                break;
            }
        }
    });

    let client = UdpSocket::bind("127.0.0.1:0")?;
    client.connect(server_addr)?;
    let mut buf = [0; 1500];
    for message in ["hello", "datagrams keep their boundaries", "bye"] {
        println!("[client] Send {message:?}");
        client.send(message.as_bytes()).await?;
        let n = client.recv(&mut buf).await?;
        println!("[client] Received {:?}", String::from_utf8_lossy(&buf[..n]));
    }

    serving.cancel();
    Ok(())
}
