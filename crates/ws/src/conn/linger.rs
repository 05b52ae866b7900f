//! The end of a connection nobody holds any more: the closing handshake finishes in
//! a short task of its own ("linger"), bounded by `close_timeout`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use weft_executor::Handle;

use super::bridge::Owner;
use super::{Conn, Inner, Keepalive};

impl Drop for Conn {
    fn drop(&mut self) {
        let Some(mut inner) = self.inner.get_mut().take() else {
            return;
        };
        if let Keepalive::Idle(t) | Keepalive::Waiting(t) = &inner.keepalive {
            t.cancel();
        }
        if inner.terminated {
            return;
        }
        // The last handle is gone while the connection is open or closing: finish
        // the closing handshake (1000 if nobody started it) within close_timeout, on
        // the loop, then close the socket. Without a loop, the socket just closes.
        if Handle::try_current().is_none() {
            return;
        }
        let timeout = self.config.close_timeout;
        weft_executor::Builder::new()
            .name("weft-ws linger")
            .spawn(async move {
                let finished = weft_futures::timeout(
                    timeout,
                    std::future::poll_fn(|cx| linger(&mut inner, cx)),
                )
                .await;
                if finished.is_err() {
                    tracing::debug!("weft-ws: closing handshake timed out; closing the socket");
                }
                let _ = inner.io_shutdown();
            });
    }
}

/// Finishes a connection nobody holds any more: close frame out, peer's close in.
fn linger(inner: &mut Inner, cx: &mut Context<'_>) -> Poll<()> {
    if inner.ctx.can_write() {
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        let (ctx, mut bridge) = inner.split(Some(cx), Owner::Both);
        match ctx.close(&mut bridge, Some(frame)) {
            Ok(()) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Poll::Ready(()),
        }
    }
    if inner.failed {
        // Send what is pending (our close frame), then discard input until EOF.
        let (ctx, mut bridge) = inner.split(Some(cx), Owner::Both);
        match ctx.flush(&mut bridge) {
            Ok(()) => {}
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Poll::Ready(()),
        }
        let _ = inner.io_shutdown_write();
        let mut scratch = [0u8; 2048];
        loop {
            match Pin::new(&mut inner.io).poll_read(cx, &mut scratch) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Ready(Ok(_)) => continue,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
    loop {
        let (ctx, mut bridge) = inner.split(Some(cx), Owner::Both);
        match ctx.read(&mut bridge) {
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                // Pending output (the close frame) goes out on writable.
                let (ctx, mut bridge) = inner.split(Some(cx), Owner::Both);
                return match ctx.flush(&mut bridge) {
                    Ok(()) => Poll::Pending,
                    Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                        Poll::Pending
                    }
                    Err(_) => Poll::Ready(()),
                };
            }
            Err(_) => return Poll::Ready(()),
        }
    }
}
