//! The request target and the Host header (RFC 9112 §3.2, RFC 3986 §3.2): which of the four
//! forms a target takes and whether its method allows that form, and whether a `host[:port]`
//! (a Host value, or the authority of an absolute-form or authority-form target) is valid.

use std::net::Ipv6Addr;

use memchr::memchr;

use super::error::HttpError;

/// A request target, split into its parts and checked against its method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The path as sent, without the query: `/p` for origin-form and absolute-form (`/` for an
    /// absolute URI without a path), `*` for asterisk-form, the `host:port` itself for CONNECT.
    pub path: &'a [u8],
    /// The bytes after the first `?`, without it (empty if none).
    pub query: &'a [u8],
    /// The authority of an absolute-form target: it stands for the Host header (RFC 9112 §3.2.2).
    pub authority: Option<&'a [u8]>,
}

/// Splits `target` and checks its form (RFC 9112 §3.2): origin-form (`/p?q`) or absolute-form
/// (`http://host/p?q`, http or https, no userinfo) for any method but CONNECT, asterisk-form
/// (`*`) only for OPTIONS, authority-form (`host:port`) only for, and always for, CONNECT.
/// Anything else is a 400 with the reason.
pub fn parse_target<'a>(method: &str, target: &'a [u8]) -> Result<Target<'a>, HttpError> {
    let whole = |path| Target {
        path,
        query: b"",
        authority: None,
    };
    if method == "CONNECT" {
        return match split_host_port(target) {
            Some((host, Some(port))) if !host.is_empty() && !port.is_empty() => Ok(whole(target)),
            _ => Err(HttpError::BadRequest(
                "CONNECT needs an authority-form request target (host:port)",
            )),
        };
    }
    if target == b"*" {
        return if method == "OPTIONS" {
            Ok(whole(target))
        } else {
            Err(HttpError::BadRequest(
                "the asterisk-form request target (*) is only allowed with OPTIONS",
            ))
        };
    }
    let (before, query) = match memchr(b'?', target) {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, &b""[..]),
    };
    if before.starts_with(b"/") {
        return Ok(Target {
            path: before,
            query,
            authority: None,
        });
    }
    if let Some((scheme, rest)) = split_scheme(before) {
        if !scheme.eq_ignore_ascii_case(b"http") && !scheme.eq_ignore_ascii_case(b"https") {
            return Err(HttpError::BadRequest(
                "an absolute-form request target must be an http or https URI",
            ));
        }
        let (authority, path) = match memchr(b'/', rest) {
            Some(i) => rest.split_at(i),
            None => (rest, &b"/"[..]),
        };
        return match split_host_port(authority) {
            Some((host, _)) if !host.is_empty() => Ok(Target {
                path,
                query,
                authority: Some(authority),
            }),
            _ => Err(HttpError::BadRequest(
                "invalid authority in the request target",
            )),
        };
    }
    if split_host_port(target).is_some_and(|(_, port)| port.is_some()) {
        return Err(HttpError::BadRequest(
            "the authority-form request target (host:port) is only allowed with CONNECT",
        ));
    }
    Err(HttpError::BadRequest(
        "the request target must start with /",
    ))
}

/// Whether a Host header value is `uri-host [":" port]` (RFC 9110 §7.2). An empty value is
/// valid: a client sends one when the target URI has no authority.
pub fn is_valid_host(value: &[u8]) -> bool {
    split_host_port(value).is_some()
}

/// `scheme "://" rest` (RFC 3986 §3.1: a letter, then letters, digits, `+`, `-`, `.`) as
/// `(scheme, rest)`; None if `target` does not start so.
fn split_scheme(target: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr(b':', target)?;
    let (scheme, rest) = (&target[..colon], &target[colon + 1..]);
    let valid = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let rest = rest.strip_prefix(b"//")?;
    valid.then_some((scheme, rest))
}

