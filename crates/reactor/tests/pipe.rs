//! Async pipes: round trips, end of file, broken pipes, the futures-io
//! traits and wrapping existing descriptors.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::Poll;

use futures_io::{AsyncRead, AsyncWrite};
use weft_reactor::pipe::{pipe, Receiver, Sender};

#[test]
fn write_then_read_round_trip() -> io::Result<()> {
    weft::run(async {
        let (mut tx, mut rx) = pipe()?;
        tx.write_all(b"hello pipe").await?;
        let mut buf = [0; 32];
        let n = rx.read(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello pipe");
        Ok(())
    })
}

#[test]
fn a_read_waits_for_the_writer() -> io::Result<()> {
    weft::run(async {
        let (mut tx, mut rx) = pipe()?;
        let reader = weft::spawn(async move {
            let mut buf = [0; 8];
            let n = rx.read(&mut buf).await?;
            Ok::<_, io::Error>(buf[..n].to_vec())
        });
        weft::yield_now().await; // the reader is now waiting
        assert!(!reader.done());
        tx.write_all(b"late").await?;
        assert_eq!(reader.await.unwrap()?, b"late");
        Ok(())
    })
}

#[test]
fn dropping_the_sender_is_end_of_file() -> io::Result<()> {
    weft::run(async {
        let (mut tx, mut rx) = pipe()?;
        tx.write_all(b"bye").await?;
        drop(tx);
        let mut got = Vec::new();
        assert_eq!(rx.read_to_end(&mut got).await?, 3);
        assert_eq!(got, b"bye");
        let mut buf = [0; 4];
        assert_eq!(rx.read(&mut buf).await?, 0, "end of file again");
        Ok(())
    })
}

#[test]
fn close_ends_the_stream_and_later_writes_fail() -> io::Result<()> {
    weft::run(async {
        let (mut tx, mut rx) = pipe()?;
        let reader = weft::spawn(async move {
            let mut got = Vec::new();
            rx.read_to_end(&mut got).await.map(|_| got)
        });
        tx.write_all(b"abc").await?;
        tx.close();
        tx.close(); // idempotent
        assert_eq!(reader.await.unwrap()?, b"abc");
        let e = tx.write(b"x").await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(tx.into_owned_fd().is_none());
        Ok(())
    })
}

#[test]
fn writing_without_a_reader_is_a_broken_pipe() -> io::Result<()> {
    weft::run(async {
        let (mut tx, rx) = pipe()?;
        drop(rx);
        let e = tx.write_all(b"nobody listens").await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        Ok(())
    })
}

#[test]
fn several_mebibytes_with_backpressure() -> io::Result<()> {
    const LEN: usize = 4 << 20;
    weft::run(async {
        let (mut tx, mut rx) = pipe()?;
        let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let writer = weft::spawn(async move { tx.write_all(&data).await });
        let mut got = Vec::new();
        rx.read_to_end(&mut got).await?;
        writer.await.unwrap()?;
        assert_eq!(got.len(), LEN);
        assert!(got == expected);
        Ok(())
    })
}

#[test]
fn futures_io_traits() -> io::Result<()> {
    weft::run(async {
        let (mut tx, mut rx) = pipe()?;
        let n = poll_fn(|cx| Pin::new(&mut tx).poll_write(cx, b"via traits")).await?;
        assert_eq!(n, 10);
        poll_fn(|cx| Pin::new(&mut tx).poll_flush(cx)).await?;
        poll_fn(|cx| Pin::new(&mut tx).poll_close(cx)).await?;
        let mut buf = [0; 16];
        let n = poll_fn(|cx| Pin::new(&mut rx).poll_read(cx, &mut buf)).await?;
        assert_eq!(&buf[..n], b"via traits");
        let n = poll_fn(|cx| Pin::new(&mut rx).poll_read(cx, &mut buf)).await?;
        assert_eq!(n, 0, "poll_close closed the write end");
        Ok(())
    })
}

#[test]
fn an_empty_read_pipe_is_pending() -> io::Result<()> {
    weft::run(async {
        let (_tx, mut rx) = pipe()?;
        let mut buf = [0; 4];
        let pending = poll_fn(|cx| Poll::Ready(rx.poll_read(cx, &mut buf).is_pending())).await;
        assert!(pending);
        Ok(())
    })
}

#[test]
fn wrapping_existing_descriptors() -> io::Result<()> {
    weft::run(async {
        // Blocking sockets: `from_owned_fd` makes them non-blocking.
        let (a, mut b) = UnixStream::pair()?;
        let (c, mut d) = UnixStream::pair()?;
        let mut rx = Receiver::from_owned_fd(OwnedFd::from(a))?;
        let mut tx = Sender::from_owned_fd(OwnedFd::from(c))?;

        let mut buf = [0; 8];
        let pending = poll_fn(|cx| Poll::Ready(rx.poll_read(cx, &mut buf).is_pending())).await;
        assert!(pending, "would have blocked the loop if still blocking");

        b.write_all(b"in")?;
        let n = rx.read(&mut buf).await?;
        assert_eq!(&buf[..n], b"in");

        tx.write_all(b"out").await?;
        drop(tx);
        let mut got = Vec::new();
        d.read_to_end(&mut got)?;
        assert_eq!(got, b"out");

        // Taking the descriptor back out and wrapping it again.
        let fd = rx.into_owned_fd();
        let mut rx = Receiver::from_owned_fd(fd)?;
        drop(b);
        assert_eq!(rx.read(&mut buf).await?, 0);
        Ok(())
    })
}

#[test]
fn regular_files_cannot_be_watched() -> io::Result<()> {
    weft::run(async {
        let file = std::fs::File::open("/proc/self/stat")?;
        let e = Receiver::from_owned_fd(OwnedFd::from(file)).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(1), "EPERM, got {e}");
        Ok(())
    })
}
