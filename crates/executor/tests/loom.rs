//! loom models of the cross-thread paths: the inject queue with its sleep/unpark
//! handshake, and the task state word that wakers and the runner share.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p weft-executor --release --test loom`
//! (`cargo xtask ci` does). The models use the executor's own code: under `--cfg loom`
//! its atomics and mutexes are loom's.
#![cfg(loom)]

use std::collections::VecDeque;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_executor::__loom::{AfterPoll, Inject, State, Unpark, Wake};

/// Unparks the loop thread of the model.
struct ThreadUnpark(thread::Thread);

impl Unpark for ThreadUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}

/// The loop's side: drain, and block (park) only when the handshake allows it. A lost
/// wake-up leaves the loop parked forever, which loom reports as a deadlock.
fn loop_until(inject: &Inject<u32>, want: usize) -> Vec<u32> {
    let mut got = VecDeque::new();
    loop {
        inject.drain(&mut got);
        if got.len() >= want {
            return got.into_iter().collect();
        }
        if inject.prepare_sleep() {
            thread::park();
        }
        inject.end_sleep();
    }
}

#[test]
fn a_push_from_another_thread_always_wakes_the_sleeping_loop() {
    loom::model(|| {
        let inject = Arc::new(Inject::new());
        let unpark = Arc::new(ThreadUnpark(thread::current()));
        let (i2, u2) = (inject.clone(), unpark.clone());
        let t = thread::spawn(move || {
            assert!(i2.push(1, &*u2).is_ok());
        });
        assert_eq!(loop_until(&inject, 1), vec![1]);
        t.join().unwrap();
    });
}

#[test]
fn two_pushing_threads_lose_nothing_and_keep_each_threads_order() {
    loom::model(|| {
        let inject = Arc::new(Inject::new());
        let unpark = Arc::new(ThreadUnpark(thread::current()));
        let threads: Vec<_> = [10u32, 20]
            .into_iter()
            .map(|base| {
                let (i, u) = (inject.clone(), unpark.clone());
                thread::spawn(move || {
                    i.push(base, &*u).unwrap();
                    i.push(base + 1, &*u).unwrap();
                })
            })
            .collect();
        let got = loop_until(&inject, 4);
        for t in threads {
            t.join().unwrap();
        }
        let from = |b: u32| {
            got.iter()
                .copied()
                .filter(|v| v / 10 == b / 10)
                .collect::<Vec<_>>()
        };
        assert_eq!(from(10), vec![10, 11]);
        assert_eq!(from(20), vec![20, 21]);
    });
}

#[test]
fn a_push_to_a_closed_queue_is_refused_or_drained_never_lost() {
    loom::model(|| {
        let inject = Arc::new(Inject::new());
        let unpark = Arc::new(ThreadUnpark(thread::current()));
        let (i2, u2) = (inject.clone(), unpark.clone());
        let t = thread::spawn(move || i2.push(7, &*u2).is_ok());
        let leftover = inject.close();
        let accepted = t.join().unwrap();
        assert_eq!(
            accepted,
            leftover.contains(&7),
            "accepted items are returned by close"
        );
    });
}

#[test]
fn a_notify_racing_the_loop_going_to_sleep_is_never_lost() {
    // `stop` from another thread: set a flag, then notify. The loop checks the flag
    // after each turn; the notify must keep that turn from blocking forever.
    loom::model(|| {
        let inject = Arc::new(Inject::<u32>::new());
        let unpark = Arc::new(ThreadUnpark(thread::current()));
        let stopping = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let (i2, u2, s2) = (inject.clone(), unpark.clone(), stopping.clone());
        let t = thread::spawn(move || {
            s2.store(true, Ordering::Release);
            i2.notify(&*u2);
        });
        loop {
            if stopping.load(Ordering::Acquire) {
                break;
            }
            if inject.prepare_sleep() {
                thread::park();
            }
            inject.end_sleep();
        }
        t.join().unwrap();
    });
}

/// Counts how many times the task was put on a ready queue.
fn queued(n: &AtomicUsize, w: Wake) {
    if w == Wake::Push {
        n.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_wake_during_a_poll_requeues_the_task_exactly_once() {
    loom::model(|| {
        let state = Arc::new(State::new());
        let pushes = Arc::new(AtomicUsize::new(0));
        // The runner took the task off the queue.
        let before = state.start_run();
        assert_eq!(before & 1, 1, "a new task is scheduled");
        let (s2, p2) = (state.clone(), pushes.clone());
        let waker = thread::spawn(move || queued(&p2, s2.wake()));
        // The poll returned Pending.
        if state.idle() == AfterPoll::Requeue {
            pushes.fetch_add(1, Ordering::SeqCst);
        }
        waker.join().unwrap();
        assert_eq!(
            pushes.load(Ordering::SeqCst),
            1,
            "queued exactly once, never lost"
        );
    });
}

#[test]
fn two_concurrent_wakes_of_an_idle_task_queue_it_once() {
    loom::model(|| {
        let state = Arc::new(State::new());
        state.start_run();
        assert_eq!(state.idle(), AfterPoll::Idle);
        let pushes = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let (s, p) = (state.clone(), pushes.clone());
                thread::spawn(move || queued(&p, s.wake()))
            })
            .collect();
        for t in ts {
            t.join().unwrap();
        }
        assert_eq!(pushes.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_wake_racing_completion_never_queues_a_finished_task_twice() {
    loom::model(|| {
        let state = Arc::new(State::new());
        state.start_run();
        let pushes = Arc::new(AtomicUsize::new(0));
        let (s2, p2) = (state.clone(), pushes.clone());
        let t = thread::spawn(move || queued(&p2, s2.wake()));
        state.complete();
        t.join().unwrap();
        // Either the wake came before completion (the runner ignores it: RUNNING) or after
        // (COMPLETE): no queue entry is ever made for it.
        assert_eq!(pushes.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn the_output_has_exactly_one_owner_when_the_handle_drops_during_completion() {
    loom::model(|| {
        let state = Arc::new(State::new());
        state.start_run();
        let owners = Arc::new(AtomicUsize::new(0));
        let (s2, o2) = (state.clone(), owners.clone());
        let handle = thread::spawn(move || {
            // The handle owns the output iff the task had completed when it dropped.
            if s2.drop_join() & 0b100 != 0 {
                o2.fetch_add(1, Ordering::SeqCst);
            }
        });
        // The loop owns (and drops) it iff no handle was interested at completion.
        if state.complete() & 0b1_0000 == 0 {
            owners.fetch_add(1, Ordering::SeqCst);
        }
        handle.join().unwrap();
        assert_eq!(owners.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_join_waker_is_either_woken_or_sees_completion() {
    loom::model(|| {
        let state = Arc::new(State::new());
        state.start_run();
        let s2 = state.clone();
        // The handle: stores its waker, then announces it.
        let handle = thread::spawn(move || s2.set_join_waker() & 0b100 != 0);
        let before = state.complete();
        let woken_by_task = before & 0b10_0000 != 0;
        let saw_complete = handle.join().unwrap();
        assert!(woken_by_task || saw_complete, "the join waiter would hang");
    });
}
