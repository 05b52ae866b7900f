//! asyncio's protocols and transports: `create_server` / `create_connection`, the
//! order of the callbacks, flow control, `pause_reading`, `abort`, resets. Loopback
//! on one loop; events are ordered with promises, never with sleeps.

use std::cell::RefCell;
use std::io::{self, ErrorKind};
use std::rc::Rc;

use weft::net::{
    create_connection, create_server, create_unix_server, open_connection, open_unix_connection,
    Protocol, TcpStream, Transport, UnixStream,
};
use weft::Promise;

/// More than loopback's socket buffers hold when the receiver does not read.
const FLOOD: usize = 16 * 1024 * 1024;

type Log = Rc<RefCell<Vec<String>>>;

/// Records every callback; echoes data; `eof_received` answers `keep_open`.
struct Recorder {
    log: Log,
    transport: Option<Transport>,
    keep_open: bool,
    lost: Promise<()>,
}

impl Recorder {
    fn new(log: &Log, keep_open: bool, lost: &Promise<()>) -> Recorder {
        Recorder {
            log: log.clone(),
            transport: None,
            keep_open,
            lost: lost.clone(),
        }
    }
}

impl Protocol for Recorder {
    fn connection_made(&mut self, transport: Transport) {
        self.log.borrow_mut().push("made".into());
        self.transport = Some(transport);
    }
    fn data_received(&mut self, data: &[u8]) {
        let mut log = self.log.borrow_mut();
        let text = String::from_utf8_lossy(data);
        // One message may arrive in several reads: keep one entry per run of data.
        match log.last_mut() {
            Some(last) if last.starts_with("data ") => last.push_str(&text),
            _ => log.push(format!("data {text}")),
        }
        self.transport.as_ref().unwrap().write(data);
    }
    fn eof_received(&mut self) -> bool {
        self.log.borrow_mut().push("eof".into());
        if self.keep_open {
            let t = self.transport.as_ref().unwrap();
            t.write(b"bye");
            t.close();
        }
        self.keep_open
    }
    fn connection_lost(&mut self, err: Option<io::Error>) {
        self.log
            .borrow_mut()
            .push(format!("lost {:?}", err.map(|e| e.kind())));
        self.lost.set_result(()).unwrap();
    }
    fn pause_writing(&mut self) {
        self.log.borrow_mut().push("pause".into());
    }
    fn resume_writing(&mut self) {
        self.log.borrow_mut().push("resume".into());
    }
}

#[weft::test]
async fn callbacks_come_in_asyncio_order() {
    let log = Log::default();
    let lost = Promise::new();
    let server = {
        let (log, lost) = (log.clone(), lost.clone());
        create_server("127.0.0.1:0", move || Recorder::new(&log, false, &lost))
            .await
            .unwrap()
    };
    let (mut reader, writer) = open_connection(server.local_addr()).await.unwrap();
    writer.write(b"hello");
    writer.write_eof();
    // Echoed, then closed by the server since eof_received returned false.
    assert_eq!(reader.read_to_end().await.unwrap(), b"hello");
    lost.await.unwrap();
    assert_eq!(
        *log.borrow(),
        ["made", "data hello", "eof", "lost None"].map(String::from)
    );
    server.close();
    server.wait_closed().await;
}

#[weft::test]
async fn eof_received_true_keeps_the_transport_open_for_writing() {
    let log = Log::default();
    let lost = Promise::new();
    let server = {
        let (log, lost) = (log.clone(), lost.clone());
        create_server("127.0.0.1:0", move || Recorder::new(&log, true, &lost))
            .await
            .unwrap()
    };
    let (mut reader, writer) = open_connection(server.local_addr()).await.unwrap();
    writer.write(b"hi");
    writer.write_eof();
    assert_eq!(reader.read_to_end().await.unwrap(), b"hibye");
    lost.await.unwrap();
    assert_eq!(
        *log.borrow(),
        ["made", "data hi", "eof", "lost None"].map(String::from)
    );
}

/// asyncio's echo server protocol.
struct Echo(Option<Transport>);

