//! Child processes, watched through pidfds (Linux >= 5.3; `SIGCHLD` where
//! `pidfd_open` is unavailable). `process_sigchld.rs` runs the same tests
//! with the `SIGCHLD` watcher forced.

mod process_support;

use std::io;
use std::os::unix::process::ExitStatusExt;

use futures_io::AsyncRead;
use process_support as t;
use weft_reactor::process::{Command, Stdio};

#[test]
fn echo_output_is_captured() -> io::Result<()> {
    weft::run(t::echo_output_is_captured())
}

#[test]
fn cat_round_trip() -> io::Result<()> {
    weft::run(t::cat_round_trip())
}

#[test]
fn exit_codes() -> io::Result<()> {
    weft::run(t::exit_codes())
}

#[test]
fn large_output_does_not_deadlock() -> io::Result<()> {
    weft::run(t::large_output_does_not_deadlock())
}

#[test]
fn kill_reaps_a_sleeping_child() -> io::Result<()> {
    weft::run(t::kill_reaps_a_sleeping_child())
}

#[test]
fn terminate_and_send_signal() -> io::Result<()> {
    weft::run(t::terminate_and_send_signal())
}

#[test]
fn wait_is_cancel_safe() -> io::Result<()> {
    weft::run(t::wait_is_cancel_safe())
}

#[test]
fn dropped_child_is_reaped_in_the_background() -> io::Result<()> {
    weft::run(t::dropped_child_is_reaped_in_the_background())
}

#[test]
fn kill_on_drop_kills() -> io::Result<()> {
    weft::run(t::kill_on_drop_kills())
}

#[test]
fn missing_program_is_not_found() -> io::Result<()> {
    weft::run(t::missing_program_is_not_found())
}

#[test]
fn many_children_at_once() -> io::Result<()> {
    weft::run(t::many_children_at_once())
}

#[test]
fn pidfds_are_used_on_this_kernel() -> io::Result<()> {
    weft::run(async {
        Command::new("true").status().await?;
        Ok::<(), io::Error>(())
    })?;
    // Linux >= 5.3 outside a restrictive seccomp profile.
    let uses = weft_reactor::process::__uses_pidfd();
    assert!(uses.is_some());
    if uses == Some(false) {
        eprintln!("note: pidfd_open is unavailable here; the SIGCHLD watcher was used");
    }
    Ok(())
}

#[test]
fn child_stdout_is_async_read() -> io::Result<()> {
    weft::run(async {
        let mut child = Command::new("printf")
            .arg("abc")
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = child.stdout.take().unwrap();
        let mut got = Vec::new();
        let mut buf = [0; 2];
        loop {
            let n =
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut stdout).poll_read(cx, &mut buf))
                    .await?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"abc");
        assert!(child.wait().await?.success());
        Ok(())
    })
}

#[test]
fn wait_closes_stdin() -> io::Result<()> {
    weft::run(async {
        // `cat` exits on end of file, which `wait` gives it.
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        assert!(child.wait().await?.success());
        assert!(child.stdin.is_none());
        Ok(())
    })
}

#[test]
fn a_child_killed_by_a_signal_reports_it() -> io::Result<()> {
    weft::run(async {
        let status = Command::new("sh")
            .args(["-c", "kill -USR2 $$"])
            .status()
            .await?;
        assert_eq!(status.signal(), Some(weft_reactor::signal::SIGUSR2));
        assert_eq!(status.code(), None);
        Ok(())
    })
}

#[test]
fn output_respects_builder_settings() -> io::Result<()> {
    weft::run(async {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "pwd; printf %s \"$WEFT_TEST\"; cat"])
            .current_dir("/")
            .env("WEFT_TEST", "set");
        let out = cmd.output().await?;
        assert_eq!(out.stdout, b"/\nset", "stdin is empty for output()");
        // The builder is reusable and `spawn` still inherits by default.
        let child = cmd.stdout(Stdio::piped()).stdin(Stdio::null()).spawn()?;
        assert!(child.stdin.is_none() && child.stderr.is_none());
        let out = child.wait_with_output().await?;
        assert_eq!(out.stdout, b"/\nset");
        Ok(())
    })
}

#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<weft_reactor::process::Child>();
    send_sync::<weft_reactor::process::Command>();
    send_sync::<weft_reactor::signal::Signal>();
    send_sync::<weft_reactor::pipe::Sender>();
    send_sync::<weft_reactor::pipe::Receiver>();
    send_sync::<weft_reactor::fd::AsyncFd<std::os::fd::OwnedFd>>();
    // The futures can be spawned from other threads (`Handle::spawn`).
    weft::run(async {
        let mut cmd = Command::new("true");
        let output = cmd.output();
        send(&output);
        output.await.unwrap();
        let mut child = Command::new("true").spawn().unwrap();
        let wait = child.wait();
        send(&wait);
        wait.await.unwrap();
    });
}
