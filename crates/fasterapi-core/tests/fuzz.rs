//! Property tests and fuzzing on stable Rust: every parser that reads client bytes (request
//! heads, chunked bodies, urlencoded and multipart forms, WebSocket frames, the router) gets
//! random and mutated input through its harness (`harness.rs`), the committed corpus, and
//! round trips of well-formed input built at random. `PROPTEST_CASES` sets how many inputs
//! each property gets (`make fuzz` runs them long; `cargo test` runs a few hundred).

mod harness;

use std::fs;
use std::path::Path;

use fasterapi_core::http::{parse_head, ChunkedDecoder, Framing, Limits};
use fasterapi_core::params::form::{parse_urlencoded, Charset, FormLimits, Value};
use fasterapi_core::params::multipart::parse_multipart;
use fasterapi_core::router::{Lookup, Router};
use fasterapi_core::ws::{Event, Session};
use proptest::prelude::*;

/// Random bytes, or a corpus file with some of its bytes changed, inserted or removed.
fn fuzz_input(target: &'static str) -> BoxedStrategy<Vec<u8>> {
    let seeds = corpus(target);
    let random = prop::collection::vec(any::<u8>(), 0..1024);
    if seeds.is_empty() {
        return random.boxed();
    }
    let mutated = (
        prop::sample::select(seeds),
        prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..8),
    )
        .prop_map(|(mut data, edits)| {
            for (at, byte, kind) in edits {
                let at = if data.is_empty() {
                    0
                } else {
                    at % (data.len() + 1)
                };
                match kind {
                    0 if at < data.len() => data[at] = byte,
                    1 => data.insert(at, byte),
                    _ if at < data.len() => {
                        data.remove(at);
                    }
                    _ => data.push(byte),
                }
            }
            data
        });
    prop_oneof![random, mutated].boxed()
}

/// The committed seed inputs of `target` (`fuzz/corpus/<target>/*`).
fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|path| fs::read(path).expect("readable corpus file"))
        .collect()
}

#[test]
fn every_corpus_file_passes_its_harness() {
    for target in harness::TARGETS {
        let seeds = corpus(target);
        assert!(!seeds.is_empty(), "no corpus for {target}");
        for seed in seeds {
            harness::run(target, &seed);
        }
    }
}

