//! asyncio's Lock / Semaphore / BoundedSemaphore behaviours (CPython test_locks.py),
//! on weft's loop with the paused clock.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use weft_sync::{AcquireError, BoundedSemaphore, Lock, OverReleaseError, Semaphore};

type Log = Rc<RefCell<Vec<u32>>>;

#[weft::test(start_paused = true)]
async fn lock_acquisition_is_fifo() {
    let lock = Rc::new(Lock::new());
    let log: Log = Rc::default();
    let held = lock.acquire().await;
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let (lock, log) = (lock.clone(), log.clone());
            weft::spawn(async move {
                let _g = lock.acquire().await;
                log.borrow_mut().push(i);
                weft::sleep(Duration::from_millis(1)).await;
            })
        })
        .collect();
    weft::yield_now().await; // every task is queued on the lock, in spawn order
    drop(held);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4]);
    assert!(!lock.locked());
}

#[weft::test(start_paused = true)]
async fn a_newcomer_does_not_overtake_queued_waiters() {
    let lock = Rc::new(Lock::new());
    let g = lock.acquire().await;
    let l2 = lock.clone();
    let waiter = weft::spawn(async move {
        let _g = l2.acquire().await;
    });
    weft::yield_now().await;
    drop(g); // handed to the waiter, which has not run yet
    assert!(lock.locked(), "the lock went to the queued waiter");
    assert!(lock.try_acquire().is_none(), "try_acquire cannot steal it");
    waiter.await.unwrap();
    assert!(!lock.locked());
}

#[weft::test(start_paused = true)]
async fn a_waiter_cancelled_after_being_chosen_passes_the_lock_on() {
    // The acquire/release cancel race: B is handed the lock by A's release, but B is
    // cancelled before it runs. The lock must go to C, not be lost.
    let lock = Rc::new(Lock::new());
    let log: Log = Rc::default();
    let a = lock.acquire().await;
    let spawn_waiter = |i| {
        let (lock, log) = (lock.clone(), log.clone());
        weft::spawn(async move {
            let _g = lock.acquire().await;
            log.borrow_mut().push(i);
        })
    };
    let b = spawn_waiter(1);
    let c = spawn_waiter(2);
    weft::yield_now().await;
    drop(a); // B is chosen
    assert!(b.cancel()); // ... and cancelled before it runs
    assert!(b.await.unwrap_err().is_cancelled());
    c.await.unwrap();
    assert_eq!(*log.borrow(), [2]);
    assert!(!lock.locked(), "nothing leaked: the lock is free");
}

#[weft::test(start_paused = true)]
async fn a_waiter_cancelled_before_release_leaves_no_trace() {
    let lock = Rc::new(Lock::new());
    let a = lock.acquire().await;
    let l2 = lock.clone();
    let b = weft::spawn(async move {
        let _g = l2.acquire().await;
    });
    weft::yield_now().await;
    b.cancel();
    let _ = b.await;
    drop(a);
    assert!(!lock.locked());
    assert!(lock.try_acquire().is_some(), "no stale waiter holds it");
}

#[weft::test(start_paused = true)]
async fn semaphore_admits_value_holders_at_a_time() {
    let sem = Rc::new(Semaphore::new(2));
    let active = Rc::new(RefCell::new((0u32, 0u32))); // (now, max)
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (sem, active) = (sem.clone(), active.clone());
            weft::spawn(async move {
                let _p = sem.acquire().await.unwrap();
                {
                    let mut a = active.borrow_mut();
                    a.0 += 1;
                    a.1 = a.1.max(a.0);
                }
                weft::sleep(Duration::from_secs(1)).await;
                active.borrow_mut().0 -= 1;
            })
        })
        .collect();
    let t0 = weft::Handle::current().time();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(active.borrow().1, 2);
    assert_eq!(weft::Handle::current().time() - t0, Duration::from_secs(3));
    assert_eq!(sem.available_permits(), 2);
}

#[weft::test(start_paused = true)]
async fn a_semaphore_waiter_cancelled_after_being_chosen_passes_the_permit_on() {
    let sem = Rc::new(Semaphore::new(1));
    let held = sem.acquire().await.unwrap();
    let log: Log = Rc::default();
    let spawn_waiter = |i| {
        let (sem, log) = (sem.clone(), log.clone());
        weft::spawn(async move {
            let _p = sem.acquire().await.unwrap();
            log.borrow_mut().push(i);
        })
    };
    let (b, c) = (spawn_waiter(1), spawn_waiter(2));
    weft::yield_now().await;
    drop(held);
    b.cancel();
    let _ = b.await;
    c.await.unwrap();
    assert_eq!(*log.borrow(), [2]);
    assert_eq!(sem.available_permits(), 1);
}

#[weft::test(start_paused = true)]
async fn acquire_many_is_served_in_order_and_partial_grants_are_not_lost() {
    let sem = Rc::new(Semaphore::new(1));
    let s2 = sem.clone();
    // Needs 3; gets the 1 available now, then waits for 2 more.
    let big = weft::spawn(async move {
        let p = s2.acquire_many(3).await.unwrap();
        p.forget();
    });
    weft::yield_now().await;
    assert_eq!(sem.available_permits(), 0);
    sem.release();
    assert!(!big.done());
    big.cancel(); // cancelled holding a partial grant of 2
    let _ = big.await;
    assert_eq!(sem.available_permits(), 2, "the partial grant came back");
}

#[weft::test]
async fn release_without_acquire_adds_a_permit() {
    let sem = Semaphore::new(0);
    assert!(sem.locked());
    sem.release();
    assert!(!sem.locked());
    let _p = sem.acquire().await.unwrap();
}

#[test]
fn bounded_semaphore_over_release_errors() {
    let s = BoundedSemaphore::new(2);
    assert_eq!(s.release(), Err(OverReleaseError));
    weft::run(async {
        s.acquire().await.unwrap().forget();
        assert_eq!(s.release(), Ok(()));
        assert_eq!(s.release(), Err(OverReleaseError));
        assert_eq!(s.available_permits(), 2);
    });
}

#[weft::test(start_paused = true)]
async fn closing_a_semaphore_fails_waiting_and_later_acquires() {
    let sem = Rc::new(Semaphore::new(0));
    let s2 = sem.clone();
    let waiter = weft::spawn(async move { s2.acquire().await.map(|p| p.forget()) });
    weft::yield_now().await;
    sem.close();
    assert_eq!(waiter.await.unwrap(), Err(AcquireError));
    assert_eq!(sem.acquire().await.unwrap_err(), AcquireError);
}

#[test]
fn a_lock_shared_by_loops_on_four_threads_excludes_and_loses_nothing() {
    let lock = Arc::new(Lock::new());
    let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (lock, inside, count) = (lock.clone(), inside.clone(), count.clone());
            std::thread::spawn(move || {
                weft::run(async move {
                    for _ in 0..500 {
                        let _g = lock.acquire().await;
                        assert_eq!(inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst), 0);
                        weft::yield_now().await;
                        inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2000);
    assert!(!lock.locked());
}
