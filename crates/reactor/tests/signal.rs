//! Signals as streams. Tests run as threads of one process and share its
//! signal handlers, so each test uses its own signal number.

use std::future::{poll_fn, Future};
use std::io;
use std::sync::mpsc;
use std::sync::Arc;
use std::task::Poll;
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::Duration;

use rustix::process::{getpid, kill_process, Signal as Sig};
use weft_reactor::signal::{self, ctrl_c, Signal};
use weft_reactor::Reactor;

/// Polls `sig` once: whether a delivery is ready right now.
async fn ready_now(sig: &mut Signal) -> bool {
    poll_fn(|cx| Poll::Ready(sig.poll_recv(cx).is_ready())).await
}

#[test]
fn a_delivery_wakes_a_waiting_recv() -> io::Result<()> {
    weft::run(async {
        let mut sig = Signal::new(signal::SIGUSR1)?;
        assert!(!ready_now(&mut sig).await, "nothing delivered yet");
        // Sent to the process from another thread while the loop waits.
        let sender = thread::spawn(|| kill_process(getpid(), Sig::USR1));
        sig.recv().await;
        sender.join().unwrap()?;
        Ok(())
    })
}

#[test]
fn every_loop_gets_the_signal() -> io::Result<()> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let ready_tx = ready_tx.clone();
            thread::spawn(move || {
                weft::run(async move {
                    let mut sig = Signal::new(signal::SIGUSR2)?;
                    ready_tx.send(()).unwrap();
                    sig.recv().await;
                    Ok::<(), io::Error>(())
                })
            })
        })
        .collect();
    for _ in 0..2 {
        ready_rx.recv().unwrap();
    }
    kill_process(getpid(), Sig::USR2)?;
    for lp in loops {
        lp.join().unwrap()?;
    }
    Ok(())
}

#[test]
fn two_signals_on_one_loop_both_get_it() -> io::Result<()> {
    weft::run(async {
        let mut a = Signal::new(signal::SIGQUIT)?;
        let mut b = Signal::new(signal::SIGQUIT)?;
        signal::raise(signal::SIGQUIT)?;
        a.recv().await;
        b.recv().await;
        Ok(())
    })
}

#[test]
fn deliveries_between_two_recvs_coalesce() -> io::Result<()> {
    weft::run(async {
        let mut sig = Signal::new(signal::SIGWINCH)?;
        for _ in 0..5 {
            // `raise` runs the handler on this thread before it returns.
            signal::raise(signal::SIGWINCH)?;
        }
        sig.recv().await;
        assert!(!ready_now(&mut sig).await, "five deliveries, one recv");
        weft::yield_now().await; // a loop turn changes nothing
        assert!(!ready_now(&mut sig).await);

        signal::raise(signal::SIGWINCH)?;
        sig.recv().await;
        assert!(!ready_now(&mut sig).await);
        Ok(())
    })
}

#[test]
fn a_new_signal_does_not_report_earlier_deliveries() -> io::Result<()> {
    weft::run(async {
        // SIGWINCH's default effect is to be ignored: safe to raise with nobody listening.
        let sig = Signal::new(signal::SIGWINCH)?;
        drop(sig);
        signal::raise(signal::SIGWINCH)?;
        let mut sig = Signal::new(signal::SIGWINCH)?;
        assert!(
            !ready_now(&mut sig).await,
            "earlier deliveries are not reported"
        );
        signal::raise(signal::SIGWINCH)?;
        sig.recv().await;
        Ok(())
    })
}

/// Runs in a child process (this test binary, re-executed): listens for SIGALRM,
/// stops listening, raises it. The default effect must be back: the child dies of it.
#[test]
fn dropping_the_last_signal_gives_the_signal_its_default_effect_back() {
    if std::env::var_os("WEFT_SIGNAL_CHILD").is_some() {
        weft::run(async {
            let sig = Signal::new(signal::SIGALRM).unwrap();
            drop(sig);
            signal::raise(signal::SIGALRM).unwrap();
        });
        // Not reached if the default effect (termination) is back.
        std::process::exit(0);
    }
    use std::os::unix::process::ExitStatusExt;
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "dropping_the_last_signal_gives_the_signal_its_default_effect_back",
            "--test-threads=1",
        ])
        .env("WEFT_SIGNAL_CHILD", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(signal::SIGALRM),
        "child status: {status:?}"
    );
}