/// Splits `uri-host [":" port]` (RFC 3986 §3.2.2-3) into the host and the port after a `:` (which
/// may be empty); None if either is invalid. The host is an IP-literal in brackets (IPv6, or
/// IPvFuture) or a reg-name, which covers IPv4 addresses too; the port is digits, at most 65535.
fn split_host_port(value: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (host, port) = if let Some(inner) = value.strip_prefix(b"[") {
        let end = memchr(b']', inner)?;
        let after = &inner[end + 1..];
        let port = match after {
            [] => None,
            [b':', port @ ..] => Some(port),
            _ => return None,
        };
        if !is_ip_literal(&inner[..end]) {
            return None;
        }
        (&value[..end + 2], port)
    } else {
        let (host, port) = match memchr(b':', value) {
            Some(i) => (&value[..i], Some(&value[i + 1..])),
            None => (value, None),
        };
        if !is_reg_name(host) {
            return None;
        }
        (host, port)
    };
    port.is_none_or(is_port).then_some((host, port))
}

/// `*DIGIT` with a value of at most 65535 (leading zeros allowed).
fn is_port(port: &[u8]) -> bool {
    port.iter().all(u8::is_ascii_digit)
        && port
            .iter()
            .try_fold(0u32, |n, &b| {
                let n = n * 10 + u32::from(b - b'0');
                (n <= 65535).then_some(n)
            })
            .is_some()
}

/// The inside of `[...]`: an IPv6 address, or `v` HEXDIG+ `.` (unreserved / sub-delims / `:`)+.
fn is_ip_literal(inner: &[u8]) -> bool {
    if let Some(future) = inner.strip_prefix(b"v").or(inner.strip_prefix(b"V")) {
        let Some(dot) = memchr(b'.', future) else {
            return false;
        };
        let (version, rest) = (&future[..dot], &future[dot + 1..]);
        return !version.is_empty()
            && version.iter().all(u8::is_ascii_hexdigit)
            && !rest.is_empty()
            && rest
                .iter()
                .all(|&b| is_unreserved_or_sub_delim(b) || b == b':');
    }
    std::str::from_utf8(inner).is_ok_and(|s| s.parse::<Ipv6Addr>().is_ok())
}