impl Protocol for Echo {
    fn connection_made(&mut self, transport: Transport) {
        self.0 = Some(transport);
    }
    fn data_received(&mut self, data: &[u8]) {
        self.0.as_ref().unwrap().write(data);
    }
    fn connection_lost(&mut self, _err: Option<io::Error>) {}
}

#[weft::test]
async fn echo_through_transport_write() {
    let server = create_server("127.0.0.1:0", || Echo(None)).await.unwrap();
    let (mut reader, writer) = open_connection(server.local_addr()).await.unwrap();
    for i in 0..100 {
        let msg = format!("message {i}\n");
        writer.write(msg.as_bytes());
        assert_eq!(reader.readline().await.unwrap(), msg.as_bytes());
    }
    // A large message: the transport buffers what the socket does not take.
    let big: Vec<u8> = (0..FLOOD / 8).map(|i| i as u8).collect();
    let sent = big.clone();
    let sender = weft::spawn(async move {
        writer.write(&sent);
        writer.drain().await.unwrap();
        writer
    });
    assert_eq!(reader.readexactly(big.len()).await.unwrap(), big);
    drop(sender.await.unwrap());
    assert_eq!(reader.read(1).await.unwrap(), b"");
}

/// A client protocol: sends `message`, collects the answer, reports the end.
struct Client {
    message: Vec<u8>,
    received: Rc<RefCell<Vec<u8>>>,
    lost: Promise<Option<ErrorKind>>,
}

impl Protocol for Client {
    fn connection_made(&mut self, transport: Transport) {
        transport.write(&self.message);
        transport.write_eof();
    }
    fn data_received(&mut self, data: &[u8]) {
        self.received.borrow_mut().extend_from_slice(data);
    }
    fn connection_lost(&mut self, err: Option<io::Error>) {
        self.lost.set_result(err.map(|e| e.kind())).unwrap();
    }
}