proptest! {
    // PROPTEST_CASES (read by the default config) sets the number of inputs; failures are
    // reported with the shrunk input, not saved to a file.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_head(data in fuzz_input("head")) { harness::head(&data) }

    #[test]
    fn fuzz_chunked(data in fuzz_input("chunked")) { harness::chunked(&data) }

    #[test]
    fn fuzz_urlencoded(data in fuzz_input("urlencoded")) { harness::urlencoded(&data) }

    #[test]
    fn fuzz_multipart(data in fuzz_input("multipart")) { harness::multipart(&data) }

    #[test]
    fn fuzz_multipart_stream(data in fuzz_input("multipart_stream")) { harness::multipart_stream(&data) }

    #[test]
    fn fuzz_ws(data in fuzz_input("ws")) { harness::ws(&data) }

    #[test]
    fn fuzz_router(data in fuzz_input("router")) { harness::router(&data) }

    /// A well-formed request head parses back to what was written.
    #[test]
    fn request_heads_round_trip(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        path in "/[a-z0-9_/.~-]{0,30}",
        query in "[a-z0-9=&%]{0,20}",
        headers in prop::collection::vec(("x-[a-z]{1,10}", "[!-~]([ !-~]{0,20}[!-~])?"), 0..8),
        length in prop::option::of(0u64..1000),
    ) {
        let mut text = format!("{method} {path}{}{query} HTTP/1.1\r\nHost: h.example:80\r\n",
                               if query.is_empty() { "" } else { "?" });
        for (name, value) in &headers {
            text += &format!("{name}: {value}\r\n");
        }
        if let Some(n) = length {
            text += &format!("Content-Length: {n}\r\n");
        }
        text += "\r\n";
        let (head, used) = parse_head(text.as_bytes(), &Limits::default()).unwrap().unwrap();
        prop_assert_eq!(used, text.len());
        prop_assert_eq!(head.method, method);
        prop_assert_eq!(head.raw_path, path.as_bytes());
        prop_assert_eq!(head.query, query.as_bytes());
        prop_assert_eq!(head.framing, length.map_or(Framing::None, Framing::Length));
        for (name, value) in &headers {
            prop_assert!(head.headers.contains(&(name.as_bytes().to_vec(), value.as_bytes().to_vec())));
        }
    }

    /// A body written in random chunk sizes decodes back, however it is split on the way.
    #[test]
    fn chunked_bodies_round_trip(
        body in prop::collection::vec(any::<u8>(), 0..3000),
        sizes in prop::collection::vec(1usize..700, 1..20),
        cut in any::<usize>(),
    ) {
        let mut wire = Vec::new();
        let (mut at, mut i) = (0, 0);
        while at < body.len() {
            let n = sizes[i % sizes.len()].min(body.len() - at);
            wire.extend_from_slice(format!("{n:x};ext=1\r\n").as_bytes());
            wire.extend_from_slice(&body[at..at + n]);
            wire.extend_from_slice(b"\r\n");
            at += n;
            i += 1;
        }
        wire.extend_from_slice(b"0\r\nTrailer: x\r\n\r\nNEXT");
        let cut = cut % (wire.len() + 1);
        let mut decoder = ChunkedDecoder::new(1 << 20);
        let mut out = Vec::new();
        let first = decoder.decode(&wire[..cut], &mut out).unwrap();
        prop_assert_eq!(first, cut.min(wire.len() - 4));
        let used = if decoder.is_done() { 0 } else { decoder.decode(&wire[cut..], &mut out).unwrap() };
        prop_assert!(decoder.is_done());
        prop_assert_eq!(first + used, wire.len() - 4); // "NEXT" is the next request's
        prop_assert_eq!(out, body);
    }

    /// Name/value pairs encoded as a urlencoded form parse back.
    #[test]
    fn urlencoded_forms_round_trip(pairs in prop::collection::vec(("\\PC{1,10}", "\\PC{0,10}"), 0..10)) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let fields = parse_urlencoded(body.as_bytes(), &FormLimits::default()).unwrap();
        let parsed: Vec<(String, String)> = fields.into_iter().map(|f| match f.value {
            Value::Text(text) => (f.name.into_owned(), text.into_owned()),
            Value::File(_) => unreachable!("no files in a urlencoded form"),
        }).collect();
        prop_assert_eq!(parsed, pairs);
    }

    /// Parts written into a multipart body parse back, files with their bytes.
    #[test]
    fn multipart_bodies_round_trip(
        parts in prop::collection::vec(
            ("[a-z]{1,8}", prop::option::of("[a-z]{1,8}\\.txt"), prop::collection::vec(any::<u8>(), 0..300)),
            0..6,
        ),
        cut in any::<usize>(),
    ) {
        let boundary = b"XyZ";
        let mut body = Vec::new();
        for (name, filename, data) in &parts {
            body.extend_from_slice(b"--");
            body.extend_from_slice(boundary);
            body.extend_from_slice(format!("\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
            if let Some(filename) = filename {
                body.extend_from_slice(format!("; filename=\"{filename}\"\r\nContent-Type: application/octet-stream").as_bytes());
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary);
        body.extend_from_slice(b"--\r\n");
        let fields = parse_multipart(&body, boundary, Charset::Latin1, &FormLimits::default()).unwrap();
        prop_assert_eq!(fields.len(), parts.len());
        for (field, (name, filename, data)) in fields.iter().zip(&parts) {
            prop_assert_eq!(field.name.as_ref(), name.as_str());
            match (&field.value, filename) {
                (Value::File(file), Some(filename)) => {
                    prop_assert_eq!(&file.filename, filename);
                    prop_assert_eq!(file.data, data.as_slice());
                }
                (Value::Text(text), None) => {
                    let latin1: String = data.iter().map(|&b| b as char).collect();
                    prop_assert_eq!(text.as_ref(), latin1.as_str());
                }
                _ => prop_assert!(false, "a file where a text field was sent, or the reverse"),
            }
        }
        // parsed as it arrives, in two pieces, the same fields come out
        let limits = FormLimits::default();
        let streamed = harness::streamed_fields(&body, &[cut % (body.len() + 1)], &limits).unwrap();
        prop_assert_eq!(streamed, harness::whole_fields(&body, &limits).unwrap());
    }

    /// Text messages sent as masked (and fragmented) client frames come out whole, however
    /// the bytes arrive.
    #[test]
    fn websocket_messages_round_trip(
        messages in prop::collection::vec("\\PC{0,40}", 1..6),
        fragment in 1usize..30,
        mask in any::<[u8; 4]>(),
        cut in any::<usize>(),
    ) {
        let mut wire = Vec::new();
        for message in &messages {
            let bytes = message.as_bytes();
            let pieces: Vec<&[u8]> = if bytes.is_empty() { vec![&[][..]] } else { bytes.chunks(fragment).collect() };
            for (i, piece) in pieces.iter().enumerate() {
                let opcode = if i == 0 { 0x1 } else { 0x0 };
                let fin = if i + 1 == pieces.len() { 0x80 } else { 0 };
                wire.push(fin | opcode);
                wire.push(0x80 | piece.len() as u8); // under 126 bytes: one length byte
                wire.extend_from_slice(&mask);
                wire.extend(piece.iter().enumerate().map(|(j, b)| b ^ mask[j % 4]));
            }
        }
        let cut = cut % (wire.len() + 1);
        let mut session = Session::new(1 << 16);
        let mut events = Vec::new();
        for piece in [&wire[..cut], &wire[cut..]] {
            session.feed(piece);
            while let Some(event) = session.next_event() {
                events.push(event);
            }
        }
        let expected: Vec<Event> = messages.iter().cloned().map(Event::Text).collect();
        prop_assert_eq!(events, expected);
    }

    /// A path built for a route finds that route, with its parameters.
    #[test]
    fn the_router_finds_the_route_a_path_was_built_for(
        routes in prop::collection::btree_set(("[a-z]{1,6}", "[a-z]{1,6}"), 1..12),
        values in prop::collection::vec("[A-Za-z0-9_.~-]{1,12}", 12),
    ) {
        let mut router = Router::new();
        let routes: Vec<(String, String)> = routes.into_iter().collect();
        for (i, (first, second)) in routes.iter().enumerate() {
            // `/first/{p}/second`: a static segment, a parameter, a static segment
            router.insert(&format!("/{first}/{{p}}/{second}"), &["GET"], i).unwrap();
        }
        for (i, (first, second)) in routes.iter().enumerate() {
            let path = format!("/{first}/{}/{second}", values[i]);
            match router.lookup("GET", &path) {
                Lookup::Found { value, params } => {
                    prop_assert_eq!(*value, i);
                    prop_assert_eq!(params.get("p"), Some(values[i].as_str()));
                }
                _ => prop_assert!(false, "{} not found", path),
            }
            let missing = matches!(router.lookup("GET", &format!("/{first}/{}", values[i])), Lookup::NotFound);
            prop_assert!(missing);
        }
    }
}
