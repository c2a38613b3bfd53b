//! Media types: which `Content-Type` values FastAPI treats as JSON.

/// True for `application/json` and `application/<anything>+json`, parameters and case ignored.
pub fn is_json(content_type: &[u8]) -> bool {
    let media = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let Some(slash) = media.iter().position(|&b| b == b'/') else {
        return false;
    };
    let (main, sub) = (&media[..slash], &media[slash + 1..]);
    let suffix = &sub[sub.len().saturating_sub(5)..];
    main.eq_ignore_ascii_case(b"application")
        && (sub.eq_ignore_ascii_case(b"json") || suffix.eq_ignore_ascii_case(b"+json"))
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_media_types() {
        assert!(is_json(b"application/json"));
        assert!(is_json(b"Application/JSON; charset=utf-8"));
        assert!(is_json(b"application/merge-patch+json"));
        assert!(!is_json(b"text/plain"));
        assert!(!is_json(b"application/jsonx"));
        assert!(!is_json(b"application/x-www-form-urlencoded"));
        assert!(!is_json(b""));
    }
}
