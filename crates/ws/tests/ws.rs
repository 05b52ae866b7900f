//! weft-ws end to end, weft on both sides: messages, pings, every close path,
//! backpressure, broadcast, the server's lifecycle and handshake refusals.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use weft::reactor::net::TcpStream;
use weft_ws::{
    broadcast, connect, connect_with, serve, serve_with, Config, ConnectOptions, Error, Message,
    Reconnect, Response, ServeOptions, Server, WebSocket, Writer,
};

/// An echo server (text stays text, binary stays binary).
async fn echo_server(config: Config) -> Server {
    serve_with(
        "127.0.0.1:0",
        ServeOptions::new().config(config),
        |mut ws| async move {
            while let Ok(msg) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        },
    )
    .await
    .expect("bind")
}

fn url(server: &Server) -> String {
    format!("ws://{}", server.local_addr())
}

#[test]
fn text_and_binary_round_trip_in_order() {
    weft::run(async {
        let server = echo_server(Config::new()).await;
        let mut ws = connect(&url(&server)).await.unwrap();
        ws.send("one").await.unwrap();
        ws.send(vec![2u8; 3]).await.unwrap();
        ws.send("").await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Message::text("one"));
        assert_eq!(ws.recv().await.unwrap(), Message::binary(vec![2u8; 3]));
        assert_eq!(ws.recv().await.unwrap(), Message::text(""));
    });
}

#[test]
fn a_one_mebibyte_message_round_trips() {
    weft::run(async {
        let config = Config::new().max_size(Some(2 << 20));
        let server = echo_server(config.clone()).await;
        let ws = connect_with(&url(&server), &ConnectOptions::new().config(config))
            .await
            .unwrap();
        let (mut rd, wr) = ws.split();
        let payload: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        // The write buffer exceeds the limit: send returns before all is written and
        // the flusher finishes while we read.
        wr.send(payload.clone()).await.unwrap();
        assert_eq!(rd.recv().await.unwrap().into_data(), payload);
    });
}

#[test]
fn client_close_reaches_the_handler_as_a_normal_close() {
    weft::run(async {
        let seen = Rc::new(RefCell::new(None));
        let s = seen.clone();
        let server = serve("127.0.0.1:0", move |mut ws| {
            let s = s.clone();
            async move {
                let err = ws.recv().await.unwrap_err();
                *s.borrow_mut() = Some(err);
            }
        })
        .await
        .unwrap();
        let mut ws = connect(&url(&server)).await.unwrap();
        ws.close(1000, "bye").await.unwrap();
        let err = ws.recv().await.unwrap_err();
        assert_eq!(err.close_code(), Some(1000));
        server.close();
        server.wait_closed().await;
        let err = seen.borrow_mut().take().expect("handler saw the close");
        assert!(err.is_normal_close(), "{err}");
        assert_eq!(err.to_string(), "connection closed: 1000 bye");
    });
}

#[test]
fn a_handler_that_returns_closes_with_1000() {
    weft::run(async {
        let server = serve("127.0.0.1:0", |ws| async move {
            ws.send("only one").await.unwrap();
        })
        .await
        .unwrap();
        let mut ws = connect(&url(&server)).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().to_text().unwrap(), "only one");
        let err = ws.recv().await.unwrap_err();
        assert_eq!(err.close_code(), Some(1000));
        // Sending on a closed connection fails the same way.
        assert_eq!(ws.send("late").await.unwrap_err().close_code(), Some(1000));
    });
}

#[test]
fn server_close_sends_1001_to_every_connection() {
    weft::run(async {
        let server = echo_server(Config::new()).await;
        let mut a = connect(&url(&server)).await.unwrap();
        let mut b = connect(&url(&server)).await.unwrap();
        a.send("hi").await.unwrap();
        a.recv().await.unwrap();
        b.send("hi").await.unwrap();
        b.recv().await.unwrap();
        server.close();
        for ws in [&mut a, &mut b] {
            let err = ws.recv().await.unwrap_err();
            assert_eq!(err.close_code(), Some(1001));
            assert!(err.is_normal_close());
        }
        server.wait_closed().await;
        assert_eq!(server.active_connections(), 0);
        // New connections are refused.
        assert!(matches!(connect(&url(&server)).await, Err(Error::Io(_))));
    });
}

