//! asyncio `Barrier` behaviours, on a paused weft loop (deterministic, no real
//! sleeping).

use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use weft_sync::{Barrier, BarrierWait, BrokenBarrierError};

/// A waker that counts its wakes.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

async fn yields(n: usize) {
    for _ in 0..n {
        weft::yield_now().await;
    }
}

type Waiter = weft::Task<Result<usize, BrokenBarrierError>>;

fn spawn_waiters(barrier: &Rc<Barrier>, n: usize) -> Vec<Waiter> {
    (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            weft::spawn(async move { barrier.wait().await })
        })
        .collect()
}

async fn results(tasks: Vec<Waiter>) -> Vec<Result<usize, BrokenBarrierError>> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[test]
fn barrier_and_its_future_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Barrier>();
    send_sync::<BarrierWait<'static>>();
}

#[test]
#[should_panic(expected = "at least one party")]
fn a_barrier_of_zero_parties_panics() {
    let _ = Barrier::new(0);
}

#[test]
fn a_fresh_barrier_reports_its_state() {
    let b = Barrier::new(3);
    assert_eq!(b.parties(), 3);
    assert_eq!(b.n_waiting(), 0);
    assert!(!b.broken());
}

#[weft::test(start_paused = true)]
async fn barrier_wait_returns_distinct_indices_0_to_n() {
    let barrier = Rc::new(Barrier::new(5));
    let tasks = spawn_waiters(&barrier, 5);
    let mut indices: Vec<usize> = results(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    indices.sort();
    assert_eq!(indices, [0, 1, 2, 3, 4]);
    assert_eq!(barrier.n_waiting(), 0);
}

#[weft::test(start_paused = true)]
async fn barrier_index_is_the_arrival_order() {
    let barrier = Rc::new(Barrier::new(4));
    // Spawned in one order, arriving in another (staggered in virtual time).
    let arrive_after = [2u64, 0, 3, 1];
    let tasks: Vec<_> = arrive_after
        .iter()
        .map(|&ms| {
            let barrier = barrier.clone();
            weft::spawn(async move {
                weft::sleep(Duration::from_millis(ms)).await;
                barrier.wait().await
            })
        })
        .collect();
    let indices: Vec<usize> = results(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(indices, [2, 0, 3, 1]);
}

#[weft::test(start_paused = true)]
async fn barrier_blocks_until_the_last_party_arrives() {
    let barrier = Rc::new(Barrier::new(3));
    let tasks = spawn_waiters(&barrier, 2);
    weft::sleep(Duration::from_secs(60)).await;
    assert!(tasks.iter().all(|t| !t.done()));
    assert_eq!(barrier.n_waiting(), 2);
    assert_eq!(barrier.wait().await, Ok(2)); // the last arrival gets parties - 1
    assert_eq!(results(tasks).await, [Ok(0), Ok(1)]);
}

#[weft::test(start_paused = true)]
async fn a_barrier_of_one_party_never_waits() {
    let barrier = Barrier::new(1);
    for _ in 0..3 {
        assert_eq!(barrier.wait().await, Ok(0));
    }
}

#[weft::test(start_paused = true)]
async fn barrier_is_reusable_across_generations() {
    let barrier = Rc::new(Barrier::new(3));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let barrier = barrier.clone();
            weft::spawn(async move {
                let mut rounds = Vec::new();
                for _ in 0..4 {
                    rounds.push(barrier.wait().await.unwrap());
                }
                rounds
            })
        })
        .collect();
    let mut per_task = Vec::new();
    for t in tasks {
        per_task.push(t.await.unwrap());
    }
    for round in 0..4 {
        let mut indices: Vec<usize> = per_task.iter().map(|r| r[round]).collect();
        indices.sort();
        assert_eq!(indices, [0, 1, 2], "round {round}");
    }
    assert_eq!(barrier.n_waiting(), 0);
}

#[weft::test(start_paused = true)]
async fn an_arrival_before_the_released_ones_run_joins_the_next_round() {
    let barrier = Rc::new(Barrier::new(2));
    let first = spawn_waiters(&barrier, 1);
    yields(1).await;
    assert_eq!(barrier.wait().await, Ok(1)); // releases `first`, which has not run yet
    let next = spawn_waiters(&barrier, 1);
    yields(1).await;
    assert_eq!(barrier.n_waiting(), 1, "the newcomer is in the next round");
    assert_eq!(results(first).await, [Ok(0)]);
    assert_eq!(barrier.wait().await, Ok(1));
    assert_eq!(results(next).await, [Ok(0)]);
}

