//! Property tests and fuzzing on stable Rust: every parser that reads client bytes (request
//! heads, chunked bodies, urlencoded and multipart forms, streamed multipart, WebSocket
//! frames) and the router, through the harnesses of `harness/` (the cargo-fuzz targets in
//! `fuzz/` run the same ones). Each gets inputs built to be valid, the same mutated, committed
//! corpus files mutated, and random bytes; round trips of well-formed input built at random;
//! and every file of the seed corpus (`fuzz/corpus/<target>/`), as it is.
//!
//! Each property runs a few hundred cases by default (a second or two each in a debug build);
//! `PROPTEST_CASES` sets how many (`make fuzz` runs them long).

mod harness;

use std::path::{Path, PathBuf};

use fasterapi_core::http::{parse_head, Framing, Limits};
use fasterapi_core::ws::Event;
use harness::multipart::Part;
use harness::{chunked, head, multipart, multipart_stream, router, urlencoded, ws};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// `cases` cases, or `PROPTEST_CASES` when it is set; a failure is reported with its shrunk
/// input, not saved to a file.
fn config(cases: u32) -> ProptestConfig {
    let cases = (std::env::var("PROPTEST_CASES").ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

/// The files of the seed corpus of `target` (`fuzz/corpus/<target>/*`), sorted.
fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = (std::fs::read_dir(&dir).expect("the corpus"))
        .map(|entry| entry.expect("a corpus file").path())
        .collect();
    files.sort();
    files
}

/// The seed inputs of `target`.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    (corpus_files(target).iter())
        .map(|file| std::fs::read(file).expect("a corpus file"))
        .collect()
}

#[test]
fn every_corpus_file_passes_its_harness() {
    for target in harness::TARGETS {
        let files = corpus_files(target);
        assert!(files.len() >= 5, "too few seeds for {target}");
        for file in files {
            let data = std::fs::read(&file).expect("a corpus file");
            let result = std::panic::catch_unwind(|| harness::run(target, &data));
            assert!(result.is_ok(), "corpus file {} fails", file.display());
        }
    }
}

/// Cut points anywhere in an input.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(0..2048usize, 0..12)
}

/// Bytes that matter to the parsers, for mutations to insert.
const TOKENS: [&[u8]; 16] = [
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b" ",
    b"\t",
    b";",
    b":",
    b"=",
    b"&",
    b"%",
    b"--",
    b"0",
    b"ff",
    b"\x00",
    b"\xff",
];

/// `base` with a few random edits: bytes replaced, inserted, deleted, runs repeated, the
/// end cut off, and tokens that matter to the parsers inserted.
fn mutated(base: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        0..6u8,
        any::<prop::sample::Index>(),
        any::<u8>(),
        0..16usize,
    );
    (base, vec(edit, 1..5)).prop_map(|(mut data, edits)| {
        for (kind, at, byte, n) in edits {
            let i = at.index(data.len() + 1);
            match kind {
                0 if i < data.len() => data[i] = byte,
                1 => data.insert(i, byte),
                2 if i < data.len() => {
                    data.remove(i);
                }
                3 => data.truncate(i),
                4 => {
                    let run = data[i..(i + n).min(data.len())].to_vec();
                    data.splice(i..i, run);
                }
                _ => {
                    data.splice(i..i, TOKENS[n].iter().copied());
                }
            }
        }
        data
    })
}

/// For `target`: valid inputs, the same mutated, its corpus files mutated, random bytes.
fn inputs(
    target: &str,
    valid: impl Strategy<Value = Vec<u8>> + Clone,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => valid.clone(),
        4 => mutated(valid),
        2 => mutated(select(seeds(target))),
        1 => vec(any::<u8>(), 0..300),
    ]
}

/// Strings from `list`.
fn one_of(list: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    select(list).prop_map(String::from)
}

// ---- request heads ----

