//! Acceptance tests of `Queue`, `LifoQueue` and `PriorityQueue`, named after the asyncio
//! behaviour they check (Python 3.13's `asyncio.Queue`, shutdown included).
//!
//! Deterministic: single-threaded paused loops, no real sleeps. `settle()` lets every
//! other runnable task run until all of them wait (a paused loop fires a timer only
//! once nothing else can run). The last two tests use real threads (the outcome, not
//! the interleaving, is checked).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use weft_sync::{
    GetError, LifoQueue, PriorityQueue, PutError, Queue, QueueShutDown, TaskDoneError,
};

fn paused<F: Future>(f: F) -> F::Output {
    let mut lp = weft::EventLoop::new().unwrap().paused();
    let out = lp.run_until_complete(f);
    lp.close();
    out
}

/// Lets every other ready task run until it waits (virtual time: instant).
async fn settle() {
    weft::sleep(Duration::from_millis(1)).await;
}

/// A minimal executor-free `block_on` (the queues only need `Waker`s).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// A waker that does nothing.
struct Nop;
impl std::task::Wake for Nop {
    fn wake(self: Arc<Self>) {}
}

fn drain<T>(mut get: impl FnMut() -> Result<T, GetError>) -> Vec<T> {
    std::iter::from_fn(|| get().ok()).collect()
}

// ---------------------------------------------------------------------------------
// Order

#[test]
fn queue_is_first_in_first_out() {
    let q = Queue::new(0);
    for i in [3, 1, 4, 1, 5, 9, 2, 6] {
        q.put_nowait(i).unwrap();
    }
    assert_eq!(drain(|| q.get_nowait()), [3, 1, 4, 1, 5, 9, 2, 6]);
}

#[test]
fn lifo_queue_is_last_in_first_out() {
    let q = LifoQueue::new(0);
    for i in [3, 1, 4, 1, 5, 9, 2, 6] {
        q.put_nowait(i).unwrap();
    }
    assert_eq!(drain(|| q.get_nowait()), [6, 2, 9, 5, 1, 4, 1, 3]);
}

#[test]
fn priority_queue_gives_the_smallest_item_first() {
    let q = PriorityQueue::new(0);
    for i in [3, 1, 4, 1, 5, 9, 2, 6] {
        q.put_nowait(i).unwrap();
    }
    assert_eq!(drain(|| q.get_nowait()), [1, 1, 2, 3, 4, 5, 6, 9]);
}

#[test]
fn priority_queue_orders_tuples_by_priority_then_sequence() {
    // asyncio's recipe for FIFO among equal priorities: (priority, count, item).
    let q = PriorityQueue::new(0);
    for (n, (prio, what)) in [(2, "b1"), (1, "a1"), (2, "b2"), (1, "a2")]
        .into_iter()
        .enumerate()
    {
        q.put_nowait((prio, n, what)).unwrap();
    }
    let out: Vec<_> = drain(|| q.get_nowait()).into_iter().map(|t| t.2).collect();
    assert_eq!(out, ["a1", "a2", "b1", "b2"]);
}

#[test]
fn awaiting_get_follows_each_kinds_order() {
    paused(async {
        let fifo = Queue::new(0);
        let lifo = LifoQueue::new(0);
        let prio = PriorityQueue::new(0);
        for i in [2, 3, 1] {
            fifo.put(i).await.unwrap();
            lifo.put(i).await.unwrap();
            prio.put(i).await.unwrap();
        }
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push((
                fifo.get().await.unwrap(),
                lifo.get().await.unwrap(),
                prio.get().await.unwrap(),
            ));
        }
        assert_eq!(out, [(2, 1, 1), (3, 3, 2), (1, 2, 3)]);
    });
}

// ---------------------------------------------------------------------------------
// Sizes, bounds, nowait

#[test]
fn qsize_empty_full_and_maxsize() {
    let q = Queue::new(2);
    assert_eq!(q.maxsize(), 2);
    assert!(q.empty());
    assert!(!q.full());
    q.put_nowait(1).unwrap();
    assert_eq!(q.qsize(), 1);
    assert!(!q.empty() && !q.full());
    q.put_nowait(2).unwrap();
    assert_eq!(q.qsize(), 2);
    assert!(q.full());
    q.get_nowait().unwrap();
    assert!(!q.full());
}

