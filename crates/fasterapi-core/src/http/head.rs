//! Request-head parsing (RFC 9112 §2–3, §6): the request line and header fields via
//! `httparse`, then the size limits of [`Limits`], the request target's form and the Host
//! header (one, valid, on HTTP/1.1), the body framing, with the request-smuggling defences
//! (conflicting Content-Length / Transfer-Encoding), and a WebSocket handshake's own rules.
//!
//! The result depends only on the bytes, never on how they were split: only the first
//! `max_head_bytes` are parsed, and the request-line limit is checked before parsing.

use memchr::memchr;
use percent_encoding::percent_decode;

use super::error::HttpError;
use super::limits::Limits;
use super::target::{is_valid_host, parse_target};

/// How the request body after the head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (neither Content-Length nor Transfer-Encoding).
    None,
    /// Exactly this many bytes follow.
    Length(u64),
    /// `Transfer-Encoding: chunked`; decode with [`super::body::ChunkedDecoder`].
    Chunked,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method as sent, e.g. `GET`.
    pub method: String,
    /// The target's path as sent (no query); `/p` for an absolute-form `http://host/p?q`, `*`
    /// for `OPTIONS *`, `host:port` for CONNECT (see [`super::target::parse_target`]).
    pub raw_path: Vec<u8>,
    /// `raw_path` percent-decoded (invalid UTF-8 replaced lossily), as ASGI's `path`.
    pub path: String,
    /// The bytes after the first `?`, without it (empty if none).
    pub query: Vec<u8>,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub http_minor: u8,
    /// Header fields in order: names lower-cased, values trimmed. The Host value is the
    /// authority of an absolute-form target, whatever Host header was sent.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Whether the connection stays open after this request.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on HTTP/1.1.
    pub expect_continue: bool,
    /// How the body is delimited.
    pub framing: Framing,
    /// A `Connection: upgrade` token plus an `Upgrade` header.
    pub upgrade: bool,
    /// A GET with `upgrade` and a `websocket` token in the `Upgrade` header: a WebSocket
    /// handshake, on HTTP/1.1 and without a body (or the head is refused), whose
    /// `Sec-WebSocket-*` headers are checked by [`crate::ws::check_handshake`].
    pub websocket: bool,
}

/// Parses one request head from the start of `buf`. Ok(None): incomplete, call again with more bytes.
/// Ok(Some((head, n))): `n` bytes of `buf` were the head (the body, if any, starts at `buf[n..]`).
/// Empty lines before the request line are skipped and counted in `n`.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(RequestHead, usize)>, HttpError> {
    // No acceptable head reaches past max_head_bytes, so parse no further than that.
    let window = &buf[..buf.len().min(limits.max_head_bytes)];
    let incomplete = || {
        if buf.len() > limits.max_head_bytes {
            Err(HttpError::HeadersTooLarge)
        } else {
            Ok(None)
        }
    };
    let Some(skip) = skip_empty_lines(window) else {
        return incomplete();
    };
    let rest = &window[skip..];
    check_request_line(rest, limits.max_request_line)?;

    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut headers);
    let n = match req.parse(rest) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return incomplete(),
        Err(httparse::Error::Version) => return version_error(rest).map_or_else(incomplete, Err),
        Err(e) => return Err(map_error(e)),
    };
    let head = build_head(&req, limits)?;
    Ok(Some((head, skip + n)))
}

/// Length of the empty lines (CRLF or LF) at the start of `buf`; None if `buf` holds
/// nothing else yet (so more bytes are needed).
fn skip_empty_lines(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        match &buf[i..] {
            [] | [b'\r'] => return None,
            [b'\r', b'\n', ..] => i += 2,
            [b'\n', ..] => i += 1,
            _ => return Some(i),
        }
    }
}

