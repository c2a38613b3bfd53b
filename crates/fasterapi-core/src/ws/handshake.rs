//! The opening handshake: checking a client's `Sec-WebSocket-*` headers and writing the
//! answer, a `101 Switching Protocols` or a refusal.

use std::fmt;

use memchr::memchr3;

use crate::http::response::{detail_body, write_defaults};
use crate::http::{reason_phrase, write_head, BodyFraming, Defaults, InvalidHeader};

/// The `Sec-WebSocket-Accept` value answering a client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &[u8]) -> String {
    tungstenite::handshake::derive_accept_key(client_key)
}

/// Why a WebSocket opening handshake is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    /// No `Sec-WebSocket-Version: 13`: answered with 426 and `Sec-WebSocket-Version: 13`.
    Version,
    /// No `Sec-WebSocket-Key`, or one that is not the base64 of 16 bytes: answered with 400.
    Key,
}

impl HandshakeError {
    /// The status of the rejection: 426 or 400.
    pub fn status(self) -> u16 {
        match self {
            HandshakeError::Version => 426,
            HandshakeError::Key => 400,
        }
    }

    /// The message of the rejection's JSON body.
    pub fn detail(self) -> &'static str {
        match self {
            HandshakeError::Version => "Unsupported WebSocket version",
            HandshakeError::Key => "Missing or invalid Sec-WebSocket-Key",
        }
    }

    /// The complete rejection response (see [`rejection_response`]), with the server's
    /// `defaults`.
    pub fn response(self, defaults: Defaults<'_>) -> Vec<u8> {
        let extra: &[(&[u8], &[u8])] = match self {
            HandshakeError::Version => &[
                (b"upgrade", b"websocket"),
                (b"sec-websocket-version", b"13"),
            ],
            HandshakeError::Key => &[],
        };
        rejection_response(self.status(), self.detail(), extra, defaults)
            .expect("constant headers are valid")
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid WebSocket handshake: {}", self.detail())
    }
}

impl std::error::Error for HandshakeError {}

/// Checks the `Sec-WebSocket-*` headers of an opening handshake (names compared
/// case-insensitively, values trimmed; the first of each name counts) and returns the
/// `Sec-WebSocket-Key`. The version is checked first. `Connection`/`Upgrade` are not looked at
/// here: that is [`crate::http::RequestHead::websocket`].
pub fn check_handshake(headers: &[(&[u8], &[u8])]) -> Result<Vec<u8>, HandshakeError> {
    let find = |wanted: &[u8]| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.trim_ascii())
    };
    if find(b"sec-websocket-version") != Some(b"13") {
        return Err(HandshakeError::Version);
    }
    let key = find(b"sec-websocket-key").ok_or(HandshakeError::Key)?;
    // 16 bytes are 24 base64 characters; BASE64 also rejects non-canonical padding bits.
    match data_encoding::BASE64.decode(key) {
        Ok(raw) if raw.len() == 16 => Ok(key.to_vec()),
        _ => Err(HandshakeError::Key),
    }
}

fn is_header_safe(bytes: &[u8]) -> bool {
    memchr3(b'\r', b'\n', 0, bytes).is_none()
}

