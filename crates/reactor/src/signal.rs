//! Unix signals as async streams: asyncio's `loop.add_signal_handler` and a
//! [`ctrl_c`] future.
//!
//! # How it works
//!
//! Every [`Signal`] owns a self-pipe (a non-blocking `socketpair`): its read
//! end is registered with the reactor of the signal's loop, and its write end
//! is handed to a process-wide signal handler (through `signal-hook`, which
//! installs one `sigaction` handler per signal number and runs every action
//! registered for it). The handler is async-signal-safe: for each `Signal`
//! registered for the delivered signal it does one non-blocking `send(2)` of
//! one byte, nothing else (no allocation, no lock; `errno` is preserved).
//!
//! A `Signal` waiting in [`recv`](Signal::recv) is woken by that byte; it
//! drains its pipe and completes. So:
//!
//! * **Several deliveries coalesce.** Signals that arrive while nobody polls
//!   (or between two polls) complete one `recv`, not one each, just as the
//!   kernel coalesces a pending signal. `recv` means "at least one delivery
//!   since the previous `recv` (or since the `Signal` was created)".
//! * **Every `Signal` sees every delivery.** Two `Signal`s for the same
//!   signal, on the same or on different loops (threads), are independent:
//!   each has its own pipe and registration. (A single pipe shared by several
//!   loops would not work: the loop that drains it first would make the
//!   others' pending epoll events vanish.)
//!
//! # Effect on the process
//!
//! While a `Signal` for it exists, a signal no longer has its default effect
//! (the process does not die or stop on it): it is only reported to the
//! registered `Signal`s, as with asyncio's `add_signal_handler`. Once the last
//! `Signal` for it is dropped, the signal gets its default effect back (as
//! asyncio's `remove_signal_handler` restores it): a Ctrl+C outside any
//! listener ends the program again. A handler that was installed by other code
//! before is kept and still called ("chained"). `SIGKILL`, `SIGSTOP`,
//! `SIGILL`, `SIGFPE` and `SIGSEGV` cannot be handled this way.
//!
//! # Examples
//!
//! ```
//! use weft_reactor::signal::{self, Signal};
//!
//! weft::run(async {
//!     let mut usr1 = Signal::new(signal::SIGUSR1)?;
//!     signal::raise(signal::SIGUSR1)?;
//!     usr1.recv().await;
//!     println!("got SIGUSR1");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use mio::net::UnixStream;
use mio::Interest;
use rustix::process::Signal as Sig;
use signal_hook::SigId;

use crate::fd::Registered;
use crate::reactor::Handle;
use crate::ready::Direction;

/// `SIGHUP`: the controlling terminal hung up; daemons use it to reload.
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGHUP, 1);
/// ```
pub const SIGHUP: i32 = Sig::HUP.as_raw();
/// `SIGINT`: interrupt from the keyboard (Ctrl+C); see [`ctrl_c`].
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGINT, 2);
/// ```
pub const SIGINT: i32 = Sig::INT.as_raw();
/// `SIGQUIT`: quit from the keyboard (Ctrl+\\).
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGQUIT, 3);
/// ```
pub const SIGQUIT: i32 = Sig::QUIT.as_raw();
/// `SIGKILL`: cannot be caught; [`Signal::new`] refuses it. Useful with
/// [`Child::send_signal`](crate::process::Child::send_signal).
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGKILL, 9);
/// ```
pub const SIGKILL: i32 = Sig::KILL.as_raw();
/// `SIGUSR1`: user-defined signal 1.
///
/// ```
/// use weft_reactor::signal::{SIGUSR1, SIGUSR2};
/// assert_ne!(SIGUSR1, SIGUSR2);
/// ```
pub const SIGUSR1: i32 = Sig::USR1.as_raw();
/// `SIGUSR2`: user-defined signal 2.
///
/// ```
/// use weft_reactor::signal::{SIGUSR1, SIGUSR2};
/// assert_ne!(SIGUSR2, SIGUSR1);
/// ```
pub const SIGUSR2: i32 = Sig::USR2.as_raw();
/// `SIGPIPE`: write to a pipe with no reader. Rust programs ignore it by
/// default (writes fail with `EPIPE` instead).
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGPIPE, 13);
/// ```
pub const SIGPIPE: i32 = Sig::PIPE.as_raw();
/// `SIGALRM`: timer signal from `alarm(2)`.
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGALRM, 14);
/// ```
pub const SIGALRM: i32 = Sig::ALARM.as_raw();
/// `SIGTERM`: polite termination request (the default of `kill(1)`).
///
/// ```
/// assert_eq!(weft_reactor::signal::SIGTERM, 15);
/// ```
pub const SIGTERM: i32 = Sig::TERM.as_raw();
/// `SIGCHLD`: a child process stopped or terminated.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(weft_reactor::signal::SIGCHLD, 17);
/// ```
pub const SIGCHLD: i32 = Sig::CHILD.as_raw();
/// `SIGWINCH`: the terminal window changed size.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(weft_reactor::signal::SIGWINCH, 28);
/// ```
pub const SIGWINCH: i32 = Sig::WINCH.as_raw();