#[weft::test]
async fn create_connection_drives_a_client_protocol() {
    let server = create_server("127.0.0.1:0", || Echo(None)).await.unwrap();
    let received = Rc::new(RefCell::new(Vec::new()));
    let lost = Promise::new();
    let transport = {
        let (received, lost) = (received.clone(), lost.clone());
        create_connection(server.local_addr(), move || Client {
            message: b"ping pong".to_vec(),
            received,
            lost,
        })
        .await
        .unwrap()
    };
    assert_eq!(transport.peer_addr().unwrap(), server.local_addr());
    // Our write_eof makes the echo server close; that closes us.
    assert_eq!(lost.await.unwrap(), None);
    assert_eq!(&*received.borrow(), b"ping pong");
    assert!(transport.is_closing());
    assert_eq!(
        transport.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}

#[weft::test]
async fn writes_from_another_task_wake_the_driver() {
    struct Sink(Rc<RefCell<Option<Transport>>>);
    impl Protocol for Sink {
        fn connection_made(&mut self, transport: Transport) {
            *self.0.borrow_mut() = Some(transport);
        }
        fn data_received(&mut self, _data: &[u8]) {}
        fn connection_lost(&mut self, _err: Option<io::Error>) {}
    }
    let slot = Rc::new(RefCell::new(None));
    let server = {
        let slot = slot.clone();
        create_server("127.0.0.1:0", move || Sink(slot.clone()))
            .await
            .unwrap()
    };
    let (mut reader, _writer) = open_connection(server.local_addr()).await.unwrap();
    // connection_made has run once we receive something; poke until then.
    let transport = loop {
        if let Some(t) = slot.borrow().clone() {
            break t;
        }
        weft::yield_now().await;
    };
    // Not from a callback: the driver is asleep and must be woken to flush.
    let data = vec![5u8; FLOOD / 4];
    transport.write(&data);
    assert!(transport.get_write_buffer_size() > 0);
    transport.close();
    assert_eq!(reader.read_to_end().await.unwrap().len(), data.len());
}

#[weft::test]
async fn pause_and_resume_writing_at_the_water_marks() {
    struct Flood {
        log: Log,
        transport: Option<Transport>,
        paused: Promise<usize>,
        resumed: Promise<usize>,
    }
    impl Protocol for Flood {
        fn connection_made(&mut self, transport: Transport) {
            assert_eq!(transport.get_write_buffer_limits(), (16 * 1024, 64 * 1024));
            transport.write(&vec![3; FLOOD]);
            self.log.borrow_mut().push("wrote".into());
            self.transport = Some(transport);
        }
        fn data_received(&mut self, _data: &[u8]) {}
        fn connection_lost(&mut self, _err: Option<io::Error>) {}
        fn pause_writing(&mut self) {
            self.log.borrow_mut().push("pause".into());
            let size = self.transport.as_ref().unwrap().get_write_buffer_size();
            self.paused.set_result(size).unwrap();
        }
        fn resume_writing(&mut self) {
            self.log.borrow_mut().push("resume".into());
            let t = self.transport.as_ref().unwrap();
            self.resumed.set_result(t.get_write_buffer_size()).unwrap();
            t.close();
        }
    }
    let log = Log::default();
    let (paused, resumed) = (Promise::new(), Promise::new());
    let server = {
        let (log, paused, resumed) = (log.clone(), paused.clone(), resumed.clone());
        create_server("127.0.0.1:0", move || Flood {
            log: log.clone(),
            transport: None,
            paused: paused.clone(),
            resumed: resumed.clone(),
        })
        .await
        .unwrap()
    };
    let (mut reader, _writer) = open_connection(server.local_addr()).await.unwrap();
    // We have read nothing yet: the server's buffer is above the high-water mark.
    let size_at_pause = paused.await.unwrap();
    assert!(size_at_pause > 64 * 1024, "{size_at_pause}");
    assert!(!resumed.done());
    log.borrow_mut().push("client reads".into());
    let total = reader.read_to_end().await.unwrap().len();
    assert_eq!(total, FLOOD);
    let size_at_resume = resumed.await.unwrap();
    assert!(size_at_resume <= 16 * 1024, "{size_at_resume}");
    assert_eq!(
        *log.borrow(),
        ["wrote", "pause", "client reads", "resume"].map(String::from)
    );
}

#[weft::test]
async fn pause_reading_holds_data_received_until_resume_reading() {
    struct Held {
        transport: Rc<RefCell<Option<Transport>>>,
        received: Log,
    }
    impl Protocol for Held {
        fn connection_made(&mut self, transport: Transport) {
            transport.pause_reading();
            assert!(!transport.is_reading());
            *self.transport.borrow_mut() = Some(transport);
        }
        fn data_received(&mut self, data: &[u8]) {
            self.received
                .borrow_mut()
                .push(String::from_utf8_lossy(data).into_owned());
        }
        fn connection_lost(&mut self, _err: Option<io::Error>) {}
    }
    let slot = Rc::new(RefCell::new(None));
    let received = Log::default();
    let held = {
        let (slot, received) = (slot.clone(), received.clone());
        create_server("127.0.0.1:0", move || Held {
            transport: slot.clone(),
            received: received.clone(),
        })
        .await
        .unwrap()
    };
    let (_r, w) = open_connection(held.local_addr()).await.unwrap();
    w.write(b"held back");

    // A round trip on another connection of the same loop: by its end the loop has
    // seen the held connection readable too, and did not read it.
    let echo = create_server("127.0.0.1:0", || Echo(None)).await.unwrap();
    let (mut er, ew) = open_connection(echo.local_addr()).await.unwrap();
    for _ in 0..3 {
        ew.write(b"x\n");
        assert_eq!(er.readline().await.unwrap(), b"x\n");
    }
    assert!(received.borrow().is_empty());

    let transport = slot.borrow().clone().expect("connection_made has run");
    transport.resume_reading();
    assert!(transport.is_reading());
    while received.borrow().concat() != "held back" {
        weft::yield_now().await;
    }
}

#[weft::test]
async fn abort_drops_the_write_buffer() {
    struct Aborter {
        done: Promise<(usize, bool, Option<ErrorKind>)>,
        after_abort: Option<(usize, bool)>,
    }
    impl Protocol for Aborter {
        fn connection_made(&mut self, transport: Transport) {
            transport.write(&vec![9; FLOOD]);
            assert!(transport.get_write_buffer_size() > 0);
            transport.abort();
            self.after_abort = Some((transport.get_write_buffer_size(), transport.is_closing()));
            transport.write(b"ignored");
            assert_eq!(transport.get_write_buffer_size(), 0);
        }
        fn data_received(&mut self, _data: &[u8]) {
            panic!("no data after abort");
        }
        fn connection_lost(&mut self, err: Option<io::Error>) {
            let (size, closing) = self.after_abort.unwrap();
            self.done
                .set_result((size, closing, err.map(|e| e.kind())))
                .unwrap();
        }
    }
    let done = Promise::new();
    let server = {
        let done = done.clone();
        create_server("127.0.0.1:0", move || Aborter {
            done: done.clone(),
            after_abort: None,
        })
        .await
        .unwrap()
    };
    let (mut reader, _writer) = open_connection(server.local_addr()).await.unwrap();
    assert_eq!(done.await.unwrap(), (0, true, None));
    // Only what the kernel had already taken arrives.
    let mut total = 0;
    loop {
        match reader.read(1 << 20).await {
            Ok(chunk) if chunk.is_empty() => break,
            Ok(chunk) => total += chunk.len(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::ConnectionReset);
                break;
            }
        }
    }
    assert!(total < FLOOD, "{total}");
}

