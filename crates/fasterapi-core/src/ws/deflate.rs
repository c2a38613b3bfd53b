//! permessage-deflate (RFC 7692): choosing the parameters from a client's
//! `Sec-WebSocket-Extensions` offers ([`negotiate`]) and compressing and inflating messages
//! with them ([`Codec`]).
//!
//! The negotiation is that of uvicorn's default WebSocket backend (websockets' sans-I/O
//! protocol with `ServerPerMessageDeflateFactory(server_max_window_bits=12,
//! client_max_window_bits=12, compress_settings={"memLevel": 5})`): the first offer whose
//! parameters are all known, unrepeated and well-formed is accepted, the others are skipped;
//! with no acceptable offer the connection goes on without compression.
//!
//! zlib itself is `zlib-rs`, a pure-Rust zlib: permessage-deflate needs the window size and
//! memLevel set, which the default backend of `flate2` (miniz_oxide) cannot do.

use zlib_rs::{
    Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Method, Status, Strategy,
};

/// The extension's name in `Sec-WebSocket-Extensions`.
pub const EXTENSION: &str = "permessage-deflate";

/// The largest window (in bits) the server compresses with, and asks the client to use.
const MAX_WINDOW_BITS: u8 = 12;
/// zlib's memLevel for the compressor (memory against speed, 1-9; zlib's default is 8).
const MEM_LEVEL: i32 = 5;
/// The compression level: zlib's default.
const LEVEL: i32 = 6;
/// What a sync flush ends with, taken off each compressed message and put back to inflate it.
const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The parameters agreed for a connection: what the server answers in
/// `Sec-WebSocket-Extensions` ([`Params::header_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The server starts each message with an empty window.
    pub server_no_context_takeover: bool,
    /// The client starts each message with an empty window.
    pub client_no_context_takeover: bool,
    /// The server's window, 9 to 12 bits.
    pub server_max_window_bits: u8,
    /// The window the client agreed to keep to, 8 to 12 bits; None when it offered no
    /// `client_max_window_bits` (it may then use 15).
    pub client_max_window_bits: Option<u8>,
}

impl Params {
    /// The `Sec-WebSocket-Extensions` value of the 101 response, parameters in websockets'
    /// order: e.g. `permessage-deflate; server_max_window_bits=12; client_max_window_bits=12`.
    pub fn header_value(&self) -> String {
        let mut value = EXTENSION.to_owned();
        if self.server_no_context_takeover {
            value.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            value.push_str("; client_no_context_takeover");
        }
        value.push_str(&format!(
            "; server_max_window_bits={}",
            self.server_max_window_bits
        ));
        if let Some(bits) = self.client_max_window_bits {
            value.push_str(&format!("; client_max_window_bits={bits}"));
        }
        value
    }
}

/// The parameters of the first acceptable permessage-deflate offer in the request's
/// `Sec-WebSocket-Extensions` headers (all of them, in order), or None: no offer, none
/// acceptable, or a header that does not parse (then it is ignored, as if absent).
pub fn negotiate(headers: &[(&[u8], &[u8])]) -> Option<Params> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(b"sec-websocket-extensions"))
        .filter_map(|(_, value)| parse_extensions(value))
        .flatten()
        .filter(|offer| offer.name == EXTENSION)
        .find_map(|offer| accept(&offer.params))
}

/// A `client_max_window_bits` with no value: the client can keep to any window we ask for.
const ANY_WINDOW: u8 = 0;