#[test]
fn unbounded_queue_is_never_full() {
    let q = Queue::unbounded();
    assert_eq!(q.maxsize(), 0);
    for i in 0..100_000 {
        q.put_nowait(i).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 100_000);
    let d: Queue<u8> = Queue::default();
    assert_eq!(d.maxsize(), 0);
}

#[test]
fn put_nowait_raises_queue_full_and_gives_the_item_back() {
    let q = Queue::new(1);
    q.put_nowait(String::from("a")).unwrap();
    let err = q.put_nowait(String::from("b")).unwrap_err();
    assert!(err.is_full());
    assert_eq!(err, PutError::QueueFull(String::from("b")));
    assert_eq!(err.into_inner(), "b");
    assert_eq!(q.qsize(), 1);
}

#[test]
fn get_nowait_raises_queue_empty() {
    let q = Queue::<i32>::new(0);
    assert_eq!(q.get_nowait(), Err(GetError::QueueEmpty));
    q.put_nowait(1).unwrap();
    assert_eq!(q.get_nowait(), Ok(1));
    assert_eq!(q.get_nowait(), Err(GetError::QueueEmpty));
}

#[test]
fn unbounded_put_never_waits() {
    paused(async {
        let q = Queue::new(0);
        let start = weft::Handle::current().time();
        for i in 0..1000 {
            q.put(i).await.unwrap();
        }
        assert_eq!(weft::Handle::current().time(), start);
        assert_eq!(q.qsize(), 1000);
    });
}

#[test]
fn maxsize_blocks_put_until_a_get() {
    paused(async {
        let q = Rc::new(Queue::new(2));
        let q2 = q.clone();
        let putter = weft::spawn(async move {
            for i in 0..3 {
                q2.put(i).await.unwrap();
            }
        });
        settle().await;
        assert!(!putter.done(), "the third put waits");
        assert_eq!(q.qsize(), 2);
        assert!(q.full());

        assert_eq!(q.get().await, Ok(0));
        settle().await;
        assert!(putter.done());
        putter.await.unwrap();
        assert_eq!(drain(|| q.get_nowait()), [1, 2]);
    });
}

#[test]
fn get_waits_until_a_put() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        weft::spawn(async move {
            weft::sleep(Duration::from_secs(5)).await;
            q2.put_nowait("late").unwrap();
        });
        let start = weft::Handle::current().time();
        assert_eq!(q.get().await, Ok("late"));
        assert_eq!(
            weft::Handle::current().time() - start,
            Duration::from_secs(5)
        );
    });
}

// ---------------------------------------------------------------------------------
// Fairness and cancellation

#[test]
fn getters_are_served_in_arrival_order() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let got = Rc::new(RefCell::new(Vec::new()));
        for name in ["first", "second", "third"] {
            let (q, got) = (q.clone(), got.clone());
            weft::spawn(async move {
                let item = q.get().await.unwrap();
                got.borrow_mut().push((name, item));
            });
            settle().await; // queue up in this order
        }
        for item in 1..=3 {
            q.put_nowait(item).unwrap();
        }
        settle().await;
        assert_eq!(*got.borrow(), [("first", 1), ("second", 2), ("third", 3)]);
    });
}

#[test]
fn putters_are_served_in_arrival_order() {
    paused(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait("initial").unwrap();
        for name in ["first", "second", "third"] {
            let q = q.clone();
            weft::spawn(async move { q.put(name).await.unwrap() });
            settle().await;
        }
        let mut out = Vec::new();
        for _ in 0..4 {
            out.push(q.get().await.unwrap());
        }
        assert_eq!(out, ["initial", "first", "second", "third"]);
    });
}

