//! weft-sync is runtime-agnostic: every primitive only uses `Waker`s, so it works
//! under tokio's runtime as well as weft's loop. One test per family, on tokio's
//! current-thread runtime (where a `yield_now` lets every spawned task run first).

use std::sync::Arc;

use weft_sync::{Barrier, Condition, Event, Lock, Queue, Semaphore};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

#[test]
fn lock_and_semaphore_work_under_tokio() {
    rt().block_on(async {
        let lock = Arc::new(Lock::new());
        let sem = Arc::new(Semaphore::new(1));
        let (l2, s2) = (lock.clone(), sem.clone());
        let g = lock.acquire().await;
        let p = sem.acquire().await.unwrap();
        let t = tokio::spawn(async move {
            let _g = l2.acquire().await;
            let _p = s2.acquire().await.unwrap();
            7
        });
        tokio::task::yield_now().await;
        drop((g, p));
        assert_eq!(t.await.unwrap(), 7);
        assert!(!lock.locked());
    });
}

#[test]
fn event_condition_and_barrier_work_under_tokio() {
    rt().block_on(async {
        let ev = Arc::new(Event::new());
        let e2 = ev.clone();
        let waiter = tokio::spawn(async move { e2.wait().await });
        tokio::task::yield_now().await;
        ev.set();
        waiter.await.unwrap();

        let cond = Arc::new(Condition::new());
        let c2 = cond.clone();
        let w = tokio::spawn(async move {
            let g = c2.acquire().await;
            drop(c2.wait(g).await);
        });
        tokio::task::yield_now().await;
        cond.notify(1);
        w.await.unwrap();

        let barrier = Arc::new(Barrier::new(2));
        let b2 = barrier.clone();
        let t = tokio::spawn(async move { b2.wait().await.unwrap() });
        let mine = barrier.wait().await.unwrap();
        let theirs = t.await.unwrap();
        let mut both = [mine, theirs];
        both.sort();
        assert_eq!(both, [0, 1]);
    });
}

#[test]
fn queue_works_under_tokio() {
    rt().block_on(async {
        let q = Arc::new(Queue::new(2));
        let q2 = q.clone();
        let consumer = tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..5 {
                got.push(q2.get().await.unwrap());
                q2.task_done().unwrap();
            }
            got
        });
        for i in 0..5 {
            q.put(i).await.unwrap();
        }
        q.join().await;
        assert_eq!(consumer.await.unwrap(), vec![0, 1, 2, 3, 4]);
    });
}
