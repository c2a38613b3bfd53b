//! `multipart/form-data` bodies (RFC 7578 on RFC 2046's multipart syntax), parsed whole.
//!
//! A delimiter is `--boundary` at the start of the body or after a CRLF, followed by
//! optional spaces or tabs (transport padding) and a CRLF; `--boundary--` closes the body
//! and what follows it (the epilogue) is ignored, as is a preamble before the first
//! delimiter. A `\r\n--boundary` inside a part followed by anything else is part of the
//! data. Each part is header fields (`httparse::parse_headers`), a blank line and the data
//! up to the next delimiter. A part whose Content-Disposition has a `filename` (or an RFC
//! 5987 `filename*`, which wins) is a file; any other is a text field.

use std::borrow::Cow;

use memchr::memmem;
use percent_encoding::percent_decode;

use super::fields::{latin1, Charset, Field, FilePart, FormError, FormLimits, Value};
use super::header_params::split_params;

/// Most header fields in one part.
pub const MAX_PART_HEADERS: usize = 32;

/// The fields of a multipart body whose Content-Type gives `boundary` and `charset`. An
/// empty body has none; a body that ends right after a delimiter is taken as closed.
pub fn parse_multipart<'a>(
    body: &'a [u8],
    boundary: &[u8],
    charset: Charset,
    limits: &FormLimits,
) -> Result<Vec<Field<'a>>, FormError> {
    let mut fields = Vec::new();
    if body.is_empty() {
        return Ok(fields);
    }
    let delimiter = [b"\r\n--", boundary].concat();
    let finder = memmem::Finder::new(&delimiter);
    let mut pos = if body.starts_with(&delimiter[2..]) {
        match after_delimiter(body, delimiter.len() - 2) {
            Some(next) => next,
            None => next_delimiter(body, 0, &finder)?.1,
        }
    } else {
        next_delimiter(body, 0, &finder)?.1
    };
    let (mut files, mut texts) = (0, 0);
    loop {
        let After::Part(start) = pos else {
            return Ok(fields); // closed, or the body ends at a delimiter
        };
        let mut headers = [httparse::EMPTY_HEADER; MAX_PART_HEADERS];
        let (used, headers) = match httparse::parse_headers(&body[start..], &mut headers) {
            Ok(httparse::Status::Complete(parsed)) => parsed,
            Ok(httparse::Status::Partial) => {
                return Err(FormError::Malformed(
                    "the body ends in a part's header fields",
                ))
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Err(FormError::Malformed("too many header fields in a part"))
            }
            Err(_) => return Err(FormError::Malformed("invalid header field in a part")),
        };
        let data_start = start + used;
        // Checked in the order Starlette's streaming parser (and `MultipartStream`) meets
        // them: the part's name and the counts once its header fields are in, then its data.
        let (name, filename) = part_disposition(headers, charset)?;
        let is_file = filename.is_some();
        if is_file {
            files += 1;
            if files > limits.max_files {
                return Err(FormError::TooManyFiles(limits.max_files));
            }
        } else {
            texts += 1;
            if texts > limits.max_fields {
                return Err(FormError::TooManyFields(limits.max_fields));
            }
        }
        let found = next_delimiter(body, data_start, &finder);
        // Unclosed, a part's data runs to the end of the body.
        let data_end = found.as_ref().map_or(body.len(), |(end, _)| *end);
        if !is_file && data_end - data_start > limits.max_part_size {
            return Err(FormError::PartTooLarge(limits.max_part_size));
        }
        let Ok((_, next)) = found else {
            return Err(FormError::Malformed(
                "the body ends before the closing boundary",
            ));
        };
        pos = next;
        let data = &body[data_start..data_end];
        let value = match filename {
            Some(filename) => Value::File(FilePart {
                filename,
                headers: headers
                    .iter()
                    .map(|h| (h.name.to_ascii_lowercase(), h.value))
                    .collect(),
                data,
                offset: data_start,
            }),
            None => Value::Text(charset.decode(data)),
        };
        fields.push(Field { name, value });
    }
}

