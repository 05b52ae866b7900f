//! The opening handshake (RFC 6455 section 4): an HTTP/1.1 `GET` with
//! `Upgrade: websocket`, answered by `101 Switching Protocols`. Parsed with
//! `httparse`; the key arithmetic is tungstenite's.

use std::fmt;

use weft_reactor::net::TcpStream;

use crate::Error;

/// The most headers a handshake may carry.
const MAX_HEADERS: usize = 64;

/// An HTTP request that asked for a WebSocket, as a server's
/// [`process_request`](crate::ServeOptions::process_request) hook sees it.
///
/// ```
/// use weft_ws::{Request, Response, ServeOptions};
///
/// let options = ServeOptions::new().process_request(|req: &Request| {
///     (req.path() == "/healthz").then(|| Response::new(200, "OK\n"))
/// });
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The request target: path and query, as sent (`/chat?room=1`).
    ///
    /// ```
    /// # use weft_ws::Request;
    /// fn is_chat(req: &Request) -> bool {
    ///     req.path().starts_with("/chat")
    /// }
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The value of header `name` (case-insensitive), the first if repeated.
    ///
    /// ```
    /// # use weft_ws::Request;
    /// fn origin(req: &Request) -> Option<&str> {
    ///     req.header("Origin")
    /// }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header, in order.
    ///
    /// ```
    /// # use weft_ws::Request;
    /// fn count(req: &Request) -> usize {
    ///     req.headers().count()
    /// }
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether header `name` holds `token` in its comma-separated list.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("path", &self.path)
            .field("headers", &self.headers.len())
            .finish()
    }
}

/// A plain HTTP answer, sent instead of the upgrade: what a
/// [`process_request`](crate::ServeOptions::process_request) hook returns to answer a
/// health check, and what a bad handshake gets (400).
///
/// ```
/// use weft_ws::Response;
///
/// let res = Response::new(503, "draining\n").header("Retry-After", "5");
/// assert_eq!(res.status(), 503);
/// ```
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// An answer with `status` and `body` (sent as `text/plain`).
    ///
    /// ```
    /// let res = weft_ws::Response::new(200, "OK\n");
    /// assert_eq!(res.status(), 200);
    /// ```
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    ///
    /// ```
    /// let res = weft_ws::Response::new(200, "{}").header("Content-Type", "application/json");
    /// # let _ = res;
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The status code.
    ///
    /// ```
    /// assert_eq!(weft_ws::Response::new(404, "").status(), 404);
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The bytes on the wire.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        let mut has_type = false;
        for (k, v) in &self.headers {
            has_type |= k.eq_ignore_ascii_case("content-type");
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        if !has_type {
            out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Reads until the end of an HTTP head (`\r\n\r\n`); returns the buffer and the
/// head's length. Fails if the peer closes first or the head exceeds `limit`.
async fn read_head(stream: &mut TcpStream, limit: usize) -> Result<(Vec<u8>, usize), HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.map_err(HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Eof);
        }
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok((buf, from + i + 4));
        }
        if buf.len() > limit {
            return Err(HeadError::TooLarge);
        }
    }
}

enum HeadError {
    Io(std::io::Error),
    Eof,
    TooLarge,
}

/// What the server side of a handshake decided.
pub(crate) enum Accepted {
    /// Upgraded: the bytes read past the request, the chosen subprotocol, the request.
    Upgrade {
        leftover: Vec<u8>,
        subprotocol: Option<String>,
        request: Request,
    },
    /// Answered with plain HTTP (the `process_request` hook); the connection ends.
    Answered,
}

/// A hook that may answer a request with plain HTTP instead of upgrading.
pub(crate) type ProcessRequest = dyn Fn(&Request) -> Option<Response>;

/// The server's policy for a handshake.
pub(crate) struct ServerPolicy<'a> {
    pub(crate) max_request_size: usize,
    pub(crate) origins: Option<&'a [String]>,
    pub(crate) subprotocols: &'a [String],
    pub(crate) process_request: Option<&'a ProcessRequest>,
}

