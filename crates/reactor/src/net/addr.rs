//! Name resolution off the event loop: [`lookup_host`].

use std::any::Any;
use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::thread;

/// Resolves `host` to socket addresses without blocking the event loop.
///
/// `getaddrinfo` blocks, so a name (`"localhost:80"`, `("example.com", 443)`)
/// is resolved on a one-off thread while the calling task waits; this crate
/// knows no executor, hence no thread pool. Inputs that need no lookup — a
/// [`SocketAddr`], an `(IpAddr, u16)` pair, or a string that is an IP literal
/// such as `"127.0.0.1:8080"` or `"[::1]:8080"` — are converted in place,
/// without a thread.
///
/// The addresses come in the order the resolver returned them.
///
/// # Errors
///
/// The resolver's error (an unknown host, an invalid string), or the error of
/// spawning the lookup thread.
///
/// # Examples
///
/// ```
/// use weft_reactor::net::lookup_host;
///
/// weft::run(async {
///     let literal = lookup_host("127.0.0.1:8080").await?;
///     assert_eq!(literal, ["127.0.0.1:8080".parse().unwrap()]);
///
///     let named = lookup_host("localhost:8080").await?;
///     assert!(named.iter().all(|addr| addr.ip().is_loopback() && addr.port() == 8080));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn lookup_host<A>(host: A) -> io::Result<Vec<SocketAddr>>
where
    A: ToSocketAddrs + Send + 'static,
{
    if needs_no_lookup(&host) {
        return host.to_socket_addrs().map(Iterator::collect);
    }
    resolve_on_thread(host).await
}

/// Whether `host.to_socket_addrs()` is known not to call the resolver: the
/// address types themselves, and strings that hold an IP literal.
fn needs_no_lookup(host: &dyn Any) -> bool {
    fn literal_with_port(s: &str) -> bool {
        s.parse::<SocketAddr>().is_ok()
    }
    fn literal_ip(s: &str) -> bool {
        s.parse::<IpAddr>().is_ok()
    }
    host.is::<SocketAddr>()
        || host.is::<SocketAddrV4>()
        || host.is::<SocketAddrV6>()
        || host.is::<(IpAddr, u16)>()
        || host.is::<(Ipv4Addr, u16)>()
        || host.is::<(Ipv6Addr, u16)>()
        || host.is::<Vec<SocketAddr>>()
        || host
            .downcast_ref::<&str>()
            .is_some_and(|s| literal_with_port(s))
        || host
            .downcast_ref::<String>()
            .is_some_and(|s| literal_with_port(s))
        || host
            .downcast_ref::<(&str, u16)>()
            .is_some_and(|(h, _)| literal_ip(h))
        || host
            .downcast_ref::<(String, u16)>()
            .is_some_and(|(h, _)| literal_ip(h))
}

/// The result of a lookup, handed from the resolver thread to the task.
#[derive(Default)]
struct Slot {
    result: Option<io::Result<Vec<SocketAddr>>>,
    waker: Option<Waker>,
}

async fn resolve_on_thread<A>(host: A) -> io::Result<Vec<SocketAddr>>
where
    A: ToSocketAddrs + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot::default()));
    let theirs = slot.clone();
    thread::Builder::new()
        .name("weft-resolve".into())
        .spawn(move || {
            let result = host.to_socket_addrs().map(Iterator::collect);
            let waker = {
                let mut slot = theirs.lock().unwrap_or_else(PoisonError::into_inner);
                slot.result = Some(result);
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })?;
    // If this future is dropped first, the thread finishes its lookup and the
    // result is dropped with the last reference to the slot.
    poll_fn(|cx| {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    slot.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    })
    .await
}

/// Tries `connect` on each address in turn and returns the first success,
/// else the last error.
pub(crate) async fn first_success<T, F, Fut>(
    addrs: Vec<SocketAddr>,
    mut connect: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addrs {
        match connect(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(no_addresses))
}

/// Like [`first_success`] for synchronous operations such as `bind`.
pub(crate) fn first_success_sync<T>(
    addrs: impl ToSocketAddrs,
    mut op: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addrs.to_socket_addrs()? {
        match op(addr) {
            Ok(value) => return Ok(value),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(no_addresses))
}

fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_lookup() {
        assert!(needs_no_lookup(&"127.0.0.1:80"));
        assert!(needs_no_lookup(&String::from("[::1]:80")));
        assert!(needs_no_lookup(&("10.0.0.1", 880u16)));
        assert!(needs_no_lookup(&(String::from("::1"), 880u16)));
        assert!(needs_no_lookup(&SocketAddr::from(([127, 0, 0, 1], 80))));
        assert!(needs_no_lookup(&(Ipv4Addr::LOCALHOST, 880u16)));
        assert!(!needs_no_lookup(&"localhost:80"));
        assert!(!needs_no_lookup(&("localhost", 880u16)));
        assert!(!needs_no_lookup(&String::from("example.invalid:80")));
    }
}