/// The `101 Switching Protocols` answer to a handshake whose `Sec-WebSocket-Key` is `key`:
/// `upgrade`, `connection`, `sec-websocket-accept`, then `sec-websocket-protocol` if a
/// `subprotocol` is given, then `extra_headers` in order (passed through as they are: the
/// caller leaves out the ones written here), then the server's `defaults` they do not set
/// (date, server, the operator's own). A CR, LF or NUL in the subprotocol or in a header's name
/// or value is an error ([`InvalidHeader`]), and nothing is returned.
pub fn handshake_response(
    key: &[u8],
    subprotocol: Option<&str>,
    extra_headers: &[(&[u8], &[u8])],
    defaults: Defaults<'_>,
) -> Result<Vec<u8>, InvalidHeader> {
    let extra_safe = extra_headers
        .iter()
        .all(|(name, value)| is_header_safe(name) && is_header_safe(value));
    let protocol_safe = subprotocol.is_none_or(|p| is_header_safe(p.as_bytes()));
    if !extra_safe || !protocol_safe || !defaults.is_safe() {
        return Err(InvalidHeader);
    }
    let has = |wanted: &[u8]| {
        extra_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(wanted))
    };
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n");
    out.extend_from_slice(b"connection: Upgrade\r\nsec-websocket-accept: ");
    out.extend_from_slice(accept_key(key).as_bytes());
    out.extend_from_slice(b"\r\n");
    let protocol = subprotocol.map(|p| (&b"sec-websocket-protocol"[..], p.as_bytes()));
    for (name, value) in protocol.iter().chain(extra_headers) {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    write_defaults(
        &mut out,
        extra_headers,
        defaults,
        has(b"date"),
        has(b"server"),
    );
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

/// A complete response refusing a WebSocket handshake, after which the connection is closed:
/// `status`, `extra_headers`, then content-type `application/json`, the server's `defaults`,
/// content-length and `connection: close`, with the body `{"detail":"<detail>"}`. For a handshake
/// the app refused (closed before accepting) that is 403 and `Forbidden`. A CR, LF or NUL in a
/// header is an error, as in [`write_head`].
pub fn rejection_response(
    status: u16,
    detail: &str,
    extra_headers: &[(&[u8], &[u8])],
    defaults: Defaults<'_>,
) -> Result<Vec<u8>, InvalidHeader> {
    let body = detail_body(detail);
    let mut headers = extra_headers.to_vec();
    headers.push((b"content-type", b"application/json"));
    let mut out = Vec::with_capacity(192 + body.len());
    let framing = BodyFraming::Length(body.len() as u64);
    write_head(&mut out, 1, status, &headers, defaults, false, framing)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// The JSON body detail for a refusal with `status` when the app gave none: its reason phrase.
pub fn rejection_detail(status: u16) -> &'static str {
    match reason_phrase(status) {
        "" => "WebSocket connection refused",
        phrase => phrase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    #[test]
    fn accept_key_rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn handshake_checks() {
        let key = &b"dGhlIHNhbXBsZSBub25jZQ=="[..];
        let good: [(&[u8], &[u8]); 3] = [
            (b"host", b"example.com"),
            (b"Sec-WebSocket-Key", b" dGhlIHNhbXBsZSBub25jZQ== "),
            (b"sec-websocket-version", b"13"),
        ];
        assert_eq!(check_handshake(&good), Ok(key.to_vec()));

        let version = |v: &'static [u8]| -> [(&[u8], &[u8]); 2] {
            [(b"sec-websocket-key", key), (b"Sec-WebSocket-Version", v)]
        };
        for v in [&b"8"[..], b"", b"13, 8", b"14"] {
            assert_eq!(check_handshake(&version(v)), Err(HandshakeError::Version));
        }
        assert_eq!(check_handshake(&version(b"13")), Ok(key.to_vec()));
        // a missing version is a version error, even with a bad key
        assert_eq!(
            check_handshake(&[(b"sec-websocket-key", b"x")]),
            Err(HandshakeError::Version)
        );

        let with_key = |k: &'static [u8]| -> [(&[u8], &[u8]); 2] {
            [(b"sec-websocket-version", b"13"), (b"sec-websocket-key", k)]
        };
        for k in [
            &b""[..],
            b"abc",
            b"dGhlIHNhbXBsZSBub25jZQ",       // no padding
            b"dGhlIHNhbXBsZSBub25jZR==",     // non-canonical last character
            b"dGhlIHNhbXBsZSBub25jZXh4eA==", // 17 bytes
            b"dGhlIHNhbXBsZSBub25j",         // 15 bytes
            b"dGhlIHNhbXBsZSBub25jZQ==\0",
        ] {
            assert_eq!(
                check_handshake(&with_key(k)),
                Err(HandshakeError::Key),
                "{k:?}"
            );
        }
        assert_eq!(
            check_handshake(&[(b"sec-websocket-version", b"13")]),
            Err(HandshakeError::Key)
        );
    }

    #[test]
    fn handshake_response_format() {
        const NONE: Defaults<'static> = Defaults {
            date: None,
            server: None,
            extra: &[],
        };
        let key = b"dGhlIHNhbXBsZSBub25jZQ==";
        let plain = handshake_response(key, None, &[], NONE).unwrap();
        assert_eq!(
            plain,
            b"HTTP/1.1 101 Switching Protocols\r\n\
              upgrade: websocket\r\n\
              connection: Upgrade\r\n\
              sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
              \r\n"
        );
        let extra: [(&[u8], &[u8]); 1] = [(b"set-cookie", b"a=1")];
        let with = handshake_response(key, Some("chat"), &extra, NONE).unwrap();
        assert_eq!(
            with,
            b"HTTP/1.1 101 Switching Protocols\r\n\
              upgrade: websocket\r\n\
              connection: Upgrade\r\n\
              sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
              sec-websocket-protocol: chat\r\n\
              set-cookie: a=1\r\n\
              \r\n"
        );
        // the server's defaults come last, but for one the app's headers set
        let operator = [(b"x-op".to_vec(), b"1".to_vec())];
        let defaults = Defaults {
            extra: &operator,
            ..Defaults::standard(DATE)
        };
        let app: [(&[u8], &[u8]); 1] = [(b"Server", b"app")];
        let answer = handshake_response(key, None, &app, defaults).unwrap();
        let text = String::from_utf8(answer).unwrap();
        assert!(text.ends_with(&format!(
            "Server: app\r\ndate: {}\r\nx-op: 1\r\n\r\n",
            std::str::from_utf8(DATE).unwrap()
        )));
        let bad_date = Defaults::standard(b"x\r\n");
        assert_eq!(
            handshake_response(key, None, &[], bad_date),
            Err(InvalidHeader)
        );
        assert_eq!(
            handshake_response(key, Some("a\r\nx: y"), &[], NONE),
            Err(InvalidHeader)
        );
        let bad: [(&[u8], &[u8]); 1] = [(b"x", b"a\nb")];
        assert_eq!(
            handshake_response(key, None, &bad, NONE),
            Err(InvalidHeader)
        );
        let bad: [(&[u8], &[u8]); 1] = [(b"x\r", b"a")];
        assert_eq!(
            handshake_response(key, None, &bad, NONE),
            Err(InvalidHeader)
        );
    }

    fn parse_response(bytes: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let n = match resp.parse(bytes).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("incomplete response"),
        };
        let headers = resp
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8(h.value.to_vec()).unwrap();
                (h.name.to_owned(), value)
            })
            .collect();
        (resp.code.unwrap(), headers, bytes[n..].to_vec())
    }

    #[test]
    fn rejection_responses() {
        let get = |headers: &[(String, String)], name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };

        let (status, headers, body) =
            parse_response(&HandshakeError::Version.response(Defaults::standard(DATE)));
        assert_eq!(status, 426);
        assert_eq!(
            get(&headers, "sec-websocket-version").as_deref(),
            Some("13")
        );
        assert_eq!(get(&headers, "upgrade").as_deref(), Some("websocket"));
        assert_eq!(get(&headers, "connection").as_deref(), Some("close"));
        assert_eq!(body, br#"{"detail":"Unsupported WebSocket version"}"#);

        let (status, headers, body) =
            parse_response(&HandshakeError::Key.response(Defaults::standard(DATE)));
        assert_eq!(status, 400);
        assert_eq!(get(&headers, "sec-websocket-version"), None);
        assert_eq!(
            body,
            br#"{"detail":"Missing or invalid Sec-WebSocket-Key"}"#
        );

        let forbidden =
            rejection_response(403, rejection_detail(403), &[], Defaults::standard(DATE)).unwrap();
        let (status, headers, body) = parse_response(&forbidden);
        assert_eq!(status, 403);
        assert_eq!(body, br#"{"detail":"Forbidden"}"#);
        assert_eq!(get(&headers, "content-length").as_deref(), Some("22"));
        assert_eq!(
            get(&headers, "content-type").as_deref(),
            Some("application/json")
        );
        assert_eq!(get(&headers, "connection").as_deref(), Some("close"));
        assert_eq!(
            get(&headers, "date").as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );

        let escaped = rejection_response(400, "a\"b\n", &[], Defaults::standard(DATE)).unwrap();
        assert!(escaped.ends_with(br#"{"detail":"a\"b\u000a"}"#));
        let bad: [(&[u8], &[u8]); 1] = [(b"x", b"1\r\n")];
        assert_eq!(
            rejection_response(400, "x", &bad, Defaults::standard(DATE)),
            Err(InvalidHeader)
        );
        assert_eq!(rejection_detail(599), "WebSocket connection refused");
    }
}