/// Sends `signum` to the calling thread (`raise(3)`); a handler for it runs
/// before this returns. Handy for tests, like Python's `signal.raise_signal`.
///
/// # Errors
///
/// Fails for an invalid signal number.
///
/// # Examples
///
/// ```
/// use weft_reactor::signal::{self, Signal};
///
/// weft::run(async {
///     let mut sig = Signal::new(signal::SIGUSR2)?;
///     signal::raise(signal::SIGUSR2)?;
///     sig.recv().await;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn raise(signum: i32) -> io::Result<()> {
    signal_hook::low_level::raise(signum)
}

/// How many [`Signal`]s (on any loop) listen for `signum` right now, not counting
/// [unclaimed](Signal::unclaimed) ones.
///
/// ```
/// use weft_reactor::signal::{self, Signal};
/// weft::run(async {
///     let before = signal::listeners(signal::SIGUSR2);
///     let _s = Signal::new(signal::SIGUSR2)?;
///     assert_eq!(signal::listeners(signal::SIGUSR2), before + 1);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn listeners(signum: i32) -> usize {
    listeners::count(signum)
}

/// Makes the process exit at once, with `status`, on any later delivery of `signum`
/// that finds `armed` set. The exit happens inside the signal handler (`_exit`: no
/// destructors run), so it works even while the loop is busy or blocked — this is
/// how `weft::run` makes a second Ctrl+C end the program immediately, as asyncio does.
///
/// # Errors
/// If the handler cannot be installed, or `signum` is one that cannot be handled.
///
/// ```
/// use std::sync::{atomic::AtomicBool, Arc};
/// use weft_reactor::signal;
/// let armed = Arc::new(AtomicBool::new(false)); // not armed: deliveries do nothing here
/// signal::exit_on_signal(signal::SIGUSR1, 1, armed.clone()).unwrap();
/// signal::raise(signal::SIGUSR1).unwrap(); // still alive
/// ```
pub fn exit_on_signal(
    signum: i32,
    status: i32,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> io::Result<()> {
    signal_hook::flag::register_conditional_shutdown(signum, status, armed).map(|_| ())
}

/// A stream of deliveries of one Unix signal to this process, bound to the
/// event loop it was created on (asyncio's `loop.add_signal_handler`).
///
/// Each completed [`recv`](Signal::recv) stands for at least one delivery:
/// deliveries that happen between two `recv`s coalesce into one (see the
/// [module documentation](self)). Deliveries that happened before the
/// `Signal` was created are not reported. `Signal` is also a
/// [`Stream`] of `()` that never ends.
///
/// While a `Signal` for it exists, the process does not die of that signal (see
/// [Effect on the process](self#effect-on-the-process)).
///
/// A `Signal` belongs to the reactor it was registered with; if that reactor
/// (its loop) is dropped, `recv` never completes.
///
/// # Examples
///
/// ```
/// use weft_reactor::signal::{self, Signal};
///
/// weft::run(async {
///     let mut hup = Signal::new(signal::SIGHUP)?;
///     signal::raise(signal::SIGHUP)?;
///     signal::raise(signal::SIGHUP)?;
///     hup.recv().await; // both deliveries, coalesced
///     assert_eq!(hup.signum(), signal::SIGHUP);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Signal {
    signum: i32,
    id: SigId,
    pipe: Registered<UnixStream>,
    /// `Some(key)` for an [`unclaimed`](Signal::unclaimed) listener: its key in the
    /// listeners table, which also holds a second descriptor of its pipe.
    unclaimed: Option<u64>,
}

