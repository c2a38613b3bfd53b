//! Incremental decoding of `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
//!
//! A small state machine: input may be split anywhere (even one byte at a time) and the
//! output is the same. Lines must end in CRLF; chunk extensions are skipped, trailer
//! fields are read and discarded, and nothing after the message's final CRLF is consumed.

use memchr::memchr2;

use super::error::HttpError;

const INVALID: HttpError = HttpError::BadRequest("invalid chunked body");
/// Longest chunk-size line (size, extensions) accepted.
const MAX_SIZE_LINE: usize = 4096;
/// Largest trailer section accepted.
const MAX_TRAILERS: usize = 65536;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex digits of a chunk size (`digits` so far).
    Size { digits: usize },
    /// After whitespace following the size: more whitespace, `;` or CR.
    SizeWs,
    /// Inside chunk extensions, up to CR.
    Ext,
    /// Saw the CR ending a size line.
    SizeLf,
    /// Copying chunk data.
    Data,
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// At the start of a trailer line (or of the final empty line).
    TrailerStart,
    /// Inside a trailer field line, up to CR.
    Trailer,
    /// Saw the CR ending a trailer line.
    TrailerLf,
    /// Saw the CR of the final empty line.
    FinalLf,
    /// The whole message has been read.
    Done,
}

/// Incremental decoder for `Transfer-Encoding: chunked` bodies (RFC 9112 §7.1): chunk extensions are ignored,
/// trailer fields are read and discarded, the chunk-size hex must not overflow u64.
/// After an error the decoder must not be used again.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// The chunk size being read, then the bytes of the current chunk still to copy.
    size: u64,
    /// Body bytes so far (including the chunk announced last).
    total: u64,
    max_body: u64,
    /// Bytes of the current line (size line, CRLF after data), or of the whole trailer section.
    line_len: usize,
}

impl ChunkedDecoder {
    /// A decoder that rejects bodies of more than `max_body` bytes.
    pub fn new(max_body: u64) -> Self {
        ChunkedDecoder {
            state: State::Size { digits: 0 },
            size: 0,
            total: 0,
            max_body,
            line_len: 0,
        }
    }

    /// Whether the final CRLF of the message has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes as much of `input` as it can, appending body data to `out`; returns how many bytes of `input` it consumed.
    /// Stops consuming right after the final CRLF of the message, so bytes of a next (pipelined) request are left unconsumed.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, HttpError> {
        let mut i = 0;
        while i < input.len() && self.state != State::Done {
            if self.state == State::Data {
                let n = (input.len() - i).min(usize::try_from(self.size).unwrap_or(usize::MAX));
                out.extend_from_slice(&input[i..i + n]);
                i += n;
                self.size -= n as u64;
                if self.size == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            if matches!(self.state, State::Ext | State::Trailer) {
                // skip the rest of the line in one go
                let rest = &input[i..];
                let n = memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
                self.count_line(n)?;
                i += n;
                if i == input.len() {
                    break;
                }
            }
            let b = input[i];
            i += 1;
            self.step(b)?;
        }
        Ok(i)
    }

    /// Counts `n` bytes of a size line or trailer section against its limit.
    fn count_line(&mut self, n: usize) -> Result<(), HttpError> {
        let in_trailers = matches!(
            self.state,
            State::TrailerStart | State::Trailer | State::TrailerLf | State::FinalLf
        );
        let max = if in_trailers {
            MAX_TRAILERS
        } else {
            MAX_SIZE_LINE
        };
        self.line_len += n;
        if self.line_len > max {
            return Err(HttpError::BadRequest("chunked line too long"));
        }
        Ok(())
    }

