//! Interop with Python's `websockets` as the peer, on both sides: text, binary,
//! fragmented and 1 MiB messages, pings both ways, and every close path.
//!
//! The peer is `tests/peers/ws_peer.py` run by the venv `cargo xtask peers` builds
//! (`target/weft-py`, or `$WEFT_PYTHON`); `cargo xtask ci` builds it first.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use weft_ws::{connect, serve_with, Config, Error, Message, ServeOptions};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn peer() -> Command {
    let mut cmd = Command::new(support::python());
    cmd.arg(workspace().join("tests/peers/ws_peer.py"));
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Starts the Python server for `connections` connections; returns it and its port.
fn python_server(connections: u32) -> (Child, u16, BufReader<std::process::ChildStdout>) {
    let mut child = peer()
        .args([
            "server",
            "--connections",
            &connections.to_string(),
            "--timeout",
            "60",
        ])
        .spawn()
        .expect("python runs");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("first line");
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (child, port, out)
}

/// Waits for the Python server; returns its remaining stdout lines.
fn finish(mut child: Child, mut out: BufReader<std::process::ChildStdout>) -> Vec<String> {
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("stdout");
    let status = child.wait().expect("wait");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).ok();
    assert!(
        status.success(),
        "python server failed: {status}\n{rest}\n{err}"
    );
    rest.lines().map(str::to_owned).collect()
}

fn has(lines: &[String], want: &str) -> bool {
    lines.iter().any(|l| l == want)
}

// ---- a weft client against the Python server ----

#[test]
fn weft_client_text_binary_and_ping_with_python_server() {
    let (child, port, out) = python_server(1);
    weft::run(async move {
        let mut ws = connect(&format!("ws://127.0.0.1:{port}/echo"))
            .await
            .unwrap();
        ws.send("hello").await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Message::text("hello"));
        let bytes: Vec<u8> = (0..=255).collect();
        ws.send(bytes.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().into_data(), bytes);
        let rtt = ws.ping().await.unwrap();
        assert!(rtt < Duration::from_secs(30));
        ws.close(1000, "done").await.unwrap();
    });
    let lines = finish(child, out);
    assert!(has(&lines, "recv text 5"), "{lines:?}");
    assert!(has(&lines, "recv binary 256"), "{lines:?}");
    assert!(has(&lines, "closed 1000 done"), "{lines:?}");
}

#[test]
fn weft_client_reassembles_fragmented_messages_from_python() {
    let (child, port, out) = python_server(1);
    weft::run(async move {
        let mut ws = connect(&format!("ws://127.0.0.1:{port}/fragmented"))
            .await
            .unwrap();
        let text = ws.recv().await.unwrap();
        assert_eq!(text.to_text().unwrap(), "fragmented café text");
        let bin = ws.recv().await.unwrap();
        assert_eq!(bin.into_data(), (0..=255).collect::<Vec<u8>>());
        ws.close(1000, "done").await.unwrap();
    });
    let lines = finish(child, out);
    assert!(has(&lines, "closed 1000 done"), "{lines:?}");
}

