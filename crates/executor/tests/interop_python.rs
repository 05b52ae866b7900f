//! Interop with Python's asyncio as the peer: a Python client against a weft server,
//! a weft client against a Python server. Needs `python3` (the standard library only).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

#[test]
fn a_python_asyncio_client_talks_to_a_weft_stream_server() {
    weft::run(async {
        let server = weft::net::start_server("127.0.0.1:0", |mut r, w| async move {
            // Echo lines upper-cased until EOF, then say goodbye and close.
            loop {
                let line = r.readline().await.expect("read");
                if line.is_empty() {
                    break;
                }
                w.write(&line.to_ascii_uppercase());
                w.drain().await.expect("drain");
            }
            w.write(b"bye");
            w.close();
            w.wait_closed().await.expect("closed cleanly");
        })
        .await
        .expect("the server starts");
        let port = server.local_addr().port();
        // The Python client blocks its own thread, not the loop: run it off the loop.
        let out = weft::to_thread(move || {
            Command::new("python3")
                .arg(script("echo_client.py"))
                .arg(port.to_string())
                .output()
                .expect("python3 runs")
        })
        .await
        .expect("the client thread");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout, "HELLO\nFROM\nASYNCIO\neof: b'bye'\n");
        server.close();
    });
}

#[test]
fn a_weft_client_talks_to_a_python_asyncio_server() {
    let mut child = Command::new("python3")
        .arg(script("echo_server.py"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .expect("the server prints its port");
    let port: u16 = first.trim().parse().expect("a port number");
    let replies = weft::run(async move {
        let (mut r, w) = weft::net::open_connection(("127.0.0.1", port))
            .await
            .expect("connect");
        let mut replies = Vec::new();
        for word in ["ping", "weft"] {
            w.write(format!("{word}\n").as_bytes());
            w.drain().await.expect("drain");
            replies.push(String::from_utf8(r.readline().await.expect("reply")).unwrap());
        }
        w.write_eof();
        let rest = r.read_to_end().await.expect("eof");
        (replies, rest)
    });
    assert_eq!(replies.0, ["PING\n", "WEFT\n"]);
    assert!(replies.1.is_empty(), "the server closes after our EOF");
    assert!(child.wait().expect("the server exits").success());
}
