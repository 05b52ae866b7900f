//! asyncio.timeout's scopes (Python 3.11+): `timeout_scope` / `timeout_scope_at`, and
//! `when`, `reschedule`, `expired` on a `TimeoutScope`. Named after the behaviours of
//! CPython's test_timeouts.py; deterministic on the paused clock, with exact instants.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use weft::{EventLoop, Handle, TaskError, TimeoutError, TimeoutScope};

fn paused() -> EventLoop {
    EventLoop::new().unwrap().paused()
}

fn now() -> Instant {
    Handle::current().time()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `f` on a paused loop; returns its output and the loop's start time.
fn run<F: Future>(f: impl FnOnce(Instant) -> F) -> (F::Output, Instant) {
    let mut lp = paused();
    let t0 = lp.handle().time();
    (lp.run_until_complete(f(t0)), t0)
}

/// Calls `f` when dropped: observes a body's cleanup.
struct OnDrop<F: FnMut()>(F);
impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

#[test]
fn timeout_basic_fires_at_the_exact_deadline_and_expires() {
    let ((r, scope, at), t0) = run(|_| async {
        let mut handle = None;
        let r = weft::timeout_scope(ms(10), |scope| {
            handle = Some(scope);
            weft::sleep(secs(10))
        })
        .await;
        (r, handle.unwrap(), now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, ms(10), "fired exactly at the deadline");
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(t0 + ms(10)));
}

#[test]
fn timeout_at_basic_reports_its_deadline_in_when() {
    let ((r, scope, at), t0) = run(|t0| async move {
        let deadline = t0 + ms(10);
        let mut handle = None;
        let r = weft::timeout_scope_at(deadline, |scope| {
            handle = Some(scope);
            weft::sleep(secs(10))
        })
        .await;
        (r, handle.unwrap(), now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at, t0 + ms(10));
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(t0 + ms(10)));
}

#[test]
fn timeout_not_called_leaves_the_scope_unexpired_with_its_deadline() {
    let ((r, t1), t0) = run(|_| async {
        let r = weft::timeout_scope(secs(10), |scope| async move {
            weft::sleep(ms(10)).await;
            scope
        })
        .await;
        (r, now())
    });
    let scope = r.unwrap();
    assert_eq!(t1 - t0, ms(10));
    assert!(!scope.expired());
    assert_eq!(scope.when(), Some(t0 + secs(10)));
    assert!(scope.when().unwrap() > t1);
}

#[test]
fn timeout_disabled_never_fires() {
    let ((a, b, t1), t0) = run(|_| async {
        let a = weft::timeout_scope(None, |scope| async move {
            assert_eq!(scope.when(), None);
            weft::sleep(secs(3600)).await;
            scope
        })
        .await
        .unwrap();
        let b = weft::timeout_scope_at(None, |scope| async move {
            weft::sleep(secs(3600)).await;
            scope
        })
        .await
        .unwrap();
        (a, b, now())
    });
    assert_eq!(t1 - t0, secs(7200), "both bodies ran to their end");
    for scope in [a, b] {
        assert!(!scope.expired());
        assert_eq!(scope.when(), None);
    }
}

#[test]
fn timeout_zero_expires_at_once() {
    let ((r, scope, t1), t0) = run(|_| async {
        let mut handle = None;
        let r = weft::timeout_scope(Duration::ZERO, |scope| {
            handle = Some(scope);
            weft::sleep(secs(10))
        })
        .await;
        (r, handle.unwrap(), now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(t1, t0, "no time passed");
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(t0));
}

#[test]
fn timeout_zero_sleep_zero_expires_at_the_first_suspension() {
    let ((r, scope), t0) = run(|_| async {
        let mut handle = None;
        let r = weft::timeout_scope(Duration::ZERO, |scope| {
            handle = Some(scope);
            weft::yield_now()
        })
        .await;
        (r, handle.unwrap())
    });
    assert_eq!(r, Err(TimeoutError));
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(t0));
}

#[test]
fn timeout_in_the_past_sleep_zero_expires() {
    let ((r, scope, past), _) = run(|_| async {
        weft::sleep(secs(20)).await;
        let past = now() - secs(11);
        let mut handle = None;
        let r = weft::timeout_scope_at(past, |scope| {
            handle = Some(scope);
            weft::yield_now()
        })
        .await;
        (r, handle.unwrap(), past)
    });
    assert_eq!(r, Err(TimeoutError));
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(past));
}

#[test]
fn a_body_that_is_ready_at_once_wins_even_with_a_zero_timeout() {
    let ((r, t1), t0) = run(|_| async {
        let r = weft::timeout_scope(Duration::ZERO, |scope| async move { scope }).await;
        (r, now())
    });
    let scope = r.unwrap();
    assert!(!scope.expired());
    assert_eq!(t1, t0);
}

#[test]
fn a_body_finishing_exactly_at_the_deadline_wins() {
    // The body is polled before the deadline is checked, whichever timer was armed
    // first: a body done in the loop turn of its deadline completes (asyncio: it leaves
    // the `async with` before the timeout callback runs).
    let ((a, b, t1), t0) = run(|t0| async move {
        let a = weft::timeout_scope(secs(1), |scope| async move {
            weft::sleep(secs(1)).await; // armed before the timeout's own timer
            scope
        })
        .await
        .unwrap();
        let deadline = t0 + secs(2);
        let b = weft::timeout_scope_at(deadline, |scope| async move {
            weft::sleep(ms(500)).await;
            weft::sleep_until(deadline).await; // armed after the timeout's timer
            scope
        })
        .await
        .unwrap();
        (a, b, now())
    });
    assert_eq!(t1 - t0, secs(2));
    assert!(!a.expired());
    assert!(!b.expired());
}

#[test]
fn reschedule_later_extends_the_deadline() {
    let ((r, scope, at), t0) = run(|t0| async move {
        let mut handle = None;
        let r = weft::timeout_scope(secs(1), |scope| {
            handle = Some(scope.clone());
            async move {
                scope.reschedule(t0 + secs(3)).unwrap();
                assert_eq!(scope.when(), Some(t0 + secs(3)));
                weft::sleep(secs(10)).await;
            }
        })
        .await;
        (r, handle.unwrap(), now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, secs(3), "fired at the new instant, not the first");
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(t0 + secs(3)));
}

#[test]
fn reschedule_earlier_shortens_the_deadline() {
    let ((r, at), t0) = run(|t0| async move {
        let r = weft::timeout_scope(secs(10), |scope| async move {
            weft::sleep(secs(1)).await;
            scope.reschedule(t0 + secs(2)).unwrap();
            weft::sleep(secs(10)).await;
        })
        .await;
        (r, now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, secs(2));
}

#[test]
fn reschedule_into_the_past_fires_at_the_next_suspension_point() {
    let reached = Rc::new(Cell::new((false, false)));
    let seen = reached.clone();
    let ((r, scope, at), t0) = run(|t0| async move {
        let mut handle = None;
        let r = weft::timeout_scope(secs(10), |scope| {
            handle = Some(scope.clone());
            async move {
                weft::sleep(secs(1)).await;
                scope.reschedule(t0).unwrap();
                seen.set((true, false)); // the body runs on to its next `.await`
                weft::yield_now().await;
                seen.set((true, true)); // never resumed
            }
        })
        .await;
        (r, handle.unwrap(), now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, secs(1), "no time passed after the reschedule");
    assert_eq!(reached.get(), (true, false));
    assert!(scope.expired());
    assert_eq!(scope.when(), Some(t0));
}

#[test]
fn reschedule_into_the_past_lets_a_body_that_does_not_suspend_again_win() {
    let (r, _) = run(|t0| async move {
        weft::timeout_scope(secs(10), |scope| async move {
            weft::sleep(secs(1)).await;
            scope.reschedule(t0).unwrap();
            scope // done before the timeout looks at its deadline again
        })
        .await
    });
    assert!(!r.unwrap().expired());
}

#[test]
fn reschedule_none_disables_the_deadline() {
    let ((r, at), t0) = run(|_| async {
        let r = weft::timeout_scope(secs(1), |scope| async move {
            scope.reschedule(None).unwrap();
            assert_eq!(scope.when(), None);
            weft::sleep(secs(5)).await;
            scope
        })
        .await;
        (r, now())
    });
    let scope = r.unwrap();
    assert_eq!(at - t0, secs(5));
    assert!(!scope.expired());
    assert_eq!(scope.when(), None);
}

#[test]
fn reschedule_from_another_task_then_cancel_the_task() {
    // test_reschedule: the scope is handed out while its body runs.
    let (scope, _) = run(|t0| async move {
        let deadline1 = t0 + secs(10);
        let deadline2 = deadline1 + secs(20);
        let fut = weft::Promise::new();
        let setter = fut.clone();
        let task = weft::spawn(async move {
            weft::timeout_scope_at(deadline1, |scope| async move {
                setter.set_result(scope).unwrap();
                weft::sleep(secs(50)).await;
            })
            .await
        });
        let scope: TimeoutScope = fut.await.unwrap();
        assert_eq!(scope.when(), Some(deadline1));
        scope.reschedule(deadline2).unwrap();
        assert_eq!(scope.when(), Some(deadline2));
        scope.reschedule(None).unwrap();
        assert_eq!(scope.when(), None);
        task.cancel();
        assert!(matches!(task.await, Err(TaskError::Cancelled)));
        scope
    });
    assert!(!scope.expired());
    assert!(
        scope.reschedule(None).is_err(),
        "finished: the deadline is frozen"
    );
}

#[test]
fn reschedule_from_another_task_wakes_the_timeout() {
    let ((r, at), t0) = run(|_| async {
        let t = weft::timeout_scope(None, |_| std::future::pending::<()>());
        let scope = t.scope();
        weft::spawn(async move {
            weft::sleep(secs(1)).await;
            scope.reschedule(now() + ms(500)).unwrap();
        });
        let r = t.await;
        (r, now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, ms(1500));
}

#[test]
fn reschedule_from_another_thread_wakes_the_loop() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let (tx, rx) = mpsc::channel::<TimeoutScope>();
    let clock = h.clock();
    let helper = std::thread::spawn(move || {
        let scope = rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        scope.reschedule(clock.now()).unwrap();
    });
    let r = lp.run_until_complete(async move {
        // No timer at all: the loop blocks until the other thread's reschedule wakes it.
        weft::timeout_scope(None, |scope| {
            tx.send(scope).unwrap();
            std::future::pending::<()>()
        })
        .await
    });
    helper.join().unwrap();
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(h.time(), t0, "the paused clock did not move");
}

#[test]
fn timeout_reschedule_and_when_from_outside_before_polling() {
    let ((r, at), t0) = run(|t0| async move {
        let t = weft::timeout(secs(10), std::future::pending::<()>());
        assert_eq!(t.when(), Some(t0 + secs(10)));
        t.reschedule(t0 + secs(4)).unwrap();
        assert_eq!(t.deadline(), Some(t0 + secs(4)));
        let scope = t.scope();
        let r = t.await;
        assert!(scope.expired());
        (r, now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, secs(4));
}

#[test]
fn expired_is_true_only_after_the_deadline_fired() {
    let ((r, scope, before), _) = run(|_| async {
        let mut handle = None;
        let t = weft::timeout_scope(secs(2), |scope| {
            handle = Some(scope.clone());
            async move {
                weft::sleep(secs(1)).await;
                assert!(!scope.expired(), "running, deadline not reached");
                weft::sleep(secs(5)).await;
            }
        });
        let before = t.expired();
        let r = t.await;
        (r, handle.unwrap(), before)
    });
    assert!(!before);
    assert_eq!(r, Err(TimeoutError));
    assert!(scope.expired());
    assert!(
        scope.reschedule(None).is_err(),
        "an expired scope cannot move"
    );
}

#[test]
fn the_body_is_dropped_at_the_deadline_and_sees_its_scope_expired() {
    let log = Rc::new(Cell::new(None));
    let seen = log.clone();
    let (r, t0) = run(|_| async move {
        weft::timeout_scope(secs(2), |scope| async move {
            let _guard = OnDrop(move || {
                seen.set(Some((
                    now(),
                    scope.expired(),
                    scope.reschedule(None).is_err(),
                )));
            });
            weft::sleep(secs(3)).await;
        })
        .await
    });
    assert_eq!(r, Err(TimeoutError));
    let (at, expired, refused) = log.get().expect("the body was dropped");
    assert_eq!(at - t0, secs(2), "dropped at the deadline");
    assert!(expired);
    assert!(refused);
}

#[test]
fn nested_outer_earlier_than_inner_only_the_outer_expires() {
    let inner_dropped = Rc::new(Cell::new(false));
    let flag = inner_dropped.clone();
    let ((r, outer, inner, at), t0) = run(|_| async move {
        let (mut outer, mut inner) = (None, None);
        let r = weft::timeout_scope(secs(1), |o| {
            outer = Some(o);
            weft::timeout_scope(secs(2), |i| {
                inner = Some(i);
                async move {
                    let _guard = OnDrop(move || flag.set(true));
                    weft::sleep(secs(10)).await;
                }
            })
        })
        .await;
        (r, outer.unwrap(), inner.unwrap(), now())
    });
    assert_eq!(r, Err(TimeoutError), "the outer reports the timeout");
    assert_eq!(at - t0, secs(1));
    assert!(outer.expired());
    assert!(
        !inner.expired(),
        "the inner was dropped before its deadline"
    );
    assert!(inner_dropped.get());
}

#[test]
fn nested_inner_earlier_the_body_handles_it_and_the_outer_completes() {
    let ((r, outer, at), t0) = run(|t0| async move {
        let mut outer = None;
        let r = weft::timeout_scope(secs(2), |o| {
            outer = Some(o);
            async move {
                let t = weft::timeout_scope(secs(1), |_| weft::sleep(secs(10)));
                let inner = t.scope();
                let r = t.await;
                assert_eq!(r, Err(TimeoutError), "the inner timeout reaches the body");
                assert_eq!(now() - t0, secs(1));
                weft::sleep(ms(500)).await; // the body carries on
                ("handled", inner)
            }
        })
        .await;
        (r, outer.unwrap(), now())
    });
    let (v, inner) = r.unwrap();
    assert_eq!(v, "handled");
    assert_eq!(at - t0, ms(1500));
    assert!(!outer.expired());
    assert!(inner.expired());
}

#[test]
fn nested_timeouts_with_the_same_deadline_only_the_outermost_reports() {
    // test_nested_timeouts: both expire; only the topmost raises TimeoutError.
    let inner_returned = Rc::new(Cell::new(false));
    let flag = inner_returned.clone();
    let cm2 = Rc::new(RefCell::new(None));
    let slot = cm2.clone();
    let ((r, cm1, at), t0) = run(|t0| async move {
        let deadline = t0 + ms(10);
        let mut cm1 = None;
        let r = weft::timeout_scope_at(deadline, |o| {
            cm1 = Some(o);
            async move {
                let _ = weft::timeout_scope_at(deadline, |i| {
                    *slot.borrow_mut() = Some(i);
                    weft::sleep(secs(10))
                })
                .await;
                flag.set(true);
            }
        })
        .await;
        (r, cm1.unwrap(), now())
    });
    let cm2 = cm2.borrow_mut().take().unwrap();
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, ms(10));
    assert!(
        !inner_returned.get(),
        "the inner never handed a TimeoutError to the body"
    );
    assert!(cm1.expired());
    assert!(cm2.expired(), "its deadline passed too, as in asyncio");
}

#[test]
fn nested_timeouts_loop_busy_inner_reports_then_the_outer_stops_the_rest() {
    // test_nested_timeouts_loop_busy: the loop is stuck past both deadlines; the inner
    // (earlier) one is reported first, the outer one interrupts the next await.
    let ((r, at), t0) = run(|_| async {
        let r = weft::timeout_scope(ms(100), |_| async {
            let r = weft::timeout_scope(ms(10), |_| async {
                // Pretend to crunch numbers for 150 ms without yielding.
                Handle::current().clock().advance(ms(150));
                weft::sleep(secs(1)).await;
            })
            .await;
            assert_eq!(r, Err(TimeoutError), "caught by the inner scope");
            weft::sleep(secs(10)).await; // interrupted by the outer scope
            "unreachable"
        })
        .await;
        (r, now())
    });
    assert_eq!(r, Err(TimeoutError));
    assert_eq!(at - t0, ms(150), "no further time passed");
}

#[test]
fn nested_timeouts_loop_busy_past_an_earlier_outer_deadline_the_outer_reports() {
    // Both deadlines passed while the loop was busy and the outer one is the earlier:
    // the inner does not hand its TimeoutError to a body the outer has cut short.
    let inner_returned = Rc::new(Cell::new(false));
    let flag = inner_returned.clone();
    let inner = Rc::new(RefCell::new(None));
    let slot = inner.clone();
    let ((r, outer), _) = run(|_| async move {
        let mut outer = None;
        let r = weft::timeout_scope(ms(100), |o| {
            outer = Some(o);
            async move {
                let _ = weft::timeout_scope(ms(200), |i| {
                    *slot.borrow_mut() = Some(i);
                    async {
                        Handle::current().clock().advance(ms(300));
                        weft::sleep(secs(1)).await;
                    }
                })
                .await;
                flag.set(true);
            }
        })
        .await;
        (r, outer.unwrap())
    });
    let inner = inner.borrow_mut().take().unwrap();
    assert_eq!(r, Err(TimeoutError));
    assert!(!inner_returned.get());
    assert!(outer.expired());
    assert!(inner.expired(), "its deadline had passed as well");
}

#[test]
fn cleanup_after_a_timeout_can_use_its_own_timeouts() {
    // test_nested_timeout_in_finally / test_timeout_after_cancellation: a Drop cannot
    // await, so async cleanup runs after the timed-out scope, under fresh scopes that
    // keep nothing of the expired one.
    let ((a, b, c, at), t0) = run(|_| async {
        let a = weft::timeout_scope(ms(10), |_| weft::sleep(secs(1))).await;
        let b = weft::timeout_scope(ms(10), |_| weft::sleep(secs(10))).await;
        let c = weft::timeout_scope(Duration::ZERO, |_| weft::sleep(secs(1))).await;
        (a, b, c, now())
    });
    assert_eq!(
        (a, b, c),
        (Err(TimeoutError), Err(TimeoutError), Err(TimeoutError))
    );
    assert_eq!(at - t0, ms(20));
}

#[test]
fn foreign_output_passes_through_unexpired() {
    // test_foreign_exception_passed: an error of the body is its value, not a timeout.
    let ((r, scope), _) = run(|_| async {
        let mut handle = None;
        let r = weft::timeout_scope(ms(10), |scope| {
            handle = Some(scope);
            async { Err::<(), &str>("KeyError") }
        })
        .await;
        (r, handle.unwrap())
    });
    assert_eq!(r, Ok(Err("KeyError")));
    assert!(!scope.expired());
}

#[test]
fn outer_task_is_not_cancelled_by_its_timeout() {
    let (r, _) = run(|_| async {
        let task =
            weft::spawn(async { weft::timeout_scope(ms(1), |_| weft::sleep(secs(10))).await });
        task.await
    });
    assert_eq!(r.unwrap(), Err(TimeoutError));
}

#[test]
fn a_dropped_timeout_finishes_its_scope_without_expiring() {
    let (scope, _) = run(|_| async {
        let t = weft::timeout_scope(secs(1), |_| weft::sleep(secs(10)));
        let scope = t.scope();
        drop(t);
        scope
    });
    assert!(!scope.expired());
    assert!(scope.reschedule(None).is_err());
    assert!(format!("{scope:?}").contains("finished"));
}

fn assert_send_sync<T: Send + Sync>(_: &T) {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn scopes_and_timeouts_are_send_and_spawn_on_another_thread() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let t = weft::timeout_scope(secs(1), |scope| async move {
        assert_send_sync(&scope);
        weft::sleep(secs(2)).await;
        scope
    });
    assert_send(&t);
    // Made outside the loop: the 1 s count starts at the first poll.
    let task = std::thread::scope(|s| s.spawn(|| h.spawn(t)).join().unwrap());
    let r = lp.run_until_complete(task);
    assert_eq!(r.unwrap().unwrap_err(), TimeoutError);
    assert_eq!(h.time() - t0, secs(1));
}
