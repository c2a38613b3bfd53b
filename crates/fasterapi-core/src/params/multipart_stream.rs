//! `multipart/form-data` bodies parsed as they arrive, so that file parts can go to disk piece
//! by piece instead of the whole body being held in memory (Starlette spools uploads the same
//! way). The syntax and the errors are [`super::multipart`]'s: feeding a body in any pieces
//! gives the fields `parse_multipart` finds in it whole, or the same refusal.

use memchr::memmem;

use super::fields::{Charset, FormError, FormLimits};
use super::multipart::{part_disposition, MAX_PART_HEADERS};

/// The largest header section of one part; past it the body is refused.
pub const MAX_PART_HEAD: usize = 16 * 1024;

/// What [`MultipartStream::feed`] found, in body order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartEvent {
    /// A whole text field, decoded with the body's charset.
    Text { name: String, value: String },
    /// A file part begins: its field name, file name and header fields (names lowercased).
    FileStart {
        name: String,
        filename: String,
        headers: Vec<(String, Vec<u8>)>,
    },
    /// The next bytes of the file begun last.
    FileData(Vec<u8>),
    /// The file begun last is complete.
    FileEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter: bytes are dropped.
    Preamble,
    /// A part's header fields.
    Head,
    /// A text part's data, gathered until its delimiter.
    Text,
    /// A file part's data, handed out as it comes.
    File,
    /// After the close delimiter: the epilogue is dropped.
    End,
}

/// What the bytes after a boundary say, when there are enough of them to tell.
enum Next {
    /// A part starts after `n` more bytes (padding and CRLF).
    Part(usize),
    /// The body is over.
    End,
    /// Not a delimiter: other bytes follow the boundary on its line.
    NotDelimiter,
    /// More bytes are needed to tell.
    Unknown,
}

/// An incremental multipart parser: [`feed`](Self::feed) it the body in pieces, then call
/// [`finish`](Self::finish). Holds at most a part's header section, a text field (bounded by
/// `max_part_size`) and a delimiter's length of file bytes.
#[derive(Debug)]
pub struct MultipartStream {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    charset: Charset,
    limits: FormLimits,
    buf: Vec<u8>,
    state: State,
    /// The current text part's name and bytes, and the counts the limits apply to.
    name: String,
    text: Vec<u8>,
    files: usize,
    texts: usize,
    /// Whether any byte was fed (an empty body is an empty form).
    fed: bool,
}

impl MultipartStream {
    pub fn new(boundary: &[u8], charset: Charset, limits: FormLimits) -> Self {
        MultipartStream {
            delimiter: [b"\r\n--", boundary].concat(),
            charset,
            limits,
            // A delimiter at the very start has no CRLF before it: one is put there, which
            // makes the start like any other line start (the preamble is dropped anyway).
            buf: b"\r\n".to_vec(),
            state: State::Preamble,
            name: String::new(),
            text: Vec::new(),
            files: 0,
            texts: 0,
            fed: false,
        }
    }

    /// Parses what `data` completes, appending the events to `events`.
    pub fn feed(&mut self, data: &[u8], events: &mut Vec<PartEvent>) -> Result<(), FormError> {
        self.fed |= !data.is_empty();
        if self.state != State::End {
            self.buf.extend_from_slice(data);
            self.advance(false, events)?;
        }
        Ok(())
    }

    /// The body is over: the last events, or the error of a body cut short.
    pub fn finish(&mut self, events: &mut Vec<PartEvent>) -> Result<(), FormError> {
        if !self.fed {
            return Ok(());
        }
        self.advance(true, events)?;
        match self.state {
            State::End => Ok(()),
            State::Head if self.buf.is_empty() => Ok(()), // ends right after a delimiter
            State::Head => Err(FormError::Malformed(
                "the body ends in a part's header fields",
            )),
            State::Preamble => Err(FormError::Malformed("no boundary delimiter in the body")),
            State::Text | State::File => Err(FormError::Malformed(
                "the body ends before the closing boundary",
            )),
        }
    }