/// `*( unreserved / pct-encoded / sub-delims )`.
fn is_reg_name(host: &[u8]) -> bool {
    let mut i = 0;
    while i < host.len() {
        match host[i] {
            b'%' => {
                let escape = host.get(i + 1..i + 3);
                if !escape.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if is_unreserved_or_sub_delim(b) => i += 1,
            _ => return false,
        }
    }
    true
}

/// RFC 3986's unreserved (letters, digits, `-._~`) and sub-delims (`!$&'()*+,;=`) characters.
fn is_unreserved_or_sub_delim(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<Target<'_>, HttpError>) -> &'static str {
        match result.unwrap_err() {
            HttpError::BadRequest(reason) => reason,
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn origin_form() {
        let t = parse_target("GET", b"/a/b?x=1?y").unwrap();
        assert_eq!(
            (t.path, t.query, t.authority),
            (&b"/a/b"[..], &b"x=1?y"[..], None)
        );
        let t = parse_target("POST", b"/").unwrap();
        assert_eq!((t.path, t.query), (&b"/"[..], &b""[..]));
        // a path that looks like an authority after its slash is still a path
        assert_eq!(
            parse_target("GET", b"//a.example/x").unwrap().path,
            b"//a.example/x"
        );
    }

    #[test]
    fn absolute_form_gives_its_authority() {
        let t = parse_target("GET", b"http://a.example/x?q").unwrap();
        assert_eq!(t.path, b"/x");
        assert_eq!(t.query, b"q");
        assert_eq!(t.authority, Some(&b"a.example"[..]));
        let t = parse_target("GET", b"HTTPS://[::1]:8443").unwrap();
        assert_eq!((t.path, t.authority), (&b"/"[..], Some(&b"[::1]:8443"[..])));
        let t = parse_target("OPTIONS", b"http://a.example:80?x").unwrap();
        assert_eq!((t.path, t.query), (&b"/"[..], &b"x"[..]));
    }

    #[test]
    fn bad_absolute_forms() {
        for target in [&b"ftp://a.example/x"[..], b"ws://a/", b"file:///etc/passwd"] {
            assert_eq!(
                reason(parse_target("GET", target)),
                "an absolute-form request target must be an http or https URI"
            );
        }
        for target in [
            &b"http:///x"[..],
            b"http://user:pw@a.example/x",
            b"http://a b/",
            b"http://a.example:8x/",
            b"http://[::1/",
            b"http://a.example:65536/",
        ] {
            assert_eq!(
                reason(parse_target("GET", target)),
                "invalid authority in the request target",
                "{:?}",
                String::from_utf8_lossy(target)
            );
        }
    }

    #[test]
    fn asterisk_form_only_for_options() {
        let t = parse_target("OPTIONS", b"*").unwrap();
        assert_eq!((t.path, t.query), (&b"*"[..], &b""[..]));
        for method in ["GET", "POST", "HEAD", "options"] {
            assert_eq!(
                reason(parse_target(method, b"*")),
                "the asterisk-form request target (*) is only allowed with OPTIONS"
            );
        }
        // "*" with a query is no asterisk-form
        assert_eq!(
            reason(parse_target("OPTIONS", b"*?x")),
            "the request target must start with /"
        );
    }

    #[test]
    fn authority_form_only_for_connect() {
        let t = parse_target("CONNECT", b"a.example:443").unwrap();
        assert_eq!((t.path, t.authority), (&b"a.example:443"[..], None));
        assert!(parse_target("CONNECT", b"[::1]:443").is_ok());
        for target in [
            &b"a.example"[..],
            b"a.example:",
            b":443",
            b"/x",
            b"*",
            b"http://a/",
        ] {
            assert_eq!(
                reason(parse_target("CONNECT", target)),
                "CONNECT needs an authority-form request target (host:port)"
            );
        }
        assert_eq!(
            reason(parse_target("GET", b"a.example:443")),
            "the authority-form request target (host:port) is only allowed with CONNECT"
        );
    }

    #[test]
    fn other_targets_must_start_with_a_slash() {
        for target in [
            &b"a"[..],
            b"?x",
            b"",
            b"a.example",
            b"x/y",
            b"http:x",
            b"%2F",
        ] {
            assert_eq!(
                reason(parse_target("GET", target)),
                "the request target must start with /",
                "{:?}",
                String::from_utf8_lossy(target)
            );
        }
    }

    #[test]
    fn valid_hosts() {
        for host in [
            &b"a.example"[..],
            b"a.example:8000",
            b"localhost:",
            b"127.0.0.1:80",
            b"[::1]",
            b"[::1]:8000",
            b"[2001:db8::7]:0",
            b"[::ffff:192.0.2.1]",
            b"[v1.fe80::a+en1]",
            b"xn--bcher-kva.example",
            b"my_host.local:00080",
            b"a%2Db",
            b"",
        ] {
            assert!(is_valid_host(host), "{:?}", String::from_utf8_lossy(host));
        }
    }

    #[test]
    fn invalid_hosts() {
        for host in [
            &b"a b"[..],
            b"a/b",
            b"a@b",
            b"user@a.example",
            b"a.example:80:80",
            b"a.example:8o",
            b"a.example:65536",
            b"a.example:99999999999999999999",
            b"::1",
            b"[::1",
            b"[::1]x",
            b"[::1]:x",
            b"[a.example]",
            b"[fe80::1%25eth0]",
            b"[v1.]",
            b"[vz.a]",
            b"a%2",
            b"a%zz",
            b"\xc3\xa9.example",
            b"a\"b",
            b"a#b",
        ] {
            assert!(!is_valid_host(host), "{:?}", String::from_utf8_lossy(host));
        }
    }
}