/// Runs the server side of the handshake on `stream`. A request that is not a valid
/// WebSocket upgrade gets a 400 (403 for a refused origin) and an error.
pub(crate) async fn accept(
    stream: &mut TcpStream,
    policy: &ServerPolicy<'_>,
) -> Result<Accepted, Error> {
    let (buf, head_len) = match read_head(stream, policy.max_request_size).await {
        Ok(read) => read,
        Err(HeadError::Io(e)) => return Err(e.into()),
        Err(HeadError::Eof) => {
            return Err(Error::handshake(
                None,
                "connection closed before the request ended",
            ))
        }
        Err(HeadError::TooLarge) => {
            let res = Response::new(431, "request head too large\n");
            return Err(refuse(stream, res, "request head too large").await);
        }
    };
    let request = match parse_request(&buf[..head_len]) {
        Ok(request) => request,
        Err(why) => return Err(refuse(stream, Response::new(400, format!("{why}\n")), why).await),
    };
    if let Some(hook) = policy.process_request {
        if let Some(res) = hook(&request) {
            let _ = stream.write_all(&res.to_bytes()).await;
            return Ok(Accepted::Answered);
        }
    }
    if let Err(why) = check_upgrade(&request) {
        let res = Response::new(400, format!("{why}\n")).header("Sec-WebSocket-Version", "13");
        return Err(refuse(stream, res, why).await);
    }
    if let Some(origins) = policy.origins {
        let allowed = request
            .header("Origin")
            .is_some_and(|o| origins.iter().any(|a| a == o));
        if !allowed {
            let res = Response::new(403, "origin not allowed\n");
            return Err(refuse(stream, res, "origin not allowed").await);
        }
    }
    let subprotocol = request
        .header("Sec-WebSocket-Protocol")
        .and_then(|offered| {
            offered
                .split(',')
                .map(str::trim)
                .find(|p| policy.subprotocols.iter().any(|s| s == p))
                .map(str::to_owned)
        });
    let key = request.header("Sec-WebSocket-Key").unwrap_or_default();
    let mut res = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        tungstenite::handshake::derive_accept_key(key.as_bytes())
    );
    if let Some(p) = &subprotocol {
        res.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    res.push_str("\r\n");
    stream.write_all(res.as_bytes()).await?;
    Ok(Accepted::Upgrade {
        leftover: buf[head_len..].to_vec(),
        subprotocol,
        request,
    })
}

/// Sends `res` and returns the handshake error to report.
async fn refuse(stream: &mut TcpStream, res: Response, why: &str) -> Error {
    // The peer may be gone already: the error to report is the refusal.
    let _ = stream.write_all(&res.to_bytes()).await;
    Error::handshake(Some(res.status()), why.to_owned())
}

fn parse_request(head: &[u8]) -> Result<Request, &'static str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("incomplete HTTP request"),
        Err(httparse::Error::TooManyHeaders) => return Err("too many headers"),
        Err(_) => return Err("malformed HTTP request"),
    }
    if req.method != Some("GET") {
        return Err("the method of a WebSocket handshake is GET");
    }
    if req.version != Some(1) {
        return Err("a WebSocket handshake needs HTTP/1.1");
    }
    Ok(Request {
        path: req.path.unwrap_or("/").to_owned(),
        headers: collect_headers(req.headers)?,
    })
}