    fn advance(&mut self, last: bool, events: &mut Vec<PartEvent>) -> Result<(), FormError> {
        loop {
            let progressed = match self.state {
                State::End => {
                    self.buf.clear();
                    return Ok(());
                }
                State::Head => self.head(events)?,
                _ => self.data(last, events)?,
            };
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Reads a part's header fields once they are all in; whether it did.
    fn head(&mut self, events: &mut Vec<PartEvent>) -> Result<bool, FormError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_PART_HEADERS];
        let (used, headers) = match httparse::parse_headers(&self.buf, &mut headers) {
            Ok(httparse::Status::Complete(parsed)) => parsed,
            Ok(httparse::Status::Partial) if self.buf.len() > MAX_PART_HEAD => {
                return Err(FormError::Malformed("a part's header fields are too large"))
            }
            Ok(httparse::Status::Partial) => return Ok(false),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(FormError::Malformed("too many header fields in a part"))
            }
            Err(_) => return Err(FormError::Malformed("invalid header field in a part")),
        };
        let (name, filename) = part_disposition(headers, self.charset)?;
        let name = name.into_owned();
        match filename {
            Some(filename) => {
                self.files += 1;
                if self.files > self.limits.max_files {
                    return Err(FormError::TooManyFiles(self.limits.max_files));
                }
                let headers = headers
                    .iter()
                    .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                    .collect();
                events.push(PartEvent::FileStart {
                    name,
                    filename,
                    headers,
                });
                self.state = State::File;
            }
            None => {
                self.texts += 1;
                if self.texts > self.limits.max_fields {
                    return Err(FormError::TooManyFields(self.limits.max_fields));
                }
                self.name = name;
                self.state = State::Text;
            }
        }
        self.buf.drain(..used);
        Ok(true)
    }

    /// Moves through data (or preamble) bytes up to the next delimiter; whether it reached
    /// one. Bytes that may be the start of a delimiter stay in the buffer.
    fn data(&mut self, last: bool, events: &mut Vec<PartEvent>) -> Result<bool, FormError> {
        let finder = memmem::Finder::new(&self.delimiter);
        let mut search = 0;
        let (end, next) = loop {
            let Some(found) = finder.find(&self.buf[search..]) else {
                // Keep what could be the start of a delimiter cut by the piece's end.
                let keep = if last { 0 } else { self.delimiter.len() - 1 };
                self.take(self.buf.len().saturating_sub(keep), events)?;
                return Ok(false);
            };
            let at = search + found;
            match self.after(at + self.delimiter.len(), last) {
                Next::NotDelimiter => search = at + 1,
                Next::Unknown => {
                    self.take(at, events)?;
                    return Ok(false);
                }
                next => break (at, next),
            }
        };
        self.take(end, events)?;
        match self.state {
            State::Text => {
                let name = std::mem::take(&mut self.name);
                let text = std::mem::take(&mut self.text);
                let value = self.charset.decode(&text).into_owned();
                events.push(PartEvent::Text { name, value });
            }
            State::File => events.push(PartEvent::FileEnd),
            _ => {}
        }
        let used = self.delimiter.len()
            + match next {
                Next::Part(n) => n,
                _ => 0,
            };
        self.buf.drain(..used.min(self.buf.len()));
        self.state = match next {
            Next::Part(_) => State::Head,
            _ => State::End,
        };
        Ok(true)
    }

    /// What follows a boundary whose last byte is before `at`, as `multipart::after_delimiter`
    /// decides it; `last`: the body ends with the buffer.
    fn after(&self, at: usize, last: bool) -> Next {
        let rest = &self.buf[at..];
        if rest.starts_with(b"--") {
            return Next::End;
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        match &rest[padding..] {
            [] | [b'-'] if !last => Next::Unknown,
            [] => Next::End,
            [b'\r'] if !last => Next::Unknown,
            [b'\r', b'\n', ..] => Next::Part(padding + 2),
            _ => Next::NotDelimiter,
        }
    }

    /// Hands on the first `n` bytes of the buffer as the current part's data (dropped in the
    /// preamble), gathered for a text part within its size limit.
    fn take(&mut self, n: usize, events: &mut Vec<PartEvent>) -> Result<(), FormError> {
        if n == 0 {
            return Ok(());
        }
        match self.state {
            State::File => events.push(PartEvent::FileData(self.buf[..n].to_vec())),
            State::Text => {
                let gathered = self.text.len() + n;
                if gathered > self.limits.max_part_size {
                    return Err(FormError::PartTooLarge(self.limits.max_part_size));
                }
                self.text.extend_from_slice(&self.buf[..n]);
            }
            _ => {}
        }
        self.buf.drain(..n);
        Ok(())
    }
}
