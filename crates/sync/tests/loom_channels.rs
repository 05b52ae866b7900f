//! loom models of the channels: a receiver parking while the other side sends, drops
//! or closes must always be woken (or see the outcome at once), and values are
//! delivered exactly once.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_sync::{mpsc, oneshot};

/// Counts wakes.
struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn waker() -> (StdArc<Count>, Waker) {
    let c = StdArc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

/// Counts drops of the values, to check exactly-once delivery.
struct Tracked(Arc<AtomicUsize>);
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn oneshot_send_racing_a_recv_poll_delivers_once_and_never_loses_the_wake() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel();
        let value = Tracked(drops.clone());
        let t = thread::spawn(move || assert!(tx.send(value).is_ok()));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut rx = pin!(rx);
        let got = match rx.as_mut().poll(&mut cx) {
            Poll::Ready(v) => {
                t.join().unwrap();
                v
            }
            Poll::Pending => {
                t.join().unwrap();
                assert_eq!(count.0.load(Ordering::SeqCst), 1, "lost wake-up");
                match rx.as_mut().poll(&mut cx) {
                    Poll::Ready(v) => v,
                    Poll::Pending => panic!("woken but nothing to receive"),
                }
            }
        };
        let got = got.unwrap_or_else(|_| panic!("the value was lost"));
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(got);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn oneshot_sender_drop_racing_a_recv_poll_wakes_with_recv_error() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let t = thread::spawn(move || drop(tx));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut rx = pin!(rx);
        let got = match rx.as_mut().poll(&mut cx) {
            Poll::Ready(v) => v,
            Poll::Pending => {
                t.join().unwrap();
                assert_eq!(count.0.load(Ordering::SeqCst), 1, "lost wake-up");
                match rx.as_mut().poll(&mut cx) {
                    Poll::Ready(v) => v,
                    Poll::Pending => panic!("woken but still pending"),
                }
            }
        };
        assert_eq!(got, Err(oneshot::RecvError));
    });
}

#[test]
fn oneshot_receiver_close_racing_send_either_delivers_or_gives_the_value_back() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = oneshot::channel();
        let value = Tracked(drops.clone());
        let t = thread::spawn(move || tx.send(value).is_ok());
        rx.close();
        let received = rx.try_recv();
        let sent = t.join().unwrap();
        // Sent before the close: still receivable; after: given back (and dropped).
        assert_eq!(sent, received.is_ok());
        drop(received);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn oneshot_receiver_drop_racing_closed_wakes_the_sender() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u32>();
        let t = thread::spawn(move || drop(rx));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        if tx.poll_closed(&mut cx).is_pending() {
            t.join().unwrap();
            assert_eq!(count.0.load(Ordering::SeqCst), 1, "lost wake-up");
            assert!(tx.poll_closed(&mut cx).is_ready());
        } else {
            t.join().unwrap();
        }
    });
}

#[test]
fn mpsc_send_racing_recv_registration_never_loses_the_wake() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let t = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        });
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut got = Vec::new();
        loop {
            let seen = count.0.load(Ordering::SeqCst);
            match rx.poll_recv(&mut cx) {
                Poll::Ready(Some(v)) => got.push(v),
                Poll::Ready(None) => break,
                Poll::Pending => {
                    // Every pending poll must be answered by a wake: a send or the
                    // (last) sender's drop. Wait for it.
                    while count.0.load(Ordering::SeqCst) == seen {
                        thread::yield_now();
                    }
                }
            }
        }
        t.join().unwrap();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn mpsc_last_sender_drop_racing_recv_registration_ends_the_stream() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let tx2 = tx.clone();
        let t1 = thread::spawn(move || drop(tx));
        let t2 = thread::spawn(move || drop(tx2));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        match rx.poll_recv(&mut cx) {
            Poll::Ready(v) => assert_eq!(v, None),
            Poll::Pending => {
                t1.join().unwrap();
                t2.join().unwrap();
                assert_eq!(count.0.load(Ordering::SeqCst), 1, "lost wake-up");
                assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
                return;
            }
        }
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

#[test]
fn mpsc_bounded_send_waiting_for_capacity_racing_recv_is_woken_and_delivers() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(1).unwrap();
        // The receiver makes room on another thread while the send queues for it.
        let t = thread::spawn(move || {
            let first = rx.try_recv();
            (first, rx)
        });
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut send = pin!(tx.send(2));
        let sent = match send.as_mut().poll(&mut cx) {
            Poll::Ready(r) => {
                let (first, rx) = t.join().unwrap();
                (r, first, rx)
            }
            Poll::Pending => {
                let (first, rx) = t.join().unwrap();
                assert_eq!(first, Ok(1));
                assert_eq!(count.0.load(Ordering::SeqCst), 1, "lost wake-up");
                match send.as_mut().poll(&mut cx) {
                    Poll::Ready(r) => (r, first, rx),
                    Poll::Pending => panic!("woken but still waiting for capacity"),
                }
            }
        };
        let (r, first, mut rx) = sent;
        assert!(r.is_ok());
        assert_eq!(first, Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty));
    });
}

#[test]
fn mpsc_receiver_drop_racing_a_send_waiting_for_capacity_fails_it_with_the_value() {
    loom::model(|| {
        let (tx, rx) = mpsc::channel(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || drop(rx));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut send = pin!(tx.send(2));
        let r = match send.as_mut().poll(&mut cx) {
            Poll::Ready(r) => {
                t.join().unwrap();
                r
            }
            Poll::Pending => {
                t.join().unwrap();
                assert_eq!(count.0.load(Ordering::SeqCst), 1, "lost wake-up");
                match send.as_mut().poll(&mut cx) {
                    Poll::Ready(r) => r,
                    Poll::Pending => panic!("woken but still waiting"),
                }
            }
        };
        assert_eq!(r, Err(mpsc::SendError(2)));
    });
}

#[test]
fn mpsc_two_producers_racing_a_parked_receiver_deliver_each_value_once() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel(2);
        let tx2 = tx.clone();
        let t1 = thread::spawn(move || tx.try_send(1).unwrap());
        let t2 = thread::spawn(move || tx2.try_send(2).unwrap());
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut got = Vec::new();
        loop {
            let seen = count.0.load(Ordering::SeqCst);
            match rx.poll_recv(&mut cx) {
                Poll::Ready(Some(v)) => got.push(v),
                Poll::Ready(None) => break,
                Poll::Pending => {
                    while count.0.load(Ordering::SeqCst) == seen {
                        thread::yield_now();
                    }
                }
            }
        }
        t1.join().unwrap();
        t2.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}
