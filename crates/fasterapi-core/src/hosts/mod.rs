//! TrustedHostMiddleware's check of the Host header, for the requests whose host is plainly
//! one of the allowed: a host name of letters, digits, dots and hyphens with an optional port.
//! Any other Host (missing, an IP literal, odd characters, not allowed) is left to the
//! middleware itself, which words the answer (400, or the redirect to `www.`).

/// The allowed host patterns, in lower case (`example.com`, or `*.example.com` for its
/// subdomains).
#[derive(Clone, Debug)]
pub struct TrustedHosts {
    patterns: Vec<Vec<u8>>,
}

impl TrustedHosts {
    pub fn new(patterns: &[String]) -> Self {
        TrustedHosts {
            patterns: patterns
                .iter()
                .map(|p| p.to_ascii_lowercase().into_bytes())
                .collect(),
        }
    }

    /// Whether a Host header `value` is plainly allowed (see the module's docs).
    pub fn allows(&self, value: &[u8]) -> bool {
        let host = match memchr::memchr(b':', value) {
            Some(colon) => {
                let port = &value[colon + 1..];
                if port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
                    return false;
                }
                let port: u32 =
                    std::str::from_utf8(port).map_or(u32::MAX, |p| p.parse().unwrap_or(u32::MAX));
                if port > 65535 {
                    return false;
                }
                &value[..colon]
            }
            None => value,
        };
        if host.is_empty()
            || !host
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return false;
        }
        let host = host.to_ascii_lowercase();
        self.patterns.iter().any(|pattern| {
            *pattern == host || (pattern.first() == Some(&b'*') && host.ends_with(&pattern[1..]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> TrustedHosts {
        TrustedHosts::new(&["example.com".into(), "*.Example.org".into()])
    }

    #[test]
    fn allowed_names_with_or_without_a_port_in_any_case() {
        let h = hosts();
        for value in [
            "example.com",
            "EXAMPLE.com:8000",
            "api.example.org",
            "a.b.example.org:443",
        ] {
            assert!(h.allows(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_middleware() {
        let h = hosts();
        for value in [
            "",
            "evil.com",
            "example.org",
            "example.com:",
            "example.com:99999",
            "example.com:80a",
            "example.com/x",
            "[::1]",
            "exa mple.com",
        ] {
            assert!(!h.allows(value.as_bytes()), "{value}");
        }
    }
}
