//! asyncio `Event` behaviours, on a paused weft loop (deterministic, no real sleeping).

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use weft_sync::{Event, EventWait};

/// A waker that counts its wakes.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

async fn yields(n: usize) {
    for _ in 0..n {
        weft::yield_now().await;
    }
}

#[test]
fn event_and_its_future_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Event>();
    send_sync::<EventWait<'static>>();
    let ev = Event::new();
    send(&ev.wait());
}

#[test]
fn a_new_event_is_not_set() {
    let ev = Event::new();
    assert!(!ev.is_set());
    assert!(!Event::default().is_set());
}

#[test]
fn set_and_clear_flip_is_set() {
    let ev = Event::new();
    ev.set();
    assert!(ev.is_set());
    ev.set(); // setting a set event does nothing
    assert!(ev.is_set());
    ev.clear();
    assert!(!ev.is_set());
    ev.clear();
    assert!(!ev.is_set());
}

#[test]
fn wait_on_a_set_event_returns_at_once() {
    let ev = Event::new();
    ev.set();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut w = pin!(ev.wait());
    assert_eq!(w.as_mut().poll(&mut cx), Poll::Ready(()));
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
}

#[weft::test(start_paused = true)]
async fn wait_blocks_until_set() {
    let ev = Rc::new(Event::new());
    let t = weft::spawn({
        let ev = ev.clone();
        async move { ev.wait().await }
    });
    weft::sleep(Duration::from_secs(60)).await;
    assert!(!t.done());
    ev.set();
    t.await.unwrap();
}

#[weft::test(start_paused = true)]
async fn event_wait_wake_order_is_the_order_they_started_waiting() {
    let ev = Rc::new(Event::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    // Spawned in one order, start waiting in another (staggered by virtual time).
    let start_after = [3u64, 1, 4, 0, 2];
    let tasks: Vec<_> = start_after
        .iter()
        .map(|&delay| {
            let (ev, log) = (ev.clone(), log.clone());
            weft::spawn(async move {
                weft::sleep(Duration::from_millis(delay)).await;
                ev.wait().await;
                log.borrow_mut().push(delay);
            })
        })
        .collect();
    weft::sleep(Duration::from_millis(10)).await;
    assert!(log.borrow().is_empty());
    ev.set();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4]);
}

#[weft::test(start_paused = true)]
async fn set_then_clear_still_releases_the_woken_waiters() {
    let ev = Rc::new(Event::new());
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let ev = ev.clone();
            weft::spawn(async move { ev.wait().await })
        })
        .collect();
    yields(2).await;
    ev.set();
    ev.clear(); // before any waiter ran
    assert!(!ev.is_set());
    for t in tasks {
        t.await.unwrap();
    }
    // A wait that starts after the clear blocks.
    let late = weft::timeout(Duration::from_secs(1), ev.wait()).await;
    assert!(late.is_err());
}