/// UriTooLong if the request line at the start of `rest` (complete or not) is longer than `max`.
fn check_request_line(rest: &[u8], max: usize) -> Result<(), HttpError> {
    let scan = &rest[..rest.len().min(max.saturating_add(2))];
    let line = match memchr(b'\n', scan) {
        Some(i) => &scan[..i],
        None => scan,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > max {
        Err(HttpError::UriTooLong)
    } else {
        Ok(())
    }
}

/// Maps an `httparse` error (but a version error: `version_error`).
fn map_error(err: httparse::Error) -> HttpError {
    match err {
        httparse::Error::TooManyHeaders => HttpError::TooManyHeaders,
        httparse::Error::HeaderName => HttpError::BadRequest("invalid header name"),
        httparse::Error::HeaderValue => HttpError::BadRequest("invalid header value"),
        httparse::Error::NewLine => HttpError::BadRequest("invalid line ending"),
        _ => HttpError::BadRequest("malformed request line"),
    }
}

/// The answer to a request line whose version httparse refused, from its third field (after
/// the method and the target): 505 for a well-formed version other than 1.0 and 1.1
/// (`HTTP/2.0`, `HTTP/1.2`), 400 for anything else (`HTTP/1.+1`, `HTTP/11`, `FOO/1.1`, or a
/// space inside the target, `GET /a b HTTP/1.1`, whose third field is `b`). None while the
/// line is not complete and its version could still be well-formed: the answer never depends
/// on how the bytes were split.
fn version_error(rest: &[u8]) -> Option<HttpError> {
    let end = memchr(b'\n', rest);
    let line = &rest[..end.unwrap_or(rest.len())];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let version = line.split(|&b| b == b' ').nth(2).unwrap_or_default();
    let pattern = |i: usize, b: u8| match i {
        0..=4 => b == b"HTTP/"[i],
        5 | 7 => b.is_ascii_digit(),
        6 => b == b'.',
        _ => false,
    };
    let fits = version.iter().enumerate().all(|(i, &b)| pattern(i, b));
    let spaces = memchr::memchr_iter(b' ', line).count();
    match end {
        None if fits && spaces == 2 => None, // `HTTP/1.` so far: wait for the rest
        Some(_) if fits && spaces == 2 && version.len() == 8 => {
            Some(HttpError::VersionNotSupported)
        }
        _ => Some(HttpError::BadRequest(
            "malformed request line: a space in the request target, or an invalid HTTP version",
        )),
    }
}

/// Non-empty, trimmed elements of a comma-separated header value.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// A Content-Length value: digits only, no overflow.
fn parse_length(s: &[u8]) -> Result<u64, HttpError> {
    const BAD: HttpError = HttpError::BadRequest("invalid Content-Length");
    if s.is_empty() {
        return Err(BAD);
    }
    s.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return Err(BAD);
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(BAD)
    })
}

