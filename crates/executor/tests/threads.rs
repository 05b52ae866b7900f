//! Cross-thread entry into a loop: `call_soon_threadsafe`, `Handle::spawn` and `stop`
//! from another thread wake a loop that is blocked in the reactor.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use weft::EventLoop;

/// Starts `f` on another thread once the loop has run a callback and has nothing left
/// to do (so it goes to block in the reactor with no timeout).
fn from_another_thread(
    lp: &EventLoop,
    f: impl FnOnce(weft::Handle) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let h = lp.handle();
    lp.handle().call_soon(move || tx.send(()).unwrap());
    std::thread::spawn(move || {
        rx.recv().unwrap();
        f(h);
    })
}

#[test]
fn call_soon_threadsafe_wakes_a_loop_blocked_in_the_reactor() {
    let mut lp = EventLoop::new().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let hits2 = hits.clone();
    let t = from_another_thread(&lp, move |h| {
        let stopper = h.clone();
        h.call_soon_threadsafe(move || {
            hits2.fetch_add(1, Ordering::SeqCst);
            stopper.stop();
        });
    });
    lp.run_forever(); // no timers, nothing ready: returns only if the wake got through
    t.join().unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn handle_spawn_from_another_thread_wakes_a_loop_blocked_in_the_reactor() {
    let mut lp = EventLoop::new().unwrap();
    // The other thread hands the task over in a slot and signals through a promise.
    let slot = Arc::new(Mutex::new(None));
    let ready = weft::Promise::new();
    let (slot2, ready2) = (slot.clone(), ready.clone());
    let t = from_another_thread(&lp, move |h| {
        let task = h.spawn(async { std::thread::current().id() });
        *slot2.lock().unwrap() = Some(task);
        ready2.set_result(()).unwrap();
    });
    let loop_thread = std::thread::current().id();
    let v = lp.run_until_complete(async move {
        ready.await.unwrap();
        let task = slot.lock().unwrap().take().unwrap();
        task.await.unwrap()
    });
    t.join().unwrap();
    assert_eq!(
        v, loop_thread,
        "the spawned future ran on the loop's thread"
    );
}

#[test]
fn a_task_woken_from_another_thread_resumes_on_its_loop() {
    let mut lp = EventLoop::new().unwrap();
    let p = weft::Promise::new();
    let q = p.clone();
    let t = from_another_thread(&lp, move |_| q.set_result(11).unwrap());
    let r = lp.run_until_complete(async move { weft::spawn(p).await.unwrap() });
    t.join().unwrap();
    assert_eq!(r, Ok(11));
}

#[test]
fn stop_from_another_thread_ends_run_forever() {
    let mut lp = EventLoop::new().unwrap();
    let t = from_another_thread(&lp, |h| h.stop());
    lp.run_forever();
    t.join().unwrap();
}

#[test]
fn many_threads_hammering_call_soon_threadsafe_lose_nothing() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    let hits = Arc::new(AtomicUsize::new(0));
    const THREADS: usize = 4;
    const EACH: usize = 500;
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (h, hits) = (h.clone(), hits.clone());
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    let (hits, stopper) = (hits.clone(), h.clone());
                    h.call_soon_threadsafe(move || {
                        if hits.fetch_add(1, Ordering::SeqCst) + 1 == THREADS * EACH {
                            stopper.stop();
                        }
                    });
                }
            })
        })
        .collect();
    lp.run_forever();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(hits.load(Ordering::SeqCst), THREADS * EACH);
}

#[test]
fn handle_spawn_on_a_closed_loop_resolves_to_cancelled() {
    let mut lp = EventLoop::new().unwrap();
    let h = lp.handle();
    lp.close();
    let t = std::thread::spawn(move || h.spawn(async { 1 }))
        .join()
        .unwrap();
    let mut other = EventLoop::new().unwrap();
    assert!(other.run_until_complete(t).unwrap_err().is_cancelled());
}
