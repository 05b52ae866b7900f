//! asyncio's callback scheduling: `call_soon`, `call_later`, `call_at`, cancellation,
//! and the shape of one loop turn. Timed tests run on the paused clock and assert
//! exact instants.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use weft::{EventLoop, Handle};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn push(log: &Log, s: impl Into<String>) -> impl FnOnce() + 'static {
    let log = log.clone();
    let s = s.into();
    move || log.borrow_mut().push(s)
}

fn stop_after(h: &Handle) -> impl FnOnce() + 'static {
    let h = h.clone();
    move || h.stop()
}

#[test]
fn call_soon_callbacks_run_fifo() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let l = log();
    for i in 0..100 {
        h.call_soon(push(&l, i.to_string()));
    }
    h.call_soon(stop_after(&h));
    lp.run_forever();
    let want: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(*l.borrow(), want);
}

#[test]
fn callbacks_scheduled_during_a_turn_run_in_the_next_turn() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let l = log();
    let (h2, l2) = (h.clone(), l.clone());
    h.call_soon(move || {
        l2.borrow_mut().push("a".into());
        // Scheduled during turn 1: must run after everything that was ready at its start.
        h2.call_soon(push(&l2, "c (next turn)"));
    });
    h.call_soon(push(&l, "b"));
    // `stop` runs in turn 1; run_forever finishes that turn and returns: "c" has not run.
    h.call_soon(stop_after(&h));
    lp.run_forever();
    assert_eq!(*l.borrow(), ["a", "b"]);
    h.stop();
    lp.run_forever(); // one more turn
    assert_eq!(*l.borrow(), ["a", "b", "c (next turn)"]);
}

#[test]
fn call_later_runs_by_deadline_at_exact_instants() {
    let mut lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    let t0 = h.time();
    let seen = Rc::new(RefCell::new(Vec::new()));
    for ms in [300u64, 100, 200, 100, 0] {
        let (h2, seen2) = (h.clone(), seen.clone());
        h.call_later(Duration::from_millis(ms), move || {
            seen2.borrow_mut().push((ms, h2.time() - t0));
        });
    }
    h.call_later(Duration::from_millis(300), stop_after(&h));
    lp.run_forever();
    let got = seen.borrow().clone();
    let want: Vec<(u64, Duration)> = [0u64, 100, 100, 200, 300]
        .iter()
        .map(|&ms| (ms, Duration::from_millis(ms)))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn call_later_with_negative_delays_runs_first_in_deadline_order() {
    // asyncio allows negative delays: the deadline is in the past. weft expresses that
    // with `call_at` and an instant before now; ordering is still by deadline.
    let mut lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    h.clock().advance(Duration::from_secs(10));
    let now = h.time();
    let l = log();
    h.call_later(Duration::ZERO, push(&l, "zero"));
    h.call_at(now - Duration::from_secs(1), push(&l, "minus 1s"));
    h.call_at(now - Duration::from_secs(5), push(&l, "minus 5s"));
    h.call_later(Duration::from_millis(1), push(&l, "plus 1ms"));
    h.call_later(Duration::from_millis(1), stop_after(&h));
    lp.run_forever();
    assert_eq!(*l.borrow(), ["minus 5s", "minus 1s", "zero", "plus 1ms"]);
}

#[test]
fn a_cancelled_handle_never_runs() {
    let mut lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    let l = log();
    let soon = h.call_soon(push(&l, "soon"));
    let later = h.call_later(Duration::from_secs(1), push(&l, "later"));
    soon.cancel();
    later.cancel();
    assert!(soon.cancelled() && later.cancelled());
    h.call_later(Duration::from_secs(2), stop_after(&h));
    lp.run_forever();
    assert!(l.borrow().is_empty());
}

#[test]
fn a_timer_cancelled_after_it_expired_but_before_it_ran_never_runs() {
    // Both timers expire in the same turn and sit in the ready queue together; the
    // first cancels the second, which must then be skipped (asyncio's `_cancelled`).
    let mut lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    let l = log();
    let victim: Rc<RefCell<Option<weft::TimerHandle>>> = Rc::new(RefCell::new(None));
    let (v2, l2) = (victim.clone(), l.clone());
    h.call_later(Duration::from_secs(1), move || {
        l2.borrow_mut().push("first".into());
        v2.borrow().as_ref().unwrap().cancel();
    });
    *victim.borrow_mut() = Some(h.call_later(Duration::from_secs(1), push(&l, "second")));
    h.call_later(Duration::from_secs(1), stop_after(&h));
    lp.run_forever();
    assert_eq!(*l.borrow(), ["first"]);
}

#[test]
fn timer_handle_reports_its_deadline() {
    let lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    let t = h.call_later(Duration::from_millis(1500), || ());
    assert_eq!(t.when() - h.time(), Duration::from_millis(1500));
}

#[test]
fn a_panicking_callback_does_not_stop_the_loop() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let l = log();
    h.call_soon(|| panic!("callback failure"));
    h.call_soon(push(&l, "after"));
    h.call_soon(stop_after(&h));
    lp.run_forever();
    assert_eq!(*l.borrow(), ["after"]);
}

#[test]
fn call_soon_off_the_loop_thread_fails_loudly() {
    let lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let r = std::thread::spawn(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            h.call_soon(|| ());
        }))
        .is_err()
    })
    .join()
    .unwrap();
    assert!(r, "call_soon from a foreign thread must panic");
}

#[test]
fn callbacks_on_a_closed_loop_are_refused() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    lp.close();
    assert!(h.call_soon(|| unreachable!()).cancelled());
    assert!(h.call_soon_threadsafe(|| unreachable!()).cancelled());
}

#[test]
fn stop_before_run_forever_runs_exactly_one_turn() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let l = log();
    h.call_soon(push(&l, "ran"));
    h.stop();
    lp.run_forever();
    assert_eq!(*l.borrow(), ["ran"]);
}
