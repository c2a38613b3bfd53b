//! Fuzz harnesses: one function per parser, taking arbitrary bytes and panicking when an
//! invariant breaks. `tests/fuzz.rs` runs them on proptest's inputs and the committed corpus
//! (`fuzz/corpus/<target>/`); the cargo-fuzz targets in `fuzz/` run the same functions.

#![allow(dead_code)] // each user takes the harnesses it needs

use fasterapi_core::http::{parse_head, ChunkedDecoder, Limits};
use fasterapi_core::params::form::Charset;
use fasterapi_core::params::form::{parse_urlencoded, FormError, FormLimits, Value};
use fasterapi_core::params::multipart::parse_multipart;
use fasterapi_core::params::multipart_stream::{MultipartStream, PartEvent};
use fasterapi_core::router::{Lookup, Router};
use fasterapi_core::ws::{Event, Session};

/// The names of the targets, as the corpus folders and cargo-fuzz targets are named.
pub const TARGETS: [&str; 7] = [
    "head",
    "chunked",
    "urlencoded",
    "multipart",
    "multipart_stream",
    "ws",
    "router",
];

/// Runs the harness named `target` on `data`.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "head" => head(data),
        "chunked" => chunked(data),
        "urlencoded" => urlencoded(data),
        "multipart" => multipart(data),
        "multipart_stream" => multipart_stream(data),
        "ws" => ws(data),
        "router" => router(data),
        other => panic!("no fuzz target {other}"),
    }
}

/// A split point inside `data` derived from its bytes, so a run is reproducible.
fn split_point(data: &[u8]) -> usize {
    if data.is_empty() {
        return 0;
    }
    let seed = data
        .iter()
        .fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
    seed % data.len()
}

/// Request heads: a parsed head uses at most what was given, every shorter prefix of it is
/// "incomplete", and parsing exactly its bytes gives it again.
pub fn head(data: &[u8]) {
    let limits = Limits::default();
    let Ok(Some((head, used))) = parse_head(data, &limits) else {
        return;
    };
    assert!(used <= data.len());
    assert_eq!(
        parse_head(&data[..used], &limits),
        Ok(Some((head.clone(), used)))
    );
    for cut in [used - 1, used / 2, split_point(&data[..used])] {
        if cut < used {
            assert_eq!(
                parse_head(&data[..cut], &limits),
                Ok(None),
                "prefix of {cut} bytes"
            );
        }
    }
    assert!(head.headers.len() <= limits.max_headers);
}

/// Decodes `data` with the chunked decoder fed in pieces split at `cuts`.
fn decode_in_pieces(data: &[u8], cuts: &[usize], max_body: u64) -> (Vec<u8>, usize, bool, bool) {
    let mut decoder = ChunkedDecoder::new(max_body);
    let mut out = Vec::new();
    let mut used = 0;
    let mut start = 0;
    for &end in cuts.iter().chain([data.len()].iter()) {
        let end = end.clamp(start, data.len());
        while start < end && !decoder.is_done() {
            match decoder.decode(&data[start..end], &mut out) {
                Ok(0) => break,
                Ok(n) => {
                    start += n;
                    used = start;
                }
                Err(_) => return (out, 0, false, true), // (where it failed is not said)
            }
        }
        if decoder.is_done() {
            break;
        }
    }
    (out, used, decoder.is_done(), false)
}

/// Chunked bodies: the result does not depend on how the bytes were split, and no more than
/// the limit is ever decoded.
pub fn chunked(data: &[u8]) {
    let max_body = 4096;
    let whole = decode_in_pieces(data, &[], max_body);
    let split = decode_in_pieces(data, &[split_point(data)], max_body);
    let bytewise: Vec<usize> = (1..data.len().min(512)).collect();
    let small = decode_in_pieces(&data[..data.len().min(512)], &bytewise, max_body);
    assert_eq!(whole, split);
    if data.len() <= 512 {
        assert_eq!(whole, small);
    }
    assert!(whole.0.len() as u64 <= max_body);
}

/// Urlencoded forms: never more fields or bigger ones than the limits allow.
pub fn urlencoded(data: &[u8]) {
    let limits = FormLimits {
        max_fields: 20,
        max_part_size: 64,
        ..FormLimits::default()
    };
    if let Ok(fields) = parse_urlencoded(data, &limits) {
        assert!(fields.len() <= 20);
        for field in fields {
            assert!(matches!(field.value, Value::Text(_)));
        }
    }
}