/// A request head as clients (and attackers) send them, and the start of what follows it.
fn request_head() -> impl Strategy<Value = Vec<u8>> + Clone {
    let method = prop_oneof![
        one_of(&["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH"]),
        "[A-Z]{1,8}",
    ];
    let target = prop_oneof![
        one_of(&[
            "/",
            "*",
            "example.com:443",
            "http://example.com:8080/p?q=1",
            "https://h?x"
        ]),
        "/[a-z0-9%./?=&+-]{0,40}",
        "/[a-z0-9%./?=&+-]{0,40}",
    ];
    let version = one_of(&[
        "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTP/x.1",
    ]);
    let name = prop_oneof![
        one_of(&[
            "Host",
            "Content-Length",
            "Transfer-Encoding",
            "Connection",
            "Upgrade",
            "Expect",
            "content-length",
            "TRANSFER-ENCODING",
            "Cookie",
        ]),
        "X-[A-Za-z-]{1,10}",
    ];
    let value = prop_oneof![
        one_of(&[
            "chunked",
            "gzip, chunked",
            "chunked, gzip",
            "Chunked",
            "0",
            "5",
            "12, 12",
            "1, 2",
            "+3",
            "18446744073709551616",
            "close",
            "keep-alive",
            "Upgrade",
            "keep-alive, upgrade",
            "websocket",
            "100-continue",
            "example.com",
            "[::1]:8000",
            "",
        ]),
        "[ -~]{0,24}",
    ];
    let eol = one_of(&["\r\n", "\r\n", "\r\n", "\n"]);
    let host = one_of(&[
        "Host: example.com\r\n",
        "Host: example.com\r\n",
        "Host: h:80\r\n",
        "",
    ]);
    let headers = vec((name, value, eol.clone()), 0..10);
    let blank = one_of(&["", "", "", "\r\n", "\n\r\n"]);
    let after = one_of(&["", "", "abc", "0\r\n\r\n", "GET / HTTP/1.1\r\n\r\n"]);
    (blank, method, target, version, eol, host, headers, after).prop_map(
        |(blank, method, target, version, eol, host, headers, after)| {
            let mut out = format!("{blank}{method} {target} {version}{eol}{host}");
            for (name, value, eol) in headers {
                out += &format!("{name}: {value}{eol}");
            }
            out += "\r\n";
            out += &after;
            out.into_bytes()
        },
    )
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn head_parses_the_same_whole_or_in_pieces(data in inputs("head", request_head()), cuts in cuts()) {
        head::run(&data);
        head::check(&data, &cuts, &Limits::default());
    }

    /// A well-formed request head parses back to what was written.
    #[test]
    fn request_heads_round_trip(
        method in select(&["GET", "POST", "PUT", "DELETE", "PATCH"][..]),
        path in "/[a-z0-9_/.~-]{0,30}",
        query in "[a-z0-9=&%]{0,20}",
        headers in vec(("x-[a-z]{1,10}", "[!-~]([ !-~]{0,20}[!-~])?"), 0..8),
        length in prop::option::of(0u64..1000),
    ) {
        let mark = if query.is_empty() { "" } else { "?" };
        let mut text = format!("{method} {path}{mark}{query} HTTP/1.1\r\nHost: h.example:80\r\n");
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
            let field = (name.as_bytes().to_vec(), value.as_bytes().to_vec());
            prop_assert!(head.headers.contains(&field));
        }
        head::check(text.as_bytes(), &harness::cuts(text.as_bytes()), &Limits::default());
    }
}

// ---- chunked bodies ----

/// A body, the chunks it is cut into, an extension, trailers, hex case.
fn chunked_message() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> + Clone {
    let extension = one_of(&["", "", ";a=b", ";name=\"q;\\\"\"", " ; x", "\t;y=1;z"]);
    let trailers = one_of(&["", "", "X-Checksum: 1\r\n", "A: b\r\nC: d\r\n"]);
    let body = prop_oneof![
        vec(any::<u8>(), 0..200),
        "[a-z\r\n0]{0,40}".prop_map(String::into_bytes)
    ];
    (
        body,
        vec(0..200usize, 0..6),
        extension,
        trailers,
        any::<bool>(),
    )
        .prop_map(|(body, cuts, extension, trailers, upper)| {
            let chunks = harness::pieces(&body, &cuts);
            let encoded = chunked::encode(&chunks, &extension, &trailers, upper);
            (body, encoded)
        })
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn chunked_round_trips(message in chunked_message(), cuts in cuts()) {
        let (body, encoded) = message;
        let decoded = chunked::decode(&encoded, &cuts, u64::MAX);
        prop_assert_eq!(decoded, Ok((body, encoded.len(), true)));
        chunked::check(&encoded, &cuts, u64::MAX);
    }

    #[test]
    fn chunked_decodes_the_same_in_pieces(
        data in inputs("chunked", chunked_message().prop_map(|(_, encoded)| encoded)),
        cuts in cuts(),
        max_body in prop_oneof![Just(u64::MAX), 0..64u64],
    ) {
        chunked::run(&data);
        chunked::check(&data, &cuts, max_body);
    }
}

