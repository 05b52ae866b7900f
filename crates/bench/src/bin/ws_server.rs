//! A WebSocket echo server for the `ws_echo` bench, in one of these styles:
//!
//! * `weft`              — weft's own WebSocket server (weft-ws);
//! * `tokio-tungstenite` — tokio's current-thread runtime, a task per connection,
//!   tokio-tungstenite's `accept_async` with its default configuration;
//! * `tokio-tungstenite-4k` — the same with a 4 KiB read buffer instead of the default
//!   128 KiB (a control, not in the bench's default set).
//!
//! Usage: `ws_server --style STYLE [--cpu N] [ADDR]`. It listens on `ADDR`
//! (127.0.0.1:0, a free port, by default), prints `listening ADDR PID` on stdout, and
//! echoes every data message back on its connection (text as text, binary as binary)
//! until killed. `--cpu N` pins the process to CPU `N`, away from the load client.
//!
//! The Python peer of the bench, `peers/ws_echo.py`, follows the same conventions.
#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str =
    "usage: ws_server --style weft|tokio-tungstenite|tokio-tungstenite-4k [--cpu N] [ADDR]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(style) = weft_bench::flag_value(&args, "--style") else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let addr = match address(&args) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("ws_server: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(cpu) = weft_bench::flag_value(&args, "--cpu") {
        if let Err(e) = weft_bench::pin_to_cpu(&cpu) {
            eprintln!("ws_server: cannot pin to CPU {cpu}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let result = match style.as_str() {
        "weft" => weft_server(addr),
        "tokio-tungstenite" => tokio_tungstenite_server(addr, None),
        "tokio-tungstenite-4k" => {
            let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                .read_buffer_size(4096);
            tokio_tungstenite_server(addr, Some(config))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws_server {style}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The one positional argument (not a flag, nor a flag's value), or 127.0.0.1:0.
fn address(args: &[String]) -> Result<SocketAddr, String> {
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--style" | "--cpu" => {
                it.next();
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag:?}")),
            addr => positional.push(addr),
        }
    }
    match positional[..] {
        [] => Ok(SocketAddr::from(([127, 0, 0, 1], 0))),
        [addr] => addr
            .parse()
            .map_err(|e| format!("bad address {addr:?}: {e}")),
        _ => Err("more than one address".into()),
    }
}

/// Prints `listening ADDR PID`, the line the bench waits for.
fn announce(addr: SocketAddr) {
    use std::io::Write;
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "listening {addr} {}", std::process::id());
    let _ = out.flush();
}

/// The weft style: weft-ws on one loop, a task per connection.
///
/// TCP_NODELAY on accepted sockets, as the tokio-tungstenite style, asyncio and the
/// load client have it; no keepalive pings, as the Python peer (the load client
/// does not answer pings; tungstenite sends none). Otherwise weft-ws's defaults
/// (Python websockets' limits, a 1 KiB read buffer).
fn weft_server(addr: SocketAddr) -> io::Result<()> {
    use weft::reactor::net::{ListenOptions, TcpListener};
    weft::run(async move {
        let listener = TcpListener::bind_with(addr, ListenOptions::new().nodelay(true))?;
        let options =
            weft::ws::ServeOptions::new().config(weft::ws::Config::new().ping_interval(None));
        let server = weft::ws::serve_on(listener, options, |mut ws| async move {
            while let Ok(msg) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        });
        announce(server.local_addr());
        std::future::pending::<io::Result<()>>().await
    })
}

/// The tokio-tungstenite styles: current-thread runtime, a task per connection.
///
/// With `config` `None` (the `tokio-tungstenite` style), `accept_async` uses
/// tungstenite's default `WebSocketConfig`, as its examples (`echo-server`) do: 128 KiB
/// read buffer (eagerly allocated), 128 KiB write buffer target (`send` flushes every
/// message anyway), 64 MiB message and 16 MiB frame limits, masked client frames
/// required. Its documentation calls the 128 KiB read buffer the choice for high read
/// load and suggests e.g. 4 KiB for many connections without it. Note that
/// tungstenite 0.30 zero-fills up to `read_buffer_size` bytes of its input buffer
/// before every read (`FrameCodec::read_in`), which at 128 KiB dominates the cost of a
/// small message; the `tokio-tungstenite-4k` style shows the difference. No
/// permessage-deflate: tungstenite does not implement it.
fn tokio_tungstenite_server(
    addr: SocketAddr,
    config: Option<tokio_tungstenite::tungstenite::protocol::WebSocketConfig>,
) -> io::Result<()> {
    use futures_util::{SinkExt, StreamExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            // As the tcp_echo servers, asyncio and the load client do.
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let accepted = tokio_tungstenite::accept_async_with_config(stream, config);
                let Ok(mut ws) = accepted.await else {
                    return;
                };
                // Control frames are answered by tungstenite itself; a close ends the
                // stream.
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_binary() || msg.is_text()) && ws.send(msg).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}
