//! Form bodies: `application/x-www-form-urlencoded` (here) and `multipart/form-data`
//! ([`super::multipart`]), parsed whole, since the server has read the whole body before a
//! handler runs, into [`super::fields`]' fields. Limits and error messages are Starlette's, so
//! a client of a FastAPI app gets the same 400s.

use std::borrow::Cow;

use super::fields::{Charset, Field, FormError, FormLimits, Value};
use super::header_params::split_params;
use super::multipart;

/// What a Content-Type says of a body as a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind<'c> {
    UrlEncoded,
    Multipart {
        boundary: Cow<'c, [u8]>,
        charset: Charset,
    },
    /// Not a form (JSON, text...): it has no fields, as Starlette reads it.
    Other,
}

/// Reads a Content-Type value: a multipart one must name its boundary.
pub fn form_kind(content_type: &[u8]) -> Result<FormKind<'_>, FormError> {
    let (media, params) = split_params(content_type);
    if media.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
        return Ok(FormKind::UrlEncoded);
    }
    if !media.eq_ignore_ascii_case(b"multipart/form-data") {
        return Ok(FormKind::Other);
    }
    let param = |name: &[u8]| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let boundary = param(b"boundary")
        .filter(|b| !b.is_empty())
        .ok_or(FormError::MissingBoundary)?;
    let charset = param(b"charset").map_or(Charset::Utf8, |c| Charset::from_label(&c));
    Ok(FormKind::Multipart { boundary, charset })
}

/// The fields of a form body sent with `content_type`; none when it is not a form (or has no
/// Content-Type), as Starlette reads it.
pub fn parse_form<'a>(
    content_type: Option<&[u8]>,
    body: &'a [u8],
    limits: &FormLimits,
) -> Result<Vec<Field<'a>>, FormError> {
    let Some(content_type) = content_type else {
        return Ok(Vec::new());
    };
    match form_kind(content_type)? {
        FormKind::UrlEncoded => parse_urlencoded(body, limits),
        FormKind::Multipart { boundary, charset } => {
            multipart::parse_multipart(body, &boundary, charset, limits)
        }
        FormKind::Other => Ok(Vec::new()),
    }
}

/// An `application/x-www-form-urlencoded` body: `+` is a space, `%XX` escapes are decoded
/// (invalid UTF-8 replaced), a field without `=` has an empty value, empty ones are skipped.
pub fn parse_urlencoded<'a>(
    body: &'a [u8],
    limits: &FormLimits,
) -> Result<Vec<Field<'a>>, FormError> {
    let mut fields = Vec::new();
    for piece in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        // Starlette counts the name's and the value's bytes, as sent.
        let size = piece.len() - usize::from(piece.contains(&b'='));
        if size > limits.max_part_size {
            return Err(FormError::FieldTooLarge(limits.max_part_size));
        }
        if fields.len() == limits.max_fields {
            return Err(FormError::TooManyFields(limits.max_fields));
        }
        if let Some((name, value)) = form_urlencoded::parse(piece).next() {
            fields.push(Field {
                name,
                value: Value::Text(value),
            });
        }
    }
    Ok(fields)
}
#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(fields: &'a [Field<'a>]) -> Vec<(&'a str, &'a str)> {
        fields
            .iter()
            .map(|f| match &f.value {
                Value::Text(v) => (f.name.as_ref(), v.as_ref()),
                Value::File(_) => panic!("a file"),
            })
            .collect()
    }

    #[test]
    fn urlencoded_decodes_repeats_and_blanks() {
        let limits = FormLimits::default();
        let fields = parse_urlencoded(b"a=1&b=%C3%A9&c+d=e+f&a=2&&x&=v", &limits).unwrap();
        assert_eq!(
            texts(&fields),
            [
                ("a", "1"),
                ("b", "é"),
                ("c d", "e f"),
                ("a", "2"),
                ("x", ""),
                ("", "v")
            ]
        );
        assert!(parse_urlencoded(b"", &limits).unwrap().is_empty());
        // invalid UTF-8 in an escape is replaced, never an error
        let fields = parse_urlencoded(b"k=%FF", &limits).unwrap();
        assert_eq!(texts(&fields), [("k", "\u{FFFD}")]);
    }

    #[test]
    fn urlencoded_limits() {
        let limits = FormLimits {
            max_files: 1,
            max_fields: 2,
            max_part_size: 8,
        };
        assert_eq!(
            parse_urlencoded(b"a=1&b=2&c=3", &limits),
            Err(FormError::TooManyFields(2))
        );
        assert!(parse_urlencoded(b"abcd=efgh", &limits).is_ok()); // 8 bytes without '='
        assert_eq!(
            parse_urlencoded(b"abcd=efghi", &limits),
            Err(FormError::FieldTooLarge(8))
        );
        assert_eq!(
            FormError::FieldTooLarge(1024 * 1024).detail(),
            "Field exceeded maximum size of 1024KB."
        );
        assert_eq!(
            FormError::TooManyFields(1000).detail(),
            "Too many fields. Maximum number of fields is 1000."
        );
    }

    #[test]
    fn kinds_of_content_type() {
        assert_eq!(
            form_kind(b"application/x-www-form-urlencoded; charset=utf-8"),
            Ok(FormKind::UrlEncoded)
        );
        assert_eq!(
            form_kind(b"Multipart/Form-Data; Boundary=abc"),
            Ok(FormKind::Multipart {
                boundary: Cow::Borrowed(b"abc"),
                charset: Charset::Utf8
            })
        );
        assert_eq!(
            form_kind(b"multipart/form-data; charset=latin-1; boundary=\"a b;c\""),
            Ok(FormKind::Multipart {
                boundary: Cow::Borrowed(b"a b;c"),
                charset: Charset::Latin1
            })
        );
        assert_eq!(
            form_kind(b"multipart/form-data"),
            Err(FormError::MissingBoundary)
        );
        assert_eq!(
            form_kind(b"multipart/form-data; boundary="),
            Err(FormError::MissingBoundary)
        );
        assert_eq!(
            FormError::MissingBoundary.detail(),
            "Missing boundary in multipart."
        );
        assert_eq!(form_kind(b"application/json"), Ok(FormKind::Other));
        assert_eq!(
            form_kind(b"multipart/mixed; boundary=x"),
            Ok(FormKind::Other)
        );
        assert_eq!(form_kind(b""), Ok(FormKind::Other));
    }

    #[test]
    fn not_a_form_has_no_fields() {
        let limits = FormLimits::default();
        assert!(parse_form(None, b"a=1", &limits).unwrap().is_empty());
        assert!(parse_form(Some(b"application/json"), b"{\"a\":1}", &limits)
            .unwrap()
            .is_empty());
        let fields = parse_form(Some(b"application/x-www-form-urlencoded"), b"a=1", &limits);
        assert_eq!(texts(&fields.unwrap()), [("a", "1")]);
    }

    #[test]
    fn multipart_through_parse_form() {
        let body = b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xx--\r\n";
        let limits = FormLimits::default();
        let fields = parse_form(Some(b"multipart/form-data; boundary=xx"), body, &limits);
        assert_eq!(texts(&fields.unwrap()), [("a", "1")]);
    }
}
