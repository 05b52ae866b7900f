//! loom models of the wake and cancel paths of `Event`, `Condition` and `Barrier`.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p weft-sync --release --test loom_events
//! ```
//!
//! loom has no executor: the futures are polled by hand with a waker that counts its
//! wakes in a loom atomic, and a thread that must wait spins with `yield_now` on that
//! count (loom explores the spin fairly and reports a wake that never comes).
#![cfg(loom)]

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use weft_sync::{Barrier, Condition, Event};

/// `loom::model`, printing how many interleavings it explored (see `--nocapture`).
fn model<F: Fn() + Sync + Send + 'static>(name: &str, f: F) {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = runs.clone();
    loom::model(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    eprintln!(
        "{name}: {} interleavings",
        runs.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// Counts wakes (in a loom atomic, so loom sees the wake as a synchronizing access).
struct Flag(AtomicUsize);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Wakes {
    flag: std::sync::Arc<Flag>,
    waker: Waker,
}

impl Wakes {
    fn new() -> Wakes {
        let flag = std::sync::Arc::new(Flag(AtomicUsize::new(0)));
        let waker = Waker::from(flag.clone());
        Wakes { flag, waker }
    }

    fn count(&self) -> usize {
        self.flag.0.load(Ordering::SeqCst)
    }

    fn poll<F: Future + ?Sized>(&self, f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(&self.waker))
    }

    /// Polls until ready, spinning (with loom's yield) between a `Pending` and the next
    /// wake. A lost wake-up makes this spin forever, which loom reports.
    fn block_on<F: Future + ?Sized>(&self, mut f: Pin<&mut F>) -> F::Output {
        loop {
            let before = self.count();
            if let Poll::Ready(v) = self.poll(f.as_mut()) {
                return v;
            }
            while self.count() == before {
                thread::yield_now();
            }
        }
    }
}

/// `set` racing a waiter's registration: the waiter either sees the flag or is woken.
#[test]
fn event_set_races_wait_registration() {
    model("event_set_races_wait_registration", || {
        let ev = Arc::new(Event::new());
        let setter = {
            let ev = ev.clone();
            thread::spawn(move || ev.set())
        };
        let wakes = Wakes::new();
        let mut w = pin!(ev.wait());
        let first = wakes.poll(w.as_mut());
        setter.join().unwrap();
        if first.is_pending() {
            assert_eq!(wakes.count(), 1, "a queued waiter is woken by set");
            assert!(wakes.poll(w.as_mut()).is_ready());
        }
        assert!(ev.is_set());
    });
}

/// `set` then `clear` racing a queued waiter's re-poll and another waiter's drop: the
/// queued one is released although the flag is clear again by the time it looks.
#[test]
fn event_set_clear_races_repoll_and_drop() {
    model("event_set_clear_races_repoll_and_drop", || {
        let ev = Arc::new(Event::new());
        let wakes = Wakes::new();
        let mut a = Box::pin(ev.wait());
        let mut b = Box::pin(ev.wait());
        assert!(wakes.poll(a.as_mut()).is_pending());
        assert!(wakes.poll(b.as_mut()).is_pending());
        let setter = {
            let ev = ev.clone();
            thread::spawn(move || {
                ev.set();
                ev.clear();
            })
        };
        drop(a);
        let early = wakes.poll(b.as_mut()).is_ready();
        setter.join().unwrap();
        assert!(early || wakes.poll(b.as_mut()).is_ready());
        assert!(wakes.count() >= 1);
        assert!(!ev.is_set());
    });
}

/// `notify(1)` racing the drop of the first waiter: the second is notified either way
/// (chosen directly, or handed the notification by the dropped one).
#[test]
fn condition_notify_races_chosen_waiters_drop() {
    model("condition_notify_races_chosen_waiters_drop", || {
        let cond = Arc::new(Condition::new());
        let (wa, wb) = (Wakes::new(), Wakes::new());
        let mut a = Box::pin(cond.wait(cond.lock().try_acquire().unwrap()));
        assert!(wa.poll(a.as_mut()).is_pending());
        let mut b = Box::pin(cond.wait(cond.lock().try_acquire().unwrap()));
        assert!(wb.poll(b.as_mut()).is_pending());
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        drop(a);
        notifier.join().unwrap();
        assert_eq!(wb.count(), 1, "the notification was not lost");
        let guard = match wb.poll(b.as_mut()) {
            Poll::Ready(g) => g,
            Poll::Pending => panic!("b was notified and the lock is free"),
        };
        drop(guard);
        drop(b);
        assert!(!cond.locked());
    });
}

/// A waiter registers and releases the lock while a notifier spins for the lock and
/// notifies under it: the notification always reaches the waiter (`notify`'s lock-free
/// "nobody waits" check must see the registration).
#[test]
fn condition_notify_under_lock_races_wait() {
    model("condition_notify_under_lock_races_wait", || {
        let cond = Arc::new(Condition::new());
        let guard = cond.lock().try_acquire().unwrap();
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || {
                let guard = loop {
                    if let Some(g) = cond.lock().try_acquire() {
                        break g;
                    }
                    thread::yield_now();
                };
                cond.notify(1);
                drop(guard);
            })
        };
        let wakes = Wakes::new();
        let w = pin!(cond.wait(guard));
        let guard = wakes.block_on(w);
        drop(guard);
        notifier.join().unwrap();
        assert!(!cond.locked());
    });
}

/// Two parties arriving at once: both pass, with indices 0 and 1.
#[test]
fn barrier_last_arrival_races_waiter() {
    model("barrier_last_arrival_races_waiter", || {
        let barrier = Arc::new(Barrier::new(2));
        let other = {
            let barrier = barrier.clone();
            thread::spawn(move || Wakes::new().block_on(pin!(barrier.wait())).unwrap())
        };
        let mine = Wakes::new().block_on(pin!(barrier.wait())).unwrap();
        let theirs = other.join().unwrap();
        let mut both = [mine, theirs];
        both.sort();
        assert_eq!(both, [0, 1]);
        assert_eq!(barrier.n_waiting(), 0);
    });
}

/// A queued waiter's drop racing the arrival that would complete its round: either the
/// round completes (the arrival gets index 1) or the waiter left first and the arrival
/// queues alone; the barrier ends empty either way.
#[test]
fn barrier_waiter_drop_races_last_arrival() {
    model("barrier_waiter_drop_races_last_arrival", || {
        let barrier = Arc::new(Barrier::new(2));
        let wa = Wakes::new();
        let mut a = Box::pin(barrier.wait());
        assert!(wa.poll(a.as_mut()).is_pending());
        let arrival = {
            let barrier = barrier.clone();
            thread::spawn(move || {
                let wakes = Wakes::new();
                let mut b = pin!(barrier.wait());
                match wakes.poll(b.as_mut()) {
                    Poll::Ready(r) => Some(r),
                    Poll::Pending => None,
                }
            })
        };
        drop(a);
        match arrival.join().unwrap() {
            Some(r) => {
                assert_eq!(r, Ok(1));
                assert_eq!(wa.count(), 1, "the released waiter was woken");
            }
            None => assert_eq!(wa.count(), 0),
        }
        assert_eq!(barrier.n_waiting(), 0);
    });
}
