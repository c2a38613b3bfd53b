//! HTTP/1.1 wire protocol, without I/O: incremental request-head parsing ([`head`]), with the
//! request target's forms and the Host header checked ([`target`]), chunked request bodies
//! ([`body`]) and response serialisation ([`response`]).
//!
//! Everything here works on byte slices handed in by the caller, in whatever pieces
//! they arrive from the socket, so the server's `data_received` can drive it directly.

pub mod body;
pub mod head;
pub mod response;
pub mod target;

use std::fmt;

pub use body::ChunkedDecoder;
pub use head::{parse_head, Framing, RequestHead};
pub use response::{
    error_response, reason_phrase, status_has_no_body, write_chunk, write_head, BodyFraming,
    DateCache, InvalidHeader, CONTINUE, LAST_CHUNK,
};

/// Limits on what a client may send.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request line accepted, in bytes, without its CRLF.
    pub max_request_line: usize,
    /// Largest request head (request line and header fields, with the blank line) in bytes.
    pub max_head_bytes: usize,
    /// Most header fields accepted in one request.
    pub max_headers: usize,
    /// Largest request body in bytes (declared Content-Length or decoded chunked data).
    pub max_body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_line: 8190,
            max_head_bytes: 65536,
            max_headers: 100,
            max_body: 100 * 1024 * 1024,
        }
    }
}

/// A protocol error in a request; the connection answers with [`HttpError::status`] and closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// 414: the request line is longer than `max_request_line`.
    UriTooLong,
    /// 431: the head is larger than `max_head_bytes`.
    HeadersTooLarge,
    /// 431: more than `max_headers` header fields.
    TooManyHeaders,
    /// 400, with a short reason.
    BadRequest(&'static str),
    /// 413: the body is larger than `max_body`.
    BodyTooLarge,
    /// 501: a Transfer-Encoding this server does not implement.
    NotImplemented(&'static str),
    /// 505: an HTTP version other than 1.0 or 1.1.
    VersionNotSupported,
}

impl HttpError {
    /// The response status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            HttpError::UriTooLong => 414,
            HttpError::HeadersTooLarge | HttpError::TooManyHeaders => 431,
            HttpError::BadRequest(_) => 400,
            HttpError::BodyTooLarge => 413,
            HttpError::NotImplemented(_) => 501,
            HttpError::VersionNotSupported => 505,
        }
    }

    /// A human-readable message for the JSON error body.
    pub fn detail(&self) -> &'static str {
        match self {
            HttpError::UriTooLong => "URI Too Long",
            HttpError::HeadersTooLarge => "Request Header Fields Too Large",
            HttpError::TooManyHeaders => "Too many header fields",
            HttpError::BadRequest(reason) | HttpError::NotImplemented(reason) => reason,
            HttpError::BodyTooLarge => "Content Too Large",
            HttpError::VersionNotSupported => "HTTP Version Not Supported",
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.detail())
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits() {
        let l = Limits::default();
        assert_eq!(l.max_request_line, 8190);
        assert_eq!(l.max_head_bytes, 65536);
        assert_eq!(l.max_headers, 100);
        assert_eq!(l.max_body, 104_857_600);
    }

    #[test]
    fn error_status_and_detail() {
        let cases = [
            (HttpError::UriTooLong, 414, "URI Too Long"),
            (
                HttpError::HeadersTooLarge,
                431,
                "Request Header Fields Too Large",
            ),
            (HttpError::TooManyHeaders, 431, "Too many header fields"),
            (
                HttpError::BadRequest("invalid Content-Length"),
                400,
                "invalid Content-Length",
            ),
            (HttpError::BodyTooLarge, 413, "Content Too Large"),
            (HttpError::NotImplemented("unsupported"), 501, "unsupported"),
            (
                HttpError::VersionNotSupported,
                505,
                "HTTP Version Not Supported",
            ),
        ];
        for (err, status, detail) in cases {
            assert_eq!(err.status(), status);
            assert_eq!(err.detail(), detail);
            assert_eq!(err.to_string(), format!("{status} {detail}"));
        }
    }
}