#[test]
fn ping_resolves_with_the_round_trip_time() {
    weft::run(async {
        let server = echo_server(Config::new()).await;
        let ws = connect(&url(&server)).await.unwrap();
        // Nobody calls recv: the ping future reads its pong itself.
        let rtt = ws.ping().await.unwrap();
        assert!(rtt < Duration::from_secs(10));
        // With a recv parked, the reader matches the pong.
        let (mut rd, wr) = ws.split();
        let reader = weft::spawn(async move { rd.recv().await });
        weft::yield_now().await;
        wr.ping().await.unwrap();
        wr.send("after ping").await.unwrap();
        let msg = reader.await.unwrap().unwrap();
        assert_eq!(msg.to_text().unwrap(), "after ping");
    });
}

#[test]
fn an_oversized_message_fails_that_connection_with_1009_only() {
    weft::run(async {
        let small = Config::new().max_size(Some(1024));
        let server = echo_server(small).await;
        let mut big = connect(&url(&server)).await.unwrap();
        let mut other = connect(&url(&server)).await.unwrap();
        big.send(vec![0u8; 4096]).await.unwrap();
        let err = big.recv().await.unwrap_err();
        assert_eq!(err.close_code(), Some(1009), "{err}");
        assert!(!err.is_normal_close());
        other.send("still here").await.unwrap();
        assert_eq!(other.recv().await.unwrap().to_text().unwrap(), "still here");
    });
}

/// Writes a raw masked client frame.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8, 1, 2, 3, 4];
    frame.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ [1, 2, 3, 4][i % 4]),
    );
    frame
}

/// Reads until EOF; returns the close code of the first close frame seen.
async fn close_code_from(mut s: TcpStream) -> Option<u16> {
    let mut all = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
    // Server frames are unmasked; look for opcode 8.
    let mut i = 0;
    while i + 2 <= all.len() {
        let (op, len) = (all[i] & 0x0f, (all[i + 1] & 0x7f) as usize);
        if op == 8 && len >= 2 {
            return Some(u16::from_be_bytes([all[i + 2], all[i + 3]]));
        }
        i += 2 + len;
    }
    None
}

#[test]
fn invalid_utf8_gets_1007_and_a_protocol_error_gets_1002() {
    weft::run(async {
        let server = echo_server(Config::new()).await;
        let mut other = connect(&url(&server)).await.unwrap();

        let mut s = support::raw_client(server.local_addr()).await;
        s.write_all(&client_frame(0x1, &[0xff, 0xfe, b'a']))
            .await
            .unwrap();
        assert_eq!(close_code_from(s).await, Some(1007));

        let mut s = support::raw_client(server.local_addr()).await;
        s.write_all(&client_frame(0x3, b"reserved opcode"))
            .await
            .unwrap();
        assert_eq!(close_code_from(s).await, Some(1002));

        other.send("unharmed").await.unwrap();
        assert_eq!(other.recv().await.unwrap().to_text().unwrap(), "unharmed");
    });
}

#[test]
fn a_bad_handshake_gets_400_and_process_request_answers_plain_http() {
    weft::run(async {
        let options = ServeOptions::new()
            .process_request(|req| (req.path() == "/healthz").then(|| Response::new(200, "OK\n")));
        let server = serve_with("127.0.0.1:0", options, |ws| async move { drop(ws) })
            .await
            .unwrap();
        for (request, status) in [
            (&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..], "HTTP/1.1 400"),
            (
                &b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"[..],
                "HTTP/1.1 200",
            ),
            (&b"\x16\x03\x01garbage\r\n\r\n"[..], "HTTP/1.1 400"),
        ] {
            let mut s = TcpStream::connect(server.local_addr()).await.unwrap();
            s.write_all(request).await.unwrap();
            let mut out = Vec::new();
            let mut buf = [0u8; 512];
            loop {
                match s.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => out.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&out);
            assert!(text.starts_with(status), "{text}");
        }
        // A real client still upgrades.
        assert!(connect(&url(&server)).await.is_ok());
    });
}