#[test]
fn an_item_put_for_a_waiting_getter_is_not_taken_by_get_nowait() {
    // Stricter than asyncio, where get_nowait could take it before the woken getter
    // runs: the item is the waiting getter's.
    paused(async {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let getter = weft::spawn(async move { q2.get().await });
        settle().await;
        q.put_nowait(1).unwrap();
        assert_eq!(q.qsize(), 1);
        assert!(!q.empty());
        assert_eq!(q.get_nowait(), Err(GetError::QueueEmpty));
        assert_eq!(getter.await.unwrap(), Ok(1));
        assert!(q.empty());
    });
}

#[test]
fn a_place_freed_for_a_waiting_putter_is_not_taken_by_put_nowait() {
    paused(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait("a").unwrap();
        let q2 = q.clone();
        let putter = weft::spawn(async move { q2.put("b").await });
        settle().await;
        assert_eq!(q.get_nowait(), Ok("a"));
        assert!(!q.full());
        assert_eq!(q.put_nowait("c"), Err(PutError::QueueFull("c")));
        putter.await.unwrap().unwrap();
        assert_eq!(q.get_nowait(), Ok("b"));
    });
}

#[test]
fn a_getter_cancelled_after_being_handed_an_item_leaves_it_for_the_next_getter() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let (qa, qb) = (q.clone(), q.clone());
        let a = weft::spawn(async move { qa.get().await });
        settle().await;
        let b = weft::spawn(async move { qb.get().await });
        settle().await; // both wait, A first

        q.put_nowait("the item").unwrap(); // promised to A, which has not run yet
        assert!(a.cancel());
        assert!(a.await.unwrap_err().is_cancelled());
        assert_eq!(b.await.unwrap(), Ok("the item"));
        assert!(q.empty());
    });
}

#[test]
fn a_cancelled_getter_is_forgotten() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let qa = q.clone();
        let a = weft::spawn(async move { qa.get().await });
        settle().await;
        a.cancel();
        settle().await;
        q.put_nowait(1).unwrap();
        // Nobody waits any more: the item is free for anyone.
        assert_eq!(q.get_nowait(), Ok(1));
    });
}

#[test]
fn a_cancelled_getter_wrapped_in_wait_for_loses_nothing() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let r = weft::wait_for(Duration::from_secs(1), q.get()).await;
        assert!(r.is_err(), "timed out");
        q.put_nowait(7).unwrap();
        assert_eq!(q.get().await, Ok(7));
    });
}

#[test]
fn a_cancelled_putter_does_not_insert() {
    paused(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait(1).unwrap();
        let q2 = q.clone();
        let putter = weft::spawn(async move { q2.put(2).await });
        settle().await;
        assert!(putter.cancel());
        assert!(putter.await.unwrap_err().is_cancelled());
        assert_eq!(q.get_nowait(), Ok(1));
        assert_eq!(q.get_nowait(), Err(GetError::QueueEmpty));
        // The freed place was not kept for the cancelled putter.
        q.put_nowait(3).unwrap();
        assert!(q.full());
        q.task_done().unwrap();
        q.task_done().unwrap();
        assert_eq!(
            q.task_done(),
            Err(TaskDoneError),
            "the cancelled put counted"
        );
    });
}

#[test]
fn a_putter_cancelled_after_being_handed_a_place_passes_it_to_the_next_putter() {
    paused(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait("initial").unwrap();
        let (qa, qb) = (q.clone(), q.clone());
        let a = weft::spawn(async move { qa.put("a").await });
        settle().await;
        let b = weft::spawn(async move { qb.put("b").await });
        settle().await;

        assert_eq!(q.get_nowait(), Ok("initial")); // the place is A's
        a.cancel();
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(q.get_nowait(), Ok("b"));
        assert!(q.empty());
    });
}

// ---------------------------------------------------------------------------------
// task_done / join

#[test]
fn join_returns_at_once_when_nothing_was_put() {
    paused(async {
        let q = Queue::<()>::new(0);
        let start = weft::Handle::current().time();
        q.join().await;
        assert_eq!(weft::Handle::current().time(), start);
    });
}

