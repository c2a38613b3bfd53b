//! Gzip compression of response bodies (GZipMiddleware), on flate2: a whole body at once, or
//! a body that streams, compressed piece by piece into one gzip member; and the middleware's
//! decision for a whole response ([`policy`]). Brotli ([`brotli`]), zstd ([`zstd`]) and the
//! choice of a coding by Accept-Encoding ([`accept`]), for CompressMiddleware.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

pub mod accept;
pub mod brotli;
pub mod policy;
pub mod zstd;

/// `data` as one gzip member at `level` (0 to 9; higher is smaller and slower).
pub fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(level.min(9)));
    encoder
        .write_all(data)
        .expect("writing to memory does not fail");
    encoder.finish().expect("writing to memory does not fail")
}

/// A gzip member written piece by piece, each piece flushed (a sync flush) so that what a
/// stream sends reaches the client at once; `finish` gives the trailer.
pub struct GzipStream {
    encoder: GzEncoder<Vec<u8>>,
}

impl GzipStream {
    pub fn new(level: u32) -> Self {
        Self {
            encoder: GzEncoder::new(Vec::new(), Compression::new(level.min(9))),
        }
    }

    /// Compresses `data` and flushes it: the compressed bytes that decode to all of it.
    pub fn write(&mut self, data: &[u8]) -> Vec<u8> {
        // Writing into a Vec cannot fail.
        self.encoder
            .write_all(data)
            .and_then(|()| self.encoder.flush())
            .expect("writing to memory does not fail");
        std::mem::take(self.encoder.get_mut())
    }

    /// Ends the member: the remaining compressed bytes and the gzip trailer.
    pub fn finish(self) -> Vec<u8> {
        self.encoder
            .finish()
            .expect("writing to memory does not fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(data).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn whole_body_round_trips_and_shrinks() {
        let body = b"hello world, ".repeat(200);
        let packed = gzip(&body, 9);
        assert!(packed.len() < body.len() / 10);
        assert_eq!(&packed[..2], &[0x1f, 0x8b]); // the gzip magic number
        assert_eq!(gunzip(&packed), body);
    }

    #[test]
    fn empty_body_is_a_valid_member() {
        assert_eq!(gunzip(&gzip(b"", 6)), b"");
    }

    #[test]
    fn streamed_pieces_make_one_member() {
        let mut stream = GzipStream::new(6);
        let mut packed = Vec::new();
        let mut plain = Vec::new();
        for i in 0..100 {
            let piece = format!("line {i}\n").into_bytes();
            packed.extend(stream.write(&piece));
            plain.extend(piece);
        }
        packed.extend(stream.finish());
        assert_eq!(gunzip(&packed), plain);
    }

    #[test]
    fn each_piece_decodes_on_its_own_as_it_comes() {
        let mut stream = GzipStream::new(6);
        let first = stream.write(b"data: 1\n\n");
        // A decoder given only the first piece already has all of it.
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        decoder.write_all(&first).unwrap();
        decoder.flush().unwrap();
        assert_eq!(decoder.get_ref(), b"data: 1\n\n");
    }

    #[test]
    fn levels_above_nine_are_nine() {
        let body = b"abc".repeat(100);
        assert_eq!(gzip(&body, 42), gzip(&body, 9));
        assert_eq!(gunzip(&gzip(&body, 0)), body);
    }
}
