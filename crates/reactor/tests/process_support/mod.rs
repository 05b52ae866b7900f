//! Shared by the process tests (pidfd and SIGCHLD watchers): the tests
//! themselves, written once and run under both.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use weft_reactor::process::{Command, Stdio};
use weft_reactor::signal::{SIGKILL, SIGTERM};

/// Whether `pid` is still a child of this process (running or zombie), from
/// `/proc/<pid>/stat`. A reaped child's pid either no longer exists or
/// belongs to an unrelated process.
pub fn is_our_child(pid: u32) -> bool {
    proc_state(pid).is_some_and(|(_, ppid)| ppid == std::process::id())
}

/// `(state, ppid)` of `pid`, if it exists.
pub fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Waits (bounded, by polling `/proc` between short loop sleeps) until the
/// background reaper has reaped `pid`.
pub async fn until_reaped(pid: u32) {
    for _ in 0..5000 {
        if !is_our_child(pid) {
            return;
        }
        weft::sleep(Duration::from_millis(2)).await;
    }
    panic!("child {pid} was never reaped: {:?}", proc_state(pid));
}

pub async fn echo_output_is_captured() -> io::Result<()> {
    let out = Command::new("echo")
        .args(["hello", "world"])
        .output()
        .await?;
    assert!(out.status.success());
    assert_eq!(out.stdout, b"hello world\n");
    assert!(out.stderr.is_empty());
    Ok(())
}

pub async fn cat_round_trip() -> io::Result<()> {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Small: write, read back the same line.
    stdin.write_all(b"line one\n").await?;
    let mut buf = [0; 64];
    let n = stdout.read(&mut buf).await?;
    assert_eq!(&buf[..n], b"line one\n");
    // Large: more than both pipes hold, so writing and reading must overlap.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let writer = weft::spawn(async move {
        stdin.write_all(&data).await?;
        drop(stdin);
        Ok::<(), io::Error>(())
    });
    let mut got = Vec::new();
    stdout.read_to_end(&mut got).await?;
    writer.await.unwrap()?;
    assert!(
        got == expected,
        "cat echoed {} of {} bytes",
        got.len(),
        expected.len()
    );
    assert!(child.wait().await?.success());
    Ok(())
}

pub async fn exit_codes() -> io::Result<()> {
    let status = Command::new("sh").args(["-c", "exit 3"]).status().await?;
    assert_eq!(status.code(), Some(3));
    let mut child = Command::new("sh").args(["-c", "exit 42"]).spawn()?;
    assert_eq!(child.wait().await?.code(), Some(42));
    assert_eq!(child.wait().await?.code(), Some(42), "waiting again");
    assert_eq!(child.try_wait()?.and_then(|s| s.code()), Some(42));
    assert!(Command::new("true").status().await?.success());
    Ok(())
}

pub async fn large_output_does_not_deadlock() -> io::Result<()> {
    // stderr first: reading stdout to the end before stderr would deadlock.
    let out = Command::new("sh")
        .args([
            "-c",
            "head -c 3000000 /dev/zero >&2; head -c 5000000 /dev/zero; head -c 1000000 /dev/zero >&2",
        ])
        .output()
        .await?;
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 5_000_000);
    assert_eq!(out.stderr.len(), 4_000_000);
    assert!(out.stdout.iter().all(|&b| b == 0));
    Ok(())
}

pub async fn kill_reaps_a_sleeping_child() -> io::Result<()> {
    let mut child = Command::new("sleep").arg("1000").spawn()?;
    let pid = child.id().unwrap();
    assert!(is_our_child(pid));
    assert!(child.try_wait()?.is_none());
    let status = child.kill().await?;
    assert_eq!(status.signal(), Some(SIGKILL));
    assert!(!status.success());
    assert_eq!(child.id(), None);
    // Reaped by us: no zombie left behind.
    assert!(!is_our_child(pid), "{:?}", proc_state(pid));
    child.start_kill()?; // reaped: nothing to do
    Ok(())
}

pub async fn terminate_and_send_signal() -> io::Result<()> {
    let mut child = Command::new("sleep").arg("1000").spawn()?;
    child.terminate()?;
    assert_eq!(child.wait().await?.signal(), Some(SIGTERM));
    let mut child = Command::new("sleep")
        .arg("1000")
        .kill_on_drop(true)
        .spawn()?;
    let e = child.send_signal(40).unwrap_err(); // a real-time signal
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    child.send_signal(SIGKILL)?;
    assert_eq!(child.wait().await?.signal(), Some(SIGKILL));
    Ok(())
}

pub async fn wait_is_cancel_safe() -> io::Result<()> {
    let mut child = Command::new("sleep").arg("1000").spawn()?;
    let timed_out = weft::wait_for(Duration::from_millis(20), child.wait()).await;
    assert!(timed_out.is_err());
    child.start_kill()?;
    assert_eq!(child.wait().await?.signal(), Some(SIGKILL));
    Ok(())
}

pub async fn dropped_child_is_reaped_in_the_background() -> io::Result<()> {
    // Exits only once its stdin closes, which happens as the Child drops, so
    // it is still running when handed to the reaper.
    let child = Command::new("sh")
        .args(["-c", "read line"])
        .stdin(Stdio::piped())
        .spawn()?;
    let pid = child.id().unwrap();
    drop(child);
    until_reaped(pid).await;
    Ok(())
}

pub async fn kill_on_drop_kills() -> io::Result<()> {
    let child = Command::new("sleep")
        .arg("1000")
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap();
    drop(child);
    // Without the kill it would stay our (running) child for 1000 s.
    until_reaped(pid).await;
    Ok(())
}

pub async fn missing_program_is_not_found() -> io::Result<()> {
    let e = Command::new("weft-no-such-program-xyz")
        .spawn()
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    let e = Command::new("/nonexistent/bin/tool")
        .output()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
    Ok(())
}

pub async fn many_children_at_once() -> io::Result<()> {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            weft::spawn(async move {
                let status = Command::new("sh")
                    .arg("-c")
                    .arg(format!("exit {i}"))
                    .status()
                    .await?;
                Ok::<_, io::Error>(status.code())
            })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap()?, Some(i as i32));
    }
    Ok(())
}