#[test]
fn join_returns_only_after_every_task_done() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        for i in 0..3 {
            q.put_nowait(i).unwrap();
        }
        let q2 = q.clone();
        let joiner = weft::spawn(async move { q2.join().await });
        for _ in 0..3 {
            q.get_nowait().unwrap();
        }
        settle().await;
        assert!(!joiner.done(), "all taken, none done");
        q.task_done().unwrap();
        q.task_done().unwrap();
        settle().await;
        assert!(!joiner.done(), "one still unfinished");
        q.task_done().unwrap();
        settle().await;
        assert!(joiner.done());
    });
}

#[test]
fn join_with_workers_completes_when_the_last_item_is_done() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        for ms in [30u64, 10, 20, 40, 5] {
            q.put_nowait(ms).unwrap();
        }
        let done = Rc::new(RefCell::new(0));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (q, done) = (q.clone(), done.clone());
                weft::spawn(async move {
                    loop {
                        let ms = q.get().await.unwrap();
                        weft::sleep(Duration::from_millis(ms)).await;
                        *done.borrow_mut() += 1;
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        let start = weft::Handle::current().time();
        q.join().await;
        assert_eq!(*done.borrow(), 5);
        // Workers take 30, 10, 20; at 10 ms the second takes 40 (done at 50), at 20 ms
        // the third takes 5 (done at 25): the last task_done is at 50 ms.
        assert_eq!(
            weft::Handle::current().time() - start,
            Duration::from_millis(50)
        );
        for w in workers {
            w.cancel();
        }
    });
}

#[test]
fn every_joiner_is_woken() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        q.put_nowait(()).unwrap();
        let joiners: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                weft::spawn(async move { q.join().await })
            })
            .collect();
        settle().await;
        q.get_nowait().unwrap();
        q.task_done().unwrap();
        for j in joiners {
            j.await.unwrap();
        }
    });
}

#[test]
fn a_cancelled_joiner_does_not_disturb_the_others() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        q.put_nowait(()).unwrap();
        let (qa, qb) = (q.clone(), q.clone());
        let a = weft::spawn(async move { qa.join().await });
        let b = weft::spawn(async move { qb.join().await });
        settle().await;
        a.cancel();
        settle().await;
        q.task_done().unwrap();
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn task_done_called_too_many_times_raises() {
    let q = Queue::new(0);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(
        TaskDoneError.to_string(),
        "task_done() called too many times"
    );
}

// ---------------------------------------------------------------------------------
// shutdown (Python 3.13)

#[test]
fn shutdown_empty_queue_fails_puts_and_gets() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let getter = weft::spawn(async move { q2.get().await });
        settle().await;
        q.shutdown(false);
        assert!(q.is_shutdown());
        assert_eq!(getter.await.unwrap(), Err(QueueShutDown(())));
        assert_eq!(q.put("data").await, Err(QueueShutDown("data")));
        assert_eq!(q.put_nowait("data"), Err(PutError::QueueShutDown("data")));
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(q.get_nowait(), Err(GetError::QueueShutDown));
    });
}

#[test]
fn shutdown_lets_remaining_items_drain_then_raises_queue_shutdown() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        for i in 0..3 {
            q.put_nowait(i).unwrap();
        }
        q.shutdown(false);
        assert_eq!(q.qsize(), 3);
        assert_eq!(q.put_nowait(9), Err(PutError::QueueShutDown(9)));
        assert_eq!(q.get().await, Ok(0));
        assert_eq!(q.get_nowait(), Ok(1));
        assert_eq!(q.get().await, Ok(2));
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(q.get_nowait(), Err(GetError::QueueShutDown));
    });
}

#[test]
fn shutdown_wakes_getters_left_waiting_once_the_last_item_is_taken() {
    // Two getters wait; one item is put (promised to the first) and the queue is shut
    // down: the first gets the item, the second QueueShutDown.
    paused(async {
        let q = Rc::new(Queue::new(0));
        let (qa, qb) = (q.clone(), q.clone());
        let a = weft::spawn(async move { qa.get().await });
        settle().await;
        let b = weft::spawn(async move { qb.get().await });
        settle().await;
        q.put_nowait("last").unwrap();
        q.shutdown(false);
        assert_eq!(a.await.unwrap(), Ok("last"));
        assert_eq!(b.await.unwrap(), Err(QueueShutDown(())));
    });
}

