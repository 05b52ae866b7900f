//! `weft::wait` / `wait_timeout`, `weft::as_completed` and `weft::shield`: the
//! behaviours of CPython's `test_tasks.py` for `asyncio.wait`, `as_completed` and
//! `shield`, on a paused clock with exact instants.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_core::Stream;
use weft::{EventLoop, Handle, ReturnWhen, Task, TaskError};

fn paused() -> EventLoop {
    EventLoop::new().unwrap().paused()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

fn since(t0: Instant) -> Duration {
    Handle::current().time() - t0
}

/// A task that sleeps `s` seconds, then returns `s`.
fn sleeper(s: u64) -> Task<u64> {
    weft::spawn(async move {
        weft::sleep(secs(s)).await;
        s
    })
}

/// A task that sleeps `s` seconds, then panics.
fn panicker(s: u64) -> Task<u64> {
    weft::spawn(async move {
        weft::sleep(secs(s)).await;
        panic!("failed at {s}");
    })
}

/// The next item of any `Unpin` stream, through the `Stream` trait alone.
async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

fn indices<T>(done: &[weft::Done<T>]) -> Vec<usize> {
    done.iter().map(|d| d.index).collect()
}

// ---------------------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------------------

#[test]
fn wait_first_completed_returns_at_the_first_completion_with_the_rest_pending_and_running() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let tasks = vec![sleeper(3), sleeper(1), sleeper(2)];
        let ids: Vec<u64> = tasks.iter().map(Task::id).collect();

        let (done, pending) = weft::wait(tasks, ReturnWhen::FirstCompleted).await;
        assert_eq!(since(t0), secs(1));
        assert_eq!(indices(&done), [1]);
        assert_eq!(done[0].id, ids[1]);
        assert_eq!(*done[0].result.as_ref().unwrap(), 1);
        // Pending, in argument order, and not cancelled: they finish on their own.
        assert_eq!(
            pending.iter().map(Task::id).collect::<Vec<_>>(),
            [ids[0], ids[2]]
        );
        assert!(pending.iter().all(|t| !t.done()));
        let mut finished = Vec::new();
        for t in pending {
            finished.push((t.await.unwrap(), since(t0)));
        }
        assert_eq!(finished, [(3, secs(3)), (2, secs(3))]);
    });
}

#[test]
fn wait_first_completed_includes_every_task_finishing_in_the_same_turn() {
    paused().run_until_complete(async {
        let (done, pending) = weft::wait(
            vec![sleeper(2), sleeper(1), sleeper(1)],
            ReturnWhen::FirstCompleted,
        )
        .await;
        assert_eq!(indices(&done), [1, 2]);
        assert_eq!(pending.len(), 1);
    });
}

#[test]
fn wait_with_tasks_already_done_returns_them_at_once() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let quick = weft::spawn(async { 5 });
        weft::yield_now().await;
        assert!(quick.done());
        let (done, pending) = weft::wait(vec![sleeper(1), quick], ReturnWhen::FirstCompleted).await;
        assert_eq!(since(t0), Duration::ZERO);
        assert_eq!(indices(&done), [1]);
        assert_eq!(*done[0].result.as_ref().unwrap(), 5);
        assert_eq!(pending.len(), 1);
    });
}

#[test]
fn wait_first_exception_returns_at_the_first_panic() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let tasks = vec![sleeper(1), panicker(2), sleeper(3)];
        let (done, pending) = weft::wait(tasks, ReturnWhen::FirstException).await;
        assert_eq!(since(t0), secs(2));
        assert_eq!(indices(&done), [0, 1]);
        assert!(!done[0].is_panic());
        assert!(done[1].is_panic());
        match &done[1].result {
            Err(TaskError::Panicked(p)) => assert_eq!(p.message(), Some("failed at 2")),
            other => panic!("expected a panic, got {other:?}"),
        }
        assert_eq!(pending.len(), 1);
        assert_eq!(pending.into_iter().next().unwrap().await.unwrap(), 3);
        assert_eq!(since(t0), secs(3));
    });
}

