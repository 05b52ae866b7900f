//! asyncio's fd watchers and signal handlers: `add_reader` / `add_writer` /
//! `add_signal_handler`, each run as a named internal task of the loop.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use weft_reactor::fd::AsyncFd;
use weft_reactor::signal::Signal;
use weft_reactor::Interest;

use crate::core::Core;
use crate::task::{self, Task};

/// The loop's watchers, by fd and direction, and its signal handlers, by number.
#[derive(Default)]
pub(crate) struct Watchers {
    fds: HashMap<(RawFd, bool), Task<()>>,
    signals: HashMap<i32, Task<()>>,
}

impl Watchers {
    /// Cancels every watcher (loop shutdown).
    pub(crate) fn clear(&mut self) {
        let fds = self.fds.drain().map(|(_, t)| t);
        for t in fds.chain(self.signals.drain().map(|(_, t)| t)) {
            t.cancel();
        }
    }
}

/// Starts calling `callback` whenever `fd` is readable (`write == false`) or writable,
/// replacing a previous watcher of the same fd and direction. Level-triggered, as
/// asyncio's: after each call the fd is checked again, and while it stays ready the
/// callback runs once per loop turn.
#[track_caller]
pub(crate) fn add_fd(
    core: &Core,
    fd: impl AsFd,
    write: bool,
    mut callback: impl FnMut() + 'static,
) -> io::Result<()> {
    let raw = fd.as_fd().as_raw_fd();
    // Our own descriptor of the same open file: the watcher stays valid on its own.
    let owned = fd.as_fd().try_clone_to_owned()?;
    let interest = if write {
        Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    let afd = {
        let _reactor = core.reactor.borrow().enter();
        AsyncFd::with_interest(owned, interest)?
    };
    let name = format!(
        "{}(fd {raw})",
        if write { "add_writer" } else { "add_reader" }
    );
    let watcher = async move {
        loop {
            let guard = if write {
                afd.writable().await
            } else {
                afd.readable().await
            };
            let Ok(guard) = guard else { return };
            callback();
            // Level-triggered: clear readiness only if the fd is no longer ready.
            if guard.recheck().is_err() {
                return;
            }
            weft_futures::yield_now().await;
        }
    };
    let t = task::spawn_local(
        core,
        watcher,
        Some(name.into()),
        std::panic::Location::caller(),
    );
    if let Some(old) = core.watchers.borrow_mut().fds.insert((raw, write), t) {
        old.cancel();
    }
    Ok(())
}

/// Stops watching `fd` in one direction; returns whether it was watched.
pub(crate) fn remove_fd(core: &Core, fd: RawFd, write: bool) -> bool {
    let t = core.watchers.borrow_mut().fds.remove(&(fd, write));
    t.map(|t| t.cancel()).is_some()
}

/// Runs `callback` on the loop for each delivery of `signum` (deliveries between two
/// runs coalesce), replacing a previous handler of the same signal.
#[track_caller]
pub(crate) fn add_signal(
    core: &Core,
    signum: i32,
    mut callback: impl FnMut() + 'static,
) -> io::Result<()> {
    let mut sig = Signal::with_handle(signum, &core.reactor.borrow().handle())?;
    let watcher = async move {
        loop {
            sig.recv().await;
            callback();
        }
    };
    let name = format!("add_signal_handler({signum})");
    let t = task::spawn_local(
        core,
        watcher,
        Some(name.into()),
        std::panic::Location::caller(),
    );
    if let Some(old) = core.watchers.borrow_mut().signals.insert(signum, t) {
        old.cancel();
    }
    Ok(())
}

/// Removes the handler of `signum`; returns whether there was one.
pub(crate) fn remove_signal(core: &Core, signum: i32) -> bool {
    let t = core.watchers.borrow_mut().signals.remove(&signum);
    t.map(|t| t.cancel()).is_some()
}
