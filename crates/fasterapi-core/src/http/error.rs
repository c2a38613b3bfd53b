//! [`HttpError`]: why a request is refused, and the status that says so.

use std::fmt;

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
