//! The orphan reaper: children whose [`Child`](super::Child) was dropped
//! before they were reaped are handed to one process-wide background thread,
//! which reaps them as they exit so that they do not stay zombies.
//!
//! The thread is started on the first orphan and then lives as long as the
//! process. It runs its own [`Reactor`]: each orphan gets an
//! [`ExitWatch`] (pidfd or `SIGCHLD`) registered there, and after every turn
//! the orphans are polled with a no-op waker. New orphans arrive through a
//! queue and an [`Unparker`].

use std::mem;
use std::process::Child as StdChild;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use super::watch::ExitWatch;
use crate::reactor::{Handle, Reactor, Unparker};

/// How often orphans without a watcher (fd exhaustion) are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Orphans not yet picked up by the reaper thread.
static QUEUE: Mutex<Vec<StdChild>> = Mutex::new(Vec::new());
/// The reaper thread's unparker; `None` if the thread could not be started.
static REAPER: OnceLock<Option<Unparker>> = OnceLock::new();

fn queue() -> MutexGuard<'static, Vec<StdChild>> {
    // A push or a drain cannot leave the vector inconsistent.
    QUEUE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Hands a child that has not been reaped to the reaper thread.
pub(crate) fn adopt(child: StdChild) {
    queue().push(child);
    match REAPER.get_or_init(start) {
        Some(unparker) => unparker.unpark(),
        None => {
            // No thread: reap what has exited, keep the rest for next time.
            queue().retain_mut(|child| !matches!(child.try_wait(), Ok(Some(_)) | Err(_)));
        }
    }
}

fn start() -> Option<Unparker> {
    let reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(error) => {
            tracing::warn!(%error, "cannot start the weft child reaper; dropped children may stay zombies");
            return None;
        }
    };
    let unparker = reactor.unparker();
    match thread::Builder::new()
        .name("weft-reaper".into())
        .spawn(move || run(reactor))
    {
        Ok(_) => Some(unparker),
        Err(error) => {
            tracing::warn!(%error, "cannot start the weft child reaper; dropped children may stay zombies");
            None
        }
    }
}

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

struct Orphan {
    child: StdChild,
    /// `None` if no watcher could be created (out of file descriptors): then
    /// the child is polled every `POLL_INTERVAL`.
    watch: Option<ExitWatch>,
}

impl Orphan {
    fn new(child: StdChild, handle: &Handle) -> Orphan {
        let watch = match ExitWatch::new(handle, &child) {
            Ok(watch) => Some(watch),
            Err(error) => {
                tracing::debug!(%error, pid = child.id(), "polling an orphaned child");
                None
            }
        };
        Orphan { child, watch }
    }

    /// Whether the child is gone (reaped, or not ours to reap any more).
    fn reaped(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(watch) = &mut self.watch {
            match watch.poll_exit(cx, &mut self.child) {
                Poll::Ready(Ok(_)) => return true,
                Poll::Pending => return false,
                Poll::Ready(Err(error)) => {
                    tracing::debug!(%error, pid = self.child.id(), "orphan watcher failed; polling");
                    self.watch = None;
                }
            }
        }
        // `Err` is `ECHILD`: someone else reaped it.
        !matches!(self.child.try_wait(), Ok(None))
    }
}

fn run(mut reactor: Reactor) {
    let handle = reactor.handle();
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut orphans: Vec<Orphan> = Vec::new();
    loop {
        let adopted = mem::take(&mut *queue());
        orphans.extend(adopted.into_iter().map(|child| Orphan::new(child, &handle)));
        orphans.retain_mut(|orphan| !orphan.reaped(&mut cx));
        let timeout = orphans
            .iter()
            .any(|orphan| orphan.watch.is_none())
            .then_some(POLL_INTERVAL);
        if let Err(error) = reactor.turn(timeout) {
            tracing::warn!(%error, "the weft child reaper failed to poll");
            thread::sleep(POLL_INTERVAL);
        }
    }
}