/// The answer to one offer's parameters, or None to decline it (websockets' rules).
fn accept(params: &[(String, Option<String>)]) -> Option<Params> {
    let mut server_no_context_takeover = false;
    let mut client_no_context_takeover = false;
    let mut server_bits: Option<u8> = None;
    let mut client_bits: Option<u8> = None;
    for (name, value) in params {
        let value = value.as_deref();
        match name.as_str() {
            "server_no_context_takeover" if !server_no_context_takeover && value.is_none() => {
                server_no_context_takeover = true;
            }
            "client_no_context_takeover" if !client_no_context_takeover && value.is_none() => {
                client_no_context_takeover = true;
            }
            "server_max_window_bits" if server_bits.is_none() => {
                server_bits = Some(window_bits(value?)?);
            }
            "client_max_window_bits" if client_bits.is_none() => {
                client_bits = Some(match value {
                    None => ANY_WINDOW,
                    Some(value) => window_bits(value)?,
                });
            }
            // unknown, repeated, or a value where none belongs
            _ => return None,
        }
    }
    // The server's window is at most ours; zlib cannot compress with 8 bits (it uses 9).
    let server_max_window_bits = server_bits.map_or(MAX_WINDOW_BITS, |b| b.min(MAX_WINDOW_BITS));
    if server_max_window_bits == 8 {
        return None;
    }
    let client_max_window_bits = client_bits.map(|bits| match bits {
        ANY_WINDOW => MAX_WINDOW_BITS,
        bits => bits.min(MAX_WINDOW_BITS),
    });
    Some(Params {
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    })
}

/// A window size in bits: exactly one of "8" to "15".
fn window_bits(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [b'8'] => Some(8),
        [b'9'] => Some(9),
        [b'1', d @ b'0'..=b'5'] => Some(10 + d - b'0'),
        _ => None,
    }
}

/// One element of a `Sec-WebSocket-Extensions` list: a name and its parameters.
#[derive(Debug, PartialEq, Eq)]
struct Offer {
    name: String,
    params: Vec<(String, Option<String>)>,
}

/// RFC 6455 §9.1: `1#(token *(";" token ["=" (token / quoted-string)]))`, with optional
/// whitespace and empty list elements allowed. None if it does not parse.
fn parse_extensions(value: &[u8]) -> Option<Vec<Offer>> {
    let mut parser = Parser { s: value, pos: 0 };
    let mut offers = Vec::new();
    loop {
        parser.skip_ows();
        if parser.eat(b',') {
            continue; // an empty element
        }
        if parser.at_end() {
            return Some(offers);
        }
        let name = parser.token()?;
        let mut params = Vec::new();
        parser.skip_ows();
        while parser.eat(b';') {
            parser.skip_ows();
            let param = parser.token()?;
            parser.skip_ows();
            let value = if parser.eat(b'=') {
                parser.skip_ows();
                let value = if parser.peek() == Some(b'"') {
                    // RFC 6455: the unescaped value must be a token too.
                    let quoted = parser.quoted()?;
                    (!quoted.is_empty() && quoted.bytes().all(is_tchar)).then_some(quoted)?
                } else {
                    parser.token()?
                };
                parser.skip_ows();
                Some(value)
            } else {
                None
            };
            params.push((param, value));
        }
        offers.push(Offer { name, params });
        if !parser.at_end() && !parser.eat(b',') {
            return None;
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.pos += usize::from(found);
        found
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        let token = &self.s[start..self.pos];
        // tchars are ASCII
        (!token.is_empty()).then(|| String::from_utf8_lossy(token).into_owned())
    }

    /// A quoted-string, unescaped (only ASCII is kept: the value must be a token anyway).
    fn quoted(&mut self) -> Option<String> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.pos += 1;
                    out.push(char::from(self.peek()?));
                }
                b => out.push(char::from(b)),
            }
            self.pos += 1;
        }
    }
}

/// Why an incoming compressed message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// It inflates past the size limit (close code 1009).
    TooBig,
    /// It is not valid deflate data (close code 1002).
    Corrupt,
}

/// One connection's compressor and decompressor. Each is made when first needed and dropped
/// after each message when its side has no context takeover, so that an idle connection holds
/// neither.
pub struct Codec {
    params: Params,
    deflate: Option<Deflate>,
    inflate: Option<Inflate>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("params", &self.params)
            .field("deflate", &self.deflate.is_some())
            .field("inflate", &self.inflate.is_some())
            .finish()
    }
}