#[test]
fn origins_and_subprotocols() {
    weft::run(async {
        let options = ServeOptions::new()
            .origins(["http://good.example"])
            .subprotocols(["chat.v2", "chat"]);
        let server = serve_with("127.0.0.1:0", options, |ws| async move {
            let p = ws.subprotocol().unwrap_or("none").to_owned();
            let _ = ws.send(p).await;
        })
        .await
        .unwrap();
        let bad = ConnectOptions::new().header("Origin", "http://evil.example");
        match connect_with(&url(&server), &bad).await {
            Err(Error::Handshake {
                status: Some(403), ..
            }) => {}
            other => panic!("expected a 403, got {other:?}"),
        }
        let good = ConnectOptions::new()
            .header("Origin", "http://good.example")
            .subprotocols(["chat", "other"]);
        let mut ws = connect_with(&url(&server), &good).await.unwrap();
        assert_eq!(ws.subprotocol(), Some("chat"));
        assert_eq!(ws.recv().await.unwrap().to_text().unwrap(), "chat");
    });
}

#[test]
fn broadcast_skips_a_connection_over_its_write_limit() {
    weft::run(async {
        let writers: Rc<RefCell<Vec<Writer>>> = Rc::default();
        let w = writers.clone();
        let options = ServeOptions::new().config(Config::new().write_limit(64 * 1024));
        let server = serve_with("127.0.0.1:0", options, move |ws| {
            let w = w.clone();
            async move {
                let (mut rd, wr) = ws.split();
                w.borrow_mut().push(wr);
                while rd.recv().await.is_ok() {}
            }
        })
        .await
        .unwrap();
        let mut fast = connect(&url(&server)).await.unwrap();
        // `slow` never reads: its server-side buffer fills up.
        let slow = connect(&url(&server)).await.unwrap();
        while writers.borrow().len() < 2 {
            weft::sleep(Duration::from_millis(1)).await;
        }
        let received = Rc::new(std::cell::Cell::new(0usize));
        let r = received.clone();
        let reader = weft::spawn(async move {
            while fast.recv().await.is_ok() {
                r.set(r.get() + 1);
            }
        });
        let chunk = weft_ws::Bytes::from(vec![7u8; 16 * 1024]);
        let mut skipped = false;
        for _ in 0..10_000 {
            let sent = broadcast(writers.borrow().iter(), chunk.clone());
            if sent < 2 {
                let over = writers
                    .borrow()
                    .iter()
                    .filter(|w| w.buffered() > 64 * 1024)
                    .count();
                assert!(
                    over >= 1,
                    "a connection was skipped while none is over the limit"
                );
                skipped = true;
                break;
            }
            weft::sleep(Duration::from_millis(0)).await;
        }
        assert!(skipped, "the slow reader was never skipped");
        assert!(received.get() > 0, "the fast reader got messages");
        reader.cancel();
        drop(slow);
    });
}

/// Virtual time: the backoff's sleeps take no real time.
#[weft::test(start_paused = true)]
async fn reconnect_retries_until_the_server_is_up() {
    // Find a free port, then start the server only after a few failed attempts.
    let probe = weft::reactor::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let backoff = weft_ws::Backoff {
        initial: Duration::from_millis(20),
        factor: 2.0,
        max: Duration::from_millis(100),
    };
    let h = weft::Handle::current();
    let start = h.time();
    let mut client = Reconnect::new(&format!("ws://{addr}")).backoff(backoff);
    let starter = weft::spawn(async move {
        weft::sleep(Duration::from_millis(150)).await;
        serve(addr, |ws| async move {
            let _ = ws.send("up").await;
        })
        .await
        .unwrap()
    });
    let mut ws = client.next().await.unwrap();
    assert_eq!(ws.recv().await.unwrap().to_text().unwrap(), "up");
    let _server = starter.await.unwrap();
    assert_eq!(client.attempts(), 0, "reset after success");
    assert!(
        h.time() - start >= Duration::from_millis(150),
        "connected only once the server was up"
    );
}

