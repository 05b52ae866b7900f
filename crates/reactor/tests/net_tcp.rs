//! TCP on the reactor, over loopback: echo, concurrency, half-close, resets,
//! refused connects, name resolution, split halves, sendfile and the
//! short-read rule.

use std::future::poll_fn;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use weft_reactor::net::{BufStream, ListenOptions, TcpListener, TcpStream};

/// Reads until `buf` is full; fails on a premature end of stream.
async fn read_exact(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]).await? {
            0 => return Err(ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(())
}

/// Reads until end of stream.
async fn read_to_end(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf).await? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Echoes until end of stream, then returns the number of bytes echoed.
async fn echo(mut conn: TcpStream) -> io::Result<usize> {
    let mut buf = vec![0; 16 * 1024];
    let mut total = 0;
    loop {
        match conn.read(&mut buf).await? {
            0 => return Ok(total),
            n => {
                conn.write_all(&buf[..n]).await?;
                total += n;
            }
        }
    }
}

/// A listener on an ephemeral loopback port with a task echoing every
/// connection it accepts.
fn echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    weft::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            weft::spawn(echo(conn));
        }
    });
    Ok(addr)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn echo_round_trip() -> io::Result<()> {
    weft::run(async {
        let addr = echo_server()?;
        let mut client = TcpStream::connect(addr).await?;
        for round in 0..10u8 {
            let msg = pattern(100 + usize::from(round) * 1000, round);
            client.write_all(&msg).await?;
            let mut back = vec![0; msg.len()];
            read_exact(&mut client, &mut back).await?;
            assert_eq!(back, msg, "round {round}");
        }
        Ok(())
    })
}

#[test]
fn echo_round_trip_ipv6() -> io::Result<()> {
    weft::run(async {
        let listener = match TcpListener::bind("[::1]:0") {
            Ok(listener) => listener,
            // No IPv6 loopback in this environment.
            Err(e) if e.kind() == ErrorKind::AddrNotAvailable => return Ok(()),
            Err(e) => return Err(e),
        };
        let addr = listener.local_addr()?;
        let server = weft::spawn(async move { echo(listener.accept().await?.0).await });
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(b"six").await?;
        client.shutdown(Shutdown::Write).await?;
        assert_eq!(read_to_end(&mut client).await?, b"six");
        assert_eq!(server.await.unwrap()?, 3);
        Ok(())
    })
}

#[test]
fn many_concurrent_connections_on_one_loop() -> io::Result<()> {
    const CONNECTIONS: usize = 256;
    weft::run(async {
        let addr = echo_server()?;
        let clients = (0..CONNECTIONS).map(|i| {
            weft::spawn(async move {
                let mut client = TcpStream::connect(addr).await?;
                let msg = pattern(2000 + i, i as u8);
                // Two rounds each, so that connections interleave.
                for _ in 0..2 {
                    client.write_all(&msg).await?;
                    let mut back = vec![0; msg.len()];
                    read_exact(&mut client, &mut back).await?;
                    assert_eq!(back, msg);
                }
                io::Result::Ok(i)
            })
        });
        let done = weft::gather(clients).await;
        for (i, result) in done.into_iter().enumerate() {
            assert_eq!(result.unwrap()?, i);
        }
        Ok(())
    })
}

#[test]
fn half_close_reads_eof_and_can_still_write_back() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;

        client.write_all(b"request").await?;
        client.shutdown(Shutdown::Write).await?;

        assert_eq!(read_to_end(&mut server).await?, b"request");
        // EOF is sticky.
        assert_eq!(server.read(&mut [0; 8]).await?, 0);

        server.write_all(b"response").await?;
        server.shutdown(Shutdown::Write).await?;
        assert_eq!(read_to_end(&mut client).await?, b"response");
        Ok(())
    })
}

