//! The seed's Ctrl+C behaviour, end to end: `examples/ctrl_c.rs` runs as a child
//! process and gets real SIGINTs.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod support;

/// Reads the child's stdout line by line on a thread; lines arrive on the channel.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (bounded) for the next line, which must be `want`.
fn expect_line(rx: &mpsc::Receiver<String>, want: &str) {
    let got = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("no line {want:?}: {e}"));
    assert_eq!(got, want);
}

fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn spawn(slow_cleanup: bool) -> Child {
    let mut cmd = Command::new(support::example("ctrl_c"));
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if slow_cleanup {
        cmd.env("CTRL_C_SLOW_CLEANUP", "1");
    }
    cmd.spawn().expect("the example starts")
}

#[test]
fn the_first_ctrl_c_cancels_the_main_future_and_its_cleanup_runs() {
    let mut child = spawn(false);
    let rx = lines(&mut child);
    expect_line(&rx, "working; press Ctrl+C to stop");
    sigint(&child);
    let status = child.wait().expect("the child exits");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(status.code(), Some(130), "stderr: {stderr}");
    assert_eq!(rest, ["cleanup: closing resources"]);
    assert!(
        stderr.contains("weft: interrupted (Ctrl+C)"),
        "stderr: {stderr}"
    );
    let stdout = format!("working; press Ctrl+C to stop\n{}\n", rest.join("\n"));
    insta::assert_snapshot!("ctrl_c_first", stdout);
}

#[test]
fn a_second_ctrl_c_during_cleanup_exits_at_once() {
    let mut child = spawn(true);
    let rx = lines(&mut child);
    expect_line(&rx, "working; press Ctrl+C to stop");
    sigint(&child);
    expect_line(&rx, "cleanup: closing resources");
    expect_line(&rx, "cleanup: this takes a while...");
    sigint(&child); // the cleanup sleeps 30 s; this must not wait for it
    let status = child.wait().expect("the child exits");
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(status.code(), Some(130));
    assert!(
        rest.is_empty(),
        "the cleanup was cut short, yet printed {rest:?}"
    );
}
