//! Unix domain sockets on the reactor, in a temporary directory.

use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use weft_reactor::net::{UnixDatagram, UnixListener, UnixStream};

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> io::Result<TempDir> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("weft-net-{name}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn read_to_end(stream: &mut UnixStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf).await? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

async fn echo(mut conn: UnixStream) -> io::Result<usize> {
    let mut buf = vec![0; 8192];
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

#[test]
fn stream_echo_through_a_listener() -> io::Result<()> {
    let dir = TempDir::new("unix-echo")?;
    let path = dir.join("echo.sock");
    weft::run(async {
        let listener = UnixListener::bind(&path)?;
        assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
        let server = weft::spawn(async move {
            let mut served = Vec::new();
            for _ in 0..3 {
                let (conn, _) = listener.accept().await?;
                served.push(weft::spawn(echo(conn)));
            }
            let mut total = 0;
            for task in served {
                total += task.await.unwrap()?;
            }
            io::Result::Ok(total)
        });

        let mut expected = 0;
        for i in 0..3 {
            let mut client = UnixStream::connect(&path).await?;
            assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
            let msg: Vec<u8> = (0..100_000u32 + i).map(|b| b as u8).collect();
            let (mut rd, mut wr) = client.split();
            let send = async {
                wr.write_all(&msg).await?;
                wr.shutdown().await
            };
            let receive = async {
                let mut got = Vec::new();
                let mut buf = vec![0; 8192];
                loop {
                    match rd.read(&mut buf).await? {
                        0 => return io::Result::Ok(got),
                        n => got.extend_from_slice(&buf[..n]),
                    }
                }
            };
            let (sent, got) = weft::gather!(send, receive).await;
            sent?;
            assert!(got? == msg);
            client.shutdown(Shutdown::Both).await?;
            expected += msg.len();
        }
        assert_eq!(server.await.unwrap()?, expected);
        Ok(())
    })
}

#[test]
fn stream_pair() -> io::Result<()> {
    weft::run(async {
        let (mut a, mut b) = UnixStream::pair()?;
        assert!(a.local_addr()?.is_unnamed() && a.peer_addr()?.is_unnamed());
        a.write_all(b"to b").await?;
        a.shutdown(Shutdown::Write).await?;
        assert_eq!(read_to_end(&mut b).await?, b"to b");
        b.write_all(b"to a").await?;
        drop(b);
        assert_eq!(read_to_end(&mut a).await?, b"to a");
        Ok(())
    })
}

#[test]
fn stream_halves_in_two_tasks() -> io::Result<()> {
    const TOTAL: usize = 4 * 1024 * 1024;
    weft::run(async {
        let (a, b) = UnixStream::pair()?;
        weft::spawn(echo(b));
        let (mut rd, mut wr) = a.into_split();
        let writer = weft::spawn(async move {
            let chunk = vec![5u8; 50_000];
            let mut sent = 0;
            while sent < TOTAL {
                let n = chunk.len().min(TOTAL - sent);
                wr.write_all(&chunk[..n]).await?;
                sent += n;
            }
            io::Result::Ok(wr) // not dropped: that would shut down writing
        });
        let reader = weft::spawn(async move {
            let mut got = 0;
            let mut buf = vec![0; 65536];
            while got < TOTAL {
                let n = rd.read(&mut buf).await?;
                assert!(n > 0 && buf[..n].iter().all(|&b| b == 5));
                got += n;
            }
            io::Result::Ok(rd)
        });
        let wr = writer.await.unwrap()?;
        let rd = reader.await.unwrap()?;
        let _a: UnixStream = wr.reunite(rd).expect("same stream");
        Ok(())
    })
}

#[test]
fn connect_errors() -> io::Result<()> {
    let dir = TempDir::new("unix-errors")?;
    weft::run(async {
        let missing = dir.join("missing.sock");
        let error = UnixStream::connect(&missing).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);

        // A socket file nobody listens on any more.
        let stale = dir.join("stale.sock");
        drop(UnixListener::bind(&stale)?);
        let error = UnixStream::connect(&stale).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused);

        // The file stays; binding again fails until it is removed.
        assert_eq!(
            UnixListener::bind(&stale).unwrap_err().kind(),
            ErrorKind::AddrInUse
        );
        std::fs::remove_file(&stale)?;
        let _listener = UnixListener::bind(&stale)?;
        Ok(())
    })
}

