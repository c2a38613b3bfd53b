//! `ChunkedDecoder`: never panics; the same bytes fed in any pieces decode to the same body,
//! the same count of bytes consumed and the same error; a body within the limit decodes whole,
//! re-encodes and decodes back to itself; nothing after the message is consumed.

use fasterapi_core::http::{ChunkedDecoder, HttpError};

/// What decoding gives: (body, bytes consumed, message complete), or the error.
pub type Decoded = Result<(Vec<u8>, usize, bool), HttpError>;

/// Checks `data` without a body limit and with a small one, fed in pieces at [`super::cuts`].
pub fn run(data: &[u8]) {
    let cuts = super::cuts(data);
    for max_body in [u64::MAX, 16] {
        check(data, &cuts, max_body);
    }
}

/// Decodes `data` fed in pieces cut at `cuts`, as a server does, stopping at the end of the
/// message (the decoder must not stop before the end of a piece otherwise).
pub fn decode(data: &[u8], cuts: &[usize], max_body: u64) -> Decoded {
    let mut decoder = ChunkedDecoder::new(max_body);
    let (mut body, mut used) = (Vec::new(), 0);
    for piece in super::pieces(data, cuts) {
        let n = decoder.decode(piece, &mut body)?;
        assert!(n <= piece.len());
        used += n;
        if n < piece.len() {
            assert!(decoder.is_done(), "stopped early: {}", super::show(data));
            break;
        }
    }
    Ok((body, used, decoder.is_done()))
}

/// The chunked encoding of `chunks` (empty ones are left out, as an empty chunk would end
/// the message) with `extension` after each size, `trailers` (complete lines) after the
/// last chunk, and hex digits in upper case if `upper`.
pub fn encode(chunks: &[&[u8]], extension: &str, trailers: &str, upper: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks.iter().filter(|c| !c.is_empty()) {
        let size = if upper {
            format!("{:X}", chunk.len())
        } else {
            format!("{:x}", chunk.len())
        };
        out.extend(format!("{size}{extension}\r\n").bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend(format!("0{extension}\r\n{trailers}\r\n").bytes());
    out
}

/// Checks the decoding of `data` against the same bytes fed whole, and what a decoded
/// message must satisfy.
pub fn check(data: &[u8], cuts: &[usize], max_body: u64) {
    let input = super::show(data);
    let whole = decode(data, &[], max_body);
    let split = decode(data, cuts, max_body);
    assert_eq!(split, whole, "cut at {cuts:?}, max {max_body}: {input}");
    let Ok((body, used, done)) = whole else {
        return;
    };
    assert!(body.len() as u64 <= max_body, "{input}");
    if !done {
        assert_eq!(used, data.len(), "unfinished but not all consumed: {input}");
        return;
    }
    // What follows the message (a pipelined request) is never read.
    let mut followed = data[..used].to_vec();
    followed.extend_from_slice(b"5\r\nextra\r\n0\r\n\r\n");
    let again = decode(&followed, &[], max_body);
    assert_eq!(again, Ok((body.clone(), used, true)), "{input}");
    // The body, encoded anew in one chunk, decodes back to itself.
    let encoded = encode(&[&body], "", "", false);
    let again = decode(&encoded, &[], max_body);
    assert_eq!(again, Ok((body, encoded.len(), true)), "{input}");
}