#[test]
fn peer_reset_fails_only_that_connection() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let doomed_client = TcpStream::connect(addr).await?;
        let (doomed, _) = listener.accept().await?;
        let mut healthy_client = TcpStream::connect(addr).await?;
        let (healthy, _) = listener.accept().await?;
        let healthy_server = weft::spawn(echo(healthy));

        // The server pushes far more than the socket buffers hold; the
        // client never reads, so the writer ends up waiting for room.
        let written = Rc::new(AtomicUsize::new(0));
        let counter = written.clone();
        let writer = weft::spawn(async move {
            let mut doomed = doomed;
            let chunk = vec![7u8; 64 * 1024];
            loop {
                let n = doomed.write(&chunk).await?;
                counter.fetch_add(n, Ordering::Relaxed);
            }
            #[allow(unreachable_code)]
            io::Result::Ok(())
        });

        // Wait until the writer is mid-stream: data has reached the client.
        doomed_client.readable().await?;
        assert!(written.load(Ordering::Relaxed) > 0);
        // Abort: SO_LINGER 0 turns close into a reset.
        socket2::SockRef::from(&doomed_client).set_linger(Some(Duration::ZERO))?;
        drop(doomed_client);

        let error = writer.await.unwrap().unwrap_err();
        assert!(
            matches!(
                error.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
            ),
            "unexpected error: {error:?}"
        );

        // The other connection does not notice.
        healthy_client.write_all(b"still here").await?;
        let mut back = [0; 10];
        read_exact(&mut healthy_client, &mut back).await?;
        assert_eq!(&back, b"still here");
        healthy_client.shutdown(Shutdown::Write).await?;
        assert_eq!(read_to_end(&mut healthy_client).await?, b"");
        assert_eq!(healthy_server.await.unwrap()?, 10);
        Ok(())
    })
}

#[test]
fn reading_a_reset_connection_fails() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO))?;
        drop(client);
        let error = server.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionReset);
        Ok(())
    })
}

#[test]
fn accept_after_the_client_already_closed() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let client_addr = client.local_addr()?;
        let mut client = client;
        client.write_all(b"bye").await?;
        drop(client);

        let (mut server, peer) = listener.accept().await?;
        assert_eq!(peer, client_addr);
        assert_eq!(read_to_end(&mut server).await?, b"bye");
        Ok(())
    })
}

#[test]
fn connect_to_a_closed_port_is_refused() -> io::Result<()> {
    weft::run(async {
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        // The listener is dropped: nothing listens on `addr` any more.
        let error = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
        Ok(())
    })
}

#[test]
fn connect_host_resolves_localhost() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        // "localhost" may resolve to ::1 first, where nothing listens: the
        // next address is tried.
        let mut client = TcpStream::connect_host(format!("localhost:{port}")).await?;
        let (mut server, _) = listener.accept().await?;
        assert_eq!(client.peer_addr()?, listener.local_addr()?);
        client.write_all(b"named").await?;
        let mut buf = [0; 5];
        read_exact(&mut server, &mut buf).await?;
        assert_eq!(&buf, b"named");

        // Tuples and literals work too, the latter without a thread.
        let _second = TcpStream::connect_host(("localhost", port)).await?;
        let _third = TcpStream::connect_host(format!("127.0.0.1:{port}")).await?;

        let error = TcpStream::connect_host("no-such-host.invalid:80")
            .await
            .unwrap_err();
        assert_ne!(error.kind(), ErrorKind::ConnectionRefused);
        Ok(())
    })
}

