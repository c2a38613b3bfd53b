//! GZipMiddleware's decision for a response whose body is all there, as Starlette's (and
//! FasterAPI.middleware.gzip's) makes it: left as it is, given `Vary: Accept-Encoding` only,
//! or compressed; CompressMiddleware's, the same in the coding chosen for the request.

pub use super::Coding;

/// Header pairs, names in lower case.
pub type Headers = Vec<(Vec<u8>, Vec<u8>)>;

/// GZipMiddleware's options.
#[derive(Clone, Debug)]
pub struct GzipPolicy {
    /// Smaller bodies go out as they are.
    pub minimum_size: usize,
    pub level: u32,
    /// Media types sent as they are (`type/subtype`, or `type/*`), in lower case.
    pub excluded: Vec<String>,
}

impl GzipPolicy {
    /// The headers and body of a whole response of `status` with `headers` (names in lower
    /// case) and `body`, for a client that accepts gzip (`accepts`) or not: None when it goes
    /// out as it is.
    pub fn apply(
        &self,
        status: u16,
        headers: &[(Vec<u8>, Vec<u8>)],
        body: &[u8],
        accepts: bool,
    ) -> Option<(Headers, Vec<u8>)> {
        self.apply_coding(
            status,
            headers,
            body,
            accepts.then_some(Coding::Gzip(self.level)),
        )
    }

    /// `apply`, with the coding chosen for the request (None: it accepts none offered).
    pub fn apply_coding(
        &self,
        status: u16,
        headers: &[(Vec<u8>, Vec<u8>)],
        body: &[u8],
        coding: Option<Coding>,
    ) -> Option<(Headers, Vec<u8>)> {
        let accepts = coding.is_some();
        if self.passes_through(status, headers) || body.len() < self.minimum_size {
            return None;
        }
        let mut vary: Vec<&[u8]> = Vec::new();
        let mut out: Headers = Vec::with_capacity(headers.len() + 2);
        for (name, value) in headers {
            if name == b"vary" {
                vary.push(value);
            } else if !(accepts && name == b"content-length") {
                out.push((name.clone(), value.clone()));
            }
        }
        vary.push(b"Accept-Encoding");
        out.push((b"vary".to_vec(), vary.join(&b", "[..])));
        let Some(coding) = coding else {
            return Some((out, body.to_vec()));
        };
        let packed = coding.compress(body);
        out.push((
            b"content-length".to_vec(),
            packed.len().to_string().into_bytes(),
        ));
        out.push((
            b"content-encoding".to_vec(),
            coding.name().as_bytes().to_vec(),
        ));
        Some((out, packed))
    }

    /// Already encoded, partial (206), or of an excluded media type.
    fn passes_through(&self, status: u16, headers: &[(Vec<u8>, Vec<u8>)]) -> bool {
        if status == 206 {
            return true;
        }
        let mut media = String::new();
        for (name, value) in headers {
            if name == b"content-encoding" {
                return true;
            }
            if name == b"content-type" && media.is_empty() {
                let value = String::from_utf8_lossy(value);
                media = value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
            }
        }
        let family = format!("{}/*", media.split('/').next().unwrap_or(""));
        self.excluded.iter().any(|excluded| {
            *excluded == media
                || *excluded == family
                || (excluded == "application/grpc" && media.starts_with("application/grpc+"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn policy() -> GzipPolicy {
        GzipPolicy {
            minimum_size: 10,
            level: 6,
            excluded: vec!["image/*".into(), "text/event-stream".into()],
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_large_body_is_compressed_with_its_headers() {
        let body = b"x".repeat(100);
        let given = headers(&[("content-type", "text/plain"), ("content-length", "100")]);
        let (out, packed) = policy().apply(200, &given, &body, true).unwrap();
        let mut plain = Vec::new();
        GzDecoder::new(&packed[..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, body);
        let length = packed.len().to_string();
        assert_eq!(
            out,
            headers(&[
                ("content-type", "text/plain"),
                ("vary", "Accept-Encoding"),
                ("content-length", &length),
                ("content-encoding", "gzip"),
            ])
        );
    }

    #[test]
    fn brotli_is_named_and_decodes() {
        let body = b"z".repeat(100);
        let given = headers(&[("content-type", "text/plain")]);
        let coding = Some(Coding::Brotli(4));
        let (out, packed) = policy().apply_coding(200, &given, &body, coding).unwrap();
        let mut plain = Vec::new();
        ::brotli::Decompressor::new(&packed[..], 4096)
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        assert_eq!(
            out.last().unwrap(),
            &(b"content-encoding".to_vec(), b"br".to_vec())
        );
    }

    #[test]
    fn without_gzip_only_vary_is_added_to_what_is_there() {
        let given = headers(&[("vary", "Origin"), ("content-type", "text/plain")]);
        let (out, body) = policy().apply(200, &given, b"0123456789", false).unwrap();
        assert_eq!(body, b"0123456789");
        assert_eq!(
            out,
            headers(&[
                ("content-type", "text/plain"),
                ("vary", "Origin, Accept-Encoding")
            ])
        );
    }

    #[test]
    fn small_encoded_partial_and_excluded_bodies_pass() {
        let p = policy();
        let big = b"y".repeat(50);
        assert!(p.apply(200, &[], b"short", true).is_none());
        assert!(p.apply(206, &[], &big, true).is_none());
        let encoded = headers(&[("content-encoding", "br")]);
        assert!(p.apply(200, &encoded, &big, true).is_none());
        for media in [
            "image/png",
            "text/event-stream; charset=utf-8",
            "IMAGE/JPEG",
        ] {
            let typed = headers(&[("content-type", media)]);
            assert!(p.apply(200, &typed, &big, true).is_none(), "{media}");
        }
        let grpc = GzipPolicy {
            excluded: vec!["application/grpc".into()],
            ..policy()
        };
        let typed = headers(&[("content-type", "application/grpc+proto")]);
        assert!(grpc.apply(200, &typed, &big, true).is_none());
    }
}
