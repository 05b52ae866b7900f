//! Behaviour of `weft_sync::oneshot`.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use weft_sync::oneshot::{channel, RecvError, TryRecvError};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn halves_are_send_and_sync() {
    assert_send_sync::<weft_sync::oneshot::Sender<std::cell::Cell<u8>>>();
    assert_send_sync::<weft_sync::oneshot::Receiver<std::cell::Cell<u8>>>();
}

#[test]
fn a_sent_value_is_delivered() {
    weft::run(async {
        let (tx, rx) = channel();
        tx.send(vec![1, 2, 3]).unwrap();
        assert_eq!(rx.await, Ok(vec![1, 2, 3]));
    });
}

#[test]
fn a_waiting_receiver_is_woken_by_a_send_from_another_task() {
    weft::run(async {
        let (tx, rx) = channel();
        let waiter = weft::spawn(rx);
        weft::yield_now().await; // the receiver is parked
        tx.send("late").unwrap();
        assert_eq!(waiter.await.unwrap(), Ok("late"));
    });
}

#[test]
fn dropping_the_sender_without_sending_gives_recv_error() {
    weft::run(async {
        let (tx, rx) = channel::<u8>();
        let waiter = weft::spawn(rx);
        weft::yield_now().await;
        drop(tx);
        assert_eq!(waiter.await.unwrap(), Err(RecvError));
    });
}

#[test]
fn dropping_the_receiver_makes_send_give_the_value_back() {
    let (tx, rx) = channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(String::from("back")), Err(String::from("back")));
}

#[test]
fn closing_the_receiver_makes_send_give_the_value_back_and_recv_fail() {
    weft::run(async {
        let (tx, mut rx) = channel();
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(1), Err(1));
        assert_eq!(rx.await, Err(RecvError));
    });
}

#[test]
fn a_value_sent_before_close_can_still_be_received() {
    let (tx, mut rx) = channel();
    tx.send(4).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(4));
}

#[test]
fn a_send_from_another_thread_wakes_a_receiver_on_a_weft_loop() {
    let (tx, rx) = channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let sender = std::thread::spawn(move || {
        go_rx.recv().unwrap();
        tx.send(42u64).unwrap();
    });
    let got = weft::run(async move {
        let mut rx = pin!(rx);
        // Park the receiver first, then let the other thread send.
        let first = poll_fn(|cx| Poll::Ready(rx.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        go_tx.send(()).unwrap();
        rx.await
    });
    sender.join().unwrap();
    assert_eq!(got, Ok(42));
}

#[test]
fn try_recv_reports_empty_then_the_value_then_closed() {
    let (tx, mut rx) = channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send('x').unwrap();
    assert_eq!(rx.try_recv(), Ok('x'));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn try_recv_reports_closed_when_the_sender_is_dropped() {
    let (tx, mut rx) = channel::<()>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    // Awaiting it afterwards still reports the missing value.
    assert_eq!(weft::run(rx), Err(RecvError));
}

#[test]
fn sender_closed_resolves_when_the_receiver_goes_away() {
    weft::run(async {
        let (mut tx, rx) = channel::<u8>();
        let dropper = weft::spawn(async move {
            weft::yield_now().await;
            drop(rx);
        });
        tx.closed().await;
        assert!(tx.is_closed());
        dropper.await.unwrap();
    });
}

#[test]
fn sender_closed_stays_pending_while_the_receiver_lives() {
    let (mut tx, rx) = channel::<u8>();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(tx.poll_closed(&mut cx).is_pending());
    assert!(tx.poll_closed(&mut cx).is_pending());
    drop(rx);
    assert!(tx.poll_closed(&mut cx).is_ready());
}

#[test]
fn a_dropped_unreceived_value_is_dropped_exactly_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    tx.send(Counted(drops.clone())).map_err(drop).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn ping_pong_with_a_thread_delivers_every_value() {
    const ROUNDS: u64 = 2_000;
    type Ping = (u64, weft_sync::oneshot::Sender<u64>);
    let (to_echo, from_main) = std::sync::mpsc::channel::<Ping>();
    let echo = std::thread::spawn(move || {
        while let Ok((v, reply)) = from_main.recv() {
            reply.send(v * 2).unwrap();
        }
    });
    weft::run(async move {
        for i in 0..ROUNDS {
            let (tx, rx) = channel();
            to_echo.send((i, tx)).unwrap();
            assert_eq!(rx.await, Ok(i * 2));
        }
    });
    echo.join().unwrap();
}