#[test]
fn signal_is_a_stream() -> io::Result<()> {
    use futures_core::Stream;
    use std::pin::Pin;
    weft::run(async {
        let mut sig = Signal::new(signal::SIGTERM)?;
        signal::raise(signal::SIGTERM)?;
        let item = poll_fn(|cx| Pin::new(&mut sig).poll_next(cx)).await;
        assert_eq!(item, Some(()));
        Ok(())
    })
}

#[test]
fn ctrl_c_completes_on_sigint() -> io::Result<()> {
    // One test for both cases: they share SIGINT.
    weft::run(async {
        let interrupted = ctrl_c(); // installed now, before the first poll
        signal::raise(signal::SIGINT)?;
        interrupted.await
    })?;

    // Created outside a loop: installed when first polled.
    let interrupted = ctrl_c();
    weft::run(async {
        let mut interrupted = std::pin::pin!(interrupted);
        assert!(poll_fn(|cx| Poll::Ready(interrupted.as_mut().poll(cx).is_pending())).await);
        signal::raise(signal::SIGINT)?;
        interrupted.await
    })
}

#[test]
fn uncatchable_and_invalid_signals_are_refused() {
    weft::run(async {
        for signum in [
            signal::SIGKILL,
            19, /* SIGSTOP */
            11, /* SIGSEGV */
        ] {
            let e = Signal::new(signum).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "signal {signum}");
        }
        assert!(Signal::new(0).is_err());
        assert!(Signal::new(1000).is_err());
    });
}

#[test]
fn with_handle_on_a_bare_reactor() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let mut sig = Signal::with_handle(signal::SIGHUP, &reactor.handle())?;
    assert_eq!(reactor.sources(), 1);
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    assert!(sig.poll_recv(&mut cx).is_pending());
    signal::raise(signal::SIGHUP)?;
    assert_eq!(reactor.turn(Some(Duration::from_secs(10)))?, 1);
    assert!(sig.poll_recv(&mut cx).is_ready());
    assert!(sig.poll_recv(&mut cx).is_pending());
    drop(sig);
    assert_eq!(reactor.sources(), 0);
    Ok(())
}

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// SIGURG: ignored by default, so raising it with nobody listening is harmless.
const SIGURG: i32 = Sig::URG.as_raw();

#[test]
fn unclaimed_listeners_get_only_deliveries_nobody_else_listened_for() -> io::Result<()> {
    weft::run(async {
        let mut fallback = Signal::unclaimed(SIGURG)?;
        // Nobody else listens: the delivery is the fallback's.
        signal::raise(SIGURG)?;
        fallback.recv().await;

        // Delivered while a plain listener exists: claimed, even once it is gone.
        let mut plain = Signal::new(SIGURG)?;
        assert_eq!(signal::listeners(SIGURG), 1, "unclaimed ones do not count");
        signal::raise(SIGURG)?;
        plain.recv().await;
        assert!(!ready_now(&mut fallback).await);
        signal::raise(SIGURG)?;
        drop(plain); // before anyone polled that delivery
        assert!(!ready_now(&mut fallback).await);

        // Delivered before a plain listener appeared: still the fallback's.
        signal::raise(SIGURG)?;
        let mut plain = Signal::new(SIGURG)?;
        fallback.recv().await;
        assert!(!ready_now(&mut plain).await, "nor is it the new listener's");
        drop(plain);

        // And again unclaimed once the plain listener is gone.
        signal::raise(SIGURG)?;
        fallback.recv().await;
        Ok(())
    })
}

/// The race behind a CI failure: test A's `ctrl_c()` got a SIGINT and was dropped
/// before another thread's `weft::run` polled its own SIGINT watcher, which then took
/// the delivery for a Ctrl+C nobody handled and exited the test process with 130.
#[test]
fn a_sigint_claimed_on_one_loop_does_not_interrupt_a_run_on_another() -> io::Result<()> {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let other = thread::spawn(move || {
        weft::run(async move {
            started_tx.send(()).unwrap();
            // Blocks this loop (on purpose) while the other one gets and handles SIGINT.
            go_rx.recv().unwrap();
            // A few turns: the loop now sees the delivery in its watcher's pipe.
            for _ in 0..3 {
                weft::yield_now().await;
            }
        })
    });
    started_rx.recv().unwrap(); // its SIGINT watcher is installed
    weft::run(async {
        let interrupted = ctrl_c();
        signal::raise(signal::SIGINT)?;
        interrupted.await
    })?;
    // The `ctrl_c()` listener is gone; only now does the other loop run again.
    go_tx.send(()).unwrap();
    other.join().unwrap();
    Ok(())
}