#[test]
fn shutdown_keeps_join_waiting_for_the_remaining_task_done_calls() {
    // asyncio's test_shutdown_nonempty.
    paused(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait("data").unwrap();
        let (qj, qp) = (q.clone(), q.clone());
        let joiner = weft::spawn(async move { qj.join().await });
        let putter = weft::spawn(async move { qp.put("data2").await });
        settle().await;
        assert!(!putter.done());

        q.shutdown(false);
        assert_eq!(q.qsize(), 1);
        assert_eq!(putter.await.unwrap(), Err(QueueShutDown("data2")));
        assert_eq!(q.get().await, Ok("data"));
        settle().await;
        assert!(!joiner.done());
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        q.task_done().unwrap();
        settle().await;
        assert!(joiner.done());
        assert_eq!(q.task_done(), Err(TaskDoneError));
    });
}

#[test]
fn shutdown_immediate_drops_items_wakes_getters_and_releases_join() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        q.put_nowait("data").unwrap();
        let qj = q.clone();
        let joiner = weft::spawn(async move { qj.join().await });
        settle().await;
        q.shutdown(true);
        assert_eq!(q.qsize(), 0);
        joiner.await.unwrap();
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(q.get_nowait(), Err(GetError::QueueShutDown));
        assert_eq!(q.put("more").await.unwrap_err().into_inner(), "more");
        assert_eq!(q.task_done(), Err(TaskDoneError));
    });
}

#[test]
fn shutdown_immediate_wakes_waiting_getters() {
    paused(async {
        let q = Rc::new(LifoQueue::<u8>::new(0));
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                weft::spawn(async move { q.get().await })
            })
            .collect();
        settle().await;
        q.shutdown(true);
        for g in getters {
            assert_eq!(g.await.unwrap(), Err(QueueShutDown(())));
        }
    });
}

#[test]
fn shutdown_immediate_with_unfinished_tasks_keeps_join_waiting() {
    // asyncio's test_shutdown_immediate_with_unfinished.
    paused(async {
        let q = Rc::new(PriorityQueue::new(0));
        q.put_nowait("data").unwrap();
        q.put_nowait("data").unwrap();
        let qj = q.clone();
        let joiner = weft::spawn(async move { qj.join().await });
        assert_eq!(q.get().await, Ok("data"));
        q.shutdown(true); // unfinished: 2 -> 1
        assert_eq!(q.qsize(), 0);
        settle().await;
        assert!(!joiner.done());
        q.task_done().unwrap();
        assert_eq!(q.task_done(), Err(TaskDoneError));
        joiner.await.unwrap();
    });
}

#[test]
fn shutdown_immediate_after_an_item_was_promised_to_a_getter_gives_it_queue_shutdown() {
    paused(async {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let getter = weft::spawn(async move { q2.get().await });
        settle().await;
        q.put_nowait(1).unwrap(); // promised, not yet taken
        q.shutdown(true); // and dropped
        assert_eq!(getter.await.unwrap(), Err(QueueShutDown(())));
        q.join().await;
    });
}

#[test]
fn shutdown_immediate_after_shutdown_drops_what_is_left() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    q.shutdown(false);
    assert_eq!(q.get_nowait(), Ok(1));
    q.shutdown(true);
    assert_eq!(q.qsize(), 0);
    assert_eq!(q.get_nowait(), Err(GetError::QueueShutDown));
}

#[test]
fn shutdown_immediate_drops_the_items() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Queue::new(0);
    for _ in 0..4 {
        q.put_nowait(Counted(drops.clone())).unwrap();
    }
    q.shutdown(true);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn blocked_putters_get_queue_shutdown_on_shutdown() {
    for immediate in [false, true] {
        paused(async {
            let q = Rc::new(Queue::new(1));
            q.put_nowait(0).unwrap();
            let putters: Vec<_> = (1..=3)
                .map(|i| {
                    let q = q.clone();
                    weft::spawn(async move { q.put(i).await })
                })
                .collect();
            settle().await;
            q.shutdown(immediate);
            for (i, p) in (1..=3).zip(putters) {
                assert_eq!(p.await.unwrap(), Err(QueueShutDown(i)));
            }
            let left = if immediate { vec![] } else { vec![0] };
            assert_eq!(drain(|| q.get_nowait()), left);
        });
    }
}

