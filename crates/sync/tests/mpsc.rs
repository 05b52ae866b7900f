//! Behaviour of `weft_sync::mpsc`.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use weft_sync::mpsc::{channel, unbounded_channel, SendError, TryRecvError, TrySendError};

/// Polls `fut` once (inside the loop, with the task's waker).
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn every_half_is_send_and_sync() {
    type C = Cell<u8>; // Send, not Sync
    assert_send_sync::<weft_sync::mpsc::Sender<C>>();
    assert_send_sync::<weft_sync::mpsc::Receiver<C>>();
    assert_send_sync::<weft_sync::mpsc::UnboundedSender<C>>();
    assert_send_sync::<weft_sync::mpsc::UnboundedReceiver<C>>();
    // The futures can move between threads too.
    fn assert_send<T: Send>(_: &T) {}
    let (tx, mut rx) = channel::<C>(1);
    assert_send(&tx.send(Cell::new(1)));
    assert_send(&rx.recv());
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn a_zero_capacity_panics() {
    let _ = channel::<()>(0);
}

#[test]
fn values_arrive_in_the_order_they_were_sent() {
    weft::run(async {
        let (tx, mut rx) = channel(16);
        let (utx, mut urx) = unbounded_channel();
        let producer = weft::spawn(async move {
            for i in 0..1000 {
                tx.send(i).await.unwrap();
                utx.send(i).unwrap();
            }
        });
        for i in 0..1000 {
            assert_eq!(rx.recv().await, Some(i));
            assert_eq!(urx.recv().await, Some(i));
        }
        assert_eq!(rx.recv().await, None);
        assert_eq!(urx.recv().await, None);
        producer.await.unwrap();
    });
}

#[test]
fn a_bounded_send_waits_at_capacity_and_resumes_after_a_recv() {
    weft::run(async {
        let (tx, mut rx) = channel(2);
        let sent = Rc::new(Cell::new(0));
        let producer = weft::spawn({
            let sent = sent.clone();
            async move {
                for i in 0..5 {
                    tx.send(i).await.unwrap();
                    sent.set(sent.get() + 1);
                }
            }
        });
        for _ in 0..5 {
            weft::yield_now().await;
        }
        assert_eq!(sent.get(), 2, "the producer must stop at capacity");
        assert_eq!(rx.recv().await, Some(0));
        for _ in 0..5 {
            weft::yield_now().await;
        }
        assert_eq!(sent.get(), 3, "one recv makes room for exactly one send");
        for i in 1..5 {
            assert_eq!(rx.recv().await, Some(i));
        }
        producer.await.unwrap();
        assert_eq!(sent.get(), 5);
    });
}

#[test]
fn try_send_reports_full_then_succeeds_after_a_recv() {
    let (tx, mut rx) = channel(1);
    assert_eq!(tx.capacity(), 1);
    tx.try_send(1).unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(tx.capacity(), 1);
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_cancelled_blocked_send_does_not_leak_capacity() {
    weft::run(async {
        let (tx, mut rx) = channel(1);
        tx.send(1).await.unwrap();
        {
            let mut blocked = pin!(tx.send(2));
            assert!(poll_once(&mut blocked).await.is_pending());
            // Room appears while it waits, then it is cancelled.
            assert_eq!(rx.recv().await, Some(1));
        }
        assert_eq!(
            tx.capacity(),
            1,
            "the cancelled send passed its capacity back"
        );
        tx.try_send(3).unwrap();
        {
            // Cancelled before any room appeared.
            let mut blocked = pin!(tx.send(4));
            assert!(poll_once(&mut blocked).await.is_pending());
        }
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(tx.capacity(), 1);
        tx.try_send(5).unwrap();
        assert_eq!(rx.recv().await, Some(5));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn a_cancelled_blocked_send_passes_capacity_to_the_next_waiting_sender() {
    weft::run(async {
        let (tx, mut rx) = channel(1);
        tx.send(0).await.unwrap();
        let mut first = Box::pin(tx.send(1));
        assert!(poll_once(&mut first).await.is_pending());
        let second = weft::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        weft::yield_now().await; // `second` queues behind `first`
        assert_eq!(rx.recv().await, Some(0)); // room goes to `first`...
        drop(first); // ...which is cancelled: the room passes on
        second.await.unwrap().unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn recv_returns_none_after_every_sender_is_dropped() {
    weft::run(async {
        let (tx, mut rx) = channel(4);
        let tx2 = tx.clone();
        tx.send(1).await.unwrap();
        drop(tx);
        let waiter = weft::spawn(async move {
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            got
        });
        weft::yield_now().await;
        tx2.send(2).await.unwrap();
        weft::yield_now().await;
        drop(tx2); // wakes the parked receiver
        assert_eq!(waiter.await.unwrap(), [1, 2]);

        let (utx, mut urx) = unbounded_channel::<()>();
        drop(utx);
        assert_eq!(urx.recv().await, None);
        assert_eq!(urx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn dropping_the_receiver_gives_send_error_with_the_value_and_wakes_blocked_senders() {
    weft::run(async {
        let (tx, rx) = channel(1);
        tx.send(String::from("buffered")).await.unwrap();
        let blocked = weft::spawn({
            let tx = tx.clone();
            async move { tx.send(String::from("blocked")).await }
        });
        weft::yield_now().await;
        assert!(!blocked.done());
        drop(rx);
        let err = blocked.await.unwrap().unwrap_err();
        assert_eq!(err, SendError(String::from("blocked")));
        assert!(tx.is_closed());
        assert_eq!(
            tx.send(String::from("later"))
                .await
                .unwrap_err()
                .into_inner(),
            "later"
        );
        assert!(matches!(
            tx.try_send(String::from("try")),
            Err(TrySendError::Closed(s)) if s == "try"
        ));

        let (utx, urx) = unbounded_channel();
        drop(urx);
        assert_eq!(utx.send(7), Err(SendError(7)));
    });
}

#[test]
fn dropping_the_receiver_drops_buffered_values() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = channel(8);
    for _ in 0..5 {
        tx.try_send(Counted(drops.clone())).map_err(drop).unwrap();
    }
    // The five move to the receiver's local batch (one is received and dropped); a
    // sixth stays in the shared buffer.
    drop(rx.try_recv().unwrap());
    tx.try_send(Counted(drops.clone())).map_err(drop).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 6);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

#[test]
fn close_refuses_new_sends_but_delivers_buffered_values() {
    weft::run(async {
        let (tx, mut rx) = channel(4);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(3).await, Err(SendError(3)));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn close_wakes_senders_waiting_for_capacity() {
    weft::run(async {
        let (tx, mut rx) = channel(1);
        tx.send(1).await.unwrap();
        let blocked = weft::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        weft::yield_now().await;
        rx.close();
        assert_eq!(blocked.await.unwrap(), Err(SendError(2)));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn producers_on_many_threads_deliver_every_value_exactly_once() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 5_000;
    for bounded in [true, false] {
        let (tx, mut rx) = channel::<(usize, usize)>(8);
        let (utx, mut urx) = unbounded_channel::<(usize, usize)>();
        let producers: Vec<_> = (0..THREADS)
            .map(|t| {
                let tx = tx.clone();
                let utx = utx.clone();
                std::thread::spawn(move || {
                    weft::run(async move {
                        for i in 0..PER_THREAD {
                            if bounded {
                                tx.send((t, i)).await.unwrap();
                            } else {
                                utx.send((t, i)).unwrap();
                            }
                        }
                    })
                })
            })
            .collect();
        drop((tx, utx));
        let seen = weft::run(async {
            let mut next_of = [0usize; THREADS];
            let mut total = 0;
            loop {
                let got = if bounded {
                    rx.recv().await
                } else {
                    urx.recv().await
                };
                let Some((t, i)) = got else { break };
                assert_eq!(i, next_of[t], "per-sender FIFO, no duplicates");
                next_of[t] += 1;
                total += 1;
            }
            assert!(next_of.iter().all(|&n| n == PER_THREAD));
            total
        });
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(seen, THREADS * PER_THREAD);
    }
}

#[test]
fn the_receivers_are_streams_that_end_when_the_senders_are_gone() {
    weft::run(async {
        let (tx, mut rx) = channel(2);
        weft::spawn(async move {
            for i in 0..10 {
                tx.send(i).await.unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(v) = next(&mut rx).await {
            got.push(v);
        }
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        assert_eq!(next(&mut rx).await, None);

        let (utx, mut urx) = unbounded_channel();
        for i in 0..3 {
            utx.send(i).unwrap();
        }
        drop(utx);
        assert_eq!(next(&mut urx).await, Some(0));
        assert_eq!(next(&mut urx).await, Some(1));
        assert_eq!(next(&mut urx).await, Some(2));
        assert_eq!(next(&mut urx).await, None);
    });
}

#[test]
fn poll_recv_registers_the_waker_and_a_send_wakes_it() {
    struct Flag(AtomicUsize);
    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let flag = Arc::new(Flag(AtomicUsize::new(0)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let (tx, mut rx) = unbounded_channel();
    assert!(rx.poll_recv(&mut cx).is_pending());
    assert!(rx.poll_recv(&mut cx).is_pending());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(
        flag.0.load(Ordering::SeqCst),
        1,
        "one wake per registration"
    );
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(2)));
    assert!(rx.poll_recv(&mut cx).is_pending());
    drop(tx);
    assert_eq!(
        flag.0.load(Ordering::SeqCst),
        2,
        "the last sender's drop wakes"
    );
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
}

#[test]
fn len_counts_buffered_values() {
    let (tx, mut rx) = channel(8);
    assert!(rx.is_empty());
    for i in 0..4 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(rx.len(), 4);
    assert_eq!(rx.try_recv(), Ok(0));
    tx.try_send(4).unwrap();
    assert_eq!(rx.len(), 4);
}

#[test]
fn a_long_burst_yields_to_the_loop_under_the_budget() {
    // A receiver draining a long burst must still let other tasks run (coop budget).
    weft::run(async {
        let (tx, mut rx) = unbounded_channel();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        let ran = Rc::new(Cell::new(false));
        weft::spawn({
            let ran = ran.clone();
            async move { ran.set(true) }
        });
        let mut seen_other_task = false;
        for _ in 0..10_000 {
            rx.recv().await.unwrap();
            seen_other_task |= ran.get();
        }
        assert!(seen_other_task);
    });
}
