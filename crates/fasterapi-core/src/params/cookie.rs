//! `Cookie` request-header parsing, lenient as browsers and Starlette are.

/// Splits a `Cookie` header value into `(name, value)` pairs. Pairs are separated by `;`,
/// whitespace around names and values is trimmed, and one pair of surrounding double quotes
/// is removed from a value. A chunk without `=` is a value with an empty name, as Starlette does.
pub fn parse_cookies(header: &str) -> Vec<(&str, &str)> {
    header
        .split(';')
        .filter_map(|chunk| {
            let (name, value) = chunk.split_once('=').unwrap_or(("", chunk));
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() && value.is_empty() {
                return None;
            }
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_trims_and_unquotes() {
        assert_eq!(
            parse_cookies(r#"session=abc; theme="dark" ;  empty=; lone"#),
            [
                ("session", "abc"),
                ("theme", "dark"),
                ("empty", ""),
                ("", "lone")
            ]
        );
    }

    #[test]
    fn empty_header_has_no_cookies() {
        assert!(parse_cookies("").is_empty());
        assert!(parse_cookies(" ; ").is_empty());
    }
}
