//! Query-string parsing (`application/x-www-form-urlencoded`), via `form_urlencoded`.

use std::borrow::Cow;

/// Splits a raw query string into decoded `(key, value)` pairs, in order.
/// `+` becomes a space and `%XX` escapes are decoded; repeated keys are kept.
pub fn parse_query(raw: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    if raw.is_empty() {
        return Vec::new();
    }
    form_urlencoded::parse(raw).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_keeps_repeats() {
        let pairs = parse_query(b"q=a+b&n=1&q=%C3%A9&empty=&flag");
        let flat: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        assert_eq!(
            flat,
            [
                ("q", "a b"),
                ("n", "1"),
                ("q", "é"),
                ("empty", ""),
                ("flag", "")
            ]
        );
    }

    #[test]
    fn empty_query_has_no_pairs() {
        assert!(parse_query(b"").is_empty());
    }
}
