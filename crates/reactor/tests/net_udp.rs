//! UDP on the reactor, over loopback.

use std::io::{self, ErrorKind};
use std::rc::Rc;

use weft_reactor::net::UdpSocket;

#[test]
fn send_to_and_recv_from() -> io::Result<()> {
    weft::run(async {
        let a = UdpSocket::bind("127.0.0.1:0")?;
        let b = UdpSocket::bind("127.0.0.1:0")?;
        let (a_addr, b_addr) = (a.local_addr()?, b.local_addr()?);

        // Datagrams keep their boundaries and, on loopback, their order.
        for msg in [&b"one"[..], b"two", b"", b"three"] {
            assert_eq!(a.send_to(msg, b_addr).await?, msg.len());
        }
        let mut buf = [0; 64];
        for msg in [&b"one"[..], b"two", b"", b"three"] {
            let (n, from) = b.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (msg, a_addr));
        }

        // And back.
        b.send_to(b"reply", a_addr).await?;
        let (n, from) = a.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"reply"[..], b_addr));
        Ok(())
    })
}

#[test]
fn a_receiver_task_wakes_for_a_datagram() -> io::Result<()> {
    weft::run(async {
        let server = Rc::new(UdpSocket::bind("127.0.0.1:0")?);
        let addr = server.local_addr()?;
        let receiver = weft::spawn({
            let server = server.clone();
            async move {
                let mut buf = [0; 16];
                let mut got = Vec::new();
                for _ in 0..3 {
                    let (n, from) = server.recv_from(&mut buf).await?;
                    got.push(buf[..n].to_vec());
                    // Echo, from the same socket, while the main task waits.
                    server.send_to(&buf[..n], from).await?;
                }
                io::Result::Ok(got)
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0")?;
        client.connect(addr)?;
        assert_eq!(client.peer_addr()?, addr);
        let mut buf = [0; 16];
        for msg in [&b"a"[..], b"bb", b"ccc"] {
            client.send(msg).await?;
            let n = client.recv(&mut buf).await?;
            assert_eq!(&buf[..n], msg);
        }
        assert_eq!(
            receiver.await.unwrap()?,
            [b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()]
        );
        Ok(())
    })
}

#[test]
fn truncated_datagram() -> io::Result<()> {
    weft::run(async {
        let a = UdpSocket::bind("127.0.0.1:0")?;
        let b = UdpSocket::bind("127.0.0.1:0")?;
        a.send_to(b"0123456789", b.local_addr()?).await?;
        a.send_to(b"next", b.local_addr()?).await?;
        let mut small = [0; 4];
        let (n, _) = b.recv_from(&mut small).await?;
        assert_eq!(&small[..n], b"0123");
        // The rest of the first datagram is gone; the next one is whole.
        let (n, _) = b.recv_from(&mut small).await?;
        assert_eq!(&small[..n], b"next");
        Ok(())
    })
}

#[test]
fn ipv6_loopback() -> io::Result<()> {
    weft::run(async {
        let a = match UdpSocket::bind("[::1]:0") {
            Ok(socket) => socket,
            // No IPv6 loopback in this environment.
            Err(e) if e.kind() == ErrorKind::AddrNotAvailable => return Ok(()),
            Err(e) => return Err(e),
        };
        let b = UdpSocket::bind("[::1]:0")?;
        a.send_to(b"six", b.local_addr()?).await?;
        let mut buf = [0; 8];
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"six"[..], a.local_addr()?));
        Ok(())
    })
}

#[test]
fn unconnected_socket_has_no_peer() -> io::Result<()> {
    weft::run(async {
        let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
        assert_eq!(
            socket.peer_addr().unwrap_err().kind(),
            ErrorKind::NotConnected
        );
        // EDESTADDRREQ: no destination.
        assert!(socket.send(b"x").await.is_err());
        Ok(())
    })
}