fn collect_headers(
    headers: &[httparse::Header<'_>],
) -> Result<Vec<(String, String)>, &'static str> {
    headers
        .iter()
        .map(|h| {
            let value = std::str::from_utf8(h.value).map_err(|_| "a header value is not UTF-8")?;
            Ok((h.name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

fn check_upgrade(req: &Request) -> Result<(), &'static str> {
    if !req.has_token("Upgrade", "websocket") {
        return Err("missing Upgrade: websocket");
    }
    if !req.has_token("Connection", "upgrade") {
        return Err("missing Connection: Upgrade");
    }
    if req.header("Sec-WebSocket-Version") != Some("13") {
        return Err("unsupported Sec-WebSocket-Version (13 is supported)");
    }
    match req.header("Sec-WebSocket-Key") {
        Some(key) if decoded_len(key) == Some(16) => Ok(()),
        _ => Err("invalid Sec-WebSocket-Key"),
    }
}

/// The length of base64 `s` once decoded, if it is well-formed base64.
fn decoded_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() % 4 != 0 {
        return None;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    let body = &b[..b.len() - pad];
    if pad > 2
        || !body
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
    {
        return None;
    }
    Some(b.len() / 4 * 3 - pad)
}

/// A `ws://` URL, split for the handshake.
#[derive(Debug, Clone)]
pub(crate) struct WsUrl {
    /// `host:port` to connect to (brackets kept for IPv6).
    pub(crate) authority: String,
    /// For the `Host` header: the host, with the port when it is not 80.
    pub(crate) host_header: String,
    /// Path and query, at least `/`.
    pub(crate) resource: String,
}

impl WsUrl {
    pub(crate) fn parse(url: &str) -> Result<WsUrl, Error> {
        let bad = |why| Error::InvalidUrl {
            url: url.to_owned(),
            why,
        };
        let rest = if let Some(rest) = strip_prefix_ci(url, "ws://") {
            rest
        } else if strip_prefix_ci(url, "wss://").is_some() {
            return Err(bad(
                "wss:// needs TLS, which this build of weft-ws does not have",
            ));
        } else {
            return Err(bad("the scheme must be ws://"));
        };
        let (authority, resource) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        let resource = resource.split('#').next().unwrap_or("/").to_owned();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("the URL needs a host (and no user info)"));
        }
        let has_port = match authority.rfind(':') {
            Some(i) => !authority[i..].contains(']'),
            None => false,
        };
        let (authority, host_header) = if has_port {
            let port = &authority[authority.rfind(':').unwrap_or(0) + 1..];
            if port.parse::<u16>().is_err() {
                return Err(bad("invalid port"));
            }
            (authority.to_owned(), authority.to_owned())
        } else {
            (format!("{authority}:80"), authority.to_owned())
        };
        Ok(WsUrl {
            authority,
            host_header,
            resource,
        })
    }

    /// The host and port to resolve, without IPv6 brackets.
    pub(crate) fn host_port(&self) -> (String, u16) {
        let i = self.authority.rfind(':').unwrap_or(0);
        let host = self.authority[..i]
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = self.authority[i + 1..].parse().unwrap_or(80);
        (host.to_owned(), port)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The client's wishes for a handshake.
pub(crate) struct ClientRequest<'a> {
    pub(crate) headers: &'a [(String, String)],
    pub(crate) subprotocols: &'a [String],
    pub(crate) max_response_size: usize,
}

/// Runs the client side of the handshake; returns the bytes read past the response
/// and the subprotocol the server chose.
pub(crate) async fn connect(
    stream: &mut TcpStream,
    url: &WsUrl,
    wishes: &ClientRequest<'_>,
) -> Result<(Vec<u8>, Option<String>), Error> {
    let key = tungstenite::handshake::client::generate_key();
    let mut req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n",
        url.resource, url.host_header
    );
    if !wishes.subprotocols.is_empty() {
        req.push_str(&format!(
            "Sec-WebSocket-Protocol: {}\r\n",
            wishes.subprotocols.join(", ")
        ));
    }
    for (k, v) in wishes.headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await?;

    let (buf, head_len) = match read_head(stream, wishes.max_response_size).await {
        Ok(read) => read,
        Err(HeadError::Io(e)) => return Err(e.into()),
        Err(HeadError::Eof) => {
            return Err(Error::handshake(
                None,
                "connection closed before the response ended",
            ))
        }
        Err(HeadError::TooLarge) => return Err(Error::handshake(None, "response head too large")),
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    if !matches!(
        res.parse(&buf[..head_len]),
        Ok(httparse::Status::Complete(_))
    ) {
        return Err(Error::handshake(None, "malformed HTTP response"));
    }
    let status = res.code;
    if status != Some(101) {
        return Err(Error::handshake(
            status,
            format!("the server answered {}", status.unwrap_or(0)),
        ));
    }
    let response = Request {
        path: String::new(),
        headers: collect_headers(res.headers).map_err(|why| Error::handshake(status, why))?,
    };
    if !response.has_token("Upgrade", "websocket") || !response.has_token("Connection", "upgrade") {
        return Err(Error::handshake(
            status,
            "the response does not upgrade to websocket",
        ));
    }
    let expected = tungstenite::handshake::derive_accept_key(key.as_bytes());
    if response.header("Sec-WebSocket-Accept") != Some(expected.as_str()) {
        return Err(Error::handshake(status, "wrong Sec-WebSocket-Accept"));
    }
    let subprotocol = response.header("Sec-WebSocket-Protocol").map(str::to_owned);
    if let Some(p) = &subprotocol {
        if !wishes.subprotocols.iter().any(|s| s == p) {
            return Err(Error::handshake(
                status,
                "the server chose a subprotocol we did not offer",
            ));
        }
    }
    Ok((buf[head_len..].to_vec(), subprotocol))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = WsUrl::parse("ws://localhost:8765").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.resource.as_str()),
            ("localhost:8765", "/")
        );
        let u = WsUrl::parse("WS://example.com/chat?room=1#x").unwrap();
        assert_eq!(u.authority, "example.com:80");
        assert_eq!(u.host_header, "example.com");
        assert_eq!(u.resource, "/chat?room=1");
        let u = WsUrl::parse("ws://[::1]:9000?x").unwrap();
        assert_eq!(u.host_port(), ("::1".to_owned(), 9000));
        assert_eq!(u.resource, "/?x");
        assert!(WsUrl::parse("http://x").is_err());
        assert!(WsUrl::parse("wss://x").is_err());
        assert!(WsUrl::parse("ws://x:99999").is_err());
        assert!(WsUrl::parse("ws:///path").is_err());
    }

    #[test]
    fn base64_key_length() {
        assert_eq!(decoded_len("dGhlIHNhbXBsZSBub25jZQ=="), Some(16));
        assert_eq!(decoded_len("abc"), None);
        assert_eq!(decoded_len("a$cd"), None);
    }

    #[test]
    fn requests() {
        let ok = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let req = parse_request(ok).unwrap();
        assert_eq!(req.path(), "/chat");
        assert!(check_upgrade(&req).is_ok());
        let post = b"POST / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(parse_request(post).is_err());
        let plain = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(
            check_upgrade(&parse_request(plain).unwrap()),
            Err("missing Upgrade: websocket")
        );
        assert!(parse_request(b"\x00\x01garbage\r\n\r\n").is_err());
    }
}
