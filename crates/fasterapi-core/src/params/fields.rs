//! What a form body is made of, shared by its parsers ([`super::form`], [`super::multipart`],
//! [`super::multipart_stream`]): fields and their values, uploaded files, the charset text is
//! decoded with, the limits on a body and the errors that refuse one (Starlette's).

use std::borrow::Cow;
use std::fmt;

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
    pub(crate) fn from_label(label: &[u8]) -> Charset {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert_eq!(Charset::Utf8.decode("é".as_bytes()), "é");
        assert_eq!(Charset::Utf8.decode(b"\xe9t\xe9"), "été"); // not UTF-8: Latin-1
        assert_eq!(Charset::Latin1.decode(b"\xe9"), "é");
        assert_eq!(Charset::from_label(b"ISO-8859-1"), Charset::Latin1);
        assert_eq!(Charset::from_label(b"utf-8"), Charset::Utf8);
    }
}
