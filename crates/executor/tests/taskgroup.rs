//! `weft::TaskGroup`: the behaviours of CPython's `test_taskgroups.py`, on a paused
//! clock with exact instants.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use weft::{ChildFailure, EventLoop, GroupClosed, Handle, TaskGroup, TaskGroupError};

fn paused() -> EventLoop {
    EventLoop::new().unwrap().paused()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

/// Time on the loop clock since `t0`.
fn since(t0: Instant) -> Duration {
    Handle::current().time() - t0
}

/// What happened to a child that is expected to be cancelled: when its cleanup (`Drop`)
/// ran, and whether it ever got past its sleep.
#[derive(Default)]
struct Fate {
    dropped_at: Cell<Option<Duration>>,
    finished: Cell<bool>,
}

/// Records the instant it is dropped into a [`Fate`].
struct Cleanup {
    fate: Rc<Fate>,
    t0: Instant,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.fate.dropped_at.set(Some(since(self.t0)));
    }
}

/// A child that sleeps `d`, then succeeds with `out`; records its fate.
fn sleeper<E>(
    fate: &Rc<Fate>,
    t0: Instant,
    d: Duration,
    out: u32,
) -> impl std::future::Future<Output = Result<u32, E>> {
    let fate = fate.clone();
    async move {
        let _cleanup = Cleanup {
            fate: fate.clone(),
            t0,
        };
        weft::sleep(d).await;
        fate.finished.set(true);
        Ok(out)
    }
}

/// A child that sleeps `d`, then fails with `msg`.
async fn failer<T>(d: Duration, msg: &'static str) -> Result<T, String> {
    weft::sleep(d).await;
    Err(msg.to_string())
}

fn error_messages<E: std::fmt::Display>(err: &TaskGroupError<E>) -> Vec<String> {
    err.errors.iter().map(|e| e.to_string()).collect()
}

#[test]
fn all_children_succeed_and_join_gives_outputs_in_spawn_order_when_the_last_finishes() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let group = TaskGroup::<u64, String>::new();
        for s in [3, 1, 2] {
            group
                .spawn(async move {
                    weft::sleep(secs(s)).await;
                    Ok(s * 10)
                })
                .unwrap();
        }
        assert_eq!(group.join().await.unwrap(), vec![30, 10, 20]);
        assert_eq!(since(t0), secs(3));
    });
}

#[test]
fn an_empty_group_joins_at_once() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let group = TaskGroup::<(), String>::new();
        assert_eq!(group.join().await.unwrap(), Vec::<()>::new());
        assert_eq!(since(t0), Duration::ZERO);
    });
}

#[test]
fn the_first_error_cancels_the_siblings_whose_drop_runs_and_who_never_finish() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let (b, c) = (Rc::new(Fate::default()), Rc::new(Fate::default()));
        let group = TaskGroup::<u32, String>::new();
        group.spawn(failer(secs(1), "a failed")).unwrap();
        group.spawn(sleeper(&b, t0, secs(10), 2)).unwrap();
        group.spawn(sleeper(&c, t0, secs(20), 3)).unwrap();

        let err = group.join().await.unwrap_err();
        // The siblings were cancelled at the failure's instant, and join returned then.
        assert_eq!(since(t0), secs(1));
        assert_eq!(error_messages(&err), ["a failed"]);
        assert!(!err.is_cancelled());
        for fate in [&b, &c] {
            assert_eq!(fate.dropped_at.get(), Some(secs(1)));
        }
        // Long after their deadlines, they still never finished.
        weft::sleep(secs(30)).await;
        assert!(!b.finished.get() && !c.finished.get());
    });
}

#[test]
fn children_failing_at_the_same_instant_all_report_their_errors() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let slow = Rc::new(Fate::default());
        let group = TaskGroup::<u32, String>::new();
        group.spawn(failer(secs(1), "first")).unwrap();
        group.spawn(sleeper(&slow, t0, secs(5), 0)).unwrap();
        group.spawn(failer(secs(1), "second")).unwrap();

        let err = group.join().await.unwrap_err();
        assert_eq!(since(t0), secs(1));
        assert_eq!(error_messages(&err), ["first", "second"]);
        assert_eq!(
            err.to_string(),
            "unhandled errors in a TaskGroup (2 sub-errors): first; second"
        );
        assert_eq!(slow.dropped_at.get(), Some(secs(1)));
        assert!(!slow.finished.get());
    });
}

#[test]
fn errors_are_listed_in_order_of_occurrence_not_spawn_order() {
    paused().run_until_complete(async {
        let group = TaskGroup::<(), String>::new();
        // Both fail at t = 1 s, but the first one's last timer was armed later (at
        // 0.5 s), so it fires, and fails, second.
        group
            .spawn(async {
                weft::sleep(ms(500)).await;
                failer(ms(500), "spawned first, failed second").await
            })
            .unwrap();
        group
            .spawn(failer(secs(1), "spawned second, failed first"))
            .unwrap();
        let err = group.join().await.unwrap_err();
        assert_eq!(
            error_messages(&err),
            [
                "spawned second, failed first",
                "spawned first, failed second"
            ]
        );
    });
}

