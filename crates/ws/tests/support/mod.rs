//! Helpers shared by weft-ws's integration tests. (Each test file compiles its own
//! copy: what one file does not use is dead code there.)
#![allow(dead_code)]

use std::path::PathBuf;

use weft::reactor::net::TcpStream;

/// A client's opening handshake, by hand (RFC 6455's example key).
pub const HANDSHAKE: &[u8] =
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Connects to `addr` and sends [`HANDSHAKE`]; the answer is left unread.
pub async fn send_handshake(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(HANDSHAKE).await.unwrap();
    s
}

/// Connects, handshakes by hand and reads the `101` answer: a raw client.
pub async fn raw_client(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = send_handshake(addr).await;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            s.read(&mut byte).await.unwrap(),
            1,
            "closed during the handshake"
        );
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// The Python of the peers' venv: `$WEFT_PYTHON`, else `weft-py/bin/python` in the
/// target directory this test runs from (`cargo xtask peers` builds it).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("WEFT_PYTHON") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test>
    let python = exe
        .ancestors()
        .nth(3)
        .expect("target dir")
        .join("weft-py/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask peers` (it builds the Python venv of the peers)",
        python.display()
    );
    python
}
