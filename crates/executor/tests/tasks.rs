//! Tasks, timers and combinators: asyncio's create_task / sleep / wait_for / gather /
//! cancellation semantics. Timed tests use the paused clock and exact instants.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use weft::{EventLoop, TaskError, TimeoutError};

/// Sets a flag when dropped: proves a future's cleanup ran.
struct DropFlag(Rc<Cell<bool>>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn paused() -> EventLoop {
    EventLoop::new().unwrap().paused()
}

#[test]
fn a_sleep_too_long_for_an_instant_waits_forever_instead_of_panicking() {
    // `Instant + Duration::MAX` overflows; the deadline saturates (584 years) instead.
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let out = lp.run_until_complete(async move {
        let forever = weft::sleep(Duration::MAX);
        assert!(forever.deadline().unwrap() > t0 + Duration::from_secs(100 * 365 * 86400));
        weft::wait_for(Duration::from_secs(5), forever).await
    });
    assert_eq!(out, Err(TimeoutError));
    assert_eq!(h.time() - t0, Duration::from_secs(5));
}

#[test]
fn sleeps_complete_in_deadline_order_at_exact_instants() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let order = lp.run_until_complete(async move {
        let log = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = [3u64, 1, 2, 1]
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let log = log.clone();
                weft::spawn(async move {
                    weft::sleep(Duration::from_secs(s)).await;
                    log.borrow_mut()
                        .push((i, weft::Handle::current().time() - t0));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        Rc::try_unwrap(log).unwrap().into_inner()
    });
    let secs = |s| Duration::from_secs(s);
    assert_eq!(
        order,
        vec![(1, secs(1)), (3, secs(1)), (2, secs(2)), (0, secs(3))]
    );
}

#[test]
fn concurrent_tasks_overlap_and_sequential_awaits_add_up() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    lp.run_until_complete(async {
        let a = weft::spawn(weft::sleep(Duration::from_secs(2)));
        let b = weft::spawn(weft::sleep(Duration::from_secs(1)));
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        h.time() - t0,
        Duration::from_secs(2),
        "concurrent: the longest"
    );
    let t1 = h.time();
    lp.run_until_complete(async {
        weft::sleep(Duration::from_secs(2)).await;
        weft::sleep(Duration::from_secs(1)).await;
    });
    assert_eq!(h.time() - t1, Duration::from_secs(3), "sequential: the sum");
}

#[test]
fn wait_for_drops_the_inner_future_on_timeout_and_returns_timeout_error() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let dropped = Rc::new(Cell::new(false));
    let d = dropped.clone();
    let r = lp.run_until_complete(async move {
        let inner = async move {
            let _flag = DropFlag(d);
            weft::sleep(Duration::from_secs(3)).await;
            "Done"
        };
        let r = weft::wait_for(Duration::from_secs(2), inner).await;
        (r, weft::Handle::current().time())
    });
    assert_eq!(r.0, Err(TimeoutError));
    assert_eq!(
        r.1 - t0,
        Duration::from_secs(2),
        "times out exactly at the deadline"
    );
    assert!(dropped.get(), "the inner future was dropped");
}

#[test]
fn wait_for_returns_at_once_for_an_already_ready_future_even_with_a_zero_timeout() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let r = lp.run_until_complete(async {
        let p = weft::Promise::new();
        p.set_result(5).unwrap();
        let a = weft::wait_for(Duration::ZERO, p).await;
        let b = weft::wait_for(Duration::ZERO, async { "ready" }).await;
        (a, b)
    });
    assert_eq!(r, (Ok(Ok(5)), Ok("ready")));
    assert_eq!(h.time(), t0, "no time passed");
}

#[test]
fn gather_keeps_argument_order() {
    let mut lp = paused();
    let r = lp.run_until_complete(async {
        let v = weft::gather([3u64, 1, 2].map(|s| async move {
            weft::sleep(Duration::from_secs(s)).await;
            s * 10
        }))
        .await;
        let t = weft::gather!(
            async {
                weft::sleep(Duration::from_secs(2)).await;
                "Task two result"
            },
            async {
                weft::sleep(Duration::from_secs(1)).await;
                1
            },
        )
        .await;
        (v, t)
    });
    assert_eq!(r, (vec![30, 10, 20], ("Task two result", 1)));
}

#[test]
fn gather_of_task_handles_keeps_argument_order() {
    let mut lp = paused();
    let r = lp.run_until_complete(async {
        let tasks: Vec<_> = [2u64, 1, 3]
            .into_iter()
            .map(|s| {
                weft::spawn(async move {
                    weft::sleep(Duration::from_millis(s)).await;
                    s
                })
            })
            .collect();
        weft::gather(tasks).await
    });
    let r: Vec<u64> = r.into_iter().map(Result::unwrap).collect();
    assert_eq!(r, vec![2, 1, 3]);
}

#[test]
fn cancelling_a_sleeping_task_resolves_its_handle_to_cancelled_and_runs_its_drop() {
    let mut lp = paused();
    let dropped = Rc::new(Cell::new(false));
    let d = dropped.clone();
    let r = lp.run_until_complete(async move {
        let t = weft::spawn(async move {
            let _flag = DropFlag(d);
            weft::sleep(Duration::from_secs(3600)).await;
        });
        weft::sleep(Duration::from_secs(1)).await;
        assert!(t.cancel());
        t.await
    });
    assert!(matches!(r, Err(TaskError::Cancelled)));
    assert!(dropped.get());
}

