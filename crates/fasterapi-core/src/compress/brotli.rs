//! Brotli compression of response bodies (CompressMiddleware), on the `brotli` crate: a whole
//! body at once, or a body that streams, each piece flushed so that it reaches the client at
//! once.

use std::io::Write;

use brotli::CompressorWriter;

/// The window (log2 of its size) the encoder uses: brotli's default, 4 MiB.
const WINDOW: u32 = 22;
const BUFFER: usize = 4096;

/// `data` as one brotli stream at `quality` (0 to 11; higher is smaller and slower).
pub fn brotli(data: &[u8], quality: u32) -> Vec<u8> {
    let mut stream = BrotliStream::new(quality);
    let mut out = stream.write(data);
    out.extend(stream.finish());
    out
}

/// A brotli stream written piece by piece, each piece flushed; `finish` ends it.
pub struct BrotliStream {
    writer: CompressorWriter<Vec<u8>>,
}

impl BrotliStream {
    pub fn new(quality: u32) -> Self {
        Self {
            writer: CompressorWriter::new(Vec::new(), BUFFER, quality.min(11), WINDOW),
        }
    }

    /// Compresses `data` and flushes it: the compressed bytes that decode to all of it.
    pub fn write(&mut self, data: &[u8]) -> Vec<u8> {
        self.writer
            .write_all(data)
            .and_then(|()| self.writer.flush())
            .expect("writing to memory does not fail");
        std::mem::take(self.writer.get_mut())
    }

    /// Ends the stream: the remaining compressed bytes.
    pub fn finish(self) -> Vec<u8> {
        self.writer.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn unbrotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(data, BUFFER)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn whole_body_round_trips_and_shrinks() {
        let body = b"hello world, ".repeat(200);
        let packed = brotli(&body, 4);
        assert!(packed.len() < body.len() / 10);
        assert_eq!(unbrotli(&packed), body);
        assert_eq!(unbrotli(&brotli(b"", 4)), b"");
    }

    #[test]
    fn streamed_pieces_make_one_stream_each_decodable_as_it_comes() {
        let mut stream = BrotliStream::new(5);
        let first = stream.write(b"data: 1\n\n");
        let mut partial = Vec::new();
        // A decoder given only the first piece already has all of it.
        let mut decoder = brotli::Decompressor::new(&first[..], BUFFER);
        let mut buf = [0u8; 64];
        let n = decoder.read(&mut buf).unwrap();
        partial.extend_from_slice(&buf[..n]);
        assert_eq!(partial, b"data: 1\n\n");
        let mut packed = first;
        let mut plain = b"data: 1\n\n".to_vec();
        for i in 0..50 {
            let piece = format!("line {i}\n").into_bytes();
            packed.extend(stream.write(&piece));
            plain.extend(piece);
        }
        packed.extend(stream.finish());
        assert_eq!(unbrotli(&packed), plain);
    }

    #[test]
    fn qualities_above_eleven_are_eleven() {
        let body = b"abc".repeat(100);
        assert_eq!(brotli(&body, 42), brotli(&body, 11));
    }
}
