//! asyncio's streams: `open_connection` / `start_server`, `StreamReader` and
//! `StreamWriter`. Everything runs over loopback on one loop; the tests order events
//! with promises and end-of-stream, never with sleeps.

use std::cell::RefCell;
use std::io::ErrorKind;
use std::rc::Rc;

use weft::net::{
    open_connection, open_unix_connection, start_server, start_unix_server, StreamError,
    StreamReader, StreamWriter, UnixStream,
};
use weft::Promise;

/// More than the kernel's socket buffers hold on loopback (the sender's grows to
/// `tcp_wmem`'s 4 MiB; a receiver that does not read keeps its initial window), so a
/// writer is left with a buffer far above the high-water mark.
const FLOOD: usize = 16 * 1024 * 1024;

/// One end of a connection, as streams.
type End = (StreamReader<UnixStream>, StreamWriter<UnixStream>);

/// A reader and a writer on the two ends of a socket pair.
fn pair() -> (End, End) {
    let (a, b) = UnixStream::pair().unwrap();
    let (ar, aw) = a.into_split();
    let (br, bw) = b.into_split();
    (
        (StreamReader::new(ar), StreamWriter::new(aw)),
        (StreamReader::new(br), StreamWriter::new(bw)),
    )
}

/// An echo handler: lines back until end of stream.
async fn echo_lines(mut reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.readline().await {
            Ok(line) if line.is_empty() => break,
            Ok(line) => {
                writer.write(&line);
                if writer.drain().await.is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
}

#[weft::test]
async fn echo_round_trip() {
    let server = start_server("127.0.0.1:0", echo_lines).await.unwrap();
    let (mut reader, writer) = open_connection(server.local_addr()).await.unwrap();
    for msg in [&b"hello\n"[..], b"world\n", b"a much longer line of text\n"] {
        writer.write(msg);
        writer.drain().await.unwrap();
        assert_eq!(reader.readline().await.unwrap(), msg);
    }
    assert_eq!(writer.peer_addr().unwrap(), server.local_addr());
    writer.close();
    writer.wait_closed().await.unwrap();
    // The handler sees end of stream, returns, and the server closes its side.
    assert_eq!(reader.read(10).await.unwrap(), b"");
    assert!(reader.at_eof());
    server.close();
    server.wait_closed().await;
}

#[weft::test]
async fn read_returns_at_most_n_bytes_and_empty_at_eof() {
    let ((mut r, _w), (_r2, w2)) = pair();
    w2.write(b"0123456789");
    assert_eq!(r.read(4).await.unwrap(), b"0123");
    assert_eq!(r.read(0).await.unwrap(), b"");
    assert_eq!(r.read(100).await.unwrap(), b"456789");
    w2.write_eof();
    assert_eq!(r.read(100).await.unwrap(), b"");
    assert_eq!(r.read(100).await.unwrap(), b"");
}

#[weft::test]
async fn readline_splits_lines_and_returns_the_rest_at_eof() {
    let ((mut r, _w), (_r2, w2)) = pair();
    w2.write(b"one\ntw");
    assert_eq!(r.readline().await.unwrap(), b"one\n");
    // The second line arrives in two pieces.
    let rest = weft::spawn(async move {
        w2.write(b"o\nthree");
        w2.write_eof();
    });
    assert_eq!(r.readline().await.unwrap(), b"two\n");
    assert_eq!(r.readline().await.unwrap(), b"three");
    assert_eq!(r.readline().await.unwrap(), b"");
    assert!(r.at_eof());
    rest.await.unwrap();
}

#[weft::test]
async fn readexactly_reads_exactly_or_reports_an_incomplete_read() {
    let ((mut r, _w), (_r2, w2)) = pair();
    w2.write(b"abcdefg");
    assert_eq!(r.readexactly(3).await.unwrap(), b"abc");
    assert_eq!(r.readexactly(0).await.unwrap(), b"");
    w2.write_eof();
    match r.readexactly(10).await {
        Err(StreamError::IncompleteRead(e)) => {
            assert_eq!(e.partial, b"defg");
            assert_eq!(e.expected, Some(10));
            assert_eq!(
                e.to_string(),
                "4 bytes read on a total of 10 expected bytes"
            );
        }
        other => panic!("expected an incomplete read, got {other:?}"),
    }
    // The partial bytes were consumed.
    assert!(r.at_eof());
}

#[weft::test]
async fn readuntil_finds_multibyte_separators_across_reads() {
    let ((mut r, _w), (_r2, w2)) = pair();
    let writer = weft::spawn(async move {
        for piece in [&b"HEAD"[..], b"ER\r", b"\n\r", b"\nbody"] {
            w2.write(piece);
            weft::yield_now().await;
        }
        w2
    });
    assert_eq!(r.readuntil(b"\r\n\r\n").await.unwrap(), b"HEADER\r\n\r\n");
    let w2 = writer.await.unwrap();
    w2.write_eof();
    match r.readuntil(b"\r\n\r\n").await {
        Err(StreamError::IncompleteRead(e)) => {
            assert_eq!(e.partial, b"body");
            assert_eq!(e.expected, None);
        }
        other => panic!("expected an incomplete read, got {other:?}"),
    }
}

#[weft::test]
async fn readuntil_reports_a_limit_overrun_with_the_consumed_count() {
    let ((mut r, _w), (_r2, w2)) = pair();
    r.set_limit(4);

    // Separator found, but beyond the limit: consumed is its position; the data
    // stays buffered.
    w2.write(b"0123456789\n");
    match r.readuntil(b"\n").await {
        Err(StreamError::LimitOverrun(e)) => assert_eq!(e.consumed, 10),
        other => panic!("expected a limit overrun, got {other:?}"),
    }
    assert_eq!(r.buffer(), b"0123456789\n");
    assert_eq!(r.readexactly(11).await.unwrap(), b"0123456789\n");

    // No separator within the limit: consumed is how far the search went.
    w2.write(b"abcdefgh");
    match r.readuntil(b"\n").await {
        Err(StreamError::LimitOverrun(e)) => assert_eq!(e.consumed, 8),
        other => panic!("expected a limit overrun, got {other:?}"),
    }
    assert_eq!(r.buffer(), b"abcdefgh");

    // readline discards as asyncio does: the whole buffer when the line's end is
    // not in it...
    match r.readline().await {
        Err(StreamError::LimitOverrun(_)) => {}
        other => panic!("expected a limit overrun, got {other:?}"),
    }
    assert_eq!(r.buffer(), b"");
    // ...and up to the end of the line when it is.
    w2.write(b"too long\nok\n");
    match r.readline().await {
        Err(StreamError::LimitOverrun(e)) => assert_eq!(e.consumed, 8),
        other => panic!("expected a limit overrun, got {other:?}"),
    }
    assert_eq!(r.readline().await.unwrap(), b"ok\n");

    // Exactly at the limit is fine.
    w2.write(b"1234\n");
    assert_eq!(r.readline().await.unwrap(), b"1234\n");
}

#[weft::test]
async fn stream_errors_convert_to_io_errors() {
    let ((mut r, _w), (_r2, w2)) = pair();
    w2.write(b"ab");
    w2.write_eof();
    let err: std::io::Error = r.readexactly(3).await.unwrap_err().into();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
}

#[weft::test]
async fn at_eof_only_once_the_end_was_seen_and_everything_read() {
    let ((mut r, _w), (_r2, w2)) = pair();
    assert!(!r.at_eof());
    w2.write(b"x");
    drop(w2); // shuts down the writing side
    assert!(!r.at_eof(), "the end of stream has not been read yet");
    assert_eq!(r.read(1).await.unwrap(), b"x");
    assert!(!r.at_eof());
    assert_eq!(r.read(1).await.unwrap(), b"");
    assert!(r.at_eof());
}

#[weft::test]
async fn half_close_the_server_reads_eof_and_still_answers() {
    let server = start_server("127.0.0.1:0", |mut reader, writer| async move {
        let mut request = Vec::new();
        loop {
            let chunk = reader.read(1024).await.unwrap();
            if chunk.is_empty() {
                break; // the client's write_eof
            }
            request.extend(chunk);
        }
        assert!(reader.at_eof());
        writer.write(b"got: ");
        writer.write(&request);
        writer.drain().await.unwrap();
        writer.close();
        writer.wait_closed().await.unwrap();
    })
    .await
    .unwrap();
    let (mut reader, writer) = open_connection(server.local_addr()).await.unwrap();
    writer.write(b"the request");
    writer.write_eof();
    assert!(!writer.is_closing(), "write_eof leaves the writer open");
    assert_eq!(reader.read_to_end().await.unwrap(), b"got: the request");
}

#[weft::test]
async fn drain_waits_until_the_peer_reads() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let start_reading = Promise::<()>::new();
    let received = Promise::<usize>::new();
    let server = {
        let (log, start_reading, received) = (log.clone(), start_reading.clone(), received.clone());
        start_server("127.0.0.1:0", move |mut reader, _writer| {
            let (log, start_reading, received) =
                (log.clone(), start_reading.clone(), received.clone());
            async move {
                start_reading.await.unwrap();
                log.borrow_mut().push("server reads");
                let mut n = 0;
                while n < FLOOD {
                    n += reader.read(1 << 20).await.unwrap().len();
                }
                received.set_result(n).unwrap();
            }
        })
        .await
        .unwrap()
    };
    let (_reader, writer) = open_connection(server.local_addr()).await.unwrap();
    writer.write(&vec![7; FLOOD]);
    assert!(writer.get_write_buffer_size() > 64 * 1024);
    let drained = {
        let log = log.clone();
        weft::spawn(async move {
            writer.drain().await.unwrap();
            log.borrow_mut().push("drained");
            writer
        })
    };
    // Let the loop run: the background flush fills the socket, and stops.
    for _ in 0..100 {
        weft::yield_now().await;
    }
    assert!(
        !drained.done(),
        "drain must wait while the peer does not read"
    );
    assert!(log.borrow().is_empty());

    start_reading.set_result(()).unwrap();
    let writer = drained.await.unwrap();
    assert!(writer.get_write_buffer_size() <= 16 * 1024);
    assert_eq!(received.await.unwrap(), FLOOD);
    assert_eq!(*log.borrow(), ["server reads", "drained"]);
}

#[weft::test]
async fn a_peer_reset_fails_only_its_connection() {
    let flood_failed = Promise::<ErrorKind>::new();
    let server = {
        let flood_failed = flood_failed.clone();
        start_server("127.0.0.1:0", move |mut reader, writer| {
            let flood_failed = flood_failed.clone();
            async move {
                if reader.readline().await.unwrap() == b"flood\n" {
                    let chunk = vec![1; 64 * 1024];
                    loop {
                        writer.write(&chunk);
                        if let Err(e) = writer.drain().await {
                            flood_failed.set_result(e.kind()).unwrap();
                            assert!(writer.is_closing());
                            return;
                        }
                    }
                }
                echo_lines(reader, writer).await;
            }
        })
        .await
        .unwrap()
    };
    let addr = server.local_addr();

    let (mut echo_r, echo_w) = open_connection(addr).await.unwrap();
    echo_w.write(b"echo\nbefore\n");
    assert_eq!(echo_r.readline().await.unwrap(), b"before\n");

    {
        let (mut r, w) = open_connection(addr).await.unwrap();
        w.write(b"flood\n");
        let _ = r.readexactly(1000).await.unwrap();
        // Dropped with unread data queued: the kernel resets the connection.
    }
    let kind = flood_failed.await.unwrap();
    assert!(
        matches!(kind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
        "{kind:?}"
    );

    echo_w.write(b"after\n");
    assert_eq!(echo_r.readline().await.unwrap(), b"after\n");
    assert!(server.is_serving());
}

/// What the loop's exception handler is given: (message, panic message) pairs.
type Reports = Rc<RefCell<Vec<(String, Option<String>)>>>;

/// Installs an exception handler on the current loop that records what it is given.
fn record_reports() -> Reports {
    let reports = Reports::default();
    let sink = reports.clone();
    weft::Handle::current().set_exception_handler(move |ctx| {
        sink.borrow_mut()
            .push((ctx.message.clone(), ctx.panic.clone()));
    });
    reports
}

/// The report of a task that panicked with `panic` and whose result nobody took.
fn unretrieved_panic(panic: &str) -> (String, Option<String>) {
    (
        "Task exception was never retrieved".to_string(),
        Some(panic.to_string()),
    )
}

#[weft::test]
async fn a_panicking_handler_ends_only_its_connection() {
    let reports = record_reports();
    let server = start_server("127.0.0.1:0", |mut reader, writer| async move {
        let line = reader.readline().await.unwrap();
        if line == b"panic\n" {
            panic!("handler failed");
        }
        writer.write(&line);
        echo_lines(reader, writer).await;
    })
    .await
    .unwrap();
    let addr = server.local_addr();

    let (mut r, w) = open_connection(addr).await.unwrap();
    w.write(b"panic\n");
    // The connection ends (end of stream, or a reset if our data was unread).
    let _ = r.read_to_end().await;
    assert_eq!(*reports.borrow(), [unretrieved_panic("handler failed")]);

    let (mut r, w) = open_connection(addr).await.unwrap();
    w.write(b"still here\n");
    assert_eq!(r.readline().await.unwrap(), b"still here\n");
    assert!(server.is_serving());
}

/// A handler that is a plain function returning a future can panic before it returns
/// one: the server calls it outside the connection's task, and the panic must still
/// end only that connection, reported as a panic in the task.
#[weft::test]
async fn a_handler_panicking_before_its_future_ends_only_its_connection() {
    let reports = record_reports();
    let calls = std::cell::Cell::new(0);
    let server = start_server("127.0.0.1:0", move |reader, writer| {
        calls.set(calls.get() + 1);
        if calls.get() == 1 {
            panic!("no future for the first");
        }
        echo_lines(reader, writer)
    })
    .await
    .unwrap();
    let addr = server.local_addr();

    let (mut r, _w) = open_connection(addr).await.unwrap();
    // The connection is closed without a byte read or written.
    assert_eq!(r.read_to_end().await.unwrap(), b"");
    assert_eq!(
        *reports.borrow(),
        [unretrieved_panic("no future for the first")]
    );

    let (mut r, w) = open_connection(addr).await.unwrap();
    w.write(b"second\n");
    assert_eq!(r.readline().await.unwrap(), b"second\n");
    assert!(server.is_serving());
    // The first connection's guard went with its task: only the second is counted.
    assert_eq!(server.active_connections(), 1);
}

#[weft::test]
async fn close_stops_accepting_while_connections_go_on() {
    let server = start_server("127.0.0.1:0", echo_lines).await.unwrap();
    let addr = server.local_addr();
    let (mut r, w) = open_connection(addr).await.unwrap();
    w.write(b"one\n");
    assert_eq!(r.readline().await.unwrap(), b"one\n");
    assert_eq!(server.active_connections(), 1);

    server.close();
    assert!(!server.is_serving());
    let refused = open_connection(addr).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);

    // The accepted connection is still served.
    w.write(b"two\n");
    assert_eq!(r.readline().await.unwrap(), b"two\n");

    // wait_closed waits for it to end.
    let closed = weft::spawn({
        let server = server.clone();
        async move { server.wait_closed().await }
    });
    for _ in 0..10 {
        weft::yield_now().await;
    }
    assert!(!closed.done());
    w.close();
    closed.await.unwrap();
    assert_eq!(server.active_connections(), 0);
}

#[weft::test]
async fn serve_forever_returns_on_close_and_closes_when_cancelled() {
    let server = start_server("127.0.0.1:0", echo_lines).await.unwrap();
    let serving = weft::spawn({
        let server = server.clone();
        async move { server.serve_forever().await }
    });
    weft::yield_now().await;
    assert!(!serving.done());
    server.close();
    serving.await.unwrap();

    let server = start_server("127.0.0.1:0", echo_lines).await.unwrap();
    let serving = weft::spawn({
        let server = server.clone();
        async move { server.serve_forever().await }
    });
    weft::yield_now().await;
    serving.cancel();
    assert!(serving.await.is_err());
    assert!(!server.is_serving());
}

#[weft::test]
async fn a_hundred_concurrent_clients() {
    let server = start_server("127.0.0.1:0", echo_lines).await.unwrap();
    let addr = server.local_addr();
    let clients: Vec<_> = (0..100)
        .map(|i| {
            weft::spawn(async move {
                let (mut r, w) = open_connection(addr).await.unwrap();
                let mut answers = Vec::new();
                for j in 0..3 {
                    let line = format!("client {i} message {j}\n");
                    w.write(line.as_bytes());
                    w.drain().await.unwrap();
                    answers.push(r.readline().await.unwrap() == line.as_bytes());
                }
                w.close();
                assert_eq!(r.read(1).await.unwrap(), b"");
                answers.into_iter().all(|ok| ok)
            })
        })
        .collect();
    for client in clients {
        assert!(client.await.unwrap());
    }
    server.close();
    server.wait_closed().await;
}

#[weft::test]
async fn unix_sockets_round_trip_and_the_socket_file_is_removed() {
    let dir = std::env::temp_dir().join(format!("weft-streams-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    // A stale socket file from an earlier run is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());

    let server = start_unix_server(&path, |mut reader, writer| async move {
        while let Ok(line) = reader.readline().await {
            if line.is_empty() {
                break;
            }
            writer.write(&line);
        }
    })
    .await
    .unwrap();
    assert_eq!(server.local_addr().as_pathname(), Some(path.as_path()));
    let (mut r, w) = open_unix_connection(&path).await.unwrap();
    w.write(b"over a unix socket\n");
    assert_eq!(r.readline().await.unwrap(), b"over a unix socket\n");
    assert!(w.peer_addr().unwrap().as_pathname() == Some(path.as_path()));
    server.close();
    assert!(!path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[weft::test]
async fn a_cancelled_read_loses_no_data() {
    let ((mut r, _w), (_r2, w2)) = pair();
    w2.write(b"abc");
    // readexactly(5) cannot finish yet; drop it after it buffered "abc".
    let timed_out = weft::wait_for(std::time::Duration::from_millis(1), r.readexactly(5)).await;
    assert!(timed_out.is_err());
    w2.write(b"de");
    assert_eq!(r.readexactly(5).await.unwrap(), b"abcde");
}

/// `accept(2)` failing with `EMFILE` does not end the accept loop: the server logs,
/// backs off, and serves the waiting connection once descriptors are free.
///
/// The scenario runs in a child process (this same test binary) with a low
/// descriptor limit, set by `sh -c 'ulimit -n ..'`, so that exhausting descriptors
/// does not disturb the other tests.
#[test]
fn the_accept_loop_survives_emfile() {
    if std::env::var_os("WEFT_EMFILE_CHILD").is_some() {
        return emfile_child();
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([
            "--exact",
            "the_accept_loop_survives_emfile",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WEFT_EMFILE_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("EMFILE SCENARIO OK"), "{stdout}\n{stderr}");
}

fn emfile_child() {
    use std::sync::{Arc, Mutex};

    /// Resolves `accept_failed` when the server logs its accept failure.
    #[derive(Clone)]
    struct Watch(Promise<()>, Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Watch {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut log = self.1.lock().unwrap();
            log.extend_from_slice(buf);
            if String::from_utf8_lossy(&log).contains("accept failed") {
                let _ = self.0.set_result(());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let accept_failed = Promise::<()>::new();
    let watch = Watch(accept_failed.clone(), Arc::default());
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || watch.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    weft::run(async move {
        let server = start_server("127.0.0.1:0", echo_lines).await.unwrap();
        let addr = server.local_addr();
        let mut hog = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => hog.push(f),
                Err(e) if e.raw_os_error() == Some(24) => break, // EMFILE
                Err(e) => panic!("unexpected error while exhausting descriptors: {e}"),
            }
        }
        // One descriptor for the client's socket; none left for accept(2).
        drop(hog.pop());
        let (mut r, w) = open_connection(addr).await.unwrap();
        accept_failed.await.unwrap();
        drop(hog);
        // The server retries after its back-off and serves the connection.
        w.write(b"recovered\n");
        assert_eq!(r.readline().await.unwrap(), b"recovered\n");
        assert!(server.is_serving());
    });
    println!("EMFILE SCENARIO OK");
}

/// `readinto` hands out what other reads buffered first, a piece at a time when the
/// caller's buffer is smaller, then reads from the socket straight into it; an empty
/// buffer reads nothing, and end of stream is `Ok(0)`, again and again.
#[weft::test]
async fn readinto_drains_the_buffer_first_then_reads_the_socket() {
    let ((mut reader, _rw), (_r, writer)) = pair();
    writer.write(b"head\nbuffered tail");
    writer.drain().await.unwrap();
    assert_eq!(reader.readline().await.unwrap(), b"head\n");
    assert_eq!(reader.buffer(), b"buffered tail");

    assert_eq!(reader.readinto(&mut []).await.unwrap(), 0);
    let mut small = [0; 8];
    assert_eq!(reader.readinto(&mut small).await.unwrap(), 8);
    assert_eq!(&small, b"buffered");
    assert_eq!(reader.readinto(&mut small).await.unwrap(), 5);
    assert_eq!(&small[..5], b" tail");
    assert!(reader.buffer().is_empty());

    writer.write(b"direct");
    writer.close();
    let mut big = [0; 64];
    let mut got = Vec::new();
    loop {
        match reader.readinto(&mut big).await.unwrap() {
            0 => break,
            n => got.extend_from_slice(&big[..n]),
        }
    }
    assert_eq!(got, b"direct");
    assert!(reader.buffer().is_empty(), "read past the reader's buffer");
    assert!(reader.at_eof());
    assert_eq!(reader.readinto(&mut big).await.unwrap(), 0);
}

/// A writer goes from writing straight to the socket, to buffering behind a full
/// socket, and back once the flush is done; the bytes arrive in the order written
/// throughout, and `write_eof` after the round trip still ends the stream.
#[weft::test]
async fn writes_keep_their_order_from_direct_to_buffered_and_back() {
    let ((_ar, writer), (mut reader, _bw)) = pair();
    let big: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    writer.write(b"<");
    writer.write(&big);
    assert!(
        writer.get_write_buffer_size() > 0,
        "a socket pair holds less than 1 MiB"
    );
    writer.write(b">");
    let expected = [&b"<"[..], &big, b">"].concat();
    assert_eq!(reader.readexactly(expected.len()).await.unwrap(), expected);
    // Everything was read, so the flush is over.
    assert_eq!(writer.get_write_buffer_size(), 0);

    writer.write(b"after the flush");
    writer.drain().await.unwrap();
    writer.write_eof();
    assert_eq!(reader.read_to_end().await.unwrap(), b"after the flush");
}

/// A write straight to a socket whose peer is gone fails the writer: `drain` reports
/// the error, the writer is closing, and later writes are dropped.
#[weft::test]
async fn a_direct_write_to_a_vanished_peer_fails_the_writer() {
    let ((_ar, writer), (mut reader, bw)) = pair();
    writer.write(b"hello");
    assert_eq!(reader.readexactly(5).await.unwrap(), b"hello");
    assert_eq!(writer.get_write_buffer_size(), 0);
    drop((reader, bw));
    writer.write(b"nobody listens");
    let err = writer.drain().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert!(writer.is_closing());
    writer.write(b"dropped");
    assert_eq!(writer.get_write_buffer_size(), 0);
    assert_eq!(
        writer.wait_closed().await.unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
}