impl Codec {
    /// A codec for the agreed `params`.
    pub fn new(params: Params) -> Self {
        Codec {
            params,
            deflate: None,
            inflate: None,
        }
    }

    /// The parameters it was made with.
    pub fn params(&self) -> Params {
        self.params
    }

    /// The payload of one whole outgoing message, compressed (its frame has RSV1 set).
    pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        let bits = self.params.server_max_window_bits;
        let deflate = self.deflate.get_or_insert_with(|| {
            Deflate::new_with_config(DeflateConfig {
                level: LEVEL,
                method: Method::Deflated,
                window_bits: -i32::from(bits),
                mem_level: MEM_LEVEL,
                strategy: Strategy::Default,
            })
        });
        let mut out = Vec::new();
        let mut input = data;
        loop {
            let chunk = (input.len() + input.len() / 8 + 64).max(out.len());
            let start = out.len();
            out.resize(start + chunk, 0);
            let (in_before, out_before) = (deflate.total_in(), deflate.total_out());
            // Only a stream error (misuse) can fail; the stream is always valid here.
            let status = deflate.compress(input, &mut out[start..], DeflateFlush::SyncFlush);
            let produced = (deflate.total_out() - out_before) as usize;
            input = &input[(deflate.total_in() - in_before) as usize..];
            out.truncate(start + produced);
            let stuck = matches!(status, Ok(Status::BufError) | Err(_));
            if (input.is_empty() && produced < chunk) || stuck {
                break;
            }
        }
        if out.ends_with(&TRAILER) {
            out.truncate(out.len() - TRAILER.len());
        } else {
            // An empty message right after another: zlib has nothing to flush and writes
            // nothing. The peer needs a block all the same: an empty stored block's header (the
            // trailer it puts back is the rest of that block).
            out = vec![0x00];
        }
        if self.params.server_no_context_takeover {
            self.deflate = None;
        }
        out
    }

    /// Inflates one frame's `payload` of a compressed message onto `out` (the message so far),
    /// which must not grow past `limit` bytes: memory grows with what was inflated, never
    /// past the limit, whatever the payload would inflate to. `last` is the message's final
    /// frame: the sync-flush trailer is put back and, without context takeover, the window
    /// dropped.
    pub fn inflate(
        &mut self,
        payload: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        // zlib cannot compress with an 8-bit window (it uses 9): inflate with at least 9.
        let bits = self.params.client_max_window_bits.unwrap_or(15).max(9);
        let inflate = self
            .inflate
            .get_or_insert_with(|| Inflate::new(false, bits));
        let mut ended = inflate_into(inflate, payload, out, limit)?;
        if last && !ended {
            ended = inflate_into(inflate, &TRAILER, out, limit)?;
        }
        // A final deflate block ends the stream: the next message starts a new one.
        if ended || (last && self.params.client_no_context_takeover) {
            self.inflate = None;
        }
        Ok(())
    }
}

