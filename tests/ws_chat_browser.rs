//! The browser test of `examples/ws_chat.rs`: the example serves its page and its
//! WebSocket endpoint; headless Chromium (Debian's `chromium`, which `.ci/run`
//! installs) opens two pages, `alice` and `bob`, that greet each other through the
//! server. `tests/peers/browser.py` drives Chromium over the DevTools protocol and
//! prints each page's log.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

mod support;

/// Kills the server when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn two_chromium_pages_chat_through_ws_chat() {
    let mut server = KillOnDrop(
        Command::new(support::example("ws_chat"))
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the example starts"),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .strip_prefix("listening on ")
        .map(str::trim)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let out = Command::new(support::python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/browser.py"))
        .args([url.as_str(), "alice", "bob", "--timeout", "60"])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser test failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&"alice: hello from bob"), "{lines:?}");
    assert!(lines.contains(&"bob: hello from alice"), "{lines:?}");
}