/// A part's field name (as a slice of the body when it needs no decoding) and, for a file,
/// its file name (RFC 5987 `filename*` wins over `filename`; a Windows path is cut to its
/// last component), from the part's header fields.
pub(crate) fn part_disposition<'a>(
    headers: &[httparse::Header<'a>],
    charset: Charset,
) -> Result<(Cow<'a, str>, Option<String>), FormError> {
    let disposition = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-disposition"))
        .map_or(&b""[..], |h| h.value);
    let (_, params) = split_params(disposition);
    let param = |name: &[u8]| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    let name = match param(b"name") {
        Some(name) => to_cow(charset.decode(name), name),
        None => return Err(FormError::MissingName),
    };
    let filename = match (param(b"filename*"), param(b"filename")) {
        (Some(extended), plain) => Some(
            ext_value(extended)
                .or_else(|| plain.map(|p| charset.decode(p).into_owned()))
                .unwrap_or_else(|| percent_decode(extended).decode_utf8_lossy().into_owned()),
        ),
        (None, Some(plain)) => Some(charset.decode(plain).into_owned()),
        (None, None) => None,
    };
    Ok((name, filename.map(basename)))
}

/// Where a delimiter leaves the parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum After {
    /// A part starts at this offset.
    Part(usize),
    /// The body is over: a close delimiter, or a delimiter at its very end.
    End,
}

/// What follows a delimiter's boundary, which ends at `at`: None if it is not a delimiter
/// after all (other bytes follow it on its line).
fn after_delimiter(body: &[u8], at: usize) -> Option<After> {
    let rest = &body[at..];
    if rest.starts_with(b"--") {
        return Some(After::End);
    }
    let padding = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let rest = &rest[padding..];
    if rest.is_empty() {
        return Some(After::End);
    }
    if !rest.starts_with(b"\r\n") {
        return None;
    }
    let start = at + padding + 2;
    Some(if start == body.len() {
        After::End
    } else {
        After::Part(start)
    })
}

/// The next delimiter from `from`: where the data before it ends and what follows it.
fn next_delimiter(
    body: &[u8],
    from: usize,
    finder: &memmem::Finder<'_>,
) -> Result<(usize, After), FormError> {
    let mut search = from;
    while let Some(found) = finder.find(&body[search..]) {
        let at = search + found;
        if let Some(next) = after_delimiter(body, at + finder.needle().len()) {
            return Ok((at, next));
        }
        search = at + 1;
    }
    Err(FormError::Malformed("no boundary delimiter in the body"))
}

/// The name as a borrowed slice of the body when it needs no decoding.
fn to_cow<'a>(decoded: Cow<'_, str>, raw: &Cow<'a, [u8]>) -> Cow<'a, str> {
    match (decoded, raw) {
        (Cow::Borrowed(_), Cow::Borrowed(raw)) => {
            Cow::Borrowed(std::str::from_utf8(raw).expect("decoded as UTF-8 already"))
        }
        (decoded, _) => Cow::Owned(decoded.into_owned()),
    }
}

/// An RFC 5987 `ext-value` (`charset'language'percent-encoded`), in UTF-8 or ISO-8859-1;
/// None if it is not one.
fn ext_value(value: &[u8]) -> Option<String> {
    let mut pieces = value.splitn(3, |&b| b == b'\'');
    let (charset, _language, encoded) = (pieces.next()?, pieces.next()?, pieces.next()?);
    let bytes: Vec<u8> = percent_decode(encoded).collect();
    if charset.eq_ignore_ascii_case(b"utf-8") {
        Some(String::from_utf8_lossy(&bytes).into_owned())
    } else if charset.eq_ignore_ascii_case(b"iso-8859-1") {
        Some(latin1(&bytes))
    } else {
        None
    }
}