#[weft::test]
async fn a_reset_is_reported_to_connection_lost() {
    struct Greet(Promise<Option<ErrorKind>>);
    impl Protocol for Greet {
        fn connection_made(&mut self, transport: Transport) {
            transport.write(b"hello");
        }
        fn data_received(&mut self, _data: &[u8]) {}
        fn connection_lost(&mut self, err: Option<io::Error>) {
            self.0.set_result(err.map(|e| e.kind())).unwrap();
        }
    }
    let lost = Promise::new();
    let server = {
        let lost = lost.clone();
        create_server("127.0.0.1:0", move || Greet(lost.clone()))
            .await
            .unwrap()
    };
    let client = TcpStream::connect(server.local_addr()).await.unwrap();
    client.readable().await.unwrap();
    // Closed with the greeting unread: the kernel sends a reset.
    drop(client);
    assert_eq!(lost.await.unwrap(), Some(ErrorKind::ConnectionReset));
}

#[weft::test]
async fn a_panicking_protocol_ends_only_its_connection() {
    struct Fragile(Option<Transport>);
    impl Protocol for Fragile {
        fn connection_made(&mut self, transport: Transport) {
            self.0 = Some(transport);
        }
        fn data_received(&mut self, data: &[u8]) {
            if data.starts_with(b"boom") {
                panic!("protocol failed");
            }
            self.0.as_ref().unwrap().write(data);
        }
        fn connection_lost(&mut self, _err: Option<io::Error>) {}
    }
    let reports = Rc::new(RefCell::new(Vec::new()));
    {
        let reports = reports.clone();
        weft::Handle::current()
            .set_exception_handler(move |ctx| reports.borrow_mut().push(ctx.panic.clone()));
    }
    let server = create_server("127.0.0.1:0", || Fragile(None))
        .await
        .unwrap();
    let (mut good_r, good_w) = open_connection(server.local_addr()).await.unwrap();
    let (mut bad_r, bad_w) = open_connection(server.local_addr()).await.unwrap();
    bad_w.write(b"boom");
    let _ = bad_r.read_to_end().await; // closed (or reset)
    assert_eq!(*reports.borrow(), [Some("protocol failed".to_string())]);
    good_w.write(b"fine\n");
    assert_eq!(good_r.readline().await.unwrap(), b"fine\n");
}

#[weft::test]
async fn unix_protocol_server() {
    struct UnixEcho(Option<Transport<UnixStream>>);
    impl Protocol<UnixStream> for UnixEcho {
        fn connection_made(&mut self, transport: Transport<UnixStream>) {
            self.0 = Some(transport);
        }
        fn data_received(&mut self, data: &[u8]) {
            self.0.as_ref().unwrap().write(data);
        }
        fn connection_lost(&mut self, _err: Option<io::Error>) {}
    }
    let dir = std::env::temp_dir().join(format!("weft-protocol-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let server = create_unix_server(&path, || UnixEcho(None)).await.unwrap();
    let (mut r, w) = open_unix_connection(&path).await.unwrap();
    w.write(b"unix\n");
    assert_eq!(r.readline().await.unwrap(), b"unix\n");
    server.close();
    assert!(!path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
