//! asyncio `Condition` behaviours, on a paused weft loop (deterministic, no real
//! sleeping), plus hand-polled futures for the exact cancellation windows.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use weft_sync::{Condition, Lock, LockGuard};

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

fn wakes(c: &Count) -> usize {
    c.0.load(Ordering::SeqCst)
}

async fn yields(n: usize) {
    for _ in 0..n {
        weft::yield_now().await;
    }
}

/// Spawns `n` tasks that each take the lock, wait once, log their id and release.
fn spawn_waiters(
    cond: &Rc<Condition>,
    log: &Rc<RefCell<Vec<usize>>>,
    n: usize,
) -> Vec<weft::Task<()>> {
    (0..n)
        .map(|i| {
            let (cond, log) = (cond.clone(), log.clone());
            weft::spawn(async move {
                let guard = cond.acquire().await;
                let _guard = cond.wait(guard).await;
                log.borrow_mut().push(i);
            })
        })
        .collect()
}

type BoxedWait<'a> = Pin<Box<dyn Future<Output = LockGuard<'a>> + 'a>>;

/// Takes the (free) lock and starts a wait on it, polled once: queued, lock released.
fn queued_wait<'a>(cond: &'a Condition, cx: &mut Context<'_>) -> BoxedWait<'a> {
    let guard = cond.lock().try_acquire().expect("the lock is free");
    let mut w: BoxedWait<'a> = Box::pin(cond.wait(guard));
    assert!(w.as_mut().poll(cx).is_pending());
    assert!(!cond.locked(), "wait releases the lock once queued");
    w
}

#[test]
fn condition_and_its_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Condition>();
    let cond = Condition::new();
    let guard = cond.lock().try_acquire().unwrap();
    let w = cond.wait(guard);
    send(&w);
    drop(w);
    let guard = cond.lock().try_acquire().unwrap();
    let w = cond.wait_for(guard, || true);
    send(&w);
}

#[weft::test(start_paused = true)]
async fn wait_releases_the_lock_and_reacquires_it_before_returning() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let waiter = weft::spawn({
        let (cond, log) = (cond.clone(), log.clone());
        async move {
            let guard = cond.acquire().await;
            log.borrow_mut().push("waiting");
            let guard = cond.wait(guard).await;
            assert!(cond.locked());
            log.borrow_mut().push("woken, lock held");
            drop(guard);
        }
    });
    yields(1).await;
    assert!(!cond.locked(), "the waiter released the lock");
    let guard = cond.acquire().await;
    cond.notify(1);
    weft::sleep(Duration::from_secs(1)).await;
    // Notified, but the lock is ours: the waiter cannot return yet.
    assert_eq!(*log.borrow(), ["waiting"]);
    drop(guard);
    waiter.await.unwrap();
    assert_eq!(*log.borrow(), ["waiting", "woken, lock held"]);
    assert!(!cond.locked());
}

#[weft::test(start_paused = true)]
async fn condition_notify_n_wakes_exactly_n_in_fifo_order() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks = spawn_waiters(&cond, &log, 5);
    yields(1).await;

    cond.notify(0);
    weft::sleep(Duration::from_secs(1)).await;
    assert!(log.borrow().is_empty());

    {
        let _guard = cond.acquire().await;
        cond.notify(2);
    }
    weft::sleep(Duration::from_secs(1)).await;
    assert_eq!(*log.borrow(), [0, 1]);

    {
        let _guard = cond.acquire().await;
        cond.notify(1);
    }
    weft::sleep(Duration::from_secs(1)).await;
    assert_eq!(*log.borrow(), [0, 1, 2]);

    // More than are waiting: wakes the rest.
    cond.notify(10);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4]);
}

#[weft::test(start_paused = true)]
async fn condition_notify_all_wakes_every_waiter() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks = spawn_waiters(&cond, &log, 4);
    yields(1).await;
    {
        let _guard = cond.acquire().await;
        cond.notify_all();
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*log.borrow(), [0, 1, 2, 3]);
}

#[weft::test(start_paused = true)]
async fn notified_waiters_reacquire_the_lock_one_at_a_time() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..3)
        .map(|i| {
            let (cond, log) = (cond.clone(), log.clone());
            weft::spawn(async move {
                let guard = cond.acquire().await;
                let _guard = cond.wait(guard).await;
                log.borrow_mut().push(format!("{i} in"));
                weft::sleep(Duration::from_millis(10)).await;
                log.borrow_mut().push(format!("{i} out"));
            })
        })
        .collect();
    yields(1).await;
    cond.notify_all();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        *log.borrow(),
        ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]
    );
}

#[weft::test(start_paused = true)]
async fn a_notify_with_nobody_waiting_is_not_remembered() {
    let cond = Rc::new(Condition::new());
    cond.notify(1);
    cond.notify_all();
    let guard = cond.acquire().await;
    let r = weft::timeout(Duration::from_secs(1), cond.wait(guard)).await;
    assert!(r.is_err());
    assert!(!cond.locked(), "the timed-out wait left the lock unheld");
}