    /// Advances the state machine by one byte (any state but `Data` and `Done`).
    fn step(&mut self, b: u8) -> Result<(), HttpError> {
        self.count_line(1)?;
        self.state = match (self.state, b) {
            (State::Size { digits }, _) if b.is_ascii_hexdigit() => {
                let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or(INVALID)?;
                State::Size { digits: digits + 1 }
            }
            (State::Size { digits: 0 }, _) => return Err(INVALID),
            (State::Size { .. } | State::SizeWs, b' ' | b'\t') => State::SizeWs,
            (State::Size { .. } | State::SizeWs, b';') => State::Ext,
            (State::Size { .. } | State::SizeWs | State::Ext, b'\r') => State::SizeLf,
            (State::SizeLf, b'\n') => self.end_size_line()?,
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => {
                self.line_len = 0;
                State::Size { digits: 0 }
            }
            (State::TrailerStart, b'\r') => State::FinalLf,
            (State::TrailerStart, b'\n') => return Err(INVALID),
            (State::TrailerStart, _) => State::Trailer,
            (State::Trailer, b'\r') => State::TrailerLf,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::FinalLf, b'\n') => State::Done,
            _ => return Err(INVALID),
        };
        Ok(())
    }

    /// A size line is complete: start the chunk's data, or the trailers after the last chunk.
    fn end_size_line(&mut self) -> Result<State, HttpError> {
        self.line_len = 0;
        if self.size == 0 {
            return Ok(State::TrailerStart);
        }
        self.total = self.total.saturating_add(self.size);
        if self.total > self.max_body {
            return Err(HttpError::BodyTooLarge);
        }
        Ok(State::Data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` in pieces of `step` bytes; returns (body, consumed, done).
    fn decode_in_steps(
        input: &[u8],
        step: usize,
        max: u64,
    ) -> Result<(Vec<u8>, usize, bool), HttpError> {
        let mut d = ChunkedDecoder::new(max);
        let mut out = Vec::new();
        let mut consumed = 0;
        for piece in input.chunks(step) {
            let n = d.decode(piece, &mut out)?;
            consumed += n;
            if n < piece.len() {
                assert!(d.is_done(), "stopped early without being done");
                break;
            }
        }
        Ok((out, consumed, d.is_done()))
    }

    /// Whole, byte-at-a-time and a few other splits must all agree.
    fn decode_all_ways(input: &[u8], max: u64) -> Result<(Vec<u8>, usize, bool), HttpError> {
        let whole = decode_in_steps(input, input.len().max(1), max);
        for step in [1, 2, 3, 7] {
            assert_eq!(decode_in_steps(input, step, max), whole, "step {step}");
        }
        whole
    }

    #[test]
    fn simple_body() {
        let input = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let (body, n, done) = decode_all_ways(input, 100).unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(n, input.len());
        assert!(done);
    }

    #[test]
    fn hex_sizes_and_leading_zeros() {
        let data = "x".repeat(0x1a);
        let input = format!("001A\r\n{data}\r\n0000\r\n\r\n");
        let (body, _, done) = decode_all_ways(input.as_bytes(), 100).unwrap();
        assert_eq!(body, data.as_bytes());
        assert!(done);
    }

    #[test]
    fn extensions_and_trailers() {
        let input = b"4;name=value;x=\"q;\"\r\nabcd\r\n3 ; ext\r\nefg\r\n0;last\r\nX-Checksum: 123\r\nX-Other: y\r\n\r\n";
        let (body, n, done) = decode_all_ways(input, 100).unwrap();
        assert_eq!(body, b"abcdefg");
        assert_eq!(n, input.len());
        assert!(done);
    }

    #[test]
    fn pipelined_bytes_left_unconsumed() {
        let msg = b"3\r\nabc\r\n0\r\n\r\n";
        let mut input = msg.to_vec();
        input.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let (body, n, done) = decode_all_ways(&input, 100).unwrap();
        assert_eq!((body.as_slice(), n, done), (&b"abc"[..], msg.len(), true));
        // once done, nothing more is consumed
        let mut d = ChunkedDecoder::new(100);
        let mut out = Vec::new();
        assert_eq!(d.decode(&input, &mut out).unwrap(), msg.len());
        assert_eq!(d.decode(&input[msg.len()..], &mut out).unwrap(), 0);
    }

    #[test]
    fn incomplete_input_is_all_consumed() {
        let input = b"5\r\nhel";
        let (body, n, done) = decode_all_ways(input, 100).unwrap();
        assert_eq!(
            (body.as_slice(), n, done),
            (&b"hel"[..], input.len(), false)
        );
        let (_, _, done) = decode_all_ways(b"0\r\n\r", 100).unwrap();
        assert!(!done);
    }

    #[test]
    fn malformed_bodies() {
        let cases: [&[u8]; 12] = [
            b"\r\n",                      // no size
            b"g\r\n",                     // not hex
            b"5\nhello\r\n0\r\n\r\n",     // bare LF after size
            b"5\r\nhelloX\r\n0\r\n\r\n",  // data longer than announced
            b"5\r\nhello\n0\r\n\r\n",     // bare LF after data
            b"5 x\r\nhello\r\n0\r\n\r\n", // junk after size
            b"-5\r\n",                    // sign
            b"0x5\r\n",                   // prefix
            b"5;ext\rX",                  // CR without LF
            b"0\r\n\n",                   // bare LF ending
            b"0\r\nX: y\n\r\n",           // bare LF in trailer
            b"10000000000000000\r\n",     // overflows u64
        ];
        for input in cases {
            let e = decode_all_ways(input, u64::MAX).unwrap_err();
            assert_eq!(e, INVALID, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(e.status(), 400);
        }
        // the largest u64 is a valid size (it is over the limit, though)
        assert_eq!(
            decode_all_ways(b"ffffffffffffffff\r\n", 10),
            Err(HttpError::BodyTooLarge)
        );
    }

    #[test]
    fn over_limit() {
        let ok = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
        assert_eq!(decode_all_ways(ok, 10).unwrap().0, b"helloworld");
        let e = decode_all_ways(ok, 9).unwrap_err();
        assert_eq!((e.clone(), e.status()), (HttpError::BodyTooLarge, 413));
        // detected from the announced size, before the data arrives
        let mut d = ChunkedDecoder::new(9);
        assert_eq!(
            d.decode(b"a\r\n", &mut Vec::new()),
            Err(HttpError::BodyTooLarge)
        );
    }

    #[test]
    fn overlong_lines() {
        let ext = format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(MAX_SIZE_LINE));
        let e = decode_all_ways(ext.as_bytes(), 100).unwrap_err();
        assert_eq!(e, HttpError::BadRequest("chunked line too long"));
        let trailers = format!("0\r\nX: {}\r\n\r\n", "t".repeat(MAX_TRAILERS));
        let e = decode_all_ways(trailers.as_bytes(), 100).unwrap_err();
        assert_eq!(e, HttpError::BadRequest("chunked line too long"));
    }

    #[test]
    fn every_split_point_agrees() {
        let vectors: [&[u8]; 5] = [
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT",
            b"4;a=b\r\nabcd\r\n0\r\nTrailer: v\r\n\r\n",
            b"1\r\nx\r\n0\r\n\r\n",
            b"3\r\nab\r\n",
            b"5\r\nhello\r\nzz\r\n",
        ];
        for input in vectors {
            let whole = decode_in_steps(input, input.len(), 100);
            for cut in 1..input.len() {
                let mut d = ChunkedDecoder::new(100);
                let mut out = Vec::new();
                let split = d.decode(&input[..cut], &mut out).and_then(|n| {
                    if n < cut {
                        return Ok((out.clone(), n, d.is_done()));
                    }
                    let m = d.decode(&input[cut..], &mut out)?;
                    Ok((out.clone(), n + m, d.is_done()))
                });
                assert_eq!(
                    split,
                    whole,
                    "cut at {cut} of {:?}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }
}
