//! Faults: clients that never finish the handshake, peers that vanish mid-message,
//! and 10,000 idle connections on one loop (with the memory they take).

mod support;

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::Duration;

use weft::reactor::net::TcpStream;
use weft_ws::{connect, serve, serve_with, Config, Error, ServeOptions};

/// This process's open sockets whose local port is `port` (the listener and the
/// connections it accepted), from `/proc/self/fd` and `/proc/net/tcp`.
fn sockets_on_port(port: u16) -> usize {
    let mut inodes = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local_port = cols[1]
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) {
                inodes.insert(format!("socket:[{}]", cols[9]));
            }
        }
    }
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|link| inodes.contains(link.to_string_lossy().as_ref()))
        .count()
}

/// Lets the loop run until `done()` holds (a few hundred turns at most).
async fn settle(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        weft::sleep(Duration::from_millis(1)).await;
    }
    panic!("did not settle");
}

#[weft::test(start_paused = true)]
async fn a_client_that_never_finishes_the_handshake_is_dropped_at_open_timeout() {
    let options =
        ServeOptions::new().config(Config::new().open_timeout(Some(Duration::from_secs(10))));
    let server = serve_with("127.0.0.1:0", options, |_ws| async move {
        panic!("no handshake, no handler");
    })
    .await
    .unwrap();
    let h = weft::Handle::current();
    let start = h.time();
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut partial = TcpStream::connect(server.local_addr()).await.unwrap();
    partial
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap(); // and no more
    let mut buf = [0u8; 64];
    assert_eq!(
        silent.read(&mut buf).await.unwrap(),
        0,
        "closed by the server"
    );
    assert_eq!(
        partial.read(&mut buf).await.unwrap(),
        0,
        "closed by the server"
    );
    let waited = h.time() - start;
    assert!(
        waited >= Duration::from_secs(10),
        "dropped after {waited:?}, before open_timeout"
    );
    settle(|| server.active_connections() == 0).await;
}

#[weft::test]
async fn a_peer_that_vanishes_mid_message_frees_everything() {
    type Seen = Rc<RefCell<Option<Result<weft_ws::Message, Error>>>>;
    let seen: Seen = Rc::default();
    let s = seen.clone();
    let server = serve("127.0.0.1:0", move |mut ws| {
        let s = s.clone();
        async move {
            *s.borrow_mut() = Some(ws.recv().await);
        }
    })
    .await
    .unwrap();
    let port = server.local_addr().port();
    assert_eq!(sockets_on_port(port), 1, "the listener");
    for _ in 0..50 {
        let mut raw = support::raw_client(server.local_addr()).await;
        // A masked binary frame announcing 100 bytes, 10 of them sent, then gone.
        let mut frame = vec![0x82, 0x80 | 100, 9, 9, 9, 9];
        frame.extend_from_slice(&[0u8; 10]);
        raw.write_all(&frame).await.unwrap();
        drop(raw);
        settle(|| seen.borrow().is_some()).await;
        let err = seen.borrow_mut().take().unwrap().unwrap_err();
        assert_eq!(err.close_code(), Some(1006), "{err}");
    }
    settle(|| server.active_connections() == 0).await;
    // Every socket of those connections is closed; the listener stays.
    settle(|| sockets_on_port(port) == 1).await;
    // And the server still works.
    let ws = connect(&format!("ws://{}", server.local_addr()))
        .await
        .unwrap();
    ws.send("still serving").await.unwrap();
    settle(|| seen.borrow().is_some()).await;
    let msg = seen.borrow_mut().take().unwrap().unwrap();
    assert_eq!(msg.to_text().unwrap(), "still serving");
}

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// 10,000 idle connections (a Python process holds the client ends) on one loop,
/// with the default config (keepalive timers included). Records the memory each
/// takes in the server, and checks the loop still serves a newcomer meanwhile.
#[weft::test]
async fn ten_thousand_idle_connections_on_one_loop() {
    const N: usize = 10_000;
    let server = serve("127.0.0.1:0", |mut ws| async move {
        while let Ok(msg) = ws.recv().await {
            if ws.send(msg).await.is_err() {
                break;
            }
        }
    })
    .await
    .unwrap();
    // Warm up the allocator and the loop with one connection first.
    let mut first = connect(&format!("ws://{}", server.local_addr()))
        .await
        .unwrap();
    first.send("warm").await.unwrap();
    first.recv().await.unwrap();
    let before = rss_bytes();

    let port = server.local_addr().port().to_string();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/idle_clients.py");
    let mut child = Command::new(support::python())
        .arg(script)
        .args([&N.to_string(), "127.0.0.1", &port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    let stdout = child.stdout.take().unwrap();
    let ready = weft::to_thread(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        ready.trim(),
        format!("ready {N}"),
        "the client process failed"
    );
    settle(|| server.active_connections() == N + 1).await;
    let per_conn = (rss_bytes().saturating_sub(before)) / N;
    println!("weft-ws: {N} idle connections, {per_conn} bytes each (server RSS growth / N)");

    // A newcomer is served while they idle.
    let mut ws = connect(&format!("ws://{}", server.local_addr()))
        .await
        .unwrap();
    ws.send("hello").await.unwrap();
    assert_eq!(ws.recv().await.unwrap().to_text().unwrap(), "hello");

    // Let them go; the server notices every one.
    drop(child.stdin.take());
    let status = weft::to_thread(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    settle(|| server.active_connections() == 2).await;
    assert!(per_conn < 32 * 1024, "{per_conn} bytes per idle connection");
    let _ = std::io::stdout().flush();
}

/// A client that never reads: the handler's 8 MiB message is buffered and the
/// handler returns; the connection then lingers for its closing handshake no longer
/// than `close_timeout` before the socket is closed. Virtual time.
#[weft::test(start_paused = true)]
async fn a_peer_that_stops_reading_cannot_keep_a_finished_connection_alive() {
    let options = ServeOptions::new().config(Config::new().close_timeout(Duration::from_secs(10)));
    let server = serve_with("127.0.0.1:0", options, |ws| async move {
        ws.send(vec![0u8; 8 << 20]).await.unwrap();
    })
    .await
    .unwrap();
    let port = server.local_addr().port();
    let raw = support::send_handshake(server.local_addr()).await;
    // Never read. The handler returns at once (8 MiB buffered, over the kernel's
    // buffers); what is left is the linger task.
    settle(|| server.active_connections() == 0).await;
    assert_eq!(
        sockets_on_port(port),
        2,
        "the listener and the lingering connection"
    );
    weft::sleep(Duration::from_secs(11)).await;
    assert_eq!(sockets_on_port(port), 1, "closed at close_timeout");
    drop(raw);
}
