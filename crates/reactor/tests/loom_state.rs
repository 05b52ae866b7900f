//! loom models of a source's readiness state (`SourceState`), shared by the reactor
//! thread (`dispatch`, `shutdown`) and the tasks polling the source from their loop
//! (`poll_ready`, `clear_ready`): no event may be lost between a task's look at the
//! readiness and the storing of its waker, nor wiped by a `clear_ready` that acted on
//! an older snapshot.
#![cfg(loom)]

use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use weft_reactor::__loom::{SourceState, READABLE, WRITABLE};
use weft_reactor::Direction;

/// Counts wakes.
struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Count {
    fn woken(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A poll that raced an event either saw it or was woken by it, once.
fn seen_or_woken<T>(polled: &Poll<T>, count: &Count) -> bool {
    polled.is_ready() || count.woken() == 1
}

fn waker() -> (StdArc<Count>, Waker) {
    let c = StdArc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

fn dispatch(state: &SourceState, bits: usize) {
    let mut wakers = Vec::new();
    state.dispatch(bits, &mut wakers);
    wakers.into_iter().for_each(Waker::wake);
}

/// The reactor thread: dispatches each of `events` in turn.
fn reactor(state: &Arc<SourceState>, events: &'static [usize]) -> thread::JoinHandle<()> {
    let state = state.clone();
    thread::spawn(move || events.iter().for_each(|&bits| dispatch(&state, bits)))
}

#[test]
fn an_event_racing_the_first_poll_is_seen_or_wakes_the_task() {
    loom::model(|| {
        let state = Arc::new(SourceState::new(0));
        let reactor = reactor(&state, &[READABLE]);
        let (count, w) = waker();
        let polled = state.poll_ready(&mut Context::from_waker(&w), Direction::Read);
        reactor.join().unwrap();
        assert!(
            seen_or_woken(&polled, &count),
            "the event was neither seen nor woken"
        );
    });
}

#[test]
fn a_clear_on_an_old_snapshot_keeps_a_newer_event() {
    loom::model(|| {
        let state = Arc::new(SourceState::new(0));
        dispatch(&state, READABLE);
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(Ok(seen)) = state.poll_ready(&mut cx, Direction::Read) else {
            panic!("readable before the race");
        };
        // The reactor reports a new arrival while the task clears what it saw.
        let reactor = reactor(&state, &[READABLE]);
        state.clear_ready(seen);
        let polled = state.poll_ready(&mut cx, Direction::Read);
        reactor.join().unwrap();
        assert!(seen_or_woken(&polled, &count), "the newer event was lost");
    });
}

#[test]
fn directions_do_not_steal_each_others_wakeups() {
    loom::model(|| {
        let state = Arc::new(SourceState::new(0));
        let (reads, rw) = waker();
        let (writes, ww) = waker();
        let reactor = reactor(&state, &[WRITABLE]);
        let r = state.poll_ready(&mut Context::from_waker(&rw), Direction::Read);
        let w = state.poll_ready(&mut Context::from_waker(&ww), Direction::Write);
        reactor.join().unwrap();
        assert!(r.is_pending() && reads.woken() == 0);
        assert!(seen_or_woken(&w, &writes));
    });
}

#[test]
fn shutdown_racing_a_poll_fails_or_wakes_the_waiter() {
    loom::model(|| {
        let state = Arc::new(SourceState::new(0));
        let reactor = {
            let state = state.clone();
            thread::spawn(move || {
                let mut wakers = Vec::new();
                state.shutdown(&mut wakers);
                wakers.into_iter().for_each(Waker::wake);
            })
        };
        let (count, w) = waker();
        let polled = state.poll_ready(&mut Context::from_waker(&w), Direction::Read);
        reactor.join().unwrap();
        match polled {
            Poll::Ready(Err(_)) => {}
            Poll::Ready(Ok(_)) => panic!("no readiness was ever reported"),
            Poll::Pending => assert_eq!(count.woken(), 1),
        }
        let again = state.poll_ready(&mut Context::from_waker(&w), Direction::Read);
        assert!(matches!(again, Poll::Ready(Err(_))), "shut down for good");
    });
}

/// `dispatch` only looks at a direction's waker slot when the event makes that
/// direction ready. epoll reports a socket that was writable all along with every
/// arrival of data: the write side is skipped, and the reader must still be woken.
#[test]
fn an_event_for_a_direction_already_ready_still_wakes_the_other() {
    loom::model(|| {
        let state = Arc::new(SourceState::new(0));
        dispatch(&state, WRITABLE);
        let reactor = reactor(&state, &[READABLE | WRITABLE]);
        let (count, w) = waker();
        let polled = state.poll_ready(&mut Context::from_waker(&w), Direction::Read);
        reactor.join().unwrap();
        assert!(
            seen_or_woken(&polled, &count),
            "the read event was neither seen nor woken"
        );
    });
}

/// Two events race a task that clears what it saw and waits again: the first event
/// may find the direction still ready and skip the slot; then the clear fails (a
/// newer tick) or the second event finds the direction cleared and wakes the task.
#[test]
fn events_racing_a_clear_and_a_wait_are_seen_or_wake_the_task() {
    loom::model(|| {
        let state = Arc::new(SourceState::new(0));
        dispatch(&state, WRITABLE);
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(Ok(seen)) = state.poll_ready(&mut cx, Direction::Write) else {
            panic!("writable before the race");
        };
        let reactor = reactor(&state, &[WRITABLE, WRITABLE]);
        state.clear_ready(seen);
        let polled = state.poll_ready(&mut cx, Direction::Write);
        reactor.join().unwrap();
        assert!(
            polled.is_ready() || count.woken() >= 1,
            "the write events were lost"
        );
    });
}
