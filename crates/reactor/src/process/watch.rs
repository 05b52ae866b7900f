//! Waiting for one child's exit without blocking: through a pidfd where the
//! kernel has them (Linux >= 5.3), else through `SIGCHLD`.
//!
//! Either way the status itself is collected with a non-blocking `waitpid`
//! on the child's own pid (`std::process::Child::try_wait`), never with
//! `waitpid(-1)`, so children spawned by other code are left alone.

use std::io;
use std::process::{Child as StdChild, ExitStatus};
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;

use crate::reactor::Handle;
use crate::signal::{Signal, SIGCHLD};

#[cfg(target_os = "linux")]
use crate::{fd::FdSource, fd::Registered, ready::Direction};

/// Not known yet whether `pidfd_open` works.
const UNKNOWN: u8 = 0;
/// `pidfd_open` worked once.
const PIDFD: u8 = 1;
/// `pidfd_open` is unavailable (or disabled): use `SIGCHLD`.
const SIGCHLD_ONLY: u8 = 2;

static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Makes every watcher created from now on use `SIGCHLD` (for tests of the
/// fallback on kernels that do have pidfds).
pub(crate) fn force_sigchld() {
    MODE.store(SIGCHLD_ONLY, Ordering::Relaxed);
}

/// Whether new watchers use pidfds (`Some(true)`), `SIGCHLD` (`Some(false)`),
/// or that is not known until the first child is spawned (`None`).
pub(crate) fn uses_pidfd() -> Option<bool> {
    match MODE.load(Ordering::Relaxed) {
        PIDFD => Some(true),
        SIGCHLD_ONLY => Some(false),
        _ => None,
    }
}

/// Wakes a task when one child process may have exited.
pub(crate) enum ExitWatch {
    /// A pidfd (readable once the process has exited) registered with the
    /// reactor.
    #[cfg(target_os = "linux")]
    Pidfd(Registered<FdSource<OwnedFd>>),
    /// A `SIGCHLD` stream: any child's exit wakes it, then we ask ours.
    Sigchld(Signal),
}

impl ExitWatch {
    /// Watches `child`, which must not have been reaped, with the reactor of
    /// `handle`.
    pub(crate) fn new(handle: &Handle, child: &StdChild) -> io::Result<ExitWatch> {
        #[cfg(target_os = "linux")]
        if MODE.load(Ordering::Relaxed) != SIGCHLD_ONLY {
            use rustix::io::Errno;
            use rustix::process::{pidfd_open, Pid, PidfdFlags};
            match pidfd_open(Pid::from_child(child), PidfdFlags::empty()) {
                Ok(fd) => {
                    // Only ever moves from UNKNOWN: a forced fallback stays.
                    let _ =
                        MODE.compare_exchange(UNKNOWN, PIDFD, Ordering::Relaxed, Ordering::Relaxed);
                    let watch =
                        Registered::with_handle(handle, FdSource(fd), mio::Interest::READABLE)?;
                    return Ok(ExitWatch::Pidfd(watch));
                }
                // Kernel older than 5.3, or a seccomp filter that hides it.
                Err(errno) if errno == Errno::NOSYS || errno == Errno::PERM => {
                    tracing::debug!(%errno, "pidfd_open unavailable; watching children through SIGCHLD");
                    MODE.store(SIGCHLD_ONLY, Ordering::Relaxed);
                }
                Err(errno) => return Err(errno.into()),
            }
        }
        Ok(ExitWatch::Sigchld(Signal::with_handle(SIGCHLD, handle)?))
    }

    /// Reaps `child` if it has exited; otherwise arranges for `cx` to be
    /// woken when it may have.
    pub(crate) fn poll_exit(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut StdChild,
    ) -> Poll<io::Result<ExitStatus>> {
        loop {
            // Ask first: an exit before the watcher existed left no event.
            if let Some(status) = child.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match self {
                #[cfg(target_os = "linux")]
                ExitWatch::Pidfd(pidfd) => match pidfd.poll_ready(cx, Direction::Read) {
                    // Clear, then ask again: an exit after this point is a new
                    // edge and wakes us.
                    Poll::Ready(Ok(ready)) => pidfd.clear_ready(ready),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                },
                ExitWatch::Sigchld(sigchld) => match sigchld.poll_recv_io(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}