#[test]
fn set_then_clear_releases_a_waiter_polled_only_after_the_clear() {
    let ev = Event::new();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut w = pin!(ev.wait());
    assert_eq!(w.as_mut().poll(&mut cx), Poll::Pending);
    ev.set();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    ev.clear();
    assert_eq!(w.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn a_waiter_queued_after_clear_waits_for_the_next_set() {
    let ev = Event::new();
    let (count_a, waker_a) = counting_waker();
    let (count_b, waker_b) = counting_waker();
    let mut a = pin!(ev.wait());
    let mut b = pin!(ev.wait());
    assert!(a
        .as_mut()
        .poll(&mut Context::from_waker(&waker_a))
        .is_pending());
    ev.set();
    ev.clear();
    assert!(b
        .as_mut()
        .poll(&mut Context::from_waker(&waker_b))
        .is_pending());
    assert!(a
        .as_mut()
        .poll(&mut Context::from_waker(&waker_a))
        .is_ready());
    assert_eq!(count_b.0.load(Ordering::SeqCst), 0);
    ev.set();
    assert_eq!(count_a.0.load(Ordering::SeqCst), 1);
    assert_eq!(count_b.0.load(Ordering::SeqCst), 1);
    assert!(b
        .as_mut()
        .poll(&mut Context::from_waker(&waker_b))
        .is_ready());
}

#[weft::test(start_paused = true)]
async fn clear_makes_later_waits_block_until_the_next_set() {
    let ev = Rc::new(Event::new());
    ev.set();
    ev.wait().await;
    ev.clear();
    let t = weft::spawn({
        let ev = ev.clone();
        async move { ev.wait().await }
    });
    weft::sleep(Duration::from_secs(1)).await;
    assert!(!t.done());
    ev.set();
    t.await.unwrap();
}

#[weft::test(start_paused = true)]
async fn a_cancelled_waiter_does_not_disturb_the_others() {
    let ev = Rc::new(Event::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..3)
        .map(|i| {
            let (ev, log) = (ev.clone(), log.clone());
            weft::spawn(async move {
                ev.wait().await;
                log.borrow_mut().push(i);
            })
        })
        .collect();
    yields(1).await;
    assert!(tasks[1].cancel());
    yields(1).await;
    ev.set();
    let results: Vec<_> = {
        let mut r = Vec::new();
        for t in tasks {
            r.push(t.await.is_ok());
        }
        r
    };
    assert_eq!(results, [true, false, true]);
    assert_eq!(*log.borrow(), [0, 2]);
}

#[test]
fn dropping_every_waiter_leaves_the_event_usable() {
    let ev = Event::new();
    let (_count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut a = Box::pin(ev.wait());
        let mut b = Box::pin(ev.wait());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
    }
    ev.set();
    assert!(ev.is_set());
    assert!(pin!(ev.wait()).poll(&mut cx).is_ready());
}

#[test]
fn a_waiter_released_but_never_polled_can_be_dropped() {
    let ev = Event::new();
    let (_count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut a = Box::pin(ev.wait());
    assert!(a.as_mut().poll(&mut cx).is_pending());
    ev.set();
    ev.clear();
    drop(a);
    // The slot it used is reused by a later waiter without confusion.
    let mut b = pin!(ev.wait());
    assert!(b.as_mut().poll(&mut cx).is_pending());
    ev.set();
    assert!(b.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn repolling_with_a_new_waker_wakes_the_new_one() {
    let ev = Event::new();
    let (first, waker1) = counting_waker();
    let (second, waker2) = counting_waker();
    let mut w = pin!(ev.wait());
    assert!(w
        .as_mut()
        .poll(&mut Context::from_waker(&waker1))
        .is_pending());
    assert!(w
        .as_mut()
        .poll(&mut Context::from_waker(&waker2))
        .is_pending());
    ev.set();
    assert_eq!(first.0.load(Ordering::SeqCst), 0);
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
}

#[weft::test(start_paused = true)]
async fn many_set_clear_rounds_release_each_round_of_waiters() {
    let ev = Rc::new(Event::new());
    for _round in 0..50 {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let ev = ev.clone();
                weft::spawn(async move { ev.wait().await })
            })
            .collect();
        yields(1).await;
        ev.set();
        ev.clear();
        for t in tasks {
            t.await.unwrap();
        }
    }
}

#[test]
fn set_from_another_thread_wakes_the_waiter() {
    let ev = Arc::new(Event::new());
    let mut lp = weft::EventLoop::new().unwrap();
    let setter = {
        let ev = ev.clone();
        std::thread::spawn(move || {
            // Waits for the waiter to queue, then sets (no sleeping on a clock).
            while format!("{ev:?}").contains("waiters: 0") {
                std::thread::yield_now();
            }
            ev.set();
        })
    };
    lp.run_until_complete(ev.wait());
    setter.join().unwrap();
}

#[test]
fn event_works_under_tokio() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let ev = Arc::new(Event::new());
        let t = tokio::spawn({
            let ev = ev.clone();
            async move { ev.wait().await }
        });
        tokio::task::yield_now().await;
        ev.set();
        t.await.unwrap();
    });
}
