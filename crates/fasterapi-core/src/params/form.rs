//! Form bodies: `application/x-www-form-urlencoded` (here) and `multipart/form-data`
//! ([`super::multipart`]), parsed whole, since the server has read the whole body before a
//! handler runs. Limits and error messages are Starlette's, so a client of a FastAPI app gets
//! the same 400s.

use std::borrow::Cow;
use std::fmt;

use super::multipart;

/// Limits on one form body; the defaults are Starlette's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormLimits {
    /// Most file parts in a multipart body.
    pub max_files: usize,
    /// Most non-file parts (multipart) or fields (urlencoded).
    pub max_fields: usize,
    /// Largest non-file part (multipart) or `name=value` field (urlencoded), in bytes. File
    /// parts are bounded only by the body size limit.
    pub max_part_size: usize,
}

impl Default for FormLimits {
    fn default() -> Self {
        FormLimits {
            max_files: 1000,
            max_fields: 1000,
            max_part_size: 1024 * 1024,
        }
    }
}

/// Why a form body was refused: a 400, with Starlette's words as its detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A `multipart/form-data` Content-Type without a (non-empty) `boundary` parameter.
    MissingBoundary,
    /// More file parts than `max_files` (the limit).
    TooManyFiles(usize),
    /// More fields than `max_fields` (the limit).
    TooManyFields(usize),
    /// A non-file multipart part larger than `max_part_size` (the limit, in bytes).
    PartTooLarge(usize),
    /// A urlencoded field larger than `max_part_size` (the limit, in bytes).
    FieldTooLarge(usize),
    /// A part without a Content-Disposition `name`.
    MissingName,
    /// The body is not valid multipart data; the reason is for logs and tests (clients get
    /// Starlette's "Invalid multipart data.").
    Malformed(&'static str),
}

impl FormError {
    /// The response's `detail`, as Starlette words it.
    pub fn detail(&self) -> String {
        match self {
            Self::MissingBoundary => "Missing boundary in multipart.".to_owned(),
            Self::TooManyFiles(max) => {
                format!("Too many files. Maximum number of files is {max}.")
            }
            Self::TooManyFields(max) => {
                format!("Too many fields. Maximum number of fields is {max}.")
            }
            Self::PartTooLarge(max) => {
                format!("Part exceeded maximum size of {}KB.", max / 1024)
            }
            Self::FieldTooLarge(max) => {
                format!("Field exceeded maximum size of {}KB.", max / 1024)
            }
            Self::MissingName => {
                "The Content-Disposition header field \"name\" must be provided.".to_owned()
            }
            Self::Malformed(_) => "Invalid multipart data.".to_owned(),
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(reason) => write!(f, "{} ({reason})", self.detail()),
            _ => f.write_str(&self.detail()),
        }
    }
}

impl std::error::Error for FormError {}

/// One field of a form, in the order the body gives them; names may repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: Cow<'a, str>,
    pub value: Value<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    File(FilePart<'a>),
}

/// An uploaded file: a multipart part whose Content-Disposition has a `filename`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart<'a> {
    pub filename: String,
    /// The part's header fields in order, names lowercased, values as sent.
    pub headers: Vec<(String, &'a [u8])>,
    /// The file's bytes, a slice of the body...
    pub data: &'a [u8],
    /// ...that starts at this offset in it.
    pub offset: usize,
}

impl<'a> FilePart<'a> {
    /// The part's own Content-Type, if it has one.
    pub fn content_type(&self) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| *value)
    }
}

/// How names and text values of a multipart body are decoded: its Content-Type's `charset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8, and Latin-1 for a value that is not valid UTF-8 (Starlette's fallback).
    Utf8,
    Latin1,
}

impl Charset {
    fn from_label(label: &[u8]) -> Charset {
        const LATIN1: [&[u8]; 6] = [
            b"iso-8859-1",
            b"iso8859-1",
            b"latin-1",
            b"latin1",
            b"l1",
            b"cp819",
        ];
        if LATIN1.iter().any(|name| label.eq_ignore_ascii_case(name)) {
            Charset::Latin1
        } else {
            Charset::Utf8
        }
    }

    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            Charset::Utf8 => match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => Cow::Owned(latin1(bytes)),
            },
            Charset::Latin1 if bytes.is_ascii() => {
                Cow::Borrowed(std::str::from_utf8(bytes).expect("ASCII"))
            }
            Charset::Latin1 => Cow::Owned(latin1(bytes)),
        }
    }
}

pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

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

/// A parameter's name and (unquoted) value.
pub(crate) type Param<'v> = (&'v [u8], Cow<'v, [u8]>);

/// Splits a header value such as a Content-Type or a Content-Disposition into its first item
/// (the media or disposition type) and its `name=value` parameters, in order. Quoted values
/// are unquoted, `\"` and `\\` unescaped; any other backslash is kept, as python-multipart
/// keeps the Windows paths some browsers send as filenames. A parameter without `=` is
/// dropped.
pub(crate) fn split_params(value: &[u8]) -> (&[u8], Vec<Param<'_>>) {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    let first = value[..end].trim_ascii();
    let mut params = Vec::new();
    let mut i = end;
    while i < value.len() {
        while i < value.len() && (value[i] == b';' || value[i].is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while i < value.len() && value[i] != b'=' && value[i] != b';' {
            i += 1;
        }
        let name = value[start..i].trim_ascii();
        if i >= value.len() || value[i] == b';' {
            continue; // no value
        }
        i += 1; // '='
        while i < value.len() && (value[i] == b' ' || value[i] == b'\t') {
            i += 1;
        }
        let param_value = if value.get(i) == Some(&b'"') {
            let (unquoted, used) = unquote(&value[i..]);
            i += used;
            unquoted
        } else {
            let start = i;
            while i < value.len() && value[i] != b';' {
                i += 1;
            }
            Cow::Borrowed(value[start..i].trim_ascii())
        };
        if !name.is_empty() {
            params.push((name, param_value));
        }
    }
    (first, params)
}

/// The contents of the quoted string `quoted` starts with, and how many bytes it took; an
/// unterminated one runs to the end.
fn unquote(quoted: &[u8]) -> (Cow<'_, [u8]>, usize) {
    let mut unescaped: Option<Vec<u8>> = None; // made at the first escape
    let mut i = 1;
    while i < quoted.len() {
        match quoted[i] {
            b'"' => break,
            b'\\' if matches!(quoted.get(i + 1), Some(b'"' | b'\\')) => {
                let out = unescaped.get_or_insert_with(|| quoted[1..i].to_vec());
                out.push(quoted[i + 1]);
                i += 2;
            }
            b => {
                if let Some(out) = &mut unescaped {
                    out.push(b);
                }
                i += 1;
            }
        }
    }
    let value = match unescaped {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(&quoted[1..i.min(quoted.len())]),
    };
    (value, (i + 1).min(quoted.len()))
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
    fn parameters_quoted_and_escaped() {
        let (first, params) =
            split_params(br#"form-data; name="a\"b;c" ; filename=plain.txt;x; empty="""#);
        assert_eq!(first, b"form-data");
        let params: Vec<(&[u8], &[u8])> = params.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        assert_eq!(
            params,
            [
                (&b"name"[..], &b"a\"b;c"[..]),
                (b"filename", b"plain.txt"),
                (b"empty", b""),
            ]
        );
        // a Windows path keeps its single backslashes; `\\` is one backslash
        let (_, params) = split_params(br#"form-data; filename="C:\dir\x.txt"; b="\\\\srv""#);
        assert_eq!(params[0].1.as_ref(), br"C:\dir\x.txt");
        assert_eq!(params[1].1.as_ref(), br"\\srv");
        // an unterminated quoted string runs to the end
        let (_, params) = split_params(br#"form-data; name="open"#);
        assert_eq!(params[0].1.as_ref(), b"open");
        assert_eq!(split_params(b"").0, b"");
    }

    #[test]
    fn charsets() {
        assert_eq!(Charset::Utf8.decode("é".as_bytes()), "é");
        assert_eq!(Charset::Utf8.decode(b"\xe9t\xe9"), "été"); // not UTF-8: Latin-1
        assert_eq!(Charset::Latin1.decode(b"\xe9"), "é");
        assert_eq!(Charset::from_label(b"ISO-8859-1"), Charset::Latin1);
        assert_eq!(Charset::from_label(b"utf-8"), Charset::Utf8);
    }
}