#[test]
fn cancel_of_a_finished_task_returns_false() {
    let mut lp = paused();
    lp.run_until_complete(async {
        let t = weft::spawn(async { 1 });
        weft::yield_now().await;
        assert!(t.done());
        assert!(!t.cancel());
        assert_eq!(t.await.unwrap(), 1);
    });
}

#[test]
fn a_panicking_task_does_not_stop_the_loop() {
    let mut lp = paused();
    let r = lp.run_until_complete(async {
        let bad = weft::spawn(async {
            weft::sleep(Duration::from_millis(1)).await;
            panic!("Oops!");
        });
        let good = weft::spawn(async {
            weft::sleep(Duration::from_millis(2)).await;
            "still running"
        });
        let bad = bad.await;
        (bad, good.await)
    });
    match r.0 {
        Err(TaskError::Panicked(p)) => assert_eq!(p.message(), Some("Oops!")),
        other => panic!("expected a caught panic, got {other:?}"),
    }
    assert_eq!(r.1.unwrap(), "still running");
}

#[test]
fn dropping_a_task_handle_detaches_it() {
    let mut lp = paused();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    lp.run_until_complete(async move {
        drop(weft::spawn(async move {
            weft::sleep(Duration::from_secs(1)).await;
            r.set(true);
        }));
        weft::sleep(Duration::from_secs(2)).await;
    });
    assert!(ran.get());
}

#[test]
fn closing_the_loop_cancels_pending_tasks_and_runs_their_drop() {
    let mut lp = paused();
    let dropped = Rc::new(Cell::new(false));
    let d = dropped.clone();
    let t = lp.spawn(async move {
        let _flag = DropFlag(d);
        std::future::pending::<()>().await;
    });
    lp.run_until_complete(weft::yield_now());
    assert!(!t.done());
    lp.close();
    assert!(dropped.get());
    assert!(t.done());
    let mut other = EventLoop::new().unwrap();
    assert!(matches!(
        other.run_until_complete(t),
        Err(TaskError::Cancelled)
    ));
}

#[test]
fn an_always_ready_future_cannot_starve_the_loop() {
    // The task awaits an already-resolved promise in a tight loop; weft's cooperative
    // budget makes it yield, so the callback scheduled meanwhile gets to run.
    let mut lp = EventLoop::new().unwrap();
    let flag = Rc::new(Cell::new(false));
    let f = flag.clone();
    let observed = lp.run_until_complete(async move {
        weft::Handle::current().call_soon(move || f.set(true));
        let p = weft::Promise::new();
        p.set_result(()).unwrap();
        for i in 0..10_000 {
            let _ = p.clone().await;
            if flag.get() {
                return Some(i);
            }
        }
        None
    });
    let i = observed.expect("the callback never ran while the task spun");
    assert!(i < 1000, "yielded only after {i} ready polls");
}

#[test]
fn yield_now_lets_ready_callbacks_run_first() {
    let mut lp = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    lp.run_until_complete(async move {
        let l2 = l.clone();
        weft::Handle::current().call_soon(move || l2.borrow_mut().push("callback"));
        l.borrow_mut().push("task before");
        weft::yield_now().await;
        l.borrow_mut().push("task after");
    });
    assert_eq!(*log.borrow(), ["task before", "callback", "task after"]);
}

#[test]
fn interval_ticks_on_its_grid() {
    let mut lp = paused();
    let h = lp.handle();
    let t0 = h.time();
    let ticks = lp.run_until_complete(async move {
        let mut i = weft::interval(Duration::from_millis(250));
        let mut out = Vec::new();
        for _ in 0..4 {
            out.push(i.tick().await - t0);
        }
        out
    });
    let ms = |m| Duration::from_millis(m);
    assert_eq!(ticks, vec![ms(0), ms(250), ms(500), ms(750)]);
}

#[test]
fn task_names_default_to_asyncio_style() {
    let mut lp = EventLoop::new().unwrap();
    lp.run_until_complete(async {
        let t = weft::spawn(async {});
        assert_eq!(t.name(), format!("Task-{}", t.id()));
    });
}

#[test]
fn handle_current_outside_a_loop_is_none() {
    assert!(weft::Handle::try_current().is_none());
    assert!(std::panic::catch_unwind(weft::Handle::current).is_err());
}

#[test]
fn running_a_loop_inside_a_running_loop_panics() {
    let mut outer = EventLoop::new().unwrap();
    let caught = outer.run_until_complete(async {
        std::panic::catch_unwind(|| {
            let mut inner = EventLoop::new().unwrap();
            inner.run_until_complete(async {});
        })
        .is_err()
    });
    assert!(caught);
}

#[test]
fn a_future_resolved_from_a_timer_callback_completes_the_main_future() {
    // Seed 000: loop.call_soon(future.set_result, "Result is ready").
    let mut lp = EventLoop::new().unwrap();
    let p = weft::Promise::new();
    let q = p.clone();
    lp.handle()
        .call_soon(move || q.set_result("Result is ready").unwrap());
    assert_eq!(lp.run_until_complete(p), Ok("Result is ready"));
}

#[weft::test(start_paused = true)]
async fn the_test_macro_starts_paused() {
    let h = weft::Handle::current();
    let t0 = h.time();
    weft::sleep(Duration::from_secs(30)).await;
    assert_eq!(h.time() - t0, Duration::from_secs(30));
}
