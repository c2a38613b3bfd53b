//! Compression of response bodies in a content coding ([`Coding`]): gzip (GZipMiddleware), on
//! flate2; brotli and zstd (CompressMiddleware), on the `brotli` crate and the `zstd` crate
//! (the reference library's bindings). A whole body at once, or a body that streams
//! ([`Stream`]), compressed piece by piece, each piece flushed so that it reaches the client at
//! once. The middleware's decision for a whole response is [`policy`]; the choice of a coding
//! by Accept-Encoding, [`accept`].

use std::io::Write;

use brotli::CompressorWriter;
use flate2::write::GzEncoder;
use flate2::Compression;

pub mod accept;
pub mod policy;

/// brotli's window (log2 of its size, brotli's default: 4 MiB) and its writer's buffer.
const BROTLI_WINDOW: u32 = 22;
const BROTLI_BUFFER: usize = 4096;

/// A content coding at its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// gzip at a level from 0 to 9 (higher is smaller and slower; above 9 is 9).
    Gzip(u32),
    /// brotli at a quality from 0 to 11 (above 11 is 11).
    Brotli(u32),
    /// zstd at a level from 1 to 22 (outside, the nearest).
    Zstd(i32),
}

impl Coding {
    /// The coding of a Content-Encoding name at `level`; None for one not known.
    pub fn named(name: &str, level: i32) -> Option<Coding> {
        let unsigned = u32::try_from(level.max(0)).unwrap_or(0);
        match name {
            "gzip" => Some(Coding::Gzip(unsigned.min(9))),
            "br" => Some(Coding::Brotli(unsigned.min(11))),
            "zstd" => Some(Coding::Zstd(level.clamp(1, 22))),
            _ => None,
        }
    }

    /// Its Content-Encoding name.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip(_) => "gzip",
            Coding::Brotli(_) => "br",
            Coding::Zstd(_) => "zstd",
        }
    }

    /// `data` compressed whole.
    pub fn compress(self, data: &[u8]) -> Vec<u8> {
        match self {
            Coding::Gzip(level) => gzip(data, level),
            Coding::Zstd(level) => {
                zstd::bulk::compress(data, level.clamp(1, 22)).expect("a level in range")
            }
            Coding::Brotli(_) => {
                let mut stream = Stream::new(self);
                stream.encoder().write_all(data).expect(IN_MEMORY);
                stream.finish()
            }
        }
    }
}

const IN_MEMORY: &str = "writing to memory does not fail";

/// `data` as one gzip member at `level` (0 to 9; higher is smaller and slower).
pub fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(level.min(9)));
    encoder.write_all(data).expect(IN_MEMORY);
    encoder.finish().expect(IN_MEMORY)
}