#[test]
fn a_putter_handed_a_place_before_shutdown_gets_queue_shutdown() {
    paused(async {
        let q = Rc::new(Queue::new(1));
        q.put_nowait(0).unwrap();
        let q2 = q.clone();
        let putter = weft::spawn(async move { q2.put(1).await });
        settle().await;
        q.get_nowait().unwrap(); // the place is the putter's
        q.shutdown(false);
        assert_eq!(putter.await.unwrap(), Err(QueueShutDown(1)));
        assert!(q.empty());
    });
}

// ---------------------------------------------------------------------------------
// Misc

#[test]
fn errors_display_like_asyncio() {
    assert_eq!(GetError::QueueEmpty.to_string(), "the queue is empty");
    assert_eq!(PutError::QueueFull(1).to_string(), "the queue is full");
    assert_eq!(QueueShutDown(()).to_string(), "the queue is shut down");
    assert_eq!(
        format!("{:?}", PutError::QueueShutDown(1)),
        "QueueShutDown(..)"
    );
    assert_eq!(GetError::from(QueueShutDown(())), GetError::QueueShutDown);
    assert_eq!(PutError::from(QueueShutDown(5)), PutError::QueueShutDown(5));
}

#[test]
fn debug_shows_the_counts() {
    let q = Queue::new(3);
    q.put_nowait(1).unwrap();
    assert_eq!(
        format!("{q:?}"),
        "Queue { maxsize: 3, qsize: 1, unfinished_tasks: 1, shutdown: false, getters: 0, putters: 0 }"
    );
}

#[test]
fn queues_and_their_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let q = Queue::<std::cell::Cell<u8>>::new(0); // Send, not Sync
    send_sync(&q);
    send_sync(&LifoQueue::<String>::new(0));
    send_sync(&PriorityQueue::<u8>::new(0));
    send(&q.get());
    send(&q.put(std::cell::Cell::new(1)));
    send(&q.join());
}

#[test]
fn producers_and_consumers_on_threads_lose_and_duplicate_nothing() {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const PER_PRODUCER: usize = 2000;
    let q = Arc::new(Queue::new(8));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let q = q.clone();
            std::thread::spawn(move || {
                weft::run(async move {
                    let mut got = Vec::new();
                    while let Ok(x) = q.get().await {
                        got.push(x);
                        q.task_done().unwrap();
                    }
                    got
                })
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = q.clone();
            std::thread::spawn(move || {
                weft::run(async move {
                    for i in 0..PER_PRODUCER {
                        q.put(p * PER_PRODUCER + i).await.unwrap();
                    }
                })
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    weft::run(q.join());
    q.shutdown(false);
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>());
}

#[test]
fn getters_cancelled_on_threads_lose_and_duplicate_nothing() {
    // Consumers alternate between a get dropped after one poll (a cancellation, often
    // right after an item was handed to it) and a get awaited to the end.
    const ITEMS: usize = 20_000;
    let q = Arc::new(Queue::new(4));
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let q = q.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    {
                        let mut get = std::pin::pin!(q.get());
                        let waker = std::task::Waker::from(Arc::new(Nop));
                        let mut cx = std::task::Context::from_waker(&waker);
                        match get.as_mut().poll(&mut cx) {
                            std::task::Poll::Ready(Ok(x)) => {
                                got.push(x);
                                continue;
                            }
                            std::task::Poll::Ready(Err(_)) => break,
                            std::task::Poll::Pending => {} // cancelled here
                        }
                    }
                    match block_on(q.get()) {
                        Ok(x) => got.push(x),
                        Err(QueueShutDown(())) => break,
                    }
                }
                got
            })
        })
        .collect();
    for i in 0..ITEMS {
        block_on(q.put(i)).unwrap();
    }
    q.shutdown(false);
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..ITEMS).collect::<Vec<_>>());
}
