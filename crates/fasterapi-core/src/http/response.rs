//! Response serialisation: status line and headers (with the server's `date`, `server`,
//! framing and `connection` headers), chunked body pieces, and ready-made error responses.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use memchr::memchr3;

use super::error::HttpError;

/// The interim response sent before reading a body announced with `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The last chunk of a chunked body, with an empty trailer section.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The standard reason phrase for `status` (RFC 9110 names), "" when unknown.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a Teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "",
    }
}

/// Whether a status forbids a body (1xx, 204, 304).
pub fn status_has_no_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// The Date header value (IMF-fixdate), recomputed at most once per second.
#[derive(Debug)]
pub struct DateCache {
    secs: u64,
    value: String,
}

impl DateCache {
    /// A cache holding the current date.
    pub fn new() -> Self {
        let mut cache = DateCache {
            secs: u64::MAX,
            value: String::new(),
        };
        cache.get();
        cache
    }

    /// The current date, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    pub fn get(&mut self) -> &[u8] {
        let now = SystemTime::now();
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if secs != self.secs {
            self.secs = secs;
            self.value = httpdate::fmt_http_date(now);
        }
        self.value.as_bytes()
    }
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new()
    }
}

/// How the body after the head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// A body of this many bytes: adds `content-length` unless the app gave one.
    Length(u64),
    /// A chunked body: adds `transfer-encoding: chunked` (and drops any app `content-length`).
    Chunked,
    /// No body allowed (204, 304, a HEAD answer of unknown length): adds nothing.
    None,
}

/// A response header name or value contained CR, LF or NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHeader;

impl fmt::Display for InvalidHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid response header: name or value contains CR, LF or NUL")
    }
}

impl std::error::Error for InvalidHeader {}

fn is_header_safe(bytes: &[u8]) -> bool {
    memchr3(b'\r', b'\n', 0, bytes).is_none()
}

/// The server's name in the `server` header it adds by default.
pub const SERVER: &[u8] = b"fasterapi";

/// The headers a server adds to each response the app did not set them on: `date`, `server`
/// and the operator's own, in that order (uvicorn's `--date-header`, `--server-header` and
/// `--header NAME:VALUE`). Borrowed from a [`ServerHeaders`], or made for one response.
#[derive(Debug, Clone, Copy)]
pub struct Defaults<'a> {
    /// The `date` value (IMF-fixdate, from a [`DateCache`]), or None for no `date` header.
    pub date: Option<&'a [u8]>,
    /// The `server` value, or None for no `server` header.
    pub server: Option<&'a [u8]>,
    /// More headers, names lowercased.
    pub extra: &'a [(Vec<u8>, Vec<u8>)],
}

impl<'a> Defaults<'a> {
    /// `date`, `server: fasterapi` and nothing more: what a server adds unless told otherwise.
    pub fn standard(date: &'a [u8]) -> Self {
        Defaults {
            date: Some(date),
            server: Some(SERVER),
            extra: &[],
        }
    }

    pub(crate) fn is_safe(&self) -> bool {
        self.date.is_none_or(is_header_safe)
            && self.server.is_none_or(is_header_safe)
            && self
                .extra
                .iter()
                .all(|(name, value)| is_header_safe(name) && is_header_safe(value))
    }
}

/// The [`Defaults`] one server adds for its whole life, its date cached per second.
#[derive(Debug)]
pub struct ServerHeaders {
    date: Option<DateCache>,
    server: Option<Vec<u8>>,
    extra: Vec<(Vec<u8>, Vec<u8>)>,
}

impl ServerHeaders {
    /// A `date` header if `date`, `server: fasterapi` if `server`, then `headers` (an operator's
    /// `server` among them names the server instead, and is sent even when `server` is
    /// false). A CR, LF or NUL in a name or value is an error.
    pub fn new(
        date: bool,
        server: bool,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<Self, InvalidHeader> {
        let mut own = ServerHeaders {
            date: date.then(DateCache::new),
            server: server.then(|| SERVER.to_vec()),
            extra: Vec::with_capacity(headers.len()),
        };
        for (name, value) in headers {
            if !is_header_safe(&name) || !is_header_safe(&value) {
                return Err(InvalidHeader);
            }
            let name = name.to_ascii_lowercase();
            if name == b"server" {
                own.server = Some(value);
            } else {
                own.extra.push((name, value));
            }
        }
        Ok(own)
    }

    /// The headers to add to a response now.
    pub fn get(&mut self) -> Defaults<'_> {
        Defaults {
            date: self.date.as_mut().map(|cache| cache.get()),
            server: self.server.as_deref(),
            extra: &self.extra,
        }
    }
}

impl Default for ServerHeaders {
    fn default() -> Self {
        ServerHeaders {
            date: Some(DateCache::new()),
            server: Some(SERVER.to_vec()),
            extra: Vec::new(),
        }
    }
}