#[weft::test(start_paused = true)]
async fn wait_for_returns_at_once_when_the_predicate_holds() {
    let cond = Condition::new();
    let calls = Cell::new(0);
    let guard = cond.acquire().await;
    let guard = cond
        .wait_for(guard, || {
            calls.set(calls.get() + 1);
            true
        })
        .await;
    assert!(cond.locked());
    assert_eq!(calls.get(), 1);
    drop(guard);
}

#[weft::test(start_paused = true)]
async fn wait_for_rechecks_the_predicate_after_each_wakeup() {
    let cond = Rc::new(Condition::new());
    let value = Rc::new(Cell::new(0));
    let checks = Rc::new(Cell::new(0));
    let waiter = weft::spawn({
        let (cond, value, checks) = (cond.clone(), value.clone(), checks.clone());
        async move {
            let guard = cond.acquire().await;
            let _guard = cond
                .wait_for(guard, || {
                    checks.set(checks.get() + 1);
                    value.get() == 3
                })
                .await;
            value.get()
        }
    });
    for v in 1..=3 {
        weft::sleep(Duration::from_secs(1)).await;
        let _guard = cond.acquire().await;
        value.set(v);
        cond.notify_all();
    }
    assert_eq!(waiter.await.unwrap(), 3);
    // Once before waiting, once after each of the three notifications.
    assert_eq!(checks.get(), 4);
}

#[weft::test(start_paused = true)]
async fn condition_wait_cancelled_after_notify_passes_it_on() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks = spawn_waiters(&cond, &log, 3);
    yields(1).await;
    cond.notify(1); // chooses task 0 ...
    assert!(tasks[0].cancel()); // ... which is cancelled before it runs
    weft::sleep(Duration::from_secs(1)).await;
    // Task 1 got the notification instead; task 2 did not get one.
    assert_eq!(*log.borrow(), [1]);
    assert!(tasks[2].cancel());
    let mut tasks = tasks.into_iter();
    assert!(tasks.next().unwrap().await.unwrap_err().is_cancelled());
    tasks.next().unwrap().await.unwrap();
    assert!(tasks.next().unwrap().await.unwrap_err().is_cancelled());
}

#[test]
fn condition_wait_dropped_after_notify_passes_it_on_hand_polled() {
    let cond = Condition::new();
    let (a_wakes, a_waker) = counting_waker();
    let (b_wakes, b_waker) = counting_waker();
    let (c_wakes, c_waker) = counting_waker();
    let a = queued_wait(&cond, &mut Context::from_waker(&a_waker));
    let mut b = queued_wait(&cond, &mut Context::from_waker(&b_waker));
    let _c = queued_wait(&cond, &mut Context::from_waker(&c_waker));
    cond.notify(1);
    assert_eq!((wakes(&a_wakes), wakes(&b_wakes)), (1, 0));
    drop(a); // chosen, never saw it
    assert_eq!(
        wakes(&b_wakes),
        1,
        "the notification went to the next waiter"
    );
    assert_eq!(wakes(&c_wakes), 0, "and only to it");
    let guard = match b.as_mut().poll(&mut Context::from_waker(&b_waker)) {
        std::task::Poll::Ready(g) => g,
        std::task::Poll::Pending => panic!("b was notified and the lock is free"),
    };
    assert!(cond.locked());
    drop(guard);
}

#[weft::test(start_paused = true)]
async fn condition_wait_cancelled_while_reacquiring_the_lock_passes_it_on() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks = spawn_waiters(&cond, &log, 2);
    yields(1).await;
    let guard = cond.acquire().await;
    cond.notify(1);
    yields(2).await; // task 0 saw the notification, now queues for the lock we hold
    assert!(tasks[0].cancel());
    yields(2).await;
    drop(guard);
    weft::sleep(Duration::from_secs(1)).await;
    assert_eq!(*log.borrow(), [1]);
    let mut tasks = tasks.into_iter();
    assert!(tasks.next().unwrap().await.unwrap_err().is_cancelled());
    tasks.next().unwrap().await.unwrap();
}

#[test]
fn condition_wait_dropped_while_reacquiring_the_lock_passes_it_on_hand_polled() {
    let cond = Condition::new();
    let (_a_wakes, a_waker) = counting_waker();
    let (b_wakes, b_waker) = counting_waker();
    let mut a = queued_wait(&cond, &mut Context::from_waker(&a_waker));
    let _b = queued_wait(&cond, &mut Context::from_waker(&b_waker));
    let held = cond.lock().try_acquire().unwrap();
    cond.notify(1);
    // a sees the notification and queues for the lock, which is held.
    assert!(a
        .as_mut()
        .poll(&mut Context::from_waker(&a_waker))
        .is_pending());
    assert_eq!(wakes(&b_wakes), 0);
    drop(a);
    assert_eq!(wakes(&b_wakes), 1, "a's notification went on to b");
    drop(held);
}

