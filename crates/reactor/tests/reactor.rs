//! Behaviour of the reactor as seen by an executor: readiness, wake-ups,
//! registration bookkeeping, unparking and the thread's current handle.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use mio::net::UnixStream;
use weft_reactor::{Direction, Handle, Interest, Reactor, Ready, Registration};

const NOW: Option<Duration> = Some(Duration::ZERO);

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    (counter, waker)
}

fn wakes(counter: &Counter) -> usize {
    counter.0.load(SeqCst)
}

fn ready(reg: &Registration, waker: &Waker, dir: Direction) -> Option<Ready> {
    match reg.poll_ready(&mut Context::from_waker(waker), dir) {
        Poll::Ready(result) => Some(result.expect("reactor alive")),
        Poll::Pending => None,
    }
}

#[test]
fn write_wakes_registered_reader() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (mut a, mut b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    let (count, waker) = counter();

    assert!(ready(&reg, &waker, Direction::Read).is_none());
    assert_eq!(reactor.turn(NOW)?, 0);
    assert_eq!(wakes(&count), 0);

    b.write_all(b"hello")?;
    assert_eq!(reactor.turn(NOW)?, 1);
    assert_eq!(wakes(&count), 1);
    let r = ready(&reg, &waker, Direction::Read).expect("readable");
    assert!(r.is_readable());
    assert!(!r.is_read_closed() && !r.is_error());
    Ok(())
}

#[test]
fn reader_and_writer_have_separate_wakers() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (mut a, mut b) = UnixStream::pair()?;
    let reg = Registration::with_handle(
        &reactor.handle(),
        &mut a,
        Interest::READABLE | Interest::WRITABLE,
    )?;
    let (reads, read_waker) = counter();
    let (writes, write_waker) = counter();
    assert!(ready(&reg, &read_waker, Direction::Read).is_none());
    assert!(ready(&reg, &write_waker, Direction::Write).is_none());

    // A fresh socket is writable at once; nothing to read yet.
    reactor.turn(NOW)?;
    assert_eq!((wakes(&reads), wakes(&writes)), (0, 1));
    assert!(ready(&reg, &read_waker, Direction::Read).is_none());

    b.write_all(b"x")?;
    reactor.turn(NOW)?;
    assert_eq!(wakes(&reads), 1);
    let r = ready(&reg, &read_waker, Direction::Read).expect("readable");
    assert!(
        r.is_readable() && !r.is_writable(),
        "only the polled direction: {r:?}"
    );
    Ok(())
}

#[test]
fn poll_io_drains_until_would_block_then_waits() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (mut a, mut b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);

    b.write_all(b"0123456789")?;
    assert_eq!(reactor.turn(NOW)?, 1);

    let mut calls = 0;
    let mut got = Vec::new();
    let mut buf = [0; 4];
    let mut read = |got: &mut Vec<u8>, calls: &mut usize| {
        reg.poll_io(&mut cx, Direction::Read, || {
            *calls += 1;
            let n = a.read(&mut buf)?;
            got.extend_from_slice(&buf[..n]);
            Ok(n)
        })
    };
    let mut sizes = Vec::new();
    while let Poll::Ready(n) = read(&mut got, &mut calls) {
        sizes.push(n?);
    }
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(got, b"0123456789");
    // Three reads with data and one that hit WouldBlock; then the cleared
    // readiness made it wait instead of calling `f` again.
    assert_eq!(calls, 4);
    assert!(ready(&reg, &waker, Direction::Read).is_none());

    // The waker left by `poll_io` is woken by the next edge.
    assert_eq!(wakes(&count), 0);
    b.write_all(b"more")?;
    reactor.turn(NOW)?;
    assert_eq!(wakes(&count), 1);
    assert!(matches!(read(&mut got, &mut calls), Poll::Ready(Ok(4))));
    Ok(())
}

#[test]
fn poll_io_returns_other_errors() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (mut a, _b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::WRITABLE)?;
    let (_count, waker) = counter();
    reactor.turn(NOW)?;
    let result = reg.poll_io(&mut Context::from_waker(&waker), Direction::Write, || {
        Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe))
    });
    assert!(matches!(result, Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe));
    // Readiness was not cleared by a non-WouldBlock error.
    assert!(ready(&reg, &waker, Direction::Write).is_some());
    Ok(())
}