/// Multipart bodies (boundary `XyZ`): a file part's data is the body's bytes at its offset,
/// and the limits hold.
pub fn multipart(data: &[u8]) {
    let limits = FormLimits {
        max_files: 4,
        max_fields: 4,
        max_part_size: 64,
    };
    let Ok(fields) = parse_multipart(data, b"XyZ", Charset::Utf8, &limits) else {
        return;
    };
    let (mut files, mut texts) = (0, 0);
    for field in fields {
        match field.value {
            Value::File(file) => {
                files += 1;
                assert_eq!(&data[file.offset..file.offset + file.data.len()], file.data);
            }
            Value::Text(text) => {
                texts += 1;
                assert!(text.len() <= 4 * 64); // Latin-1 may widen bytes to 2 UTF-8 bytes
            }
        }
    }
    assert!(files <= 4 && texts <= 4);
}

/// A form field as both multipart parsers can give it: (name, filename if a file, headers,
/// value bytes).
type Simple = (String, Option<String>, Vec<(String, Vec<u8>)>, Vec<u8>);

/// `parse_multipart`'s fields of `data`, simplified.
pub fn whole_fields(data: &[u8], limits: &FormLimits) -> Result<Vec<Simple>, FormError> {
    let fields = parse_multipart(data, b"XyZ", Charset::Latin1, limits)?;
    Ok(fields
        .into_iter()
        .map(|f| match f.value {
            Value::Text(text) => (f.name.into_owned(), None, vec![], text.as_bytes().to_vec()),
            Value::File(file) => {
                let headers = file
                    .headers
                    .iter()
                    .map(|(n, v)| (n.clone(), v.to_vec()))
                    .collect();
                (
                    f.name.into_owned(),
                    Some(file.filename),
                    headers,
                    file.data.to_vec(),
                )
            }
        })
        .collect())
}

/// The fields a MultipartStream finds in `data` fed in pieces cut at `cuts`, simplified.
pub fn streamed_fields(
    data: &[u8],
    cuts: &[usize],
    limits: &FormLimits,
) -> Result<Vec<Simple>, FormError> {
    let mut stream = MultipartStream::new(b"XyZ", Charset::Latin1, limits.clone());
    let mut events = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain([data.len()].iter()) {
        let cut = cut.clamp(start, data.len());
        stream.feed(&data[start..cut], &mut events)?;
        start = cut;
    }
    stream.finish(&mut events)?;
    let mut fields: Vec<Simple> = Vec::new();
    for event in events {
        match event {
            PartEvent::Text { name, value } => {
                fields.push((name, None, vec![], value.into_bytes()))
            }
            PartEvent::FileStart {
                name,
                filename,
                headers,
            } => fields.push((name, Some(filename), headers, vec![])),
            PartEvent::FileData(data) => fields.last_mut().expect("a file").3.extend(data),
            PartEvent::FileEnd => {}
        }
    }
    Ok(fields)
}

/// The streaming multipart parser agrees with the whole-body one, however the body is split:
/// the same fields, or both refuse it.
pub fn multipart_stream(data: &[u8]) {
    let limits = FormLimits {
        max_files: 4,
        max_fields: 4,
        max_part_size: 64,
    };
    let whole = whole_fields(data, &limits);
    let streamed = streamed_fields(data, &[split_point(data)], &limits);
    assert_eq!(whole.is_ok(), streamed.is_ok(), "{whole:?} / {streamed:?}");
    if let (Ok(whole), Ok(streamed)) = (&whole, &streamed) {
        assert_eq!(whole, streamed);
    }
    if data.len() <= 300 {
        let bytewise: Vec<usize> = (1..data.len()).collect();
        let pieces = streamed_fields(data, &bytewise, &limits);
        assert_eq!(streamed.ok(), pieces.ok());
    }
}

/// Every event of a WebSocket session fed `pieces`, until it needs more bytes.
fn ws_events(pieces: &[&[u8]]) -> Vec<Event> {
    let mut session = Session::new(1024);
    let mut events = Vec::new();
    for piece in pieces {
        session.feed(piece);
        while let Some(event) = session.next_event() {
            events.push(event);
        }
    }
    events
}

/// WebSocket frames from a client: the same events however the bytes are split.
pub fn ws(data: &[u8]) {
    let cut = split_point(data);
    let whole = ws_events(&[data]);
    assert_eq!(whole, ws_events(&[&data[..cut], &data[cut..]]));
    if data.len() <= 256 {
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(whole, ws_events(&bytes));
    }
}

/// The router: any path either finds a route whose parameters are pieces of the path, or
/// none; it never panics.
pub fn router(data: &[u8]) {
    let mut router = Router::new();
    for (i, path) in [
        "/",
        "/items",
        "/items/{id}",
        "/items/{id}/tags/{tag}",
        "/files/{path:path}",
        "/users/me",
        "/users/{name}.json",
    ]
    .into_iter()
    .enumerate()
    {
        router.insert(path, &["GET"], i).expect("valid routes");
    }
    let path = String::from_utf8_lossy(data);
    for method in ["GET", "POST"] {
        if let Lookup::Found { params, .. } = router.lookup(method, &path) {
            for (_, value) in params.iter() {
                assert!(path.contains(value), "{value:?} is not in {path:?}");
            }
        }
    }
}
