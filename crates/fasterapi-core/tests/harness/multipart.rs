//! `parse_multipart`: never panics; a file's bytes are the body's own, right before a
//! delimiter; the parts, built anew into a body (as a browser would send them), parse back to
//! themselves, through `parse_form` and its Content-Type reading too; the limits refuse exactly
//! the bodies that exceed them.

use fasterapi_core::params::fields::{Charset, Field, FormError, FormLimits, Value};
use fasterapi_core::params::form::parse_form;
use fasterapi_core::params::multipart::parse_multipart;

use super::urlencoded::UNLIMITED;

/// One part, as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        filename: String,
        content_type: Option<Vec<u8>>,
        data: Vec<u8>,
    },
}

/// The parts a parse gave.
pub fn parts_of(fields: &[Field<'_>]) -> Vec<Part> {
    (fields.iter())
        .map(|f| match &f.value {
            Value::Text(value) => Part::Text {
                name: f.name.to_string(),
                value: value.to_string(),
            },
            Value::File(file) => Part::File {
                name: f.name.to_string(),
                filename: file.filename.clone(),
                content_type: file.content_type().map(<[u8]>::to_vec),
                data: file.data.to_vec(),
            },
        })
        .collect()
}

/// `text` as a quoted string, `"` and `\` escaped.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A `multipart/form-data` body of `parts` delimited by `boundary`, as a browser builds it; a
/// filename goes as an RFC 5987 `filename*` when it is not plain ASCII text.
pub fn build(parts: &[Part], boundary: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary);
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=");
        let (name, data) = match part {
            Part::Text { name, value } => (name, value.as_bytes()),
            Part::File { name, data, .. } => (name, data.as_slice()),
        };
        body.extend(quoted(name).bytes());
        if let Part::File {
            filename,
            content_type,
            ..
        } = part
        {
            if filename.bytes().all(|b| (b' '..=b'~').contains(&b)) {
                body.extend(format!("; filename={}", quoted(filename)).bytes());
            } else {
                let encoded: String = (filename.bytes())
                    .map(|b| match b {
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                            char::from(b).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                body.extend(format!("; filename*=UTF-8''{encoded}").bytes());
            }
            if let Some(content_type) = content_type {
                body.extend_from_slice(b"\r\nContent-Type: ");
                body.extend_from_slice(content_type);
            }
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary);
    body.extend_from_slice(b"--\r\n");
    body
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A boundary that occurs in none of the parts' bytes, made from the letters and digits of
/// `base`, as a client makes one.
pub fn fresh_boundary(parts: &[Part], base: &str) -> Vec<u8> {
    let texts: Vec<Vec<u8>> = (parts.iter())
        .map(|p| match p {
            Part::Text { name, value } => [name.as_bytes(), value.as_bytes()].concat(),
            Part::File {
                name,
                filename,
                data,
                ..
            } => [name.as_bytes(), filename.as_bytes(), data].concat(),
        })
        .collect();
    let base = base.bytes().filter(u8::is_ascii_alphanumeric);
    let mut boundary = b"----FormBoundary"
        .iter()
        .copied()
        .chain(base)
        .collect::<Vec<u8>>();
    while texts.iter().any(|t| contains(t, &boundary)) {
        boundary.extend_from_slice(b"7q");
    }
    boundary
}

/// The boundary a body names in its first line that starts with `--`, or `XyZ`.
pub fn boundary_of(data: &[u8]) -> &[u8] {
    let found = (data.split(|&b| b == b'\n'))
        .find_map(|line| line.strip_prefix(b"--"))
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).trim_ascii_end())
        .filter(|boundary| (1..=70).contains(&boundary.len()));
    found.unwrap_or(b"XyZ")
}

/// Checks the parse of any `data`, with the boundary it names.
pub fn run(data: &[u8]) {
    check(data, boundary_of(data));
}

/// Checks the parse of `data` delimited by `boundary`.
pub fn check(data: &[u8], boundary: &[u8]) {
    let input = super::show(data);
    let parsed = parse_multipart(data, boundary, Charset::Utf8, &UNLIMITED);
    let Ok(fields) = parsed else {
        return;
    };
    let delimiter = [b"\r\n--", boundary].concat();
    for field in &fields {
        if let Value::File(file) = &field.value {
            let end = file.offset + file.data.len();
            assert_eq!(&data[file.offset..end], file.data, "{input}");
            assert!(data[end..].starts_with(&delimiter), "{input}");
        }
    }
    let parts = parts_of(&fields);
    round_trip(&parts, &String::from_utf8_lossy(boundary));

    let count = |file: bool| (parts.iter()).filter(move |p| matches!(p, Part::File { .. }) == file);
    let (files, texts) = (count(true).count(), count(false).count());
    let limits = FormLimits {
        max_files: 2,
        max_fields: 2,
        max_part_size: 8,
    };
    match parse_multipart(data, boundary, Charset::Utf8, &limits) {
        Ok(small) => {
            assert!(files <= 2 && texts <= 2, "{input}");
            assert_eq!(parts_of(&small), parts, "{input}");
        }
        Err(FormError::TooManyFiles(2)) => assert!(files > 2, "{input}"),
        Err(FormError::TooManyFields(2)) => assert!(texts > 2, "{input}"),
        // A text part's size is its bytes' count, which its (decoded) text does not give.
        Err(FormError::PartTooLarge(8)) => {
            assert!(fields.iter().any(|f| match &f.value {
                Value::Text(v) => v.len() > 8 || !v.is_ascii(),
                Value::File(_) => false,
            }))
        }
        Err(e) => panic!("{e:?} with the small limits only: {input}"),
    }
}

/// `parts`, built into a body with a boundary made from `base`, parse back to themselves,
/// directly and through `parse_form` with the Content-Type a browser sends.
pub fn round_trip(parts: &[Part], base: &str) {
    let boundary = fresh_boundary(parts, base);
    let body = build(parts, &boundary);
    let input = super::show(&body);
    let fields = parse_multipart(&body, &boundary, Charset::Utf8, &UNLIMITED);
    let fields = fields.unwrap_or_else(|e| panic!("{e:?}: {input}"));
    assert_eq!(parts_of(&fields), parts, "{input}");
    let content_type = [b"multipart/form-data; boundary=\"", &boundary[..], b"\""].concat();
    let fields = parse_form(Some(&content_type), &body, &UNLIMITED).expect("a form");
    assert_eq!(parts_of(&fields), parts, "{input}");
}