#[test]
fn stream_ends_after_a_normal_close() {
    use std::future::poll_fn;
    use std::pin::Pin;
    weft::run(async {
        let server = serve("127.0.0.1:0", |ws| async move {
            ws.send("a").await.unwrap();
            ws.send("b").await.unwrap();
        })
        .await
        .unwrap();
        let mut ws: WebSocket = connect(&url(&server)).await.unwrap();
        let mut got = Vec::new();
        while let Some(item) =
            poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut ws), cx)).await
        {
            got.push(item.unwrap().to_text().unwrap().to_owned());
        }
        assert_eq!(got, ["a", "b"]);
    });
}

/// The keepalive reads (for pongs) with `try_read` while `close` waits on the same
/// socket: the waiter must still be woken when the peer's close reply arrives.
/// Virtual time: a lost wake-up would show as `close` lasting its whole timeout.
#[weft::test(start_paused = true)]
async fn a_keepalive_read_does_not_steal_the_wakeup_of_close() {
    let config = Config::new()
        .ping_interval(Some(Duration::from_millis(800)))
        .close_timeout(Duration::from_secs(60));
    let options = ServeOptions::new().config(config.clone());
    let server = serve_with("127.0.0.1:0", options, |ws| async move {
        // Only sends: it notices the client's close frame when it sends next.
        loop {
            weft::sleep(Duration::from_millis(200)).await;
            if ws.send("tick").await.is_err() {
                return;
            }
        }
    })
    .await
    .unwrap();
    let mut ws = connect_with(&url(&server), &ConnectOptions::new().config(config))
        .await
        .unwrap();
    for _ in 0..3 {
        ws.recv().await.unwrap();
    }
    let h = weft::Handle::current();
    let start = h.time();
    ws.close(1000, "bye").await.unwrap();
    let took = h.time() - start;
    assert!(
        took < Duration::from_secs(60),
        "close waited for its timeout ({took:?})"
    );
    assert_eq!(ws.close_reason().and_then(|e| e.close_code()), Some(1000));
}

/// `Server::close` sends 1001; a peer that never answers (a weft client nobody
/// reads, keepalive off) is given `close_timeout`, then its connection ends as
/// abnormal (1006) and `wait_closed` returns. Virtual time.
#[weft::test(start_paused = true)]
async fn server_close_gives_up_on_a_peer_that_never_answers() {
    let seen: Rc<RefCell<Option<Error>>> = Rc::default();
    let s = seen.clone();
    let options = ServeOptions::new().config(Config::new().close_timeout(Duration::from_secs(5)));
    let server = serve_with("127.0.0.1:0", options, move |mut ws| {
        let s = s.clone();
        async move {
            *s.borrow_mut() = ws.recv().await.err();
        }
    })
    .await
    .unwrap();
    let deaf = ConnectOptions::new().config(Config::new().ping_interval(None));
    let silent = connect_with(&url(&server), &deaf).await.unwrap();
    let h = weft::Handle::current();
    let start = h.time();
    server.close();
    let closed = weft::timeout(Duration::from_secs(60), server.wait_closed()).await;
    assert!(closed.is_ok(), "wait_closed still waiting after 60 s");
    assert!(
        h.time() - start >= Duration::from_secs(5),
        "gave up before close_timeout"
    );
    let err = seen.borrow_mut().take().expect("the handler saw the end");
    assert_eq!(err.close_code(), Some(1006), "{err}");
    drop(silent);
}