// ---- urlencoded forms ----

/// Fields with any text, and names and values close to the syntax.
fn form_fields() -> impl Strategy<Value = Vec<(String, String)>> + Clone {
    let text = prop_oneof![
        any::<String>(),
        "[a-z =&%+]{0,8}",
        one_of(&["", "é", "a b", "%", "+"])
    ];
    vec((text.clone(), text), 0..8)
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn urlencoded_round_trips(fields in form_fields()) {
        urlencoded::round_trip(&fields);
    }

    #[test]
    fn urlencoded_parses_anything(
        data in inputs("urlencoded", form_fields().prop_map(|f| urlencoded::encode(&f))),
    ) {
        urlencoded::run(&data);
    }
}

// ---- multipart forms ----

/// Whether a filename reads as a Windows path, which the parser cuts to its last component.
fn windows_path(filename: &str) -> bool {
    filename.as_bytes().get(1..3) == Some(b":\\") || filename.starts_with("\\\\")
}

/// Parts with names, values, filenames and data of any kind a browser can send.
fn form_parts() -> impl Strategy<Value = Vec<Part>> + Clone {
    // A name in a header field: no control characters (browsers escape CR, LF and '"').
    let name = prop_oneof![
        "[^\\x00-\\x1f\\x7f]{0,12}",
        one_of(&["", "a\"b", "a\\b", "é", "x;y=z"])
    ];
    let data = prop_oneof![
        vec(any::<u8>(), 0..100),
        "[a-z\r\n -]{0,40}".prop_map(String::into_bytes),
        one_of(&["", "\r\n", "--", "\r\n--", "--xx", "\r\n--xx--"]).prop_map(String::into_bytes),
    ];
    let text = prop_oneof![
        any::<String>(),
        data.clone()
            .prop_map(|d| String::from_utf8_lossy(&d).into_owned()),
    ];
    let filename = prop_oneof![
        any::<String>(),
        "[^\\x00-\\x1f\\x7f]{0,12}",
        one_of(&["", "a.txt"])
    ]
    .prop_filter("a Windows path", |f| !windows_path(f));
    let content_type = prop::option::of(
        one_of(&[
            "text/plain",
            "application/octet-stream",
            "image/png",
            "text/plain; charset=utf-8",
            "",
        ])
        .prop_map(String::into_bytes),
    );
    let part = prop_oneof![
        (name.clone(), text).prop_map(|(name, value)| Part::Text { name, value }),
        (name, filename, content_type, data).prop_map(|(name, filename, content_type, data)| {
            Part::File {
                name,
                filename,
                content_type,
                data,
            }
        }),
    ];
    vec(part, 0..6)
}

/// A body built from random parts, with a preamble, an epilogue, transport padding and
/// another line end sometimes; the boundary it uses.
fn multipart_body() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> + Clone {
    let base = "[A-Za-z0-9]{0,16}";
    let edits = (
        one_of(&["", "", "preamble\r\n"]),
        one_of(&["", "", " \t", "\r\n"]),
        one_of(&["", "epilogue --x"]),
    );
    (form_parts(), base, edits).prop_map(|(parts, base, (preamble, padding, epilogue))| {
        let boundary = multipart::fresh_boundary(&parts, &base);
        let body = multipart::build(&parts, &boundary);
        let delimiter = [b"--", &boundary[..], b"\r\n"].concat();
        let padded = [b"--", &boundary[..], padding.as_bytes(), b"\r\n"].concat();
        // "\r\n" stands for a bare line end after the first delimiter line (not padding).
        let body = if padding == "\r\n" {
            body
        } else {
            replace(&body, &delimiter, &padded)
        };
        (
            [preamble.as_bytes(), &body, epilogue.as_bytes()].concat(),
            boundary,
        )
    })
}