#[test]
fn wait_first_exception_without_any_panic_waits_for_all_and_a_cancellation_is_no_exception() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let cancelled = sleeper(1);
        cancelled.cancel();
        let (done, pending) = weft::wait(
            vec![sleeper(2), cancelled, sleeper(3)],
            ReturnWhen::FirstException,
        )
        .await;
        assert_eq!(since(t0), secs(3));
        assert!(pending.is_empty());
        assert_eq!(indices(&done), [0, 1, 2]);
        assert!(done[1].result.as_ref().unwrap_err().is_cancelled());
        assert!(!done[1].is_panic());
    });
}

#[test]
fn wait_all_completed_waits_for_every_task_and_keeps_argument_order() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let (done, pending) = weft::wait(
            vec![sleeper(3), panicker(1), sleeper(2)],
            ReturnWhen::AllCompleted,
        )
        .await;
        assert_eq!(since(t0), secs(3));
        assert!(pending.is_empty());
        assert_eq!(indices(&done), [0, 1, 2]);
        assert_eq!(*done[0].result.as_ref().unwrap(), 3);
        assert!(done[1].is_panic());
        assert_eq!(*done[2].result.as_ref().unwrap(), 2);
    });
}

#[test]
fn wait_timeout_returns_at_the_exact_deadline_with_the_unfinished_tasks_still_running() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let (done, pending) = weft::wait_timeout(
            vec![sleeper(1), sleeper(2), sleeper(3)],
            ReturnWhen::AllCompleted,
            ms(1500),
        )
        .await;
        assert_eq!(since(t0), ms(1500));
        assert_eq!(indices(&done), [0]);
        assert_eq!(pending.len(), 2);
        let outs: Vec<u64> = weft::gather(pending)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(outs, [2, 3]);
        assert_eq!(since(t0), secs(3));
    });
}

#[test]
fn wait_timeout_returns_early_once_the_condition_is_met() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let (done, pending) = weft::wait_timeout(
            vec![sleeper(1), sleeper(2)],
            ReturnWhen::AllCompleted,
            secs(10),
        )
        .await;
        assert_eq!(since(t0), secs(2));
        assert_eq!(indices(&done), [0, 1]);
        assert!(pending.is_empty());
    });
}

#[test]
fn wait_on_no_tasks_returns_at_once() {
    paused().run_until_complete(async {
        let (done, pending) = weft::wait(Vec::<Task<()>>::new(), ReturnWhen::FirstCompleted).await;
        assert!(done.is_empty() && pending.is_empty());
    });
}

#[test]
fn dropping_a_wait_cancels_nothing() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let finished = Rc::new(Cell::new(false));
        let f = finished.clone();
        let task = weft::spawn(async move {
            weft::sleep(secs(2)).await;
            f.set(true);
        });
        let id = task.id();
        let timed_out =
            weft::wait_for(secs(1), weft::wait(vec![task], ReturnWhen::AllCompleted)).await;
        assert!(timed_out.is_err());
        weft::sleep(secs(1)).await;
        assert!(finished.get(), "task {id} was detached, not cancelled");
        assert_eq!(since(t0), secs(2));
    });
}

#[test]
fn waiting_again_on_the_pending_tasks_drains_them_one_by_one() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let mut pending = vec![sleeper(3), sleeper(1), sleeper(2)];
        let mut order = Vec::new();
        while !pending.is_empty() {
            let (done, rest) = weft::wait(pending, ReturnWhen::FirstCompleted).await;
            for d in done {
                order.push((d.result.unwrap(), since(t0)));
            }
            pending = rest;
        }
        assert_eq!(order, [(1, secs(1)), (2, secs(2)), (3, secs(3))]);
    });
}

// ---------------------------------------------------------------------------------------
// as_completed
// ---------------------------------------------------------------------------------------

#[test]
fn as_completed_yields_outputs_in_completion_order_at_their_instants() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let mut stream = weft::as_completed([3u64, 1, 2].map(|s| async move {
            weft::sleep(secs(s)).await;
            s
        }));
        let mut seen = Vec::new();
        while let Some(s) = stream.next().await {
            seen.push((s, since(t0)));
        }
        assert_eq!(seen, [(1, secs(1)), (2, secs(2)), (3, secs(3))]);
    });
}

#[test]
fn as_completed_over_tasks_yields_their_results_including_panics() {
    paused().run_until_complete(async {
        let mut stream = weft::as_completed(vec![sleeper(3), panicker(1), sleeper(2)]);
        assert_eq!(stream.len(), 3);
        let first = stream.next().await.unwrap();
        assert!(first.unwrap_err().is_panic());
        assert_eq!(stream.next().await.unwrap().unwrap(), 2);
        assert_eq!(stream.next().await.unwrap().unwrap(), 3);
        assert!(stream.next().await.is_none());
        assert!(stream.is_empty());
    });
}