#[weft::test(start_paused = true)]
async fn barrier_abort_breaks_waiting_and_future_waiters() {
    let barrier = Rc::new(Barrier::new(3));
    let tasks = spawn_waiters(&barrier, 2);
    yields(1).await;
    barrier.abort();
    assert!(barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(
        results(tasks).await,
        [Err(BrokenBarrierError), Err(BrokenBarrierError)]
    );
    // Stays broken: later waits fail at once, even a full round of them.
    let later = spawn_waiters(&barrier, 3);
    assert_eq!(results(later).await, [Err(BrokenBarrierError); 3]);
    assert!(barrier.broken());
}

#[weft::test(start_paused = true)]
async fn barrier_reset_breaks_the_current_round_and_empties_the_barrier() {
    let barrier = Rc::new(Barrier::new(3));
    let tasks = spawn_waiters(&barrier, 2);
    yields(1).await;
    assert_eq!(barrier.n_waiting(), 2);
    barrier.reset();
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(
        results(tasks).await,
        [Err(BrokenBarrierError), Err(BrokenBarrierError)]
    );
    // Usable again, with a full fresh round.
    let tasks = spawn_waiters(&barrier, 3);
    let mut indices: Vec<usize> = results(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    indices.sort();
    assert_eq!(indices, [0, 1, 2]);
}

#[weft::test(start_paused = true)]
async fn barrier_reset_after_abort_makes_it_usable_again() {
    let barrier = Rc::new(Barrier::new(2));
    barrier.abort();
    assert_eq!(barrier.wait().await, Err(BrokenBarrierError));
    barrier.reset();
    assert!(!barrier.broken());
    let tasks = spawn_waiters(&barrier, 2);
    assert_eq!(results(tasks).await, [Ok(0), Ok(1)]);
}

#[weft::test(start_paused = true)]
async fn barrier_reset_of_an_empty_barrier_changes_nothing() {
    let barrier = Rc::new(Barrier::new(2));
    barrier.reset();
    let tasks = spawn_waiters(&barrier, 2);
    assert_eq!(results(tasks).await, [Ok(0), Ok(1)]);
}

#[weft::test(start_paused = true)]
async fn barrier_waiter_cancelled_while_filling_leaves_the_round() {
    let barrier = Rc::new(Barrier::new(3));
    let tasks = spawn_waiters(&barrier, 2);
    yields(1).await;
    assert_eq!(barrier.n_waiting(), 2);
    assert!(tasks[0].cancel());
    yields(1).await;
    assert_eq!(
        barrier.n_waiting(),
        1,
        "the count drops when a waiter leaves"
    );
    // The round now needs two more arrivals; the indices stay 0..3.
    let more = spawn_waiters(&barrier, 1);
    weft::sleep(Duration::from_secs(1)).await;
    assert_eq!(barrier.n_waiting(), 2);
    assert!(!tasks[1].done());
    assert_eq!(barrier.wait().await, Ok(2));
    let mut tasks = tasks.into_iter();
    assert!(tasks.next().unwrap().await.unwrap_err().is_cancelled());
    assert_eq!(tasks.next().unwrap().await.unwrap(), Ok(0));
    assert_eq!(results(more).await, [Ok(1)]);
}

#[test]
fn barrier_waiter_dropped_after_release_does_not_affect_the_others() {
    let barrier = Barrier::new(2);
    let (a_wakes, a_waker) = counting_waker();
    let (_, b_waker) = counting_waker();
    let mut a = Box::pin(barrier.wait());
    assert!(a
        .as_mut()
        .poll(&mut Context::from_waker(&a_waker))
        .is_pending());
    let mut b = pin!(barrier.wait());
    assert_eq!(
        b.as_mut().poll(&mut Context::from_waker(&b_waker)),
        Poll::Ready(Ok(1))
    );
    assert_eq!(a_wakes.0.load(Ordering::SeqCst), 1);
    drop(a); // released but never looked
    assert_eq!(barrier.n_waiting(), 0);
    // The next round is unaffected.
    let mut c = Box::pin(barrier.wait());
    assert!(c
        .as_mut()
        .poll(&mut Context::from_waker(&a_waker))
        .is_pending());
    assert_eq!(barrier.n_waiting(), 1);
    let mut d = pin!(barrier.wait());
    assert_eq!(
        d.as_mut().poll(&mut Context::from_waker(&b_waker)),
        Poll::Ready(Ok(1))
    );
    assert_eq!(
        c.as_mut().poll(&mut Context::from_waker(&a_waker)),
        Poll::Ready(Ok(0))
    );
}

#[test]
fn barrier_waiter_dropped_before_its_first_poll_never_counted() {
    let barrier = Barrier::new(2);
    let unpolled = barrier.wait();
    assert_eq!(barrier.n_waiting(), 0);
    drop(unpolled);
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn barrier_across_threads_releases_every_party() {
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                weft::run(async move {
                    let mut seen = Vec::new();
                    for _ in 0..3 {
                        seen.push(barrier.wait().await.unwrap());
                    }
                    seen
                })
            })
        })
        .collect();
    let per_thread: Vec<Vec<usize>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for round in 0..3 {
        let mut indices: Vec<usize> = per_thread.iter().map(|s| s[round]).collect();
        indices.sort();
        assert_eq!(indices, [0, 1, 2, 3], "round {round}");
    }
}

#[test]
fn broken_barrier_error_displays_and_compares() {
    assert_eq!(
        BrokenBarrierError.to_string(),
        "the barrier was aborted or reset"
    );
    let e: Box<dyn std::error::Error> = Box::new(BrokenBarrierError);
    assert!(e.source().is_none());
}
