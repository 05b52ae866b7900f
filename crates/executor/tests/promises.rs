//! asyncio.Future semantics of `weft::Promise`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft::{Cancelled, EventLoop, Promise, ResultError};

#[test]
fn setting_a_done_promise_fails_with_invalid_state_error() {
    let p = Promise::new();
    p.set_result(1).unwrap();
    let e = p.set_result(2).unwrap_err();
    assert_eq!(e.reason(), "promise is already done");
    assert!(!p.cancel(), "cancel of a done promise reports false");
    let c = Promise::<u8>::new();
    assert!(c.cancel());
    assert!(c.set_result(1).is_err(), "a cancelled promise is done too");
    let x = Promise::<Result<u8, String>>::new();
    x.set_exception("boom".into()).unwrap();
    assert!(x.set_exception("again".into()).is_err());
}

#[test]
fn result_of_a_pending_promise_is_invalid_state_and_of_a_cancelled_one_cancelled() {
    let p = Promise::<u8>::new();
    assert!(matches!(p.result(), Err(ResultError::InvalidState(_))));
    p.cancel();
    assert_eq!(p.result(), Err(ResultError::Cancelled(Cancelled)));
}

#[test]
fn done_callbacks_run_via_the_loop_in_fifo_order() {
    let mut lp = EventLoop::new().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    lp.run_until_complete(async move {
        let p = Promise::new();
        for i in 0..5 {
            let l = l.clone();
            p.add_done_callback(move |p| {
                l.lock()
                    .unwrap()
                    .push(format!("cb{i}={}", p.result().unwrap()))
            });
        }
        p.set_result(7).unwrap();
        // Never inside set_result.
        assert!(l.lock().unwrap().is_empty());
        // A callback added after completion is scheduled too, after the others.
        let l2 = l.clone();
        p.add_done_callback(move |_| l2.lock().unwrap().push("late".into()));
        weft::yield_now().await;
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["cb0=7", "cb1=7", "cb2=7", "cb3=7", "cb4=7", "late"]
    );
}

#[test]
fn many_awaiters_each_get_the_result() {
    let mut lp = EventLoop::new().unwrap();
    let out = lp.run_until_complete(async {
        let p = Promise::new();
        let waiters: Vec<_> = (0..10).map(|_| weft::spawn(p.clone())).collect();
        weft::yield_now().await;
        p.set_result("shared".to_string()).unwrap();
        let mut got = Vec::new();
        for w in waiters {
            got.push(w.await.unwrap().unwrap());
        }
        got
    });
    assert_eq!(out, vec!["shared".to_string(); 10]);
}

#[test]
fn awaiting_a_cancelled_promise_gives_cancelled() {
    let mut lp = EventLoop::new().unwrap();
    let r = lp.run_until_complete(async {
        let p = Promise::<u8>::new();
        let q = p.clone();
        weft::Handle::current().call_soon(move || {
            q.cancel();
        });
        p.await
    });
    assert_eq!(r, Err(Cancelled));
}

#[test]
fn a_promise_set_from_another_thread_wakes_its_awaiter() {
    let mut lp = EventLoop::new().unwrap();
    let r = lp.run_until_complete(async {
        let p = Promise::new();
        let q = p.clone();
        let t = std::thread::spawn(move || q.set_result(99u32).unwrap());
        let v = p.await;
        t.join().unwrap();
        v
    });
    assert_eq!(r, Ok(99));
}

#[test]
fn set_after_completes_at_the_exact_virtual_instant() {
    let mut lp = EventLoop::new().unwrap().paused();
    let h = lp.handle();
    let t0 = h.time();
    let v = lp.run_until_complete(async {
        let fut = Promise::new();
        let setter = fut.clone();
        weft::spawn(async move {
            weft::sleep(Duration::from_secs(1)).await;
            setter.set_result("... world").unwrap();
        });
        fut.await.unwrap()
    });
    assert_eq!(v, "... world");
    assert_eq!(h.time() - t0, Duration::from_secs(1));
}