/// A Windows path, as old browsers send it (`C:\dir\x.txt`, `\\server\x.txt`), cut to its
/// file name, as python-multipart does.
fn basename(filename: String) -> String {
    let bytes = filename.as_bytes();
    let windows = bytes.get(1..3) == Some(b":\\") || bytes.starts_with(b"\\\\");
    match filename.rfind('\\') {
        Some(cut) if windows => filename[cut + 1..].to_owned(),
        _ => filename,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FormLimits = FormLimits {
        max_files: 1000,
        max_fields: 1000,
        max_part_size: 1024 * 1024,
    };

    fn parse(body: &[u8]) -> Result<Vec<Field<'_>>, FormError> {
        parse_multipart(body, b"xx", Charset::Utf8, &LIMITS)
    }

    fn text<'a>(field: &'a Field<'a>) -> (&'a str, &'a str) {
        match &field.value {
            Value::Text(v) => (field.name.as_ref(), v.as_ref()),
            Value::File(_) => panic!("{field:?} is a file"),
        }
    }

    fn file<'a>(field: &'a Field<'a>) -> &'a FilePart<'a> {
        match &field.value {
            Value::File(f) => f,
            Value::Text(_) => panic!("{field:?} is text"),
        }
    }

    const TWO: &[u8] = b"--xx\r\n\
        Content-Disposition: form-data; name=\"a\"\r\n\
        \r\n\
        value\r\n\
        --xx\r\n\
        Content-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\
        Content-Type: text/plain\r\n\
        \r\n\
        line 1\r\nline 2\r\n\
        --xx--\r\n";

    #[test]
    fn text_and_file_parts() {
        let fields = parse(TWO).unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(text(&fields[0]), ("a", "value"));
        let f = file(&fields[1]);
        assert_eq!(fields[1].name, "f");
        assert_eq!(f.filename, "a.txt");
        assert_eq!(f.data, b"line 1\r\nline 2");
        assert_eq!(&TWO[f.offset..f.offset + f.data.len()], f.data);
        assert_eq!(f.content_type(), Some(&b"text/plain"[..]));
        let names: Vec<&str> = f.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-disposition", "content-type"]);
    }

    #[test]
    fn empty_body_and_empty_parts() {
        assert!(parse(b"").unwrap().is_empty());
        assert!(parse(b"--xx--\r\n").unwrap().is_empty());
        let fields =
            parse(b"--xx\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--xx--").unwrap();
        assert_eq!(text(&fields[0]), ("e", ""));
        // an empty file input, as browsers send it
        let fields = parse(
            b"--xx\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\
              Content-Type: application/octet-stream\r\n\r\n\r\n--xx--\r\n",
        )
        .unwrap();
        let f = file(&fields[0]);
        assert_eq!((f.filename.as_str(), f.data), ("", &b""[..]));
        // a part without header fields has no name
        assert_eq!(
            parse(b"--xx\r\n\r\n\r\n--xx--\r\n"),
            Err(FormError::MissingName)
        );
    }

    #[test]
    fn crlf_handling() {
        // the CRLF before a delimiter belongs to it; others are data
        let fields =
            parse(b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\nv\r\n\r\n--xx--")
                .unwrap();
        assert_eq!(text(&fields[0]), ("a", "\r\nv\r\n"));
        // LF alone does not end a line
        assert!(matches!(
            parse(b"--xx\nContent-Disposition: form-data; name=\"a\"\n\nv\n--xx--\n"),
            Err(FormError::Malformed(_))
        ));
        // transport padding after a boundary is allowed
        let fields =
            parse(b"--xx \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xx--")
                .unwrap();
        assert_eq!(text(&fields[0]), ("a", "v"));
    }

    #[test]
    fn boundary_lookalikes_are_data() {
        let fields = parse(
            b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nl1\r\n--xxy\r\n--xx--\r\n",
        )
        .unwrap();
        assert_eq!(text(&fields[0]), ("a", "l1\r\n--xxy"));
        // a boundary not at a line start is data too
        let fields =
            parse(b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\na--xx\r\n--xx--")
                .unwrap();
        assert_eq!(text(&fields[0]), ("a", "a--xx"));
    }

    #[test]
    fn preamble_and_epilogue_are_ignored() {
        let fields = parse(
            b"preamble\r\n--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n\
              --xx--\r\nepilogue --xx\r\n",
        )
        .unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(text(&fields[0]), ("a", "v"));
    }

    #[test]
    fn missing_final_boundary() {
        // the body ends inside a part: refused, not a silently dropped part
        assert_eq!(
            parse(b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n"),
            Err(FormError::Malformed(
                "the body ends before the closing boundary"
            ))
        );
        assert_eq!(
            parse(b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n"),
            Err(FormError::Malformed(
                "the body ends in a part's header fields"
            ))
        );
        // a delimiter without its closing "--" at the very end: every part is complete
        for body in [
            &b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xx\r\n"[..],
            b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xx",
        ] {
            let fields = parse(body).unwrap();
            assert_eq!(text(&fields[0]), ("a", "v"));
        }
        // no delimiter at all
        assert_eq!(
            parse(b"just some bytes"),
            Err(FormError::Malformed("no boundary delimiter in the body"))
        );
    }

    #[test]
    fn errors_in_the_order_a_streaming_parser_meets_them() {
        // Found by fuzzing against MultipartStream: a body cut short after a bad part was
        // "Invalid multipart data" whole, but Starlette (and the stream) refuse the part first.
        let limits = FormLimits {
            max_files: 1,
            max_fields: 1,
            max_part_size: 4,
        };
        let parse_with =
            |body: &[u8]| parse_multipart(body, b"xx", Charset::Utf8, &limits).map(|f| f.len());
        assert_eq!(
            parse_with(b"--xx\r\nContent-Type: text/plain\r\n\r\nv"),
            Err(FormError::MissingName)
        );
        let two = b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n\
                    --xx\r\nContent-Disposition: form-data; name=b\r\n\r\nw";
        assert_eq!(parse_with(two), Err(FormError::TooManyFields(1)));
        // unclosed, a text part's data runs to the end of the body
        let big = b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\n12345";
        assert_eq!(parse_with(big), Err(FormError::PartTooLarge(4)));
        let small = b"--xx\r\nContent-Disposition: form-data; name=a\r\n\r\n1234";
        assert_eq!(
            parse_with(small),
            Err(FormError::Malformed(
                "the body ends before the closing boundary"
            ))
        );
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(
            parse(b"--xx\r\nContent-Disposition form-data\r\n\r\nv\r\n--xx--"),
            Err(FormError::Malformed("invalid header field in a part"))
        );
        // obsolete line folding is not accepted
        assert!(parse(
            b"--xx\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n--xx--"
        )
        .is_err());
        let many = "X-H: 1\r\n".repeat(MAX_PART_HEADERS + 1);
        let body = format!("--xx\r\n{many}\r\nv\r\n--xx--");
        assert_eq!(
            parse(body.as_bytes()),
            Err(FormError::Malformed("too many header fields in a part"))
        );
        assert_eq!(
            parse(b"--xx\r\nContent-Type: text/plain\r\n\r\nv\r\n--xx--"),
            Err(FormError::MissingName)
        );
        assert_eq!(
            parse(b"--xx\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xx--"),
            Err(FormError::MissingName)
        );
        assert_eq!(
            FormError::MissingName.detail(),
            "The Content-Disposition header field \"name\" must be provided."
        );
        assert_eq!(
            FormError::Malformed("x").detail(),
            "Invalid multipart data."
        );
    }

    #[test]
    fn quoted_and_extended_filenames() {
        let part = |disposition: &str| {
            format!("--xx\r\nContent-Disposition: {disposition}\r\n\r\nv\r\n--xx--").into_bytes()
        };
        let filename = |disposition: &str| {
            let body = part(disposition);
            let fields = parse(&body).unwrap();
            (
                fields[0].name.to_string(),
                file(&fields[0]).filename.clone(),
            )
        };
        assert_eq!(
            filename(r#"form-data; name="a\"b"; filename="x \"y\".txt""#),
            ("a\"b".into(), "x \"y\".txt".into())
        );
        // RFC 5987: filename* wins over filename
        assert_eq!(
            filename(
                "form-data; name=f; filename=\"plain.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"
            ),
            ("f".into(), "€ rates.txt".into())
        );
        assert_eq!(
            filename("form-data; name=f; filename*=iso-8859-1'en'%E9t%E9.txt"),
            ("f".into(), "été.txt".into())
        );
        // an unknown charset: the plain filename, or the bytes as they come
        assert_eq!(
            filename("form-data; name=f; filename*=koi8-r''x.txt; filename=y.txt"),
            ("f".into(), "y.txt".into())
        );
        assert_eq!(
            filename("form-data; name=f; filename*=%41.txt"),
            ("f".into(), "A.txt".into())
        );
        // UTF-8 as it is, and Windows paths cut to the file name
        assert_eq!(
            filename("form-data; name=\"é\"; filename=\"ü.txt\""),
            ("é".into(), "ü.txt".into())
        );
        assert_eq!(
            filename(r#"form-data; name=f; filename="C:\dir\x.txt""#),
            ("f".into(), "x.txt".into())
        );
        assert_eq!(
            filename(r#"form-data; name=f; filename="not\a\path.txt""#),
            ("f".into(), r"not\a\path.txt".into())
        );
    }

    #[test]
    fn charset_of_text_values() {
        let body = b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xe9\r\n--xx--";
        let fields = parse_multipart(body, b"xx", Charset::Latin1, &LIMITS).unwrap();
        assert_eq!(text(&fields[0]), ("a", "é"));
        // not UTF-8 although it should be: Latin-1, never an error
        let fields = parse(body).unwrap();
        assert_eq!(text(&fields[0]), ("a", "é"));
    }

    #[test]
    fn limits() {
        let parts = |n: usize, file: bool| {
            let mut body = Vec::new();
            for i in 0..n {
                let filename = if file { "; filename=\"f\"" } else { "" };
                body.extend(
                    format!(
                        "--xx\r\nContent-Disposition: form-data; name=\"p{i}\"{filename}\r\n\r\nv\r\n"
                    )
                    .bytes(),
                );
            }
            body.extend(b"--xx--\r\n");
            body
        };
        let limits = FormLimits {
            max_files: 2,
            max_fields: 3,
            max_part_size: 4,
        };
        let parse_with =
            |body: &[u8]| parse_multipart(body, b"xx", Charset::Utf8, &limits).map(|f| f.len());
        assert_eq!(parse_with(&parts(2, true)), Ok(2));
        assert_eq!(parse_with(&parts(3, true)), Err(FormError::TooManyFiles(2)));
        assert_eq!(parse_with(&parts(3, false)), Ok(3));
        assert_eq!(
            parse_with(&parts(4, false)),
            Err(FormError::TooManyFields(3))
        );
        let big = b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12345\r\n--xx--";
        assert_eq!(parse_with(big), Err(FormError::PartTooLarge(4)));
        // files are not bound by the part size
        let big_file =
            b"--xx\r\nContent-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n\r\n12345\r\n--xx--";
        assert_eq!(parse_with(big_file), Ok(1));
        assert_eq!(
            FormError::TooManyFiles(1000).detail(),
            "Too many files. Maximum number of files is 1000."
        );
        assert_eq!(
            FormError::PartTooLarge(1024 * 1024).detail(),
            "Part exceeded maximum size of 1024KB."
        );
    }
}