#[weft::test(start_paused = true)]
async fn condition_wait_cancelled_before_notify_does_not_consume_a_notification() {
    let cond = Rc::new(Condition::new());
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks = spawn_waiters(&cond, &log, 3);
    yields(1).await;
    assert!(tasks[0].cancel());
    yields(1).await; // task 0 leaves the queue
    cond.notify(1);
    weft::sleep(Duration::from_secs(1)).await;
    assert_eq!(*log.borrow(), [1], "exactly one woken, the next in line");
    cond.notify(1);
    weft::sleep(Duration::from_secs(1)).await;
    assert_eq!(*log.borrow(), [1, 2]);
    for t in tasks.into_iter().skip(1) {
        t.await.unwrap();
    }
}

#[test]
fn dropping_a_wait_before_notify_takes_no_notification_hand_polled() {
    let cond = Condition::new();
    let (a_wakes, a_waker) = counting_waker();
    let (b_wakes, b_waker) = counting_waker();
    let a = queued_wait(&cond, &mut Context::from_waker(&a_waker));
    let mut b = queued_wait(&cond, &mut Context::from_waker(&b_waker));
    drop(a);
    assert_eq!(wakes(&b_wakes), 0, "leaving is not a notification");
    cond.notify(1);
    assert_eq!((wakes(&a_wakes), wakes(&b_wakes)), (0, 1));
    assert!(b
        .as_mut()
        .poll(&mut Context::from_waker(&b_waker))
        .is_ready());
}

#[test]
fn dropping_an_unpolled_wait_releases_the_lock() {
    let cond = Condition::new();
    let guard = cond.lock().try_acquire().unwrap();
    let w = cond.wait(guard);
    assert!(cond.locked(), "nothing happens before the first poll");
    drop(w);
    assert!(!cond.locked());
}

#[test]
fn the_lock_stays_held_until_the_wait_is_first_polled() {
    let cond = Condition::new();
    let (_wakes, waker) = counting_waker();
    let guard = cond.lock().try_acquire().unwrap();
    let mut w = pin!(cond.wait(guard));
    assert!(cond.locked());
    assert!(w
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert!(!cond.locked());
}

#[test]
#[should_panic(expected = "not of this condition's lock")]
fn wait_with_a_guard_of_another_lock_panics() {
    let cond = Condition::new();
    let other = Lock::new();
    let guard = other.try_acquire().unwrap();
    drop(cond.wait(guard));
}

#[test]
#[should_panic(expected = "not of this condition's lock")]
fn wait_for_with_a_guard_of_another_lock_panics() {
    let cond = Condition::new();
    let other = Lock::new();
    let guard = other.try_acquire().unwrap();
    drop(cond.wait_for(guard, || false));
}

#[weft::test(start_paused = true)]
async fn conditions_sharing_a_lock_accept_each_others_guards() {
    let lock = Arc::new(Lock::new());
    let not_empty = Rc::new(Condition::with_lock(lock.clone()));
    let not_full = Rc::new(Condition::with_lock(lock.clone()));
    let items = Rc::new(Cell::new(0));
    let consumer = weft::spawn({
        let (not_empty, items) = (not_empty.clone(), items.clone());
        async move {
            let guard = not_empty.acquire().await;
            let _guard = not_empty.wait_for(guard, || items.get() > 0).await;
            items.set(items.get() - 1);
        }
    });
    yields(1).await;
    assert!(!lock.locked());
    let guard = not_full.acquire().await; // same lock
    assert!(not_empty.locked());
    items.set(1);
    not_empty.notify(1);
    drop(guard);
    consumer.await.unwrap();
    assert_eq!(items.get(), 0);
    // A guard of the shared lock taken directly works with either condition.
    let guard = lock.acquire().await;
    let r = weft::timeout(Duration::from_secs(1), not_full.wait(guard)).await;
    assert!(r.is_err());
}

#[test]
fn notify_from_another_thread_wakes_the_waiter() {
    let cond = Arc::new(Condition::new());
    let mut lp = weft::EventLoop::new().unwrap();
    let notifier = {
        let cond = cond.clone();
        std::thread::spawn(move || loop {
            // Under the lock, so the wait is either queued (and gets notified) or has
            // not started; retry until it was queued.
            let guard = loop {
                if let Some(g) = cond.lock().try_acquire() {
                    break g;
                }
                std::thread::yield_now();
            };
            if !format!("{cond:?}").contains("waiters: 0") {
                cond.notify(1);
                return;
            }
            drop(guard);
            std::thread::yield_now();
        })
    };
    lp.run_until_complete(async {
        let guard = cond.acquire().await;
        drop(cond.wait(guard).await);
    });
    notifier.join().unwrap();
}
