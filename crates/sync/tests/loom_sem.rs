//! loom models of the semaphore core under Lock, Semaphore, the queues and the bounded
//! channel: the fast-path CAS against the waiter flag, handoff on release, and a
//! served waiter's cancellation passing its permit on.
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_sync::__loom::Sem;

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

#[test]
fn a_release_racing_a_queueing_acquire_never_strands_the_waiter() {
    loom::model(|| {
        let sem = Arc::new(Sem::new(0));
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.release(1));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut acq = pin!(sem.acquire(1));
        match acq.as_mut().poll(&mut cx) {
            Poll::Ready(r) => r.unwrap(),
            Poll::Pending => {
                t.join().unwrap();
                // The release happened after we queued: it must have handed us the
                // permit and woken us.
                assert!(count.0.load(Ordering::SeqCst) >= 1, "lost wake-up");
                assert!(acq.as_mut().poll(&mut cx).is_ready());
                assert_eq!(sem.available(), 0);
                return;
            }
        }
        t.join().unwrap();
        assert_eq!(sem.available(), 0);
    });
}

#[test]
fn two_fast_path_acquirers_and_a_release_keep_the_count_exact() {
    loom::model(|| {
        let sem = Arc::new(Sem::new(1));
        let wins = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let (s, w) = (sem.clone(), wins.clone());
                thread::spawn(move || {
                    if s.try_acquire(1).unwrap() {
                        w.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(wins.load(Ordering::SeqCst), 1);
        assert_eq!(sem.available(), 0);
        sem.release(1);
        assert_eq!(sem.available(), 1);
    });
}

#[test]
fn a_served_waiter_dropped_concurrently_passes_the_permit_on() {
    loom::model(|| {
        let sem = Arc::new(Sem::new(0));
        let (_c1, w1) = waker();
        let (c2, w2) = waker();
        // Two queued waiters, in order.
        let mut first = Box::pin(sem.acquire(1));
        assert!(first
            .as_mut()
            .poll(&mut Context::from_waker(&w1))
            .is_pending());
        let mut second = pin!(sem.acquire(1));
        assert!(second
            .as_mut()
            .poll(&mut Context::from_waker(&w2))
            .is_pending());
        // Another thread releases (serving `first`) while this one drops `first`.
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.release(1));
        drop(first);
        t.join().unwrap();
        // Whichever order: the permit ends with `second`, which was woken.
        assert!(c2.0.load(Ordering::SeqCst) >= 1, "second never woken");
        assert!(second
            .as_mut()
            .poll(&mut Context::from_waker(&w2))
            .is_ready());
        assert_eq!(sem.available(), 0);
    });
}

#[test]
fn close_racing_a_queued_acquire_wakes_it_with_closed() {
    loom::model(|| {
        let sem = Arc::new(Sem::new(0));
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut acq = pin!(sem.acquire(1));
        let s2 = sem.clone();
        let t = thread::spawn(move || s2.close());
        let first = acq.as_mut().poll(&mut cx);
        t.join().unwrap();
        match first {
            Poll::Ready(r) => assert!(r.is_err()),
            Poll::Pending => {
                assert!(count.0.load(Ordering::SeqCst) >= 1, "lost wake-up on close");
                assert!(matches!(acq.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
            }
        }
    });
}