/// `data` with every `from` replaced by `to`.
fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn multipart_round_trips(parts in form_parts(), base in "[A-Za-z0-9]{0,16}") {
        multipart::round_trip(&parts, &base);
    }

    #[test]
    fn multipart_parses_built_bodies(body in multipart_body(), cuts in cuts()) {
        let (body, boundary) = body;
        multipart::check(&body, &boundary);
        multipart::run(&body);
        multipart_stream::check(&body, &boundary, &cuts);
    }

    #[test]
    fn multipart_parses_anything(data in inputs("multipart", multipart_body().prop_map(|(body, _)| body))) {
        multipart::run(&data);
    }

    #[test]
    fn multipart_streamed_as_whole(
        data in inputs("multipart_stream", multipart_body().prop_map(|(body, _)| body)),
        cuts in cuts(),
    ) {
        multipart_stream::run(&data);
        multipart_stream::check(&data, multipart::boundary_of(&data), &cuts);
    }
}

// ---- WebSocket frames ----

/// One message as a client sends it: text or binary, cut into fragments, with a ping (its
/// payload) before one of them; or a close frame.
#[derive(Debug, Clone)]
enum Sent {
    Message {
        text: bool,
        payload: Vec<u8>,
        cuts: Vec<usize>,
        ping: Option<(usize, Vec<u8>)>,
    },
    Close {
        code: u16,
        reason: String,
    },
}

fn sent() -> impl Strategy<Value = Sent> + Clone {
    let text = (
        any::<String>(),
        vec(0..600usize, 0..4),
        prop::option::of((0..4usize, vec(any::<u8>(), 0..20))),
    )
        .prop_map(|(s, cuts, ping)| Sent::Message {
            text: true,
            payload: s.into_bytes(),
            cuts,
            ping,
        });
    let binary = (
        vec(any::<u8>(), 0..600),
        vec(0..600usize, 0..4),
        prop::option::of((0..4usize, vec(any::<u8>(), 0..20))),
    )
        .prop_map(|(payload, cuts, ping)| Sent::Message {
            text: false,
            payload,
            cuts,
            ping,
        });
    let close = (select(&[1000u16, 1001, 3000, 4999][..]), "[a-z ]{0,20}")
        .prop_map(|(code, reason)| Sent::Close { code, reason });
    prop_oneof![4 => text, 4 => binary, 1 => close]
}

/// The client frames of `messages` (none after a close), the events they must give, and the
/// ping payloads among them.
fn ws_frames(messages: &[Sent], mask: [u8; 4]) -> (Vec<u8>, Vec<Event>, Vec<Vec<u8>>) {
    let (mut data, mut events, mut pings) = (Vec::new(), Vec::new(), Vec::new());
    for message in messages {
        match message {
            Sent::Message {
                text,
                payload,
                cuts,
                ping,
            } => {
                let fragments = harness::pieces(payload, cuts);
                let fragments = if fragments.is_empty() {
                    vec![&payload[..]]
                } else {
                    fragments
                };
                for (i, fragment) in fragments.iter().enumerate() {
                    if let Some((_, ping)) = ping.as_ref().filter(|(at, _)| *at == i) {
                        data.extend(ws::client_frame(0x89, ping, mask));
                        pings.push(ping.clone());
                    }
                    let opcode = match (i, text) {
                        (0, true) => 1,
                        (0, false) => 2,
                        _ => 0,
                    };
                    let fin = if i == fragments.len() - 1 { 0x80 } else { 0 };
                    data.extend(ws::client_frame(fin | opcode, fragment, mask));
                }
                events.push(if *text {
                    Event::Text(String::from_utf8(payload.clone()).expect("text"))
                } else {
                    Event::Binary(payload.clone())
                });
            }
            Sent::Close { code, reason } => {
                let payload = [&code.to_be_bytes()[..], reason.as_bytes()].concat();
                data.extend(ws::client_frame(0x88, &payload, mask));
                events.push(Event::Close {
                    code: *code,
                    reason: reason.clone(),
                });
                break;
            }
        }
    }
    (data, events, pings)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn ws_messages_round_trip(messages in vec(sent(), 0..5), mask in any::<[u8; 4]>(), cuts in cuts()) {
        // Messages over the limit are another property's business.
        let messages: Vec<Sent> = messages.into_iter().filter(|m| match m {
            Sent::Message { payload, .. } => payload.len() <= ws::MAX_MESSAGE,
            Sent::Close { .. } => true,
        }).collect();
        let (data, events, pings) = ws_frames(&messages, mask);
        ws::round_trip(&data, &cuts, &events, &pings);
    }

    #[test]
    fn ws_same_events_in_pieces(
        data in inputs("ws", (vec(sent(), 0..4), any::<[u8; 4]>()).prop_map(|(m, mask)| ws_frames(&m, mask).0)),
        cuts in cuts(),
    ) {
        ws::run(&data);
        ws::check(&data, &cuts);
    }
}