/// A body compressed piece by piece into one gzip member, brotli stream or zstd frame, each
/// piece flushed (gzip's sync flush) so that what a stream sends reaches the client at once;
/// `finish` gives the rest (gzip's trailer).
pub enum Stream {
    Gzip(GzEncoder<Vec<u8>>),
    /// (boxed: brotli's encoder state is some 5 KiB)
    Brotli(Box<CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Stream {
    pub fn new(coding: Coding) -> Self {
        match coding {
            Coding::Gzip(level) => {
                Stream::Gzip(GzEncoder::new(Vec::new(), Compression::new(level.min(9))))
            }
            Coding::Brotli(quality) => Stream::Brotli(Box::new(CompressorWriter::new(
                Vec::new(),
                BROTLI_BUFFER,
                quality.min(11),
                BROTLI_WINDOW,
            ))),
            Coding::Zstd(level) => Stream::Zstd(
                zstd::stream::write::Encoder::new(Vec::new(), level.clamp(1, 22))
                    .expect("a level in range"),
            ),
        }
    }

    fn encoder(&mut self) -> &mut dyn Write {
        match self {
            Stream::Gzip(encoder) => encoder,
            Stream::Brotli(encoder) => encoder.as_mut(),
            Stream::Zstd(encoder) => encoder,
        }
    }

    /// Compresses `data` and flushes it: the compressed bytes that decode to all of it.
    pub fn write(&mut self, data: &[u8]) -> Vec<u8> {
        let encoder = self.encoder();
        encoder
            .write_all(data)
            .and_then(|()| encoder.flush())
            .expect(IN_MEMORY);
        let written = match self {
            Stream::Gzip(encoder) => encoder.get_mut(),
            Stream::Brotli(encoder) => encoder.get_mut(),
            Stream::Zstd(encoder) => encoder.get_mut(),
        };
        std::mem::take(written)
    }

    /// Ends it: the remaining compressed bytes.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Stream::Gzip(encoder) => encoder.finish().expect(IN_MEMORY),
            Stream::Brotli(encoder) => (*encoder).into_inner(),
            Stream::Zstd(encoder) => encoder.finish().expect(IN_MEMORY),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    const CODINGS: [Coding; 3] = [Coding::Gzip(6), Coding::Brotli(4), Coding::Zstd(3)];

    fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Gzip(_) => {
                GzDecoder::new(data).read_to_end(&mut out).unwrap();
            }
            Coding::Brotli(_) => {
                brotli::Decompressor::new(data, BROTLI_BUFFER)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Coding::Zstd(_) => out = zstd::decode_all(data).unwrap(),
        }
        out
    }

    #[test]
    fn whole_bodies_round_trip_and_shrink() {
        let body = b"hello world, ".repeat(200);
        for coding in CODINGS {
            let packed = coding.compress(&body);
            assert!(packed.len() < body.len() / 10, "{coding:?}");
            assert_eq!(decode(coding, &packed), body, "{coding:?}");
            assert_eq!(decode(coding, &coding.compress(b"")), b"", "{coding:?}");
        }
        assert_eq!(&gzip(&body, 9)[..2], &[0x1f, 0x8b]); // the gzip magic number
    }

    #[test]
    fn streamed_pieces_make_one_stream() {
        for coding in CODINGS {
            let mut stream = Stream::new(coding);
            let mut packed = Vec::new();
            let mut plain = Vec::new();
            for i in 0..100 {
                let piece = format!("line {i}\n").into_bytes();
                packed.extend(stream.write(&piece));
                plain.extend(piece);
            }
            packed.extend(stream.finish());
            assert_eq!(decode(coding, &packed), plain, "{coding:?}");
        }
    }

    #[test]
    fn each_piece_decodes_on_its_own_as_it_comes() {
        let first = Stream::new(Coding::Gzip(6)).write(b"data: 1\n\n");
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        decoder.write_all(&first).unwrap();
        decoder.flush().unwrap();
        assert_eq!(decoder.get_ref(), b"data: 1\n\n");
        let first = Stream::new(Coding::Zstd(3)).write(b"data: 1\n\n");
        let mut decoder = zstd::stream::write::Decoder::new(Vec::new()).unwrap();
        decoder.write_all(&first).unwrap();
        decoder.flush().unwrap();
        assert_eq!(decoder.get_ref(), b"data: 1\n\n");
        let first = Stream::new(Coding::Brotli(4)).write(b"data: 1\n\n");
        let mut buf = [0u8; 64];
        let n = brotli::Decompressor::new(&first[..], BROTLI_BUFFER)
            .read(&mut buf)
            .unwrap();
        assert_eq!(&buf[..n], b"data: 1\n\n");
    }

    #[test]
    fn levels_out_of_range_are_the_nearest() {
        let body = b"abc".repeat(100);
        assert_eq!(gzip(&body, 42), gzip(&body, 9));
        assert_eq!(decode(Coding::Gzip(0), &gzip(&body, 0)), body);
        assert_eq!(Coding::named("br", 42), Some(Coding::Brotli(11)));
        assert_eq!(Coding::named("zstd", 0), Some(Coding::Zstd(1)));
        assert_eq!(Coding::named("gzip", -3), Some(Coding::Gzip(0)));
        assert_eq!(Coding::named("deflate", 6), None);
    }
}