#[test]
fn a_panic_counts_as_a_failure_and_cancels_the_siblings() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let sibling = Rc::new(Fate::default());
        let group = TaskGroup::<u32, String>::new();
        group.spawn(sleeper(&sibling, t0, secs(10), 1)).unwrap();
        group
            .spawn(async {
                weft::sleep(secs(2)).await;
                panic!("boom");
            })
            .unwrap();

        let err = group.join().await.unwrap_err();
        assert_eq!(since(t0), secs(2));
        assert_eq!(err.errors.len(), 1);
        match &err.errors[0] {
            ChildFailure::Panicked(p) => assert_eq!(p.message(), Some("boom")),
            other => panic!("expected a panic, got {other:?}"),
        }
        assert_eq!(sibling.dropped_at.get(), Some(secs(2)));
        assert!(!sibling.finished.get());
    });
}

#[test]
fn a_failure_cancels_the_siblings_even_before_the_owner_joins() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let sibling = Rc::new(Fate::default());
        let group = TaskGroup::<u32, String>::new();
        group.spawn(failer(secs(1), "early")).unwrap();
        group.spawn(sleeper(&sibling, t0, secs(10), 1)).unwrap();
        // The owner is busy elsewhere until t = 5 s.
        weft::sleep(secs(5)).await;
        assert_eq!(sibling.dropped_at.get(), Some(secs(1)));
        // A group shutting down refuses new children.
        assert_eq!(
            group.spawn(async { Ok(0) }).unwrap_err(),
            GroupClosed::ShuttingDown
        );
        let err = group.join().await.unwrap_err();
        assert_eq!(error_messages(&err), ["early"]);
        assert_eq!(since(t0), secs(5));
    });
}

#[test]
fn a_child_can_spawn_a_sibling_while_the_group_runs_and_join_waits_for_it() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let group = TaskGroup::<&'static str, String>::new();
        let spawner = group.clone();
        group
            .spawn(async move {
                weft::sleep(secs(1)).await;
                let late = spawner
                    .spawn(async {
                        weft::sleep(secs(2)).await;
                        Ok("grandchild")
                    })
                    .expect("an open group accepts children from its children");
                assert_eq!(late.index(), 1);
                Ok("child")
            })
            .unwrap();
        assert_eq!(group.join().await.unwrap(), ["child", "grandchild"]);
        assert_eq!(since(t0), secs(3));
    });
}

#[test]
fn spawning_into_a_finished_group_errors_and_drops_the_future_unrun() {
    paused().run_until_complete(async {
        let group = TaskGroup::<u32, String>::new();
        group.spawn(async { Ok(1) }).unwrap();
        assert_eq!(group.join().await.unwrap(), [1]);

        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let err = group
            .spawn(async move {
                r.set(true);
                Ok(2)
            })
            .unwrap_err();
        assert_eq!(err, GroupClosed::Finished);
        assert_eq!(err.to_string(), "the TaskGroup is finished");
        weft::yield_now().await;
        assert!(!ran.get());
        assert_eq!(Rc::strong_count(&ran), 1, "the refused future was dropped");
    });
}

#[test]
fn a_sibling_spawning_while_the_group_shuts_down_is_refused() {
    paused().run_until_complete(async {
        let group = TaskGroup::<(), String>::new();
        let refused = Rc::new(RefCell::new(None));
        group.spawn(failer(secs(1), "fail")).unwrap();
        let (spawner, seen) = (group.clone(), refused.clone());
        group
            .spawn(async move {
                weft::sleep(secs(1)).await; // wakes in the failure's turn, after it
                *seen.borrow_mut() = Some(spawner.spawn(async { Ok(()) }).map(|_| ()));
                Ok(())
            })
            .unwrap();
        let err = group.join().await.unwrap_err();
        assert_eq!(error_messages(&err), ["fail"]);
        assert_eq!(*refused.borrow(), Some(Err(GroupClosed::ShuttingDown)));
    });
}

#[test]
fn an_inner_group_failure_fails_the_outer_group_and_cancels_its_siblings() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let outer_sibling = Rc::new(Fate::default());
        let outer = TaskGroup::<u32, TaskGroupError<String>>::new();
        outer
            .spawn(async {
                let inner = TaskGroup::<u32, String>::new();
                inner.spawn(failer(secs(1), "inner failed")).unwrap();
                inner.spawn(async { Ok(7) }).unwrap();
                inner.join().await?;
                Ok(0)
            })
            .unwrap();
        outer
            .spawn(sleeper(&outer_sibling, t0, secs(10), 1))
            .unwrap();

        let err = outer.join().await.unwrap_err();
        assert_eq!(since(t0), secs(1));
        assert_eq!(err.errors.len(), 1);
        let inner_err = err.errors[0].error().expect("the inner group's error");
        assert_eq!(error_messages(inner_err), ["inner failed"]);
        assert_eq!(
            err.to_string(),
            "unhandled errors in a TaskGroup (1 sub-error): \
             unhandled errors in a TaskGroup (1 sub-error): inner failed"
        );
        assert_eq!(outer_sibling.dropped_at.get(), Some(secs(1)));
    });
}