#[test]
fn split_halves_from_two_tasks() -> io::Result<()> {
    // Enough data that both the writer and the reader have to wait for the
    // socket buffers several times, each in its own task.
    const TOTAL: usize = 8 * 1024 * 1024;
    weft::run(async {
        let addr = echo_server()?;
        let client = TcpStream::connect(addr).await?;
        let (mut rd, mut wr) = client.into_split();
        let data = Rc::new(pattern(TOTAL, 3));

        let to_send = data.clone();
        let writer = weft::spawn(async move {
            for chunk in to_send.chunks(100_000) {
                wr.write_all(chunk).await?;
            }
            wr.shutdown().await?;
            io::Result::Ok(wr)
        });
        let reader = weft::spawn(async move {
            let mut got = Vec::with_capacity(TOTAL);
            let mut buf = vec![0; 64 * 1024];
            loop {
                match rd.read(&mut buf).await? {
                    0 => return io::Result::Ok((got, rd)),
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
        });

        let wr = writer.await.unwrap()?;
        let (got, rd) = reader.await.unwrap()?;
        assert_eq!(got.len(), TOTAL);
        assert!(got == *data, "echoed bytes differ");
        let stream = rd.reunite(wr).expect("halves of one stream");
        assert!(stream.local_addr()?.ip().is_loopback());
        Ok(())
    })
}

#[test]
fn borrowed_halves_in_one_task() -> io::Result<()> {
    weft::run(async {
        let addr = echo_server()?;
        let mut client = TcpStream::connect(addr).await?;
        let (mut rd, mut wr) = client.split();
        let data = pattern(1024 * 1024, 9);
        let send = async {
            wr.write_all(&data).await?;
            wr.shutdown().await
        };
        let receive = async {
            let mut got = Vec::new();
            let mut buf = vec![0; 32 * 1024];
            loop {
                match rd.read(&mut buf).await? {
                    0 => return io::Result::Ok(got),
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
        };
        let (sent, got) = weft::gather!(send, receive).await;
        sent?;
        assert!(got? == data);
        Ok(())
    })
}

#[test]
fn dropping_the_owned_write_half_shuts_down_writing() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let (mut rd, wr) = client.into_split();
        drop(wr);
        assert_eq!(server.read(&mut [0; 4]).await?, 0);
        // The read half still works.
        server.write_all(b"late").await?;
        let mut buf = [0; 4];
        assert!(rd.read(&mut buf).await? > 0);

        // Halves of different streams do not reunite.
        let other = TcpStream::connect(listener.local_addr()?).await?;
        let (_other_rd, other_wr) = other.into_split();
        let error = rd.reunite(other_wr).unwrap_err();
        assert!(error.to_string().contains("not from the same stream"));
        Ok(())
    })
}

#[cfg(target_os = "linux")]
#[test]
fn sendfile_sends_a_file_intact() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("weft-net-sendfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("payload");
    let contents = pattern(3 * 1024 * 1024 + 17, 5);
    std::fs::File::create(&path)?.write_all(&contents)?;
    let file = std::fs::File::open(&path)?;

    let result = weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let receiver = weft::spawn(async move { read_to_end(&mut server).await });

        // The whole file, from a nonzero offset in two parts, in a loop as
        // sendfile may send less than asked.
        let start = 1000u64;
        let mut offset = start;
        let end = contents.len() as u64;
        while offset < end {
            let n = client
                .sendfile(&file, offset, (end - offset) as usize)
                .await?;
            assert!(n > 0);
            offset += n as u64;
        }
        // At the end of the file there is nothing more to send.
        assert_eq!(client.sendfile(&file, end, 100).await?, 0);
        drop(client);

        let got = receiver.await.unwrap()?;
        assert_eq!(got.len(), contents.len() - start as usize);
        assert!(got == contents[start as usize..], "sent bytes differ");
        Ok(())
    });
    // The file's own position was not used.
    assert_eq!(
        io::Seek::stream_position(&mut &file)?,
        0,
        "sendfile moved the file position"
    );
    std::fs::remove_dir_all(&dir)?;
    result
}

/// After a short read the readable bit is cleared without another `read`:
/// data that arrives before the reactor's next turn is not seen by
/// `try_read` (no syscall is made), and it is not lost either — the next
/// event wakes the reader.
#[test]
fn a_short_read_clears_readiness_without_a_syscall() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;

        client.write_all(b"first").await?;
        let mut buf = [0; 1024];
        let n = server.read(&mut buf).await?;
        assert_eq!(&buf[..n], b"first"); // short: 5 < 1024

        // Still in the same poll of this task: the reactor has not turned.
        client.write_all(b"second").await?;
        let error = server.try_read(&mut buf).unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::WouldBlock,
            "readiness should have been cleared by the short read"
        );

        // The arrival is reported by the next turn.
        let n = server.read(&mut buf).await?;
        assert_eq!(&buf[..n], b"second");

        // A full read keeps readiness: the next read goes to the kernel.
        client.write_all(&[1; 8]).await?;
        server.readable().await?;
        let mut four = [0; 4];
        assert_eq!(server.try_read(&mut four)?, 4);
        assert_eq!(server.try_read(&mut four)?, 4);
        Ok(())
    })
}

#[test]
fn try_read_and_try_write() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        assert_eq!(
            server.try_read(&mut [0; 8]).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        client.writable().await?;
        assert_eq!(client.try_write(b"abc")?, 3);
        let mut buf = [0; 8];
        let n = loop {
            server.readable().await?;
            match server.try_read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        };
        assert_eq!(&buf[..n], b"abc");
        Ok(())
    })
}

