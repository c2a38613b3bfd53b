//! Zstandard compression of response bodies (CompressMiddleware), on the `zstd` crate (the
//! reference C library's bindings): a whole body at once, or a body that streams, each piece
//! flushed so that it reaches the client at once.

use std::io::Write;

use zstd::stream::write::Encoder;

/// The levels zstd takes here (its negative "fast" levels aside).
pub const LEVELS: std::ops::RangeInclusive<i32> = 1..=22;

/// `data` as one zstd frame at `level` (1 to 22; higher is smaller and slower).
pub fn zstd(data: &[u8], level: i32) -> Vec<u8> {
    let mut stream = ZstdStream::new(level);
    let mut out = stream.write(data);
    out.extend(stream.finish());
    out
}

/// A zstd frame written piece by piece, each piece flushed; `finish` ends it.
pub struct ZstdStream {
    encoder: Encoder<'static, Vec<u8>>,
}

impl ZstdStream {
    pub fn new(level: i32) -> Self {
        let level = level.clamp(*LEVELS.start(), *LEVELS.end());
        Self {
            encoder: Encoder::new(Vec::new(), level).expect("a level in range"),
        }
    }

    /// Compresses `data` and flushes it: the compressed bytes that decode to all of it.
    pub fn write(&mut self, data: &[u8]) -> Vec<u8> {
        self.encoder
            .write_all(data)
            .and_then(|()| self.encoder.flush())
            .expect("writing to memory does not fail");
        std::mem::take(self.encoder.get_mut())
    }

    /// Ends the frame: the remaining compressed bytes.
    pub fn finish(self) -> Vec<u8> {
        self.encoder
            .finish()
            .expect("writing to memory does not fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_body_round_trips_and_shrinks() {
        let body = b"hello world, ".repeat(200);
        let packed = zstd(&body, 3);
        assert!(packed.len() < body.len() / 10);
        assert_eq!(zstd::decode_all(&packed[..]).unwrap(), body);
        assert_eq!(zstd::decode_all(&self::zstd(b"", 3)[..]).unwrap(), b"");
    }

    #[test]
    fn streamed_pieces_make_one_frame_each_decodable_as_it_comes() {
        let mut stream = ZstdStream::new(3);
        let first = stream.write(b"data: 1\n\n");
        let mut decoder = zstd::stream::write::Decoder::new(Vec::new()).unwrap();
        decoder.write_all(&first).unwrap();
        decoder.flush().unwrap();
        assert_eq!(decoder.get_ref(), b"data: 1\n\n");
        let mut packed = first;
        let mut plain = b"data: 1\n\n".to_vec();
        for i in 0..50 {
            let piece = format!("line {i}\n").into_bytes();
            packed.extend(stream.write(&piece));
            plain.extend(piece);
        }
        packed.extend(stream.finish());
        assert_eq!(zstd::decode_all(&packed[..]).unwrap(), plain);
    }
}
