//! Security headers (SecurityHeadersMiddleware): fixed response headers such as
//! `X-Content-Type-Options` and `Strict-Transport-Security` that every response gets unless it
//! has a header of that name already (a route's own value wins).

/// A header: name (lower case) and value.
pub type Header = (Vec<u8>, Vec<u8>);

/// Names the middleware refuses: the server writes them, or another middleware owns them.
const REFUSED: [&str; 14] = [
    "connection",
    "content-encoding",
    "content-length",
    "content-type",
    "date",
    "keep-alive",
    "proxy-connection",
    "server",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "vary",
];

/// The headers to add, checked once.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: Vec<Header>,
}

impl SecurityHeaders {
    /// Checks `pairs` (names in any case): an error names a header that is not a valid HTTP
    /// token, a value with a control character, a name given twice or one that is refused.
    pub fn new(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut headers: Vec<Header> = Vec::new();
        for (name, value) in pairs {
            let lower = name.to_ascii_lowercase();
            let token = !lower.is_empty()
                && lower
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(format!("{name:?} is not a valid header name"));
            }
            if REFUSED.contains(&lower.as_str()) || lower.starts_with("access-control-") {
                return Err(format!(
                    "{name:?} is set by the server or another middleware, not by security headers"
                ));
            }
            if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(format!("the value of {name:?} has a control character"));
            }
            if headers.iter().any(|(n, _)| n == lower.as_bytes()) {
                return Err(format!("{name:?} is given twice"));
            }
            headers.push((lower.into_bytes(), value.clone().into_bytes()));
        }
        Ok(SecurityHeaders { headers })
    }

    /// Adds each header `headers` (names in any case) has no header of that name for.
    pub fn add_to(&self, headers: &mut Vec<Header>) {
        let missing: Vec<&Header> = self
            .headers
            .iter()
            .filter(|(name, _)| !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
            .collect();
        headers.extend(missing.into_iter().cloned());
    }

    /// The headers it adds, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn adds_only_the_headers_a_response_does_not_have() {
        let secure = SecurityHeaders::new(&pairs(&[
            ("X-Frame-Options", "SAMEORIGIN"),
            ("X-Content-Type-Options", "nosniff"),
        ]))
        .unwrap();
        let mut headers = vec![
            (b"content-type".to_vec(), b"text/html".to_vec()),
            (b"X-Frame-Options".to_vec(), b"ALLOWALL".to_vec()),
        ];
        secure.add_to(&mut headers);
        assert_eq!(
            headers,
            vec![
                (b"content-type".to_vec(), b"text/html".to_vec()),
                (b"X-Frame-Options".to_vec(), b"ALLOWALL".to_vec()),
                (b"x-content-type-options".to_vec(), b"nosniff".to_vec()),
            ]
        );
    }

    #[test]
    fn refuses_what_it_cannot_send_or_does_not_own() {
        let refused = [
            ("Bad Name", "x"),
            ("", "x"),
            ("X-Ok", "a\r\nInjected: yes"),
            ("Content-Length", "1"),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Origin", "*"),
            ("Set-Cookie", "a=b"),
            ("Upgrade", "h2c"),
            ("Trailer", "x"),
        ];
        for pair in refused {
            assert!(SecurityHeaders::new(&pairs(&[pair])).is_err(), "{pair:?}");
        }
        let twice = pairs(&[("X-A", "1"), ("x-a", "2")]);
        assert!(SecurityHeaders::new(&twice).unwrap_err().contains("twice"));
        let tab = pairs(&[(
            "Content-Security-Policy",
            "default-src 'self';\tscript-src 'self'",
        )]);
        assert!(SecurityHeaders::new(&tab).is_ok());
    }
}