#[test]
fn async_read_and_async_write_traits() -> io::Result<()> {
    weft::run(async {
        let addr = echo_server()?;
        let mut client = TcpStream::connect(addr).await?;
        let written = poll_fn(|cx| Pin::new(&mut client).poll_write(cx, b"via traits")).await?;
        assert_eq!(written, 10);
        let bufs = [io::IoSlice::new(b" and "), io::IoSlice::new(b"vectors")];
        let written = poll_fn(|cx| Pin::new(&mut client).poll_write_vectored(cx, &bufs)).await?;
        assert_eq!(written, 12);
        poll_fn(|cx| Pin::new(&mut client).poll_flush(cx)).await?;
        poll_fn(|cx| Pin::new(&mut client).poll_close(cx)).await?;

        let mut got = Vec::new();
        let mut buf = [0; 64];
        loop {
            let n = poll_fn(|cx| Pin::new(&mut client).poll_read(cx, &mut buf)).await?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"via traits and vectors");
        Ok(())
    })
}

#[test]
fn buf_stream_reads_lines() -> io::Result<()> {
    weft::run(async {
        let addr = echo_server()?;
        let mut client = BufStream::with_capacity(16, TcpStream::connect(addr).await?);
        client
            .write_all(b"short\na line longer than the buffer\nlast")
            .await?;
        client.get_mut().shutdown(Shutdown::Write).await?;
        let mut line = String::new();
        assert_eq!(client.read_line(&mut line).await?, 6);
        assert_eq!(line, "short\n");
        line.clear();
        client.read_line(&mut line).await?;
        assert_eq!(line, "a line longer than the buffer\n");
        line.clear();
        assert_eq!(client.read_line(&mut line).await?, 4);
        assert_eq!(line, "last");
        line.clear();
        assert_eq!(client.read_line(&mut line).await?, 0);
        Ok(())
    })
}

#[test]
fn listen_options() -> io::Result<()> {
    weft::run(async {
        let options = ListenOptions::new()
            .reuse_port(true)
            .nodelay(true)
            .backlog(8);
        let first = TcpListener::bind_with("127.0.0.1:0", options.clone())?;
        let addr = first.local_addr()?;
        // SO_REUSEPORT: a second listener on the same port.
        let second = TcpListener::bind_with(addr, options)?;
        // Without it, binding the port again fails.
        let error = TcpListener::bind_with(addr, ListenOptions::new()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AddrInUse);

        let client = TcpStream::connect(addr).await?;
        assert!(!client.nodelay()?);
        client.set_nodelay(true)?;
        assert!(client.nodelay()?);
        // The kernel hands the connection to one of the two listeners.
        let accepted = poll_fn(|cx| match first.poll_accept(cx) {
            std::task::Poll::Pending => second.poll_accept(cx),
            ready => ready,
        })
        .await?;
        assert!(accepted.0.nodelay()?, "accepted streams get TCP_NODELAY");
        assert_eq!(accepted.1, client.local_addr()?);
        Ok(())
    })
}

#[test]
fn from_std_types() -> io::Result<()> {
    weft::run(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let listener = TcpListener::from_std(std_listener)?;
        let std_client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let mut client = TcpStream::from_std(std_client)?;
        let (mut server, _) = listener.accept().await?;
        client.write_all(b"std").await?;
        let mut buf = [0; 3];
        read_exact(&mut server, &mut buf).await?;
        assert_eq!(&buf, b"std");
        Ok(())
    })
}

#[test]
#[should_panic(expected = "no weft reactor is current")]
fn creating_a_socket_outside_a_loop_panics() {
    let _ = TcpListener::bind("127.0.0.1:0");
}

/// Not a test: a ping-pong of small messages for counting syscalls, e.g.
///
/// ```text
/// cargo test -p weft-reactor --test net_tcp --no-run
/// strace -f -c -e trace=read,write,recvfrom,sendto,epoll_wait \
///     target/debug/deps/net_tcp-* --ignored --exact strace_echo_ping_pong
/// ```
///
/// Each of the `MESSAGES` round trips costs the echo server one `recvfrom` and
/// one `sendto` (and the client the same), plus one `epoll_wait` per side.
#[test]
#[ignore = "run under strace by hand"]
fn strace_echo_ping_pong() -> io::Result<()> {
    const MESSAGES: usize = 10_000;
    weft::run(async {
        let addr = echo_server()?;
        let mut client = TcpStream::connect(addr).await?;
        let msg = [42u8; 64];
        // Larger than a message, so that the client's reads are short too (a
        // read that fills the buffer proves nothing, and costs an `EAGAIN`).
        let mut back = [0; 4096];
        for _ in 0..MESSAGES {
            client.write_all(&msg).await?;
            let mut got = 0;
            while got < msg.len() {
                match client.read(&mut back).await? {
                    0 => return Err(ErrorKind::UnexpectedEof.into()),
                    n => got += n,
                }
            }
        }
        Ok(())
    })
}
