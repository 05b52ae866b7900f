//! `AsyncFd`: readiness of arbitrary descriptors.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use weft_reactor::fd::AsyncFd;
use weft_reactor::{Direction, Interest, Reactor};

fn socketpair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    Ok((a, b))
}

#[test]
fn readable_on_a_socketpair() -> io::Result<()> {
    weft::run(async {
        let (a, mut b) = socketpair()?;
        let a = AsyncFd::with_interest(a, Interest::READABLE)?;
        let pending = poll_fn(|cx| Poll::Ready(a.poll_read_ready(cx).is_pending())).await;
        assert!(pending, "nothing written yet");

        b.write_all(b"ping")?;
        let mut guard = a.readable().await?;
        assert!(guard.ready().is_readable());
        assert_eq!(guard.direction(), Direction::Read);
        let mut buf = [0; 8];
        let n = guard.try_io(|s| (&*s).read(&mut buf)).expect("readable")?;
        assert_eq!(&buf[..n], b"ping");
        assert!(guard.try_io(|s| (&*s).read(&mut buf)).is_none(), "drained");

        // Cleared: waiting again is pending until the next write.
        let pending = poll_fn(|cx| Poll::Ready(a.poll_read_ready(cx).is_pending())).await;
        assert!(pending);
        b.write_all(b"pong")?;
        let n = a
            .async_io(Direction::Read, |s| (&*s).read(&mut buf))
            .await?;
        assert_eq!(&buf[..n], b"pong");
        Ok(())
    })
}

#[test]
fn a_write_from_another_thread_wakes_the_loop() -> io::Result<()> {
    weft::run(async {
        let (a, mut b) = socketpair()?;
        let a = AsyncFd::new(a)?;
        let writer = thread::spawn(move || b.write_all(b"from afar"));
        let mut buf = [0; 16];
        let n = a
            .async_io(Direction::Read, |s| (&*s).read(&mut buf))
            .await?;
        writer.join().unwrap()?;
        assert_eq!(&buf[..n], b"from afar");
        Ok(())
    })
}

#[test]
fn writable_and_backpressure() -> io::Result<()> {
    weft::run(async {
        let (a, mut b) = socketpair()?;
        let a = AsyncFd::new(a)?;
        // Fill the socket buffer until the OS says WouldBlock.
        let chunk = [0u8; 65536];
        let mut written = 0;
        loop {
            let mut guard = a.writable().await?;
            match guard.try_io(|s| (&*s).write(&chunk)) {
                Some(n) => written += n?,
                None => break,
            }
        }
        let pending = poll_fn(|cx| Poll::Ready(a.poll_write_ready(cx).is_pending())).await;
        assert!(pending, "full");
        // The peer drains on another thread; we become writable again.
        let reader = thread::spawn(move || {
            let mut sink = vec![0; written];
            b.read_exact(&mut sink).map(|()| b)
        });
        a.writable().await?;
        reader.join().unwrap()?;
        Ok(())
    })
}

#[test]
fn peer_close_is_read_closed() -> io::Result<()> {
    weft::run(async {
        let (a, b) = socketpair()?;
        let a = AsyncFd::new(a)?;
        drop(b);
        let guard = a.readable().await?;
        assert!(guard.ready().is_read_closed());
        let mut buf = [0; 1];
        assert_eq!(guard.get_inner().read(&mut buf)?, 0);
        Ok(())
    })
}

#[test]
fn recheck_gives_level_triggered_callbacks() -> io::Result<()> {
    weft::run(async {
        let (a, mut b) = socketpair()?;
        let a = AsyncFd::with_interest(a, Interest::READABLE)?;
        b.write_all(b"xyz")?;
        // An add_reader-style callback that consumes one byte per call.
        let mut calls = 0;
        loop {
            let guard = a.readable().await?;
            calls += 1;
            let mut byte = [0; 1];
            assert_eq!(guard.get_inner().read(&mut byte)?, 1);
            if !guard.recheck()? {
                break;
            }
        }
        assert_eq!(calls, 3, "called while data remained, like asyncio");
        let pending = poll_fn(|cx| Poll::Ready(a.poll_read_ready(cx).is_pending())).await;
        assert!(pending, "readiness cleared once drained");
        Ok(())
    })
}

#[test]
fn dropping_or_into_inner_deregisters() -> io::Result<()> {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let mut reactor = Reactor::new()?;
    let (a, mut b) = socketpair()?;
    let raw = a.as_raw_fd();
    let fd = AsyncFd::with_handle(&reactor.handle(), a, Interest::READABLE)?;
    assert_eq!(fd.as_raw_fd(), raw);
    assert_eq!(reactor.sources(), 1);
    let a = fd.into_inner();
    assert_eq!(reactor.sources(), 0);

    // Registered again (it would be EEXIST had it not been deregistered).
    let fd = AsyncFd::with_handle(&reactor.handle(), a, Interest::READABLE)?;
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    assert!(fd.poll_read_ready(&mut cx).is_pending());
    b.write_all(b"!")?;
    reactor.turn(Some(Duration::from_secs(10)))?;
    assert!(fd.poll_read_ready(&mut cx).is_ready());
    drop(fd);
    assert_eq!(reactor.sources(), 0);
    Ok(())
}

#[test]
fn a_descriptor_is_registered_once_per_loop_but_a_dup_is_another() -> io::Result<()> {
    use std::os::fd::AsFd;
    weft::run(async {
        let (a, _b) = socketpair()?;
        let first = AsyncFd::new(a.as_fd())?; // borrowing works too
        let e = AsyncFd::new(a.as_fd()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(17), "EEXIST, got {e}");
        let _dup = AsyncFd::new(a.try_clone()?)?;
        drop(first);
        let _again = AsyncFd::new(a.as_fd())?;
        Ok(())
    })
}