#[test]
fn clear_ready_keeps_a_newer_event() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (mut a, mut b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    let (_count, waker) = counter();

    b.write_all(b"first")?;
    reactor.turn(NOW)?;
    let seen = ready(&reg, &waker, Direction::Read).expect("readable");

    // A new edge arrives before the owner gets round to clearing.
    b.write_all(b"second")?;
    assert_eq!(reactor.turn(NOW)?, 1);
    reg.clear_ready(seen);
    let newer = ready(&reg, &waker, Direction::Read).expect("newer event kept");
    assert!(newer.is_readable());

    // Clearing with the up-to-date snapshot does clear.
    let mut buf = [0; 64];
    assert_eq!(a.read(&mut buf)?, b"firstsecond".len());
    reg.clear_ready(newer);
    assert!(ready(&reg, &waker, Direction::Read).is_none());
    Ok(())
}

#[test]
fn stale_event_for_reused_slot_is_ignored() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let handle = reactor.handle();
    let (mut old, mut old_peer) = UnixStream::pair()?;
    let old_reg = Registration::with_handle(&handle, &mut old, Interest::READABLE)?;
    // Make the kernel queue an event carrying the old registration's token...
    old_peer.write_all(b"for the old registration")?;
    // ...then free the slot while `old` stays registered with the selector.
    drop(old_reg);
    assert_eq!(reactor.sources(), 0);

    let (mut new, _new_peer) = UnixStream::pair()?;
    let new_reg = Registration::with_handle(&handle, &mut new, Interest::READABLE)?;
    let (count, waker) = counter();
    assert!(ready(&new_reg, &waker, Direction::Read).is_none());

    assert_eq!(reactor.turn(NOW)?, 0, "the stale event is not dispatched");
    assert_eq!(wakes(&count), 0);
    assert!(ready(&new_reg, &waker, Direction::Read).is_none());

    // Further events for the stale source stay ignored.
    old_peer.write_all(b"again")?;
    assert_eq!(reactor.turn(NOW)?, 0);
    assert_eq!(wakes(&count), 0);
    drop(old);
    Ok(())
}

#[test]
fn peer_close_sets_read_closed_and_wakes_reader() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (mut a, b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    let (count, waker) = counter();
    assert!(ready(&reg, &waker, Direction::Read).is_none());

    drop(b);
    assert_eq!(reactor.turn(NOW)?, 1);
    assert_eq!(wakes(&count), 1);
    let r = ready(&reg, &waker, Direction::Read).expect("closed is ready");
    assert!(r.is_read_closed());

    // End-of-file is a result, not WouldBlock, so poll_io returns it; and the
    // closed bit survives clear_ready.
    let mut buf = [0; 8];
    let n = reg.poll_io(&mut Context::from_waker(&waker), Direction::Read, || {
        a.read(&mut buf)
    });
    assert!(matches!(n, Poll::Ready(Ok(0))));
    reg.clear_ready(r);
    assert!(ready(&reg, &waker, Direction::Read)
        .expect("still closed")
        .is_read_closed());
    Ok(())
}

#[test]
fn unpark_from_another_thread_ends_a_blocking_turn() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let unparker = reactor.unparker();
    let thread = thread::spawn(move || unparker.unpark());
    assert_eq!(reactor.turn(None)?, 0, "unparks are not counted");
    thread.join().unwrap();

    // Unparks coalesce, and the flag is re-armed after each turn.
    let unparker = reactor.unparker();
    for _ in 0..3 {
        unparker.unpark();
    }
    assert_eq!(reactor.turn(None)?, 0);
    let thread = thread::spawn(move || unparker.unpark());
    assert_eq!(reactor.turn(None)?, 0);
    thread.join().unwrap();
    Ok(())
}

#[test]
fn unpark_reaches_a_reactor_blocked_on_another_thread() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let unparker = reactor.unparker();
    let (mut a, _b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&reactor.handle(), &mut a, Interest::READABLE)?;
    // The loop thread blocks until unparked; I/O events would not come.
    let turner = thread::spawn(move || reactor.turn(None).map(|n| (n, reactor)));
    unparker.unpark();
    let (n, reactor) = turner.join().unwrap()?;
    assert_eq!(n, 0);
    assert_eq!(reactor.sources(), 1);
    drop(reg);
    Ok(())
}