fn build_head(req: &httparse::Request<'_, '_>, limits: &Limits) -> Result<RequestHead, HttpError> {
    let http_minor = req.version.unwrap_or(1);
    let method = req.method.unwrap_or_default();
    let target = parse_target(method, req.path.unwrap_or("/").as_bytes())?;

    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut conn_upgrade = false;
    let mut has_upgrade = false;
    let mut upgrade_websocket = false;
    let mut expect_continue = false;
    let mut length: Option<u64> = None;
    let mut te_seen = false;
    let mut codings = 0usize; // transfer codings seen
    let mut chunked = 0usize; // how many of them were "chunked"
    let mut chunked_last = false;
    let mut hosts = 0usize;

    let mut headers = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let name = h.name.to_ascii_lowercase().into_bytes();
        let value = h.value.trim_ascii();
        match name.as_slice() {
            b"connection" => {
                for token in list(value) {
                    conn_close |= token.eq_ignore_ascii_case(b"close");
                    conn_keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                    conn_upgrade |= token.eq_ignore_ascii_case(b"upgrade");
                }
            }
            b"upgrade" => {
                has_upgrade = true;
                upgrade_websocket |= list(value).any(|t| t.eq_ignore_ascii_case(b"websocket"));
            }
            b"host" => {
                hosts += 1;
                if !is_valid_host(value) {
                    return Err(HttpError::BadRequest("invalid Host header"));
                }
            }
            b"expect" => expect_continue |= value.eq_ignore_ascii_case(b"100-continue"),
            b"content-length" => {
                for part in value.split(|&b| b == b',') {
                    let n = parse_length(part.trim_ascii())?;
                    if length.is_some_and(|prev| prev != n) {
                        return Err(HttpError::BadRequest("conflicting Content-Length values"));
                    }
                    length = Some(n);
                }
            }
            b"transfer-encoding" => {
                te_seen = true;
                for coding in list(value) {
                    codings += 1;
                    chunked_last = coding.eq_ignore_ascii_case(b"chunked");
                    chunked += usize::from(chunked_last);
                }
            }
            _ => {}
        }
        headers.push((name, value.to_vec()));
    }

    set_host(&mut headers, hosts, http_minor, target.authority)?;

    let framing = if te_seen {
        if http_minor == 0 {
            return Err(HttpError::BadRequest(
                "Transfer-Encoding in an HTTP/1.0 request",
            ));
        }
        if length.is_some() {
            return Err(HttpError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        if codings == 0 {
            return Err(HttpError::BadRequest("invalid Transfer-Encoding"));
        }
        if chunked == 0 {
            return Err(HttpError::NotImplemented("unsupported Transfer-Encoding"));
        }
        if !chunked_last || chunked > 1 {
            return Err(HttpError::BadRequest(
                "chunked must be the final transfer coding",
            ));
        }
        if codings > 1 {
            return Err(HttpError::NotImplemented("unsupported Transfer-Encoding"));
        }
        Framing::Chunked
    } else {
        match length {
            Some(n) if n > limits.max_body => return Err(HttpError::BodyTooLarge),
            Some(n) => Framing::Length(n),
            None => Framing::None,
        }
    };

    let head = RequestHead {
        method: method.to_owned(),
        path: percent_decode(target.path).decode_utf8_lossy().into_owned(),
        raw_path: target.path.to_vec(),
        query: target.query.to_vec(),
        http_minor,
        headers,
        keep_alive: if http_minor == 0 {
            conn_keep_alive && !conn_close
        } else {
            !conn_close
        },
        expect_continue: expect_continue && http_minor == 1,
        framing,
        upgrade: conn_upgrade && has_upgrade,
        websocket: conn_upgrade && upgrade_websocket && method == "GET",
    };
    check_websocket(&head)?;
    Ok(head)
}

/// Checks the number of Host header fields, `hosts` (their values were checked one by one): at
/// most one, and one on HTTP/1.1 unless the target is absolute-form (RFC 9112 §3.2). The
/// `authority` of an absolute-form target then replaces the Host value, or becomes one
/// (RFC 9112 §3.2.2), so the app sees that host.
fn set_host(
    headers: &mut Vec<(Vec<u8>, Vec<u8>)>,
    hosts: usize,
    http_minor: u8,
    authority: Option<&[u8]>,
) -> Result<(), HttpError> {
    if hosts > 1 {
        return Err(HttpError::BadRequest("more than one Host header"));
    }
    if hosts == 0 && http_minor == 1 && authority.is_none() {
        return Err(HttpError::BadRequest("missing Host header"));
    }
    if let Some(authority) = authority {
        match headers.iter_mut().find(|(name, _)| name == b"host") {
            Some((_, value)) => *value = authority.to_vec(),
            None => headers.insert(0, (b"host".to_vec(), authority.to_vec())),
        }
    }
    Ok(())
}

/// Refuses a WebSocket handshake that cannot be one (RFC 6455 §4.1): on HTTP/1.0, or carrying a
/// body, whose bytes would otherwise be taken for WebSocket frames. Its `Sec-WebSocket-*`
/// headers are checked later, by [`crate::ws::check_handshake`].
fn check_websocket(head: &RequestHead) -> Result<(), HttpError> {
    if !head.websocket {
        return Ok(());
    }
    if head.http_minor == 0 {
        return Err(HttpError::BadRequest(
            "a WebSocket handshake needs HTTP/1.1",
        ));
    }
    if !matches!(head.framing, Framing::None | Framing::Length(0)) {
        return Err(HttpError::BadRequest("a WebSocket handshake with a body"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, HttpError> {
        parse_head(buf, &Limits::default())
    }

    fn head(buf: &[u8]) -> RequestHead {
        let (head, n) = parse(buf).unwrap().expect("complete head");
        assert_eq!(n, buf.len());
        head
    }

    fn err(buf: &[u8]) -> HttpError {
        parse(buf).unwrap_err()
    }

    /// Feeds `buf` one byte at a time, as a caller accumulating socket data would.
    fn parse_bytewise(
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(RequestHead, usize)>, HttpError> {
        for end in 1..=buf.len() {
            match parse_head(&buf[..end], limits) {
                Ok(None) => continue,
                other => return other,
            }
        }
        Ok(None)
    }

    #[test]
    fn simple_get() {
        let h = head(
            b"GET /items/42?q=1&x=%20 HTTP/1.1\r\nHost: example.com\r\nX-Token:  abc \r\n\r\n",
        );
        assert_eq!(h.method, "GET");
        assert_eq!(h.raw_path, b"/items/42");
        assert_eq!(h.path, "/items/42");
        assert_eq!(h.query, b"q=1&x=%20");
        assert_eq!(h.http_minor, 1);
        assert_eq!(
            h.headers,
            vec![
                (b"host".to_vec(), b"example.com".to_vec()),
                (b"x-token".to_vec(), b"abc".to_vec()),
            ]
        );
        assert!(h.keep_alive);
        assert!(!h.expect_continue);
        assert!(!h.upgrade);
        assert_eq!(h.framing, Framing::None);
    }

    #[test]
    fn incomplete_returns_none() {
        assert_eq!(parse(b""), Ok(None));
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n"), Ok(None));
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r"), Ok(None));
        assert_eq!(parse(b"\r\n\r"), Ok(None));
    }

    #[test]
    fn pipelined_bytes_are_left_over() {
        let first = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
        let mut buf = first.to_vec();
        buf.extend_from_slice(b"abcGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        let (h, n) = parse(&buf).unwrap().unwrap();
        assert_eq!(n, first.len());
        assert_eq!(h.framing, Framing::Length(3));
        assert_eq!(&buf[n..n + 3], b"abc");
        let (h2, n2) = parse(&buf[n + 3..]).unwrap().unwrap();
        assert_eq!(h2.raw_path, b"/b");
        assert_eq!(n + 3 + n2, buf.len());
    }

    #[test]
    fn leading_empty_lines_are_skipped_and_counted() {
        let buf = b"\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
        let (h, n) = parse(buf).unwrap().unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(n, buf.len());
        assert_eq!(parse(b"\r\n\r\n"), Ok(None));
    }

    #[test]
    fn http10_keep_alive_rules() {
        assert!(!head(b"GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(!head(b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
        assert_eq!(head(b"GET / HTTP/1.0\r\n\r\n").http_minor, 0);
        assert!(head(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n").keep_alive);
        assert!(!head(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n").keep_alive);
        assert!(
            !head(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\nConnection: close\r\n\r\n")
                .keep_alive
        );
    }

    #[test]
    fn expect_continue_only_on_http11() {
        assert!(
            head(
                b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n"
            )
            .expect_continue
        );
        assert!(
            !head(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
                .expect_continue
        );
        assert!(!head(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n").expect_continue);
    }

    #[test]
    fn upgrade_needs_token_and_header() {
        let ws =
            b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n";
        assert!(head(ws).upgrade);
        assert!(!head(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").upgrade);
        assert!(!head(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n").upgrade);
    }

    #[test]
    fn websocket_needs_upgrade_and_token() {
        let ws =
            b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n\r\n";
        assert!(head(ws).websocket);
        let listed = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: foo/2, websocket\r\n\r\n";
        assert!(head(listed).websocket);
        let two =
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\r\n";
        assert!(head(two).websocket);
        // an Upgrade to something else, or no Connection: upgrade token
        let h2c = head(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n");
        assert!(h2c.upgrade && !h2c.websocket);
        assert!(!head(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").websocket);
        let sub =
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websockets\r\n\r\n";
        assert!(!head(sub).websocket);
        assert!(!head(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").websocket);
    }

    #[test]
    fn absolute_form_and_special_targets() {
        let h = head(b"GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.raw_path, b"/p/q");
        assert_eq!(h.query, b"x=1");
        let h = head(b"GET https://example.com?x HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.raw_path, b"/");
        assert_eq!(h.query, b"x");
        let h = head(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!((h.raw_path.as_slice(), h.path.as_str()), (&b"*"[..], "*"));
        let h = head(b"CONNECT example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.raw_path, b"example.com:443");
    }

    /// The Host value the app sees (None if there is no Host header).
    fn host(h: &RequestHead) -> Option<&[u8]> {
        let mut hosts = h.headers.iter().filter(|(name, _)| name == b"host");
        let value = hosts.next().map(|(_, value)| value.as_slice());
        assert!(hosts.next().is_none(), "one Host header at most");
        value
    }

    #[test]
    fn absolute_form_authority_is_the_host() {
        // RFC 9112 §3.2.2: the target's authority wins over the Host header
        let h = head(b"GET http://a.example/x HTTP/1.1\r\nX: 1\r\nHost: b.example\r\n\r\n");
        assert_eq!((h.raw_path.as_slice(), h.path.as_str()), (&b"/x"[..], "/x"));
        assert_eq!(host(&h), Some(&b"a.example"[..]));
        assert_eq!(h.headers[1], (b"host".to_vec(), b"a.example".to_vec()));
        let h = head(b"GET https://[::1]:8443/x HTTP/1.1\r\nHost: \r\n\r\n");
        assert_eq!(host(&h), Some(&b"[::1]:8443"[..]));
        // HTTP/1.0 needs no Host header: the authority becomes one
        let h = head(b"GET http://a.example:8000/x?q HTTP/1.0\r\nX: 1\r\n\r\n");
        assert_eq!(h.headers[0], (b"host".to_vec(), b"a.example:8000".to_vec()));
        assert_eq!(
            (h.raw_path.as_slice(), h.query.as_slice()),
            (&b"/x"[..], &b"q"[..])
        );
        // an origin-form target leaves the Host header alone
        let h = head(b"GET /x HTTP/1.1\r\nHost: b.example:81\r\n\r\n");
        assert_eq!(host(&h), Some(&b"b.example:81"[..]));
    }

    #[test]
    fn host_header_rules() {
        let bad = |reason| HttpError::BadRequest(reason);
        assert_eq!(err(b"GET / HTTP/1.1\r\n\r\n"), bad("missing Host header"));
        // an absolute-form target names the host itself (RFC 9112 §3.2.2)
        let h = head(b"GET http://a.example HTTP/1.1\r\n\r\n");
        assert_eq!((h.path.as_str(), host(&h)), ("/", Some(&b"a.example"[..])));
        // the Host header is still checked when the target overrides it
        assert_eq!(
            err(b"GET http://a.example/ HTTP/1.1\r\nHost: a/b\r\n\r\n"),
            bad("invalid Host header")
        );
        for req in [
            &b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nhost: b\r\n\r\n",
            b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET http://a.example/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ] {
            assert_eq!(err(req), bad("more than one Host header"));
        }
        for value in [
            "a b",
            "a/b",
            "user@a",
            "a:b",
            "a:65536",
            "[::1",
            "::1",
            "a:80:80",
            "\u{e9}",
            "evil.com/x",
            "a:b:c",
            "h:99999x",
            "h:123456",
            "[zz]",
            "[ff]",
            "[1.2.3.4]",
            "h\"x",
            "a%zz",
        ] {
            for version in ["1.1", "1.0"] {
                let req = format!("GET / HTTP/{version}\r\nHost: {value}\r\n\r\n");
                let e = err(req.as_bytes());
                assert_eq!(e, bad("invalid Host header"), "{value:?}");
                assert_eq!(e.status(), 400);
            }
        }
        // valid: HTTP/1.0 without Host, ports, IP literals, an empty value (RFC 9112 §3.2)
        assert_eq!(host(&head(b"GET / HTTP/1.0\r\n\r\n")), None);
        for value in [
            "a.example:8000",
            "[::1]:8000",
            "[::1]",
            "127.0.0.1",
            "",
            "A.Example",
            "h:",
            "x.example",
            "my_host.local",
        ] {
            let req = format!("GET / HTTP/1.1\r\nHost: {value}\r\n\r\n");
            assert_eq!(host(&head(req.as_bytes())), Some(value.as_bytes()));
        }
    }

    #[test]
    fn target_forms_depend_on_the_method() {
        let bad = |reason| HttpError::BadRequest(reason);
        assert_eq!(head(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path, "*");
        assert_eq!(
            err(b"GET * HTTP/1.1\r\nHost: h\r\n\r\n"),
            bad("the asterisk-form request target (*) is only allowed with OPTIONS")
        );
        assert_eq!(
            err(b"GET a.example:80 HTTP/1.1\r\nHost: h\r\n\r\n"),
            bad("the authority-form request target (host:port) is only allowed with CONNECT")
        );
        assert_eq!(
            err(b"CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n"),
            bad("CONNECT needs an authority-form request target (host:port)")
        );
        for target in ["x", "?a=1", "a.example", "%2Fx", "*x", "1http://a/"] {
            let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
            let e = err(req.as_bytes());
            assert_eq!(e, bad("the request target must start with /"), "{target}");
            assert_eq!(e.status(), 400);
        }
        assert_eq!(
            err(b"GET ftp://a.example/x HTTP/1.1\r\nHost: h\r\n\r\n"),
            bad("an absolute-form request target must be an http or https URI")
        );
        for target in [
            "http://u@a.example/x",
            "http://",
            "http://:80/x",
            "https://a:99999/",
        ] {
            let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
            let e = err(req.as_bytes());
            assert_eq!(
                e,
                bad("invalid authority in the request target"),
                "{target}"
            );
        }
    }

    #[test]
    fn websocket_handshake_needs_http11_and_no_body() {
        let bad = |reason| HttpError::BadRequest(reason);
        let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
        let ws = |version: &str, extra: &str| {
            format!("GET /ws HTTP/{version}\r\nHost: h\r\n{upgrade}{extra}\r\n").into_bytes()
        };
        assert!(head(&ws("1.1", "")).websocket);
        assert!(head(&ws("1.1", "Content-Length: 0\r\n")).websocket);
        assert_eq!(
            err(&ws("1.0", "")),
            bad("a WebSocket handshake needs HTTP/1.1")
        );
        let no_body = bad("a WebSocket handshake with a body");
        assert_eq!(err(&ws("1.1", "Content-Length: 5\r\n")), no_body);
        assert_eq!(err(&ws("1.1", "Transfer-Encoding: chunked\r\n")), no_body);
        assert_eq!(err(&ws("1.0", "Content-Length: 5\r\n")).status(), 400);
        // not a handshake: any other method, whose body is a body
        let post = format!("POST /ws HTTP/1.1\r\nHost: h\r\n{upgrade}Content-Length: 5\r\n\r\n");
        let h = head(post.as_bytes());
        assert!(h.upgrade && !h.websocket);
        assert_eq!(h.framing, Framing::Length(5));
        // nor is a plain GET on HTTP/1.0
        assert!(!head(b"GET /ws HTTP/1.0\r\n\r\n").websocket);
    }

    #[test]
    fn percent_decoding_and_query_split() {
        let h = head(b"GET /a%20b/%C3%A9/%2F?q=%20&r=a?b HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.raw_path, b"/a%20b/%C3%A9/%2F");
        assert_eq!(h.path, "/a b/\u{e9}//");
        assert_eq!(h.query, b"q=%20&r=a?b");
        let h = head(b"GET /%FF%zz HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.path, "/\u{fffd}%zz");
        assert_eq!(head(b"GET /x? HTTP/1.1\r\nHost: h\r\n\r\n").query, b"");
    }

    #[test]
    fn content_length_framing() {
        let h = head(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(12));
        let h = head(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(0));
        // identical repeats are tolerated (RFC 9110 §8.6)
        let h = head(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
        );
        assert_eq!(h.framing, Framing::Length(5));
        let h = head(b"POST / HTTP/1.0\r\nContent-Length: 7\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(7));
    }

    #[test]
    fn chunked_framing() {
        let h = head(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
    }

    #[test]
    fn smuggling_defences() {
        let bad = |reason| HttpError::BadRequest(reason);
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bad("both Content-Length and Transfer-Encoding")
        );
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            bad("both Content-Length and Transfer-Encoding")
        );
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
            bad("conflicting Content-Length values")
        );
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n"),
            bad("conflicting Content-Length values")
        );
        for value in [
            "+3",
            "-1",
            "3a",
            "0x10",
            "",
            "3,",
            "1 2",
            "18446744073709551616",
        ] {
            let req = format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {value}\r\n\r\n");
            assert_eq!(
                err(req.as_bytes()),
                bad("invalid Content-Length"),
                "{value:?}"
            );
        }
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            bad("chunked must be the final transfer coding")
        );
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bad("chunked must be the final transfer coding")
        );
        assert_eq!(
            err(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n"),
            bad("invalid Transfer-Encoding")
        );
        assert_eq!(
            err(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bad("Transfer-Encoding in an HTTP/1.0 request")
        );
    }

    #[test]
    fn unknown_transfer_coding_is_501() {
        for te in ["gzip", "identity", "gzip, chunked", "x-custom"] {
            let req = format!("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: {te}\r\n\r\n");
            let e = err(req.as_bytes());
            assert_eq!(
                e,
                HttpError::NotImplemented("unsupported Transfer-Encoding"),
                "{te}"
            );
            assert_eq!(e.status(), 501);
        }
    }

    #[test]
    fn body_too_large() {
        let limits = Limits {
            max_body: 10,
            ..Limits::default()
        };
        let ok = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";
        assert!(parse_head(ok, &limits).unwrap().is_some());
        let e = parse_head(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
            &limits,
        )
        .unwrap_err();
        assert_eq!((e.clone(), e.status()), (HttpError::BodyTooLarge, 413));
    }

    #[test]
    fn uri_too_long_even_when_incomplete() {
        let limits = Limits {
            max_request_line: 20,
            ..Limits::default()
        };
        // "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaa" with no line end yet
        let partial = format!("GET /{}", "a".repeat(30));
        assert_eq!(
            parse_head(partial.as_bytes(), &limits),
            Err(HttpError::UriTooLong)
        );
        assert_eq!(HttpError::UriTooLong.status(), 414);
        // exactly 20 bytes is fine, with or without its CRLF yet
        let line = format!("GET /{} HTTP/1.1", "a".repeat(6));
        assert_eq!(line.len(), 20);
        assert_eq!(
            parse_head(format!("{line}\r").as_bytes(), &limits),
            Ok(None)
        );
        let full = format!("{line}\r\nHost: h\r\n\r\n");
        assert!(parse_head(full.as_bytes(), &limits).unwrap().is_some());
        let long = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(7));
        assert_eq!(
            parse_head(long.as_bytes(), &limits),
            Err(HttpError::UriTooLong)
        );
    }

    #[test]
    fn headers_too_large_even_when_incomplete() {
        let limits = Limits {
            max_head_bytes: 64,
            ..Limits::default()
        };
        let partial = format!("GET / HTTP/1.1\r\nHost: h\r\nX-Big: {}", "b".repeat(60));
        assert_eq!(
            parse_head(partial.as_bytes(), &limits),
            Err(HttpError::HeadersTooLarge)
        );
        let complete = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nX-Big: {}\r\n\r\n",
            "b".repeat(60)
        );
        assert_eq!(
            parse_head(complete.as_bytes(), &limits),
            Err(HttpError::HeadersTooLarge)
        );
        assert_eq!(HttpError::HeadersTooLarge.status(), 431);
        // a head of exactly 64 bytes followed by body bytes is accepted
        let exact = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nX-Big: {}\r\n\r\n",
            "b".repeat(64 - 36)
        );
        assert_eq!(exact.len(), 64);
        let with_body = format!("{exact}body bytes");
        assert_eq!(
            parse_head(with_body.as_bytes(), &limits)
                .unwrap()
                .unwrap()
                .1,
            64
        );
        // endless empty lines count too
        let blank = "\r\n".repeat(40);
        assert_eq!(
            parse_head(blank.as_bytes(), &limits),
            Err(HttpError::HeadersTooLarge)
        );
    }

    #[test]
    fn too_many_headers() {
        let limits = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        let ok = b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n";
        assert_eq!(parse_head(ok, &limits).unwrap().unwrap().0.headers.len(), 2);
        let e = parse_head(
            b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
            &limits,
        )
        .unwrap_err();
        assert_eq!((e.clone(), e.status()), (HttpError::TooManyHeaders, 431));
    }

    #[test]
    fn version_errors() {
        for req in [
            &b"GET / HTTP/2.0\r\n\r\n"[..],
            b"GET / HTTP/1.2\r\n\r\n",
            b"GET / HTTP/3.0\r\n\r\n",
        ] {
            let e = err(req);
            assert_eq!(
                (e.clone(), e.status()),
                (HttpError::VersionNotSupported, 505)
            );
        }
        let bad_version = HttpError::BadRequest(
            "malformed request line: a space in the request target, or an invalid HTTP version",
        );
        for req in [
            &b"GET / FOO/1.1\r\n\r\n"[..],
            b"GET / HTTP/x.1\r\n\r\n",
            // not HTTP/DIGIT.DIGIT: malformed, not another version (found by the socket fuzzer)
            b"GET / HTTP/1.+1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/11\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.4294967296\r\nHost: h\r\n\r\n",
            b"GET / HTTP/9223372036854775807.1\r\nHost: h\r\n\r\n",
            // a space inside the target is no unsupported version (505), however the line ends
            b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET /a b HTTP/2.0\r\nHost: h\r\n\r\n",
            b"GET /a  HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET /a b",
            b"GET /a b c HTTP/1.1\r\nHost: h\r\n\r\n",
        ] {
            let e = err(req);
            assert_eq!(e, bad_version, "{:?}", String::from_utf8_lossy(req));
            assert_eq!(e.status(), 400);
        }
    }

    #[test]
    fn malformed_heads_are_400() {
        let cases: [(&[u8], &str); 7] = [
            (b"GET /\r\n\r\n", "malformed request line"),
            (
                b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
                "malformed request line",
            ),
            (
                b" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                "malformed request line",
            ),
            (
                b"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
                "malformed request line",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
                "invalid header name",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
                "invalid header value",
            ),
            (b"GET / HTTP/1.1\rX\r\n\r\n", "invalid line ending"),
        ];
        for (req, reason) in cases {
            let e = err(req);
            assert_eq!(
                e,
                HttpError::BadRequest(reason),
                "{:?}",
                String::from_utf8_lossy(req)
            );
            assert_eq!(e.status(), 400);
        }
    }

    #[test]
    fn bytewise_feeding_gives_same_result() {
        let limits = Limits {
            max_request_line: 40,
            max_head_bytes: 120,
            max_headers: 3,
            max_body: 100,
        };
        let long_header = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
            "v".repeat(120)
        );
        let long_line = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "p".repeat(40));
        let vectors: Vec<&[u8]> = vec![
            b"GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nNEXT",
            b"\r\n\nPOST /p HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody",
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: 1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n",
            b"GET http://a/b HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/2.0 x\r\nHost: h\r\n\r\n",
            b"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
            long_header.as_bytes(),
            long_line.as_bytes(),
        ];
        for v in vectors {
            let whole = parse_head(v, &limits);
            let bytewise = parse_bytewise(v, &limits);
            assert_eq!(whole, bytewise, "{:?}", String::from_utf8_lossy(v));
        }
    }
}
