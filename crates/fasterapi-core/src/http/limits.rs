//! Limits on what a client may send: the request line, the head, the header fields and the
//! body.

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
}