#[test]
fn sources_counts_live_registrations() -> io::Result<()> {
    let reactor = Reactor::new()?;
    let handle = reactor.handle();
    assert_eq!(reactor.sources(), 0);
    let (mut a, mut b) = UnixStream::pair()?;
    let ra = Registration::with_handle(&handle, &mut a, Interest::READABLE)?;
    let rb = Registration::with_handle(&handle, &mut b, Interest::WRITABLE)?;
    assert_eq!(reactor.sources(), 2);
    ra.deregister(&mut a)?;
    assert_eq!(reactor.sources(), 1);
    // Dropped on another thread.
    thread::spawn(move || drop(rb)).join().unwrap();
    assert_eq!(reactor.sources(), 0);

    // A failed registration does not leak a slot: `b` is still registered.
    assert!(Registration::with_handle(&handle, &mut b, Interest::READABLE).is_err());
    assert_eq!(reactor.sources(), 0);
    Ok(())
}

#[test]
fn current_handle_follows_enter_guards() -> io::Result<()> {
    assert!(Handle::try_current().is_none());
    let outer = Reactor::new()?;
    let inner = Reactor::new()?;
    let (mut a, _b) = UnixStream::pair()?;
    let (mut c, _d) = UnixStream::pair()?;

    let g1 = outer.enter();
    let _ = Handle::current();
    let r1 = Registration::new(&mut a, Interest::READABLE)?;
    assert_eq!((outer.sources(), inner.sources()), (1, 0));
    {
        let _g2 = inner.enter();
        let r2 = Registration::new(&mut c, Interest::READABLE)?;
        assert_eq!((outer.sources(), inner.sources()), (1, 1));
        r2.deregister(&mut c)?;
    }
    // `outer` is current again.
    let r3 = Registration::new(&mut c, Interest::READABLE)?;
    assert_eq!((outer.sources(), inner.sources()), (2, 0));
    drop(g1);
    assert!(Handle::try_current().is_none());

    // Other threads have their own context.
    let g = outer.enter();
    assert!(thread::spawn(|| Handle::try_current().is_none())
        .join()
        .unwrap());
    drop(g);
    drop((r1, r3));
    Ok(())
}

#[test]
#[should_panic(expected = "no weft reactor is current")]
fn current_panics_outside_a_context() {
    let _ = Handle::current();
}

#[test]
fn dropping_the_reactor_wakes_and_fails_waiters() -> io::Result<()> {
    let reactor = Reactor::new()?;
    let handle = reactor.handle();
    let (mut a, _b) = UnixStream::pair()?;
    let reg = Registration::with_handle(&handle, &mut a, Interest::READABLE)?;
    let (count, waker) = counter();
    assert!(reg
        .poll_ready(&mut Context::from_waker(&waker), Direction::Read)
        .is_pending());

    drop(reactor);
    assert_eq!(wakes(&count), 1);
    assert!(matches!(
        reg.poll_ready(&mut Context::from_waker(&waker), Direction::Read),
        Poll::Ready(Err(_))
    ));
    let (mut c, _d) = UnixStream::pair()?;
    assert!(Registration::with_handle(&handle, &mut c, Interest::READABLE).is_err());
    drop(reg);
    Ok(())
}

#[test]
fn waker_may_drop_a_registration_during_turn() -> io::Result<()> {
    // Waking happens after the registration table is unlocked, so a waker
    // whose wake drops registrations does not deadlock.
    struct DropOnWake(std::sync::Mutex<Option<Registration>>);
    impl Wake for DropOnWake {
        fn wake(self: Arc<Self>) {
            drop(self.0.lock().unwrap().take());
        }
    }

    let mut reactor = Reactor::new()?;
    let (mut a, mut b) = UnixStream::pair()?;
    let reg = Arc::new(Registration::with_handle(
        &reactor.handle(),
        &mut a,
        Interest::READABLE,
    )?);
    let (mut c, _d) = UnixStream::pair()?;
    let other = Registration::with_handle(&reactor.handle(), &mut c, Interest::READABLE)?;
    let waker = Waker::from(Arc::new(DropOnWake(std::sync::Mutex::new(Some(other)))));
    assert!(reg
        .poll_ready(&mut Context::from_waker(&waker), Direction::Read)
        .is_pending());
    drop(waker);
    assert_eq!(reactor.sources(), 2);

    b.write_all(b"x")?;
    assert_eq!(reactor.turn(NOW)?, 1);
    assert_eq!(reactor.sources(), 1);
    Ok(())
}

#[test]
fn public_types_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Handle>();
    send_sync::<weft_reactor::Unparker>();
    send_sync::<Registration>();
    send_sync::<Ready>();
    send::<Reactor>();
}
