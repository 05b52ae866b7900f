//! `examples/ws_echo_server.rs` (the server Autobahn|Testsuite tests) runs as a
//! child process and echoes messages exactly, up to the suite's 16 MiB ones.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod support;

use weft::ws::{connect_with, Config, ConnectOptions, Message};

#[test]
fn ws_echo_server_echoes_exactly() {
    let mut child = Command::new(support::example("ws_echo_server"))
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .strip_prefix("listening on ")
        .map(str::trim)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let result = std::panic::catch_unwind(|| {
        weft::run(async {
            let options = ConnectOptions::new().config(Config::new().max_size(Some(32 << 20)));
            let mut ws = connect_with(&url, &options).await.unwrap();
            let big: Vec<u8> = (0..16 << 20).map(|i| (i % 253) as u8).collect();
            for msg in [
                Message::text("Hello, Server!"),
                Message::binary(vec![0u8, 1, 2]),
                Message::binary(big),
                Message::text(""),
            ] {
                ws.send(msg.clone()).await.unwrap();
                assert_eq!(ws.recv().await.unwrap(), msg);
            }
            ws.close(1000, "").await.unwrap();
        })
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