/// Inflates `input` onto `out` until it is used up or the stream ends (true), with `out` never
/// longer than `limit` bytes, nor its allocation larger than `limit + 1`.
fn inflate_into(
    inflate: &mut Inflate,
    mut input: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<bool, InflateError> {
    // One byte over the limit tells a message that is too big.
    let cap = limit.saturating_add(1);
    // The room zeroed for zlib to write into: in proportion to this input, doubling while zlib
    // fills it, never in proportion to the message so far (each of many tiny fragments of a
    // big message would zero as much as the message is long).
    let mut want = input.len().saturating_mul(4).max(1024);
    loop {
        let room = cap.saturating_sub(out.len());
        if room == 0 {
            return Err(InflateError::TooBig);
        }
        let chunk = room.min(want);
        want = want.saturating_mul(2);
        if out.capacity() - out.len() < chunk {
            // the allocation grows geometrically (not copied again for each piece), up to cap
            let target = out.len().saturating_mul(2).clamp(out.len() + chunk, cap);
            out.reserve_exact(target - out.len());
        }
        let start = out.len();
        out.resize(start + chunk, 0);
        let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
        let status = inflate.decompress(input, &mut out[start..], InflateFlush::SyncFlush);
        let produced = (inflate.total_out() - out_before) as usize;
        input = &input[(inflate.total_in() - in_before) as usize..];
        out.truncate(start + produced);
        if out.len() > limit {
            return Err(InflateError::TooBig);
        }
        match status {
            Ok(Status::StreamEnd) => return Ok(true),
            Ok(Status::BufError) => return Ok(false), // no progress possible: all used up
            Ok(Status::Ok) if input.is_empty() && produced < chunk => return Ok(false),
            Ok(Status::Ok) => {}
            Err(_) => return Err(InflateError::Corrupt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(value: &str) -> Option<Params> {
        negotiate(&[(b"Sec-WebSocket-Extensions", value.as_bytes())])
    }

    fn answer(value: &str) -> Option<String> {
        offer(value).map(|p| p.header_value())
    }

    const DEFAULT: &str = "permessage-deflate; server_max_window_bits=12";

    #[test]
    fn plain_offer_gets_our_windows() {
        assert_eq!(answer("permessage-deflate").as_deref(), Some(DEFAULT));
        // websockets' client offers client_max_window_bits without a value
        assert_eq!(
            answer("permessage-deflate; client_max_window_bits").as_deref(),
            Some("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12")
        );
        assert_eq!(
            offer("permessage-deflate"),
            Some(Params {
                server_no_context_takeover: false,
                client_no_context_takeover: false,
                server_max_window_bits: 12,
                client_max_window_bits: None,
            })
        );
    }

    #[test]
    fn each_parameter() {
        let cases = [
            (
                "permessage-deflate; server_no_context_takeover",
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",
            ),
            (
                "permessage-deflate; client_no_context_takeover",
                "permessage-deflate; client_no_context_takeover; server_max_window_bits=12",
            ),
            // a smaller server window is granted, a larger one lowered to ours
            (
                "permessage-deflate; server_max_window_bits=10",
                "permessage-deflate; server_max_window_bits=10",
            ),
            (
                "permessage-deflate; server_max_window_bits=9",
                "permessage-deflate; server_max_window_bits=9",
            ),
            ("permessage-deflate; server_max_window_bits=15", DEFAULT),
            // the client's own limit is kept, or lowered to ours
            (
                "permessage-deflate; client_max_window_bits=8",
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=8",
            ),
            (
                "permessage-deflate; client_max_window_bits=15",
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
            ),
            // quoted values and whitespace
            (
                "permessage-deflate ;server_max_window_bits = \"11\"",
                "permessage-deflate; server_max_window_bits=11",
            ),
            (
                "permessage-deflate; client_no_context_takeover; server_no_context_takeover; \
                 client_max_window_bits; server_max_window_bits=14",
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                 server_max_window_bits=12; client_max_window_bits=12",
            ),
        ];
        for (offered, answered) in cases {
            assert_eq!(answer(offered).as_deref(), Some(answered), "{offered}");
        }
    }

    #[test]
    fn bad_or_duplicate_parameters_decline_the_offer() {
        for offered in [
            "permessage-deflate; server_max_window_bits=8", // zlib cannot compress with 8
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=012",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_max_window_bits=x",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=true",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
            "permessage-deflate; mystery",
            "permessage-deflate; server_max_window_bits=\"1 0\"",
            "x-webkit-deflate-frame",
            "Permessage-Deflate",
            "",
        ] {
            assert_eq!(offer(offered), None, "{offered}");
        }
    }

    #[test]
    fn several_offers_first_acceptable_wins() {
        // the first is declined, the second accepted, the third (a duplicate) ignored
        assert_eq!(
            answer(
                "permessage-deflate; server_max_window_bits=8, \
                 permessage-deflate; client_max_window_bits=10, permessage-deflate"
            )
            .as_deref(),
            Some("permessage-deflate; server_max_window_bits=12; client_max_window_bits=10")
        );
        // other extensions around it, and empty elements
        assert_eq!(
            answer("foo; a=1, , permessage-deflate; server_no_context_takeover,").as_deref(),
            Some("permessage-deflate; server_no_context_takeover; server_max_window_bits=12")
        );
        // across several header lines, in order
        let headers: [(&[u8], &[u8]); 3] = [
            (b"sec-websocket-extensions", b"permessage-deflate; bogus"),
            (b"host", b"x"),
            (
                b"Sec-WebSocket-Extensions",
                b"permessage-deflate; server_max_window_bits=11",
            ),
        ];
        assert_eq!(
            negotiate(&headers).map(|p| p.server_max_window_bits),
            Some(11)
        );
        // none acceptable: no extension
        assert_eq!(
            offer("permessage-deflate; a, permessage-deflate; b, foo"),
            None
        );
        assert_eq!(negotiate(&[(b"host", b"x")]), None);
    }

    #[test]
    fn unparsable_header_is_ignored() {
        for value in [
            "permessage-deflate; server_max_window_bits=\"10",
            "permessage-deflate server_max_window_bits",
            "permessage-deflate; =10",
            "permessage-deflate;",
            "\"permessage-deflate\"",
            "permessage-deflate; server_max_window_bits=10 11",
        ] {
            assert_eq!(parse_extensions(value.as_bytes()), None, "{value}");
            assert_eq!(offer(value), None, "{value}");
        }
        let headers: [(&[u8], &[u8]); 2] = [
            (b"sec-websocket-extensions", b"permessage-deflate; \"x"),
            (b"sec-websocket-extensions", b"permessage-deflate"),
        ];
        assert!(negotiate(&headers).is_some());
    }

    fn codec(server_no_context_takeover: bool, client_no_context_takeover: bool) -> Codec {
        Codec::new(Params {
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits: 12,
            client_max_window_bits: Some(12),
        })
    }

    #[test]
    fn round_trip_with_and_without_context_takeover() {
        for takeover in [true, false] {
            let (mut sender, mut receiver) = (codec(!takeover, false), codec(false, !takeover));
            let text = b"the same words, the same words, the same words".repeat(20);
            let first = sender.compress(&text);
            let second = sender.compress(&text);
            assert!(first.len() < text.len() / 5);
            // with the window kept, the repeat is mostly back-references to the first
            assert_eq!(second.len() < first.len() / 2, takeover, "{takeover}");
            for payload in [&first, &second] {
                let mut out = Vec::new();
                receiver.inflate(payload, true, &mut out, 1 << 20).unwrap();
                assert_eq!(out, text);
            }
            assert_eq!(sender.deflate.is_some(), takeover);
            assert_eq!(receiver.inflate.is_some(), takeover);
        }
        // an empty message, first or after another, is a block that inflates to nothing
        let mut sender = codec(false, false);
        let mut receiver = codec(false, false);
        for message in [&b""[..], b"abc", b"", b"", b"abcd"] {
            let payload = sender.compress(message);
            assert!(!payload.is_empty());
            let mut out = Vec::new();
            receiver.inflate(&payload, true, &mut out, 10).unwrap();
            assert_eq!(out, message);
        }
        assert_eq!(
            codec(false, false).inflate(&[0xff, 0xff], true, &mut Vec::new(), 10),
            Err(InflateError::Corrupt)
        );
    }

    #[test]
    fn inflate_stops_at_the_limit() {
        let data = vec![0u8; 1 << 20];
        let compressed = codec(false, false).compress(&data);
        assert!(compressed.len() < 2048);
        let mut out = Vec::new();
        assert_eq!(
            codec(false, false).inflate(&compressed, true, &mut out, 1000),
            Err(InflateError::TooBig)
        );
        assert!(out.capacity() <= 1001, "{}", out.capacity());
        let mut out = Vec::new();
        codec(false, false)
            .inflate(&compressed, true, &mut out, 1 << 20)
            .unwrap();
        assert_eq!(out.len(), 1 << 20);
        assert!(out.capacity() <= (1 << 20) + 1);
    }
}