/// Writes "HTTP/1.1 <status> <reason>\r\n", the app's headers in order, then the server's
/// `defaults` the app did not set (`date`, `server`, the operator's own), the framing header,
/// `connection: close` when !keep_alive or `connection: keep-alive` when keep_alive on
/// HTTP/1.0; then the blank line.
/// Header names/values (or defaults) containing CR, LF or NUL are an error and nothing is written.
/// An app `content-length` is kept (no second one is added), except with [`BodyFraming::Chunked`],
/// where it would contradict the chunked framing and is left out.
pub fn write_head(
    out: &mut Vec<u8>,
    http_minor: u8,
    status: u16,
    headers: &[(&[u8], &[u8])],
    defaults: Defaults<'_>,
    keep_alive: bool,
    framing: BodyFraming,
) -> Result<(), InvalidHeader> {
    let all_safe = headers
        .iter()
        .all(|(name, value)| is_header_safe(name) && is_header_safe(value));
    if !all_safe || !defaults.is_safe() {
        return Err(InvalidHeader);
    }

    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\n");

    let (mut has_date, mut has_server, mut has_length, mut has_te) = (false, false, false, false);
    for &(name, value) in headers {
        if name.eq_ignore_ascii_case(b"content-length") {
            has_length = true;
            if framing == BodyFraming::Chunked {
                continue;
            }
        }
        has_date |= name.eq_ignore_ascii_case(b"date");
        has_server |= name.eq_ignore_ascii_case(b"server");
        has_te |= name.eq_ignore_ascii_case(b"transfer-encoding");
        write_header(out, name, value);
    }
    write_defaults(out, headers, defaults, has_date, has_server);
    match framing {
        BodyFraming::Length(n) if !has_length => {
            write_header(
                out,
                b"content-length",
                itoa::Buffer::new().format(n).as_bytes(),
            );
        }
        BodyFraming::Chunked if !has_te => write_header(out, b"transfer-encoding", b"chunked"),
        _ => {}
    }
    if !keep_alive {
        write_header(out, b"connection", b"close");
    } else if http_minor == 0 {
        write_header(out, b"connection", b"keep-alive");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Writes the server's `defaults` that a response's own `headers` do not set (`has_date`,
/// `has_server`: whether they set those two). The caller has checked them ([`Defaults`]'s
/// CR/LF/NUL check).
pub(crate) fn write_defaults(
    out: &mut Vec<u8>,
    headers: &[(&[u8], &[u8])],
    defaults: Defaults<'_>,
    has_date: bool,
    has_server: bool,
) {
    if let Some(date) = defaults.date.filter(|_| !has_date) {
        write_header(out, b"date", date);
    }
    if let Some(server) = defaults.server.filter(|_| !has_server) {
        write_header(out, b"server", server);
    }
    for (name, value) in defaults.extra {
        if !headers
            .iter()
            .any(|(own, _)| own.eq_ignore_ascii_case(name))
        {
            write_header(out, name, value);
        }
    }
}

fn write_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Writes one chunk of a chunked body: `<hex size>\r\n<data>\r\n`; nothing for empty data
/// (an empty chunk would end the body; use [`LAST_CHUNK`] for that).
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let mut hex = [0u8; 16];
    let mut start = hex.len();
    let mut n = data.len();
    while n > 0 || start == hex.len() {
        start -= 1;
        hex[start] = b"0123456789abcdef"[n % 16];
        n /= 16;
    }
    out.extend_from_slice(&hex[start..]);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// A complete error response for a protocol error: JSON body `{"detail": "..."}`,
/// content-type application/json, content-length, date, server, connection: close.
pub fn error_response(err: &HttpError, defaults: Defaults<'_>) -> Vec<u8> {
    let body = detail_body(err.detail());
    let defaults = if defaults.is_safe() {
        defaults
    } else {
        Defaults::standard(b"")
    };
    let mut out = Vec::with_capacity(192 + body.len());
    let headers: [(&[u8], &[u8]); 1] = [(b"content-type", b"application/json")];
    let framing = BodyFraming::Length(body.len() as u64);
    // Only the defaults could make this fail, and they were checked above.
    if write_head(
        &mut out,
        1,
        err.status(),
        &headers,
        defaults,
        false,
        framing,
    )
    .is_ok()
    {
        out.extend_from_slice(&body);
    }
    out
}

/// The JSON body `{"detail":"<detail>"}` of the server's own error responses.
pub(crate) fn detail_body(detail: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + detail.len());
    body.extend_from_slice(b"{\"detail\":\"");
    json_escape_into(&mut body, detail);
    body.extend_from_slice(b"\"}");
    body
}

fn json_escape_into(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(b"0123456789abcdef"[usize::from(b >> 4)]);
                out.push(b"0123456789abcdef"[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    fn head(
        http_minor: u8,
        status: u16,
        headers: &[(&[u8], &[u8])],
        keep_alive: bool,
        framing: BodyFraming,
    ) -> String {
        let mut out = Vec::new();
        write_head(
            &mut out,
            http_minor,
            status,
            headers,
            Defaults::standard(DATE),
            keep_alive,
            framing,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(404), "Not Found");
        assert_eq!(reason_phrase(413), "Content Too Large");
        assert_eq!(reason_phrase(422), "Unprocessable Content");
        assert_eq!(reason_phrase(505), "HTTP Version Not Supported");
        assert_eq!(reason_phrase(299), "");
    }

    #[test]
    fn statuses_without_body() {
        for s in [100, 101, 199, 204, 304] {
            assert!(status_has_no_body(s), "{s}");
        }
        for s in [200, 201, 205, 301, 404, 500] {
            assert!(!status_has_no_body(s), "{s}");
        }
    }

    #[test]
    fn head_with_length() {
        let h = head(
            1,
            200,
            &[(b"content-type", b"application/json")],
            true,
            BodyFraming::Length(2),
        );
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\n\
             content-type: application/json\r\n\
             date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             server: fasterapi\r\n\
             content-length: 2\r\n\
             \r\n"
        );
    }

    #[test]
    fn head_chunked_http10_keep_alive_with_app_date_and_server() {
        let headers: [(&[u8], &[u8]); 3] = [
            (b"Server", b"custom"),
            (b"date", b"yesterday"),
            (b"set-cookie", b"a=1"),
        ];
        let h = head(0, 201, &headers, true, BodyFraming::Chunked);
        assert_eq!(
            h,
            "HTTP/1.1 201 Created\r\n\
             Server: custom\r\n\
             date: yesterday\r\n\
             set-cookie: a=1\r\n\
             transfer-encoding: chunked\r\n\
             connection: keep-alive\r\n\
             \r\n"
        );
    }

    #[test]
    fn head_without_body_and_close() {
        let h = head(1, 204, &[], false, BodyFraming::None);
        assert_eq!(
            h,
            "HTTP/1.1 204 No Content\r\n\
             date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             server: fasterapi\r\n\
             connection: close\r\n\
             \r\n"
        );
        // unknown status: empty reason phrase
        assert!(head(1, 599, &[], true, BodyFraming::None).starts_with("HTTP/1.1 599 \r\n"));
    }

    #[test]
    fn app_content_length_is_kept_once() {
        let h = head(
            1,
            200,
            &[(b"Content-Length", b"5")],
            true,
            BodyFraming::Length(5),
        );
        assert_eq!(h.matches("ontent-").count(), 1);
        assert!(h.contains("Content-Length: 5\r\n"));
        // a HEAD answer keeps the length of the body it does not send
        let h = head(1, 200, &[], true, BodyFraming::Length(1234));
        assert!(h.contains("content-length: 1234\r\n"));
        // with chunked framing a content-length would contradict it
        let h = head(
            1,
            200,
            &[(b"content-length", b"5")],
            true,
            BodyFraming::Chunked,
        );
        assert!(!h.contains("content-length"));
        assert!(h.contains("transfer-encoding: chunked\r\n"));
    }

    #[test]
    fn invalid_headers_are_rejected_and_not_written() {
        let bad: [&[(&[u8], &[u8])]; 4] = [
            &[(b"x", b"a\r\nset-cookie: evil")],
            &[(b"x", b"a\nb")],
            &[(b"x\r", b"a")],
            &[(b"ok", b"fine"), (b"x", b"nul\0")],
        ];
        for headers in bad {
            let mut out = b"previous".to_vec();
            let r = write_head(
                &mut out,
                1,
                200,
                headers,
                Defaults::standard(DATE),
                true,
                BodyFraming::Length(0),
            );
            assert_eq!(r, Err(InvalidHeader));
            assert_eq!(out, b"previous");
        }
        let mut out = Vec::new();
        let bad_date = Defaults::standard(b"x\r\n");
        let r = write_head(&mut out, 1, 200, &[], bad_date, true, BodyFraming::None);
        assert_eq!((r, out.len()), (Err(InvalidHeader), 0));
        assert!(InvalidHeader.to_string().contains("CR, LF or NUL"));
    }

    #[test]
    fn server_defaults_unless_the_app_set_them() {
        let operator = vec![
            (b"X-Served-By".to_vec(), b"edge-1".to_vec()),
            (b"Server".to_vec(), b"acme".to_vec()),
        ];
        let mut own = ServerHeaders::new(false, false, operator).unwrap();
        fn write(headers: &[(&[u8], &[u8])], defaults: Defaults<'_>) -> String {
            let mut out = Vec::new();
            write_head(&mut out, 1, 200, headers, defaults, true, BodyFraming::None).unwrap();
            String::from_utf8(out).unwrap()
        }
        // no date; the operator's server names the server even with the default one off
        let h = write(&[], own.get());
        assert_eq!(
            h,
            "HTTP/1.1 200 OK\r\nserver: acme\r\nx-served-by: edge-1\r\n\r\n"
        );
        // the app's own header wins, whatever its case
        let h = write(&[(b"X-SERVED-BY", b"app")], own.get());
        assert_eq!(
            h.matches("served-by").count() + h.matches("SERVED-BY").count(),
            1
        );
        assert!(h.contains("X-SERVED-BY: app\r\n"));
        // date and server on, nothing more: the standard ones
        let mut standard = ServerHeaders::new(true, true, Vec::new()).unwrap();
        let h = write(&[], standard.get());
        assert!(h.contains("\r\ndate: ") && h.contains("\r\nserver: fasterapi\r\n"));
        let h = write(
            &[],
            ServerHeaders::new(true, false, Vec::new()).unwrap().get(),
        );
        assert!(h.contains("date: ") && !h.contains("server"));
        let mut default = ServerHeaders::default();
        let h = write(&[], default.get());
        assert!(h.contains("date: ") && h.contains("server: fasterapi"));
        // an unsafe operator header is refused when made
        let bad = vec![(b"x".to_vec(), b"a\r\nb".to_vec())];
        assert_eq!(
            ServerHeaders::new(true, true, bad).unwrap_err(),
            InvalidHeader
        );
    }

    #[test]
    fn chunks() {
        let mut out = Vec::new();
        write_chunk(&mut out, b"hello");
        write_chunk(&mut out, b"");
        write_chunk(&mut out, &[b'x'; 26]);
        out.extend_from_slice(LAST_CHUNK);
        let expected = format!("5\r\nhello\r\n1a\r\n{}\r\n0\r\n\r\n", "x".repeat(26));
        assert_eq!(out, expected.as_bytes());
        let mut out = Vec::new();
        write_chunk(&mut out, &[0; 4096]);
        assert!(out.starts_with(b"1000\r\n"));
    }

    #[test]
    fn chunks_decode_back() {
        let mut out = Vec::new();
        for piece in [&b"ab"[..], &[7; 300], b"z"] {
            write_chunk(&mut out, piece);
        }
        out.extend_from_slice(LAST_CHUNK);
        let mut d = super::super::body::ChunkedDecoder::new(1000);
        let mut body = Vec::new();
        assert_eq!(d.decode(&out, &mut body), Ok(out.len()));
        assert!(d.is_done());
        assert_eq!(body.len(), 303);
    }

    #[test]
    fn date_cache_format() {
        let mut cache = DateCache::new();
        let date = cache.get().to_vec();
        assert_eq!(date.len(), 29);
        assert!(date.ends_with(b" GMT"));
        assert_eq!(date[3], b',');
        let parsed = httpdate::parse_http_date(std::str::from_utf8(&date).unwrap()).unwrap();
        let age = SystemTime::now().duration_since(parsed).unwrap();
        assert!(age.as_secs() < 5);
        assert_eq!(DateCache::default().get().len(), 29);
    }

    #[test]
    fn error_response_parses_back() {
        for err in [
            HttpError::BadRequest("invalid Content-Length"),
            HttpError::UriTooLong,
            HttpError::HeadersTooLarge,
            HttpError::TooManyHeaders,
            HttpError::BodyTooLarge,
            HttpError::NotImplemented("unsupported Transfer-Encoding"),
            HttpError::VersionNotSupported,
        ] {
            let bytes = error_response(&err, Defaults::standard(DATE));
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            let n = match resp.parse(&bytes).unwrap() {
                httparse::Status::Complete(n) => n,
                httparse::Status::Partial => panic!("incomplete error response"),
            };
            assert_eq!(resp.code, Some(err.status()));
            assert_eq!(resp.reason, Some(reason_phrase(err.status())));
            let get = |name: &str| {
                resp.headers
                    .iter()
                    .find(|h| h.name == name)
                    .map(|h| std::str::from_utf8(h.value).unwrap())
            };
            assert_eq!(get("content-type"), Some("application/json"));
            assert_eq!(get("connection"), Some("close"));
            assert_eq!(get("server"), Some("fasterapi"));
            assert_eq!(get("date"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
            let body = &bytes[n..];
            assert_eq!(get("content-length"), Some(body.len().to_string().as_str()));
            let expected = format!("{{\"detail\":\"{}\"}}", err.detail());
            assert_eq!(body, expected.as_bytes());
        }
    }

    #[test]
    fn json_escaping() {
        let mut out = Vec::new();
        json_escape_into(&mut out, "a\"b\\c\n");
        assert_eq!(out, b"a\\\"b\\\\c\\u000a");
    }
}