#[test]
fn weft_client_one_mebibyte_both_ways_with_python() {
    let (child, port, out) = python_server(1);
    weft::run(async move {
        let mut ws = connect(&format!("ws://127.0.0.1:{port}/big"))
            .await
            .unwrap();
        let big = ws.recv().await.unwrap().into_data();
        assert_eq!(big.len(), 1 << 20);
        assert!(big.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
        ws.send(big.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().into_data(), big);
        ws.close(1000, "done").await.unwrap();
    });
    let lines = finish(child, out);
    assert!(has(&lines, "recv binary 1048576"), "{lines:?}");
}

#[test]
fn weft_client_answers_python_pings() {
    let (child, port, out) = python_server(1);
    weft::run(async move {
        let mut ws = connect(&format!("ws://127.0.0.1:{port}/ping"))
            .await
            .unwrap();
        // The pong is sent while we read; then the server echoes as usual.
        ws.send("after").await.unwrap();
        assert_eq!(ws.recv().await.unwrap().to_text().unwrap(), "after");
        ws.close(1000, "done").await.unwrap();
    });
    let lines = finish(child, out);
    assert!(lines.iter().any(|l| l.starts_with("pong ")), "{lines:?}");
}

#[test]
fn weft_client_sees_python_close_codes_and_a_dropped_connection() {
    let (child, port, out) = python_server(2);
    weft::run(async move {
        let mut ws = connect(&format!("ws://127.0.0.1:{port}/close/4000"))
            .await
            .unwrap();
        match ws.recv().await {
            Err(Error::ConnectionClosed { code: 4000, reason }) => assert_eq!(reason, "bye"),
            other => panic!("expected close 4000, got {other:?}"),
        }
        let mut ws = connect(&format!("ws://127.0.0.1:{port}/drop"))
            .await
            .unwrap();
        let err = ws.recv().await.unwrap_err();
        assert_eq!(err.close_code(), Some(1006), "{err}");
        assert!(!err.is_normal_close());
    });
    let lines = finish(child, out);
    assert!(has(&lines, "dropped"), "{lines:?}");
}

#[test]
fn weft_client_gets_a_handshake_error_for_a_404() {
    let (child, port, out) = python_server(1);
    weft::run(async move {
        match connect(&format!("ws://127.0.0.1:{port}/nowhere")).await {
            Err(Error::Handshake {
                status: Some(404), ..
            }) => {}
            other => panic!("expected a 404 handshake error, got {other:?}"),
        }
    });
    let lines = finish(child, out);
    assert!(has(&lines, "rejected /nowhere 404"), "{lines:?}");
}

// ---- the Python client against a weft server ----

/// Runs `ws_peer.py client URL SCENARIO` against a weft server; returns its lines.
fn python_client_against_weft(scenario: &str) -> Vec<String> {
    let scenario = scenario.to_owned();
    weft::run(async move {
        let options = ServeOptions::new().config(Config::new()); // max_size 1 MiB
        let server = serve_with("127.0.0.1:0", options, |mut ws| async move {
            if ws.path() == Some("/server-close") {
                ws.close(4001, "weft says bye").await.unwrap();
                return;
            }
            while let Ok(msg) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        })
        .await
        .unwrap();
        let path = if scenario == "server-close" {
            "/server-close"
        } else {
            "/"
        };
        let url = format!("ws://{}{path}", server.local_addr());
        let mut cmd = peer();
        cmd.args(["client", &url, &scenario]);
        let out = weft::to_thread(move || cmd.output())
            .await
            .unwrap()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "python client {scenario} failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout.lines().map(str::to_owned).collect()
    })
}

#[test]
fn python_client_text_against_weft() {
    let lines = python_client_against_weft("text");
    assert!(
        has(&lines, "recv text 5") && has(&lines, "ok text"),
        "{lines:?}"
    );
}

#[test]
fn python_client_binary_against_weft() {
    let lines = python_client_against_weft("binary");
    assert!(
        has(&lines, "recv binary 1024") && has(&lines, "ok binary"),
        "{lines:?}"
    );
}

#[test]
fn python_client_fragmented_against_weft() {
    let lines = python_client_against_weft("fragmented");
    assert!(has(&lines, "ok fragmented"), "{lines:?}");
}

#[test]
fn python_client_one_mebibyte_against_weft() {
    let lines = python_client_against_weft("big");
    assert!(
        has(&lines, "recv binary 1048576") && has(&lines, "ok big"),
        "{lines:?}"
    );
}

#[test]
fn python_client_ping_against_weft() {
    let lines = python_client_against_weft("ping");
    assert!(
        lines.iter().any(|l| l.starts_with("pong ")) && has(&lines, "ok ping"),
        "{lines:?}"
    );
}

#[test]
fn python_client_normal_close_against_weft() {
    let lines = python_client_against_weft("close-normal");
    assert!(has(&lines, "closed 1000 done"), "{lines:?}");
}

#[test]
fn weft_server_close_reaches_python() {
    let lines = python_client_against_weft("server-close");
    assert!(has(&lines, "closed 4001 weft says bye"), "{lines:?}");
}

#[test]
fn an_oversized_python_message_gets_1009() {
    let lines = python_client_against_weft("oversize");
    assert!(
        lines.iter().any(|l| l.starts_with("closed 1009")),
        "{lines:?}"
    );
}

#[test]
fn invalid_utf8_from_python_gets_1007() {
    let lines = python_client_against_weft("bad-utf8");
    assert!(
        lines.iter().any(|l| l.starts_with("closed 1007")),
        "{lines:?}"
    );
}
