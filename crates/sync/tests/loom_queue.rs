//! loom models of the queues' races (run with `--cfg loom`; see the crate's README):
//! with loom's mutex and atomics under `Queue` and its `Sem`s, every interleaving of
//! the threads below is explored.
//!
//! Futures are driven by hand: pinned and polled with a waker that counts its wakes.
//! The property each model checks is the same: a future that returned `Pending` has
//! been woken by the time the other side is done, and then completes with the right
//! value — no lost item, no lost wake-up.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;
use weft_sync::{GetError, Queue, QueueShutDown};

/// A waker that counts how often it was woken.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (std::sync::Arc<CountingWaker>, Waker) {
    let c = std::sync::Arc::new(CountingWaker(AtomicUsize::new(0)));
    let w = Waker::from(c.clone());
    (c, w)
}

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(waker))
}

/// A put on another thread racing a get's registration: the get either finds the item
/// or is woken for it.
#[test]
fn a_put_racing_a_gets_registration_loses_neither_item_nor_wake() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put_nowait(1).unwrap());

        let (count, waker) = counting_waker();
        let mut get = pin!(q.get());
        let first = poll_once(get.as_mut(), &waker);
        putter.join().unwrap();
        match first {
            Poll::Ready(v) => assert_eq!(v, Ok(1)),
            Poll::Pending => {
                assert_eq!(count.0.load(SeqCst), 1, "the getter was woken");
                assert_eq!(poll_once(get.as_mut(), &waker), Poll::Ready(Ok(1)));
            }
        }
        assert!(q.empty());
    });
}

/// A waiting getter dropped (cancelled) while a put on another thread hands it the
/// item: the item goes to the next waiting getter, which is woken.
#[test]
fn a_getters_drop_racing_a_put_passes_the_item_on() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        let (ca, wa) = counting_waker();
        let (cb, wb) = counting_waker();
        let mut a = Box::pin(q.get());
        let mut b = pin!(q.get());
        assert!(poll_once(a.as_mut(), &wa).is_pending());
        assert!(poll_once(b.as_mut(), &wb).is_pending());

        let q2 = q.clone();
        let putter = thread::spawn(move || q2.put_nowait(7).unwrap());
        drop(a);
        putter.join().unwrap();

        assert!(ca.0.load(SeqCst) <= 1);
        assert_eq!(cb.0.load(SeqCst), 1, "the second getter was woken");
        assert_eq!(poll_once(b.as_mut(), &wb), Poll::Ready(Ok(7)));
        assert_eq!(q.get_nowait(), Err(GetError::QueueEmpty));
    });
}

/// A shutdown on another thread racing a get on an empty queue: the get ends with
/// `QueueShutDown`, woken if it was waiting.
#[test]
fn shutdown_racing_a_blocked_get_wakes_it_with_queue_shutdown() {
    for immediate in [false, true] {
        loom::model(move || {
            let q = Arc::new(Queue::<u8>::new(0));
            let q2 = q.clone();
            let closer = thread::spawn(move || q2.shutdown(immediate));

            let (count, waker) = counting_waker();
            let mut get = pin!(q.get());
            let first = poll_once(get.as_mut(), &waker);
            closer.join().unwrap();
            match first {
                Poll::Ready(v) => assert_eq!(v, Err(QueueShutDown(()))),
                Poll::Pending => {
                    assert_eq!(count.0.load(SeqCst), 1, "the getter was woken");
                    assert_eq!(
                        poll_once(get.as_mut(), &waker),
                        Poll::Ready(Err(QueueShutDown(())))
                    );
                }
            }
        });
    }
}

/// Two waiting getters, one item and a `shutdown(false)` from another thread: exactly
/// one getter gets the item, the other `QueueShutDown`; both are woken.
#[test]
fn shutdown_with_one_item_left_serves_one_getter_and_wakes_the_other() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        let (ca, wa) = counting_waker();
        let (cb, wb) = counting_waker();
        let mut a = pin!(q.get());
        let mut b = pin!(q.get());
        assert!(poll_once(a.as_mut(), &wa).is_pending());
        assert!(poll_once(b.as_mut(), &wb).is_pending());

        let q2 = q.clone();
        let producer = thread::spawn(move || {
            q2.put_nowait(1).unwrap();
            q2.shutdown(false);
        });
        // The first getter runs as soon as it is woken, racing the shutdown.
        let ra = loop {
            if let Poll::Ready(r) = poll_once(a.as_mut(), &wa) {
                break r;
            }
            if ca.0.load(SeqCst) == 0 {
                thread::yield_now();
            }
        };
        producer.join().unwrap();
        assert_eq!(ra, Ok(1));
        assert_eq!(cb.0.load(SeqCst), 1, "the second getter was woken");
        assert_eq!(
            poll_once(b.as_mut(), &wb),
            Poll::Ready(Err(QueueShutDown(())))
        );
    });
}

/// A get on another thread frees a place while a put on a full queue registers: the put
/// either finds the place or is woken for it.
#[test]
fn a_get_racing_a_blocked_puts_registration_loses_no_place() {
    loom::model(|| {
        let q = Arc::new(Queue::new(1));
        q.put_nowait(1).unwrap();
        let q2 = q.clone();
        let getter = thread::spawn(move || assert_eq!(q2.get_nowait(), Ok(1)));

        let (count, waker) = counting_waker();
        let mut put = pin!(q.put(2));
        let first = poll_once(put.as_mut(), &waker);
        getter.join().unwrap();
        if first.is_pending() {
            assert_eq!(count.0.load(SeqCst), 1, "the putter was woken");
            assert_eq!(poll_once(put.as_mut(), &waker), Poll::Ready(Ok(())));
        }
        assert_eq!(q.get_nowait(), Ok(2));
    });
}

/// The last `task_done` on another thread racing a `join`'s registration.
#[test]
fn task_done_racing_join_wakes_the_joiner() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        q.put_nowait(()).unwrap();
        q.get_nowait().unwrap();
        let q2 = q.clone();
        let worker = thread::spawn(move || q2.task_done().unwrap());

        let (count, waker) = counting_waker();
        let mut join = pin!(q.join());
        let first = poll_once(join.as_mut(), &waker);
        worker.join().unwrap();
        if first.is_pending() {
            assert_eq!(count.0.load(SeqCst), 1, "the joiner was woken");
            assert_eq!(poll_once(join.as_mut(), &waker), Poll::Ready(()));
        }
    });
}

/// `shutdown(true)` on one thread racing a put on another, with a getter waiting: the
/// getter ends with the item or with `QueueShutDown` (the item was dropped), is woken
/// either way, and `join` never waits for a dropped item.
#[test]
fn immediate_shutdown_racing_a_put_and_a_waiting_get() {
    loom::model(|| {
        let q = Arc::new(Queue::new(0));
        let (count, waker) = counting_waker();
        let mut get = pin!(q.get());
        assert!(poll_once(get.as_mut(), &waker).is_pending());

        let (qp, qs) = (q.clone(), q.clone());
        let putter = thread::spawn(move || {
            let _ = qp.put_nowait(1);
        });
        let closer = thread::spawn(move || qs.shutdown(true));
        putter.join().unwrap();
        closer.join().unwrap();

        assert_eq!(count.0.load(SeqCst), 1, "the getter was woken");
        match poll_once(get.as_mut(), &waker) {
            Poll::Ready(Ok(1)) => q.task_done().unwrap(),
            Poll::Ready(Err(QueueShutDown(()))) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(q.empty());
        let (_, w) = counting_waker();
        assert_eq!(poll_once(pin!(q.join()), &w), Poll::Ready(()));
    });
}