// ---- router ----

/// One path segment of a route: `{P` starts a parameter, named when the route is built.
fn segment() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => one_of(&["users", "me", "items", "a", "b", "files", "static", "v1", "{1}", "a}b"]),
        3 => one_of(&["{P}", "{P}", "{P:int}", "{P}.txt", "img-{P}", "{P:uuid}"]),
    ]
}

/// A route path in Starlette's syntax: segments, maybe a `{name:path}` tail or a final slash.
fn route_path() -> impl Strategy<Value = String> + Clone {
    (vec(segment(), 0..4), 0..4u8).prop_map(|(segments, end)| {
        let mut path = String::new();
        let mut n = 0;
        let last = match end {
            0 => Some("{P:path}"),
            1 => Some(""),
            _ => None,
        };
        for segment in segments.iter().map(String::as_str).chain(last) {
            path.push('/');
            if segment.contains("{P") {
                path += &segment.replacen("{P", &format!("{{p{n}"), 1);
                n += 1;
            } else {
                path += segment;
            }
        }
        if path.is_empty() {
            "/".into()
        } else {
            path
        }
    })
}

fn methods() -> impl Strategy<Value = Vec<String>> + Clone {
    vec(
        one_of(&["GET", "POST", "PUT", "HEAD", "get", "DELETE"]),
        1..3,
    )
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn router_finds_the_route_a_path_was_built_for(
        routes in vec((methods(), route_path()), 1..8),
        values in vec(("[a-z0-9.%~-]{1,5}", "[a-z0-9/.]{0,8}"), 1..4),
        method in one_of(&["GET", "HEAD", "POST", "PUT", "PATCH"]),
    ) {
        // A lookup of each route with each set of values, and of a few paths near them.
        let mut lookups = Vec::new();
        for (_, path) in &routes {
            for (param, tail) in &values {
                let built = path
                    .split('/')
                    .map(|segment| built_segment(segment, param, tail))
                    .collect::<Vec<_>>()
                    .join("/");
                lookups.push((method.clone(), built.clone()));
                lookups.push((method.clone(), format!("{built}/")));
                lookups.push((method.clone(), built.trim_end_matches('/').to_owned()));
            }
        }
        router::check(&routes, &lookups);
    }

    #[test]
    fn router_any_lines(data in vec(prop_oneof![
        "\\+(GET|POST|HEAD)(,GET|,PUT)? /[a-z{}:/.*-]{0,16}",
        "(GET|HEAD|POST|PUT) /?[a-z0-9{}:/.*-]{0,16}",
    ], 0..12)) {
        router::run(data.join("\n").as_bytes());
    }
}

/// `segment` of a route with its parameter given `param`, or `tail` for a `{name:path}`.
fn built_segment(segment: &str, param: &str, tail: &str) -> String {
    let Some(start) = segment.find("{p") else {
        return segment.to_owned();
    };
    let end = segment[start..]
        .find('}')
        .map_or(segment.len(), |e| start + e + 1);
    let value = if segment[start..end].ends_with(":path}") {
        tail
    } else {
        param
    };
    format!("{}{value}{}", &segment[..start], &segment[end..])
}