impl Signal {
    /// Starts listening for `signum` on the current event loop.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a signal that cannot be caught (`SIGKILL`,
    /// `SIGSTOP`) or that signal-hook refuses to handle (`SIGILL`, `SIGFPE`,
    /// `SIGSEGV`); the OS error for an invalid signal number; or a failure to
    /// create or register the self-pipe (out of file descriptors).
    ///
    /// # Panics
    ///
    /// Panics outside of an event loop (no reactor is current on this thread).
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::signal::{self, Signal};
    ///
    /// weft::run(async {
    ///     let mut term = Signal::new(signal::SIGTERM)?;
    ///     signal::raise(signal::SIGTERM)?; // does not kill the process now
    ///     term.recv().await;
    ///     assert!(Signal::new(signal::SIGKILL).is_err());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn new(signum: i32) -> io::Result<Signal> {
        Signal::with_handle(signum, &Handle::current())
    }

    /// Starts listening for `signum` on the reactor of `handle` (from any
    /// thread); the `Signal` is then to be polled by that reactor's loop.
    ///
    /// # Errors
    ///
    /// As [`new`](Signal::new); also fails once that reactor has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    /// use std::time::Duration;
    /// use weft_reactor::signal::{self, Signal};
    /// use weft_reactor::Reactor;
    /// # use std::sync::Arc;
    /// # use std::task::{Context, Wake, Waker};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// # let waker = Waker::from(Arc::new(Noop));
    /// # let mut cx = Context::from_waker(&waker);
    ///
    /// let mut reactor = Reactor::new()?;
    /// let mut sig = Signal::with_handle(signal::SIGUSR1, &reactor.handle())?;
    /// assert!(sig.poll_recv(&mut cx).is_pending());
    /// signal::raise(signal::SIGUSR1)?;
    /// reactor.turn(Some(Duration::ZERO))?;
    /// assert!(sig.poll_recv(&mut cx).is_ready());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_handle(signum: i32, handle: &Handle) -> io::Result<Signal> {
        Signal::register(signum, handle, false)
    }

    /// Starts listening, on the current event loop, for the deliveries of `signum`
    /// that no other `Signal` listens for: a delivery that finds a plain [`Signal`]
    /// for `signum` (on any loop) belongs to it and is not reported here.
    ///
    /// This is how `weft::run` gives Ctrl+C its asyncio meaning (cancel the main
    /// future) while leaving SIGINT to user code that listens for it. The decision is
    /// taken for the moment of delivery: a delivery that arrived while a plain listener
    /// existed stays claimed even if that listener is gone by the time this stream is
    /// polled, and one that arrived before the first plain listener appeared is still
    /// reported. Unclaimed listeners do not count in [`listeners`].
    ///
    /// # Errors
    ///
    /// As [`new`](Signal::new).
    ///
    /// # Panics
    ///
    /// Outside of an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    /// use weft_reactor::signal::{self, Signal};
    ///
    /// weft::run(async {
    ///     let mut fallback = Signal::unclaimed(signal::SIGUSR1)?;
    ///     {
    ///         let mut listener = Signal::new(signal::SIGUSR1)?;
    ///         signal::raise(signal::SIGUSR1)?;
    ///         listener.recv().await; // the listener's delivery...
    ///     }
    ///     // ...is not the fallback's, even now that the listener is gone.
    ///     assert!(poll_fn(|cx| Poll::Ready(fallback.poll_recv(cx).is_pending())).await);
    ///     signal::raise(signal::SIGUSR1)?; // nobody else listens: the fallback's
    ///     fallback.recv().await;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn unclaimed(signum: i32) -> io::Result<Signal> {
        Signal::register(signum, &Handle::current(), true)
    }

    fn register(signum: i32, handle: &Handle, unclaimed: bool) -> io::Result<Signal> {
        if signal_hook::consts::FORBIDDEN.contains(&signum) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("signal {signum} cannot be handled"),
            ));
        }
        let (read, write) = std::os::unix::net::UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        // A second descriptor of the read end, for the listeners table to drain
        // (see `listeners`): only unclaimed listeners need one.
        let second = if unclaimed {
            Some(read.try_clone()?)
        } else {
            None
        };
        let pipe = Registered::with_handle(handle, UnixStream::from_std(read), Interest::READABLE)?;
        let key = listeners::observe(signum, second)?;
        // The write end moves into the handler's action; it is closed when the
        // action is unregistered (in `drop`), after any handler running it.
        let id = match signal_hook::low_level::pipe::register(signum, write) {
            Ok(id) => id,
            Err(e) => {
                listeners::forget(signum, key);
                return Err(e);
            }
        };
        Ok(Signal {
            signum,
            id,
            pipe,
            unclaimed: key,
        })
    }

    /// The signal number this stream reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::signal::{self, Signal};
    ///
    /// weft::run(async {
    ///     let sig = Signal::new(signal::SIGUSR1)?;
    ///     assert_eq!(sig.signum(), signal::SIGUSR1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn signum(&self) -> i32 {
        self.signum
    }

    /// Waits for the next delivery of the signal (at least one since the
    /// previous `recv`, or since the `Signal` was created).
    ///
    /// Cancel-safe: dropping the future loses no delivery; the next `recv`
    /// reports it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weft_reactor::signal::{self, Signal};
    ///
    /// weft::run(async {
    ///     let mut sig = Signal::new(signal::SIGUSR1)?;
    ///     for _ in 0..3 {
    ///         signal::raise(signal::SIGUSR1)?;
    ///         sig.recv().await;
    ///     }
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) {
        poll_fn(|cx| self.poll_recv(cx)).await;
    }

    /// Polls for a delivery: `Ready(())` if the signal arrived since the last
    /// time this returned `Ready`, else `Pending` with the waker stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use weft_reactor::signal::{self, Signal};
    ///
    /// weft::run(async {
    ///     let mut sig = Signal::new(signal::SIGUSR2)?;
    ///     signal::raise(signal::SIGUSR2)?;
    ///     poll_fn(|cx| sig.poll_recv(cx)).await;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.poll_recv_io(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(()),
            Poll::Ready(Err(error)) => {
                tracing::debug!(%error, signum = self.signum, "signal stream failed");
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// [`poll_recv`](Signal::poll_recv), reporting a dead reactor as an error.
    pub(crate) fn poll_recv_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let ready = match self.pipe.poll_ready(cx, Direction::Read) {
                Poll::Ready(Ok(ready)) => ready,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            let delivered = match self.unclaimed {
                None => drain(&mut self.pipe.get_ref())?,
                // Drained under the table's lock, so that what is in the pipe is
                // attributed to the right listeners (see `listeners`).
                Some(key) => listeners::take_unclaimed(self.signum, key, &mut self.pipe.get_ref())?,
            };
            // Drained: a delivery from now on writes a new byte, hence a new
            // edge, which `clear_ready` keeps (its tick is newer).
            self.pipe.clear_ready(ready);
            if delivered {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

/// Reads `pipe` until it would block: whether it held at least one byte (a delivery).
fn drain(mut pipe: impl Read) -> io::Result<bool> {
    let mut buf = [0u8; 64];
    let mut delivered = false;
    loop {
        match pipe.read(&mut buf) {
            // Only possible if the handler's end were closed, which happens after the
            // action is unregistered, in `drop`.
            Ok(0) => return Err(io::Error::other("signal pipe closed")),
            Ok(_) => delivered = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(delivered),
            Err(e) => return Err(e),
        }
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // Waits for handlers running this action to finish, then closes the
        // write end. The read end is deregistered and closed afterwards.
        signal_hook::low_level::unregister(self.id);
        listeners::forget(self.signum, self.unclaimed);
    }
}

/// Who listens to each signal number: how many plain `Signal`s, the unclaimed ones,
/// and the flag that gives a signal its default effect back while nobody listens
/// (checked by an always-installed `signal-hook` action: when the flag is set, it
/// performs the default action).
///
/// Unclaimed listeners get only the deliveries that found no plain listener. The
/// handler cannot decide that (it runs in a signal context and writes to every pipe),
/// so the decision is made here, at the two moments it can change, under this table's
/// lock: when the first plain listener appears, bytes already in an unclaimed pipe were
/// unclaimed deliveries (the listener is marked `owed`); when the last plain listener
/// goes away, bytes in an unclaimed pipe were claimed deliveries (they are drained).
/// An unclaimed listener drains its pipe under the same lock ([`take_unclaimed`]).
mod listeners {
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

    #[derive(Default)]
    struct Table {
        signals: std::collections::HashMap<i32, Entry>,
        next_key: u64,
    }

    #[derive(Default)]
    struct Entry {
        /// Plain listeners.
        plain: usize,
        unclaimed: Vec<Unclaimed>,
        /// `Some` once the default-restoring action is installed for this signal.
        unobserved: Option<Arc<AtomicBool>>,
    }

    struct Unclaimed {
        key: u64,
        /// A second descriptor of the listener's read end.
        pipe: UnixStream,
        /// The pipe held an unclaimed delivery when a plain listener appeared.
        owed: bool,
    }

    fn table() -> MutexGuard<'static, Table> {
        static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
        let table = TABLE.get_or_init(Default::default);
        table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One more listener of `signum` (an unclaimed one if `second` is its pipe's second
    /// descriptor, which then gets a key): the signal's default effect is suspended.
    pub(super) fn observe(signum: i32, second: Option<UnixStream>) -> io::Result<Option<u64>> {
        let mut t = table();
        let t = &mut *t;
        let e = t.signals.entry(signum).or_default();
        if e.unobserved.is_none() {
            let flag = Arc::new(AtomicBool::new(false));
            signal_hook::flag::register_conditional_default(signum, flag.clone())?;
            e.unobserved = Some(flag);
        }
        let key = match second {
            Some(pipe) => {
                t.next_key += 1;
                e.unclaimed.push(Unclaimed {
                    key: t.next_key,
                    pipe,
                    owed: false,
                });
                Some(t.next_key)
            }
            None => {
                if e.plain == 0 {
                    for u in &mut e.unclaimed {
                        // Peeked, not drained: draining could make the pending epoll
                        // event vanish, and the listener would not wake for its due.
                        let mut byte = [MaybeUninit::uninit()];
                        if matches!(socket2::SockRef::from(&u.pipe).peek(&mut byte), Ok(1)) {
                            u.owed = true;
                        }
                    }
                }
                e.plain += 1;
                None
            }
        };
        if let Some(f) = &e.unobserved {
            f.store(false, Ordering::SeqCst);
        }
        Ok(key)
    }

    /// How many plain listeners there are now.
    pub(super) fn count(signum: i32) -> usize {
        table().signals.get(&signum).map_or(0, |e| e.plain)
    }

    /// Drains the pipe of unclaimed listener `key`: whether it has an unclaimed
    /// delivery to report.
    pub(super) fn take_unclaimed(signum: i32, key: u64, pipe: impl io::Read) -> io::Result<bool> {
        let mut t = table();
        let delivered = super::drain(pipe)?;
        let Some(e) = t.signals.get_mut(&signum) else {
            return Ok(false);
        };
        let plain = e.plain;
        let Some(u) = e.unclaimed.iter_mut().find(|u| u.key == key) else {
            return Ok(false);
        };
        let due = u.owed || (delivered && plain == 0);
        u.owed = false;
        Ok(due)
    }

    /// One listener fewer (the unclaimed one `key`, or a plain one); the last one
    /// gives the signal its default effect back.
    pub(super) fn forget(signum: i32, key: Option<u64>) {
        let mut t = table();
        let Some(e) = t.signals.get_mut(&signum) else {
            return;
        };
        match key {
            Some(key) => e.unclaimed.retain(|u| u.key != key),
            None => {
                e.plain = e.plain.saturating_sub(1);
                if e.plain == 0 {
                    // What the unclaimed pipes hold now was delivered while a plain
                    // listener existed. (Owed ones keep theirs: they will wake for it.)
                    for u in e.unclaimed.iter().filter(|u| !u.owed) {
                        let _ = super::drain(&u.pipe);
                    }
                }
            }
        }
        if e.plain == 0 && e.unclaimed.is_empty() {
            if let Some(f) = &e.unobserved {
                f.store(true, Ordering::SeqCst);
            }
        }
    }
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("signum", &self.signum)
            .finish_non_exhaustive()
    }
}

/// Completes on the next `SIGINT` (Ctrl+C).
///
/// If called inside an event loop, the handler is installed at once, so a
/// `SIGINT` that arrives before the future is first polled is not missed;
/// otherwise it is installed when the future is first polled (which must then
/// happen inside a loop). As with [`Signal`], the process no longer dies on
/// `SIGINT` from then on.
///
/// # Examples
///
/// ```
/// use weft_reactor::signal;
///
/// weft::run(async {
///     let interrupted = signal::ctrl_c();
///     signal::raise(signal::SIGINT)?; // as if the user pressed Ctrl+C
///     interrupted.await?;
///     println!("shutting down");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ctrl_c() -> CtrlC {
    let state = match Handle::try_current() {
        Some(handle) => match Signal::with_handle(SIGINT, &handle) {
            Ok(signal) => CtrlCState::Listening(signal),
            Err(error) => CtrlCState::Failed(error),
        },
        None => CtrlCState::Lazy,
    };
    CtrlC { state }
}

/// The future returned by [`ctrl_c`]: resolves to `Ok(())` on the next
/// `SIGINT`, or to the error that prevented listening for it.
///
/// # Panics
///
/// Polling panics if the handler could not be installed at creation (no
/// current loop) and no loop is current when it is first polled either.
///
/// # Examples
///
/// ```
/// use weft_reactor::signal::{self, CtrlC};
///
/// weft::run(async {
///     let ctrl_c: CtrlC = signal::ctrl_c();
///     signal::raise(signal::SIGINT)?;
///     ctrl_c.await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct CtrlC {
    state: CtrlCState,
}

enum CtrlCState {
    Lazy,
    Listening(Signal),
    Failed(io::Error),
    Done,
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let state = &mut self.get_mut().state;
        loop {
            match state {
                CtrlCState::Lazy => {
                    *state = match Signal::new(SIGINT) {
                        Ok(signal) => CtrlCState::Listening(signal),
                        Err(error) => CtrlCState::Failed(error),
                    };
                }
                CtrlCState::Listening(signal) => {
                    let result = std::task::ready!(signal.poll_recv_io(cx));
                    *state = CtrlCState::Done;
                    return Poll::Ready(result);
                }
                CtrlCState::Failed(_) => {
                    let CtrlCState::Failed(error) = std::mem::replace(state, CtrlCState::Done)
                    else {
                        unreachable!("matched just above");
                    };
                    return Poll::Ready(Err(error));
                }
                CtrlCState::Done => panic!("`ctrl_c()` polled after completion"),
            }
        }
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            CtrlCState::Lazy => "lazy",
            CtrlCState::Listening(_) => "listening",
            CtrlCState::Failed(_) => "failed",
            CtrlCState::Done => "done",
        };
        f.debug_struct("CtrlC").field("state", &state).finish()
    }
}