#[test]
fn cancelling_the_outer_group_cancels_the_inner_groups_children() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let inner_children = [Rc::new(Fate::default()), Rc::new(Fate::default())];
        let outer = TaskGroup::<u32, TaskGroupError<String>>::new();
        let fates = inner_children.clone();
        outer
            .spawn(async move {
                let inner = TaskGroup::<u32, String>::new();
                for fate in &fates {
                    inner.spawn(sleeper(fate, t0, secs(10), 1)).unwrap();
                }
                let outs = inner.join().await?;
                Ok(outs.len() as u32)
            })
            .unwrap();
        outer
            .spawn(async {
                weft::sleep(secs(1)).await;
                Err(TaskGroupError {
                    errors: vec![ChildFailure::Error("outer failed".to_string())],
                })
            })
            .unwrap();

        let err = outer.join().await.unwrap_err();
        assert_eq!(err.errors.len(), 1);
        // The outer child owning the inner group was cancelled at 1 s: its `TaskGroupJoin` and
        // group were dropped, which cancelled the inner children (one turn later, still
        // at 1 s on the paused clock).
        assert_eq!(since(t0), secs(1));
        weft::sleep(secs(30)).await;
        for fate in &inner_children {
            assert_eq!(fate.dropped_at.get(), Some(secs(1)));
            assert!(!fate.finished.get());
        }
    });
}

#[test]
fn cancelling_the_owning_task_while_it_joins_cancels_the_children() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let children = [Rc::new(Fate::default()), Rc::new(Fate::default())];
        let fates = children.clone();
        let owner = weft::spawn(async move {
            let group = TaskGroup::<u32, String>::new();
            for (i, fate) in fates.iter().enumerate() {
                group.spawn(sleeper(fate, t0, secs(10), i as u32)).unwrap();
            }
            group.join().await
        });
        weft::sleep(secs(1)).await;
        assert!(owner.cancel());
        assert!(owner.await.unwrap_err().is_cancelled());
        weft::sleep(secs(30)).await;
        for fate in &children {
            assert_eq!(fate.dropped_at.get(), Some(secs(1)));
            assert!(!fate.finished.get());
        }
    });
}

#[test]
fn cancelling_the_owning_task_before_it_joins_cancels_the_children() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let child = Rc::new(Fate::default());
        let fate = child.clone();
        let owner = weft::spawn(async move {
            let group = TaskGroup::<u32, String>::new();
            group.spawn(sleeper(&fate, t0, secs(10), 0)).unwrap();
            weft::sleep(secs(5)).await; // the owner's body, cancelled at 2 s
            group.join().await
        });
        weft::sleep(secs(2)).await;
        owner.cancel();
        assert!(owner.await.unwrap_err().is_cancelled());
        weft::sleep(secs(30)).await;
        assert_eq!(child.dropped_at.get(), Some(secs(2)));
        assert!(!child.finished.get());
    });
}

#[test]
fn dropping_a_pending_join_cancels_the_children_and_a_new_join_reports_the_cancellation() {
    paused().run_until_complete(async {
        let t0 = Handle::current().time();
        let child = Rc::new(Fate::default());
        let group = TaskGroup::<u32, String>::new();
        group.spawn(sleeper(&child, t0, secs(60), 0)).unwrap();
        let timed_out = weft::wait_for(secs(1), group.join()).await;
        assert!(timed_out.is_err());
        // Dropping a clone does nothing; the group is shutting down because of the join.
        drop(group.clone());
        assert_eq!(
            group.spawn(async { Ok(1) }).unwrap_err(),
            GroupClosed::ShuttingDown
        );
        let err = group.join().await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.to_string(), "the task group was cancelled");
        assert_eq!(since(t0), secs(1));
        assert_eq!(child.dropped_at.get(), Some(secs(1)));
        assert!(!child.finished.get());
    });
}

#[test]
fn dropping_a_clone_does_not_cancel_the_group() {
    paused().run_until_complete(async {
        let group = TaskGroup::<u32, String>::new();
        let clone = group.clone();
        clone
            .spawn(async {
                weft::sleep(secs(1)).await;
                Ok(1)
            })
            .unwrap();
        drop(clone);
        assert_eq!(group.join().await.unwrap(), [1]);
    });
}

#[test]
fn closing_the_loop_with_a_running_group_drops_its_children() {
    let mut lp = paused();
    let child = Rc::new(Fate::default());
    let fate = child.clone();
    let owner = lp.spawn(async move {
        let t0 = Handle::current().time();
        let group = TaskGroup::<u32, String>::new();
        group.spawn(sleeper(&fate, t0, secs(10), 0)).unwrap();
        group.join().await
    });
    lp.run_until_complete(weft::sleep(secs(1)));
    lp.close();
    assert!(child.dropped_at.get().is_some());
    assert!(!child.finished.get());
    drop(owner);
}

#[test]
#[should_panic(expected = "already joined")]
fn joining_a_finished_group_again_panics() {
    paused().run_until_complete(async {
        let group = TaskGroup::<u32, String>::new();
        group.join().await.unwrap();
        let _ = group.join().await;
    });
}
