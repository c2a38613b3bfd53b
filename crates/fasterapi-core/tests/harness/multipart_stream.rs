//! `MultipartStream`: fed a body in any pieces, it gives the fields `parse_multipart` finds in
//! the whole body, or the same refusal, with either charset and with small limits too.

use fasterapi_core::params::fields::{Charset, FormError, FormLimits, Value};
use fasterapi_core::params::multipart::parse_multipart;
use fasterapi_core::params::multipart_stream::{MultipartStream, PartEvent};

use super::multipart::boundary_of;
use super::urlencoded::UNLIMITED;

/// A field as both parsers can give it: (name, filename if a file, headers, value bytes).
pub type Simple = (String, Option<String>, Vec<(String, Vec<u8>)>, Vec<u8>);

/// Small limits, which short bodies reach.
const SMALL: FormLimits = FormLimits {
    max_files: 2,
    max_fields: 2,
    max_part_size: 8,
};

/// Checks `data` (with the boundary it names) fed in pieces at [`super::cuts`], and one byte
/// at a time when it is short.
pub fn run(data: &[u8]) {
    let boundary = boundary_of(data);
    check(data, boundary, &super::cuts(data));
    if data.len() <= 300 {
        let every: Vec<usize> = (1..data.len()).collect();
        check(data, boundary, &every);
    }
}

/// Checks that `data` fed in pieces cut at `cuts` gives what the whole-body parser gives.
pub fn check(data: &[u8], boundary: &[u8], cuts: &[usize]) {
    for charset in [Charset::Utf8, Charset::Latin1] {
        for limits in [&UNLIMITED, &SMALL] {
            let whole = whole_fields(data, boundary, charset, limits);
            let streamed = streamed_fields(data, boundary, cuts, charset, limits);
            assert_eq!(
                streamed,
                whole,
                "{charset:?}, {limits:?}, {} cuts: {}",
                cuts.len(),
                super::show(data)
            );
        }
    }
}

/// `parse_multipart`'s fields of `data`, simplified.
pub fn whole_fields(
    data: &[u8],
    boundary: &[u8],
    charset: Charset,
    limits: &FormLimits,
) -> Result<Vec<Simple>, FormError> {
    let fields = parse_multipart(data, boundary, charset, limits)?;
    let simple = (fields.into_iter()).map(|f| match f.value {
        Value::Text(text) => (f.name.into_owned(), None, vec![], text.as_bytes().to_vec()),
        Value::File(file) => {
            let headers = (file.headers.iter())
                .map(|(n, v)| (n.clone(), v.to_vec()))
                .collect();
            let data = file.data.to_vec();
            (f.name.into_owned(), Some(file.filename), headers, data)
        }
    });
    Ok(simple.collect())
}

/// The fields a `MultipartStream` finds in `data` fed in pieces cut at `cuts`, simplified.
pub fn streamed_fields(
    data: &[u8],
    boundary: &[u8],
    cuts: &[usize],
    charset: Charset,
    limits: &FormLimits,
) -> Result<Vec<Simple>, FormError> {
    let mut stream = MultipartStream::new(boundary, charset, limits.clone());
    let mut events = Vec::new();
    for piece in super::pieces(data, cuts) {
        stream.feed(piece, &mut events)?;
    }
    stream.finish(&mut events)?;
    let mut fields: Vec<Simple> = Vec::new();
    let mut open_file = false;
    for event in events {
        match event {
            PartEvent::Text { name, value } => {
                assert!(!open_file, "a text field inside a file");
                fields.push((name, None, vec![], value.into_bytes()));
            }
            PartEvent::FileStart {
                name,
                filename,
                headers,
            } => {
                assert!(!open_file, "a file inside a file");
                open_file = true;
                fields.push((name, Some(filename), headers, vec![]));
            }
            PartEvent::FileData(data) => {
                assert!(open_file, "file data outside a file");
                fields.last_mut().expect("a file").3.extend(data);
            }
            PartEvent::FileEnd => {
                assert!(open_file, "the end of no file");
                open_file = false;
            }
        }
    }
    assert!(!open_file, "a file left open after finish");
    Ok(fields)
}