#[test]
fn accept_after_the_client_already_closed() -> io::Result<()> {
    let dir = TempDir::new("unix-accept-closed")?;
    let path = dir.join("s.sock");
    weft::run(async {
        let listener = UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path)?)?;
        let mut client = UnixStream::connect(&path).await?;
        client.write_all(b"gone").await?;
        drop(client);
        let (mut server, _) = listener.accept().await?;
        assert_eq!(read_to_end(&mut server).await?, b"gone");
        Ok(())
    })
}

#[test]
fn datagram_pair_and_paths() -> io::Result<()> {
    let dir = TempDir::new("unix-dgram")?;
    let (server_path, client_path) = (dir.join("server"), dir.join("client"));
    weft::run(async {
        let (a, b) = UnixDatagram::pair()?;
        a.send(b"one").await?;
        a.send(b"two").await?;
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"one");
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"two");

        let server = UnixDatagram::bind(&server_path)?;
        let client = UnixDatagram::bind(&client_path)?;
        client.send_to(b"ping", &server_path).await?;
        let (n, from) = server.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"ping");
        let from = from
            .as_pathname()
            .map(Path::to_path_buf)
            .expect("bound client");
        server.send_to(b"pong", &from).await?;
        let (n, from) = client.recv_from(&mut buf).await?;
        assert_eq!(
            (&buf[..n], from.as_pathname()),
            (&b"pong"[..], Some(server_path.as_path()))
        );

        let unbound = UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)?;
        assert!(unbound.peer_addr().is_err());
        unbound.connect(&server_path)?;
        unbound.send(b"connected").await?;
        let n = server.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"connected");
        assert!(UnixDatagram::unbound()?.local_addr()?.is_unnamed());
        Ok(())
    })
}

#[test]
fn datagram_receiver_waits_in_another_task() -> io::Result<()> {
    weft::run(async {
        let (a, b) = UnixDatagram::pair()?;
        let receiver = weft::spawn(async move {
            let mut buf = [0; 8];
            let n = b.recv(&mut buf).await?;
            io::Result::Ok(buf[..n].to_vec())
        });
        weft::yield_now().await; // let the receiver wait first
        a.send(b"late").await?;
        assert_eq!(receiver.await.unwrap()?, b"late");
        Ok(())
    })
}

#[test]
fn an_always_ready_stream_does_not_starve_the_loop() -> io::Result<()> {
    weft::run(async {
        let reader = weft::spawn(async {
            let (mut a, mut b) = UnixStream::pair()?;
            a.write_all(&[7; 4096]).await?;
            b.readable().await?;
            // Spawned now, it can only run once this task yields.
            let ran = std::rc::Rc::new(std::cell::Cell::new(false));
            let flag = ran.clone();
            let other = weft::spawn(async move { flag.set(true) });
            // One-byte reads fill their buffer, so readiness stays set and
            // every read succeeds without waiting: only the cooperative budget
            // makes this task yield.
            let mut byte = [0; 1];
            let mut reads_before_other_ran = None;
            for i in 0..4096 {
                assert_eq!(b.read(&mut byte).await?, 1);
                if ran.get() && reads_before_other_ran.is_none() {
                    reads_before_other_ran = Some(i);
                }
            }
            other.await.unwrap();
            io::Result::Ok(reads_before_other_ran)
        });
        let reads = reader
            .await
            .unwrap()?
            .expect("the other task ran while reading");
        assert!(reads <= 128, "yielded only after {reads} reads");
        Ok(())
    })
}