#[test]
fn as_completed_yields_same_turn_completions_in_wake_order() {
    paused().run_until_complete(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        // Both finish at 1 s; the first one's final timer was armed later, so it fires
        // second.
        let late_armed = {
            let log = log.clone();
            Box::pin(async move {
                weft::sleep(ms(500)).await;
                weft::sleep(ms(500)).await;
                log.borrow_mut().push("a");
                "a"
            }) as Pin<Box<dyn Future<Output = &str>>>
        };
        let early_armed = {
            let log = log.clone();
            Box::pin(async move {
                weft::sleep(secs(1)).await;
                log.borrow_mut().push("b");
                "b"
            }) as Pin<Box<dyn Future<Output = &str>>>
        };
        let mut stream = weft::as_completed(vec![late_armed, early_armed]);
        let mut seen = Vec::new();
        while let Some(s) = stream.next().await {
            seen.push(s);
        }
        assert_eq!(seen, ["b", "a"]);
        assert_eq!(*log.borrow(), ["b", "a"]);
    });
}

#[test]
fn as_completed_of_nothing_ends_at_once() {
    paused().run_until_complete(async {
        let mut stream = weft::as_completed(Vec::<Task<()>>::new());
        assert!(stream.next().await.is_none());
    });
}

#[test]
fn as_completed_is_a_futures_core_stream() {
    paused().run_until_complete(async {
        let mut stream = weft::as_completed(vec![sleeper(2), sleeper(1)]);
        assert_eq!(stream.size_hint(), (2, Some(2)));
        assert_eq!(next(&mut stream).await.unwrap().unwrap(), 1);
        assert_eq!(stream.size_hint(), (1, Some(1)));
        assert_eq!(next(&mut stream).await.unwrap().unwrap(), 2);
        assert!(next(&mut stream).await.is_none());
        assert!(futures_core::FusedStream::is_terminated(&stream));
    });
}

// ---------------------------------------------------------------------------------------
// shield
// ---------------------------------------------------------------------------------------

#[test]
fn cancelling_the_outer_task_leaves_the_shielded_future_running_to_completion() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let finished_at = Rc::new(Cell::new(None));
        let f = finished_at.clone();
        let outer = weft::spawn(async move {
            weft::shield(async move {
                weft::sleep(secs(3)).await;
                f.set(Some(since(t0)));
                "inner done"
            })
            .await
        });
        weft::sleep(secs(1)).await;
        assert!(outer.cancel());
        assert!(outer.await.unwrap_err().is_cancelled());
        assert_eq!(since(t0), secs(1));
        assert_eq!(finished_at.get(), None, "still running");
        weft::sleep(secs(5)).await;
        assert_eq!(finished_at.get(), Some(secs(3)));
    });
}

#[test]
fn awaiting_a_shield_gives_the_inner_output() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let out = weft::shield(async {
            weft::sleep(secs(2)).await;
            42
        })
        .await;
        assert_eq!(out.unwrap(), 42);
        assert_eq!(since(t0), secs(2));

        let panicked = weft::shield(async { panic!("inner boom") }).await;
        match panicked {
            Err(TaskError::Panicked(p)) => assert_eq!(p.message(), Some("inner boom")),
            other => panic!("expected the inner panic, got {other:?}"),
        }
    });
}

#[test]
fn a_wait_for_timeout_around_a_shield_leaves_the_inner_running() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let finished_at = Rc::new(Cell::new(None));
        let f = finished_at.clone();
        let r = weft::wait_for(
            secs(1),
            weft::shield(async move {
                weft::sleep(secs(2)).await;
                f.set(Some(since(t0)));
            }),
        )
        .await;
        assert!(r.is_err());
        weft::sleep(secs(2)).await;
        assert_eq!(finished_at.get(), Some(secs(2)));
    });
}

#[test]
fn a_shield_cancelled_through_its_task_resolves_cancelled() {
    paused().run_until_complete(async {
        let task = weft::shield(std::future::pending::<()>()).into_task();
        weft::yield_now().await;
        assert!(task.cancel());
        assert!(task.await.unwrap_err().is_cancelled());
    });
}
