//! The server side of a connection after the handshake ([`Session`]): frames are read and
//! written with `tungstenite`'s frame header codec, and the protocol (RFC 6455: fragments,
//! control frames, the close handshake, limits) and permessage-deflate (RFC 7692, see
//! [`super::deflate`]) are done here.

use std::fmt;
use std::io::Cursor;

use tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tungstenite::protocol::frame::FrameHeader;

use super::deflate::{Codec, InflateError, Params};

/// The longest close reason that fits a close frame (125 bytes of payload, 2 of them the code).
pub const MAX_CLOSE_REASON: usize = 123;

/// The largest payload of a control frame.
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// One thing the client sent, from [`Session::next_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete text message (fragments reassembled, inflated if compressed).
    Text(String),
    /// A complete binary message (fragments reassembled, inflated if compressed).
    Binary(Vec<u8>),
    /// The client sent a close frame: `code` 1005 if it had none. If the client started the
    /// close, the reply (echoing its code) is queued in the output; if it answers our
    /// [`Session::close`], the handshake is done. Either way [`Session::is_closed`] is now true.
    Close {
        /// The close code, 1005 when the frame carried none.
        code: u16,
        /// The close reason (may be empty).
        reason: String,
    },
    /// The client broke the protocol: 1002 (protocol error), 1007 (invalid UTF-8 in a text
    /// message or close reason) or 1009 (message over the size limit, compressed or
    /// inflated). A close frame with this code is queued in the output, and
    /// [`Session::is_closed`] is now true.
    Error {
        /// The close code sent to the client.
        code: u16,
        /// What went wrong (also the close frame's reason).
        reason: String,
    },
}

/// A send on a session that is closing or closed (we sent or received a close frame, or the
/// client broke the protocol): nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the WebSocket is closing or closed")
    }
}

impl std::error::Error for Closed {}

/// Invalid arguments to [`Session::close`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseError {
    /// A code an endpoint may not send: valid are 1000–1003, 1007–1014 and 3000–4999.
    Code(u16),
    /// A reason longer than [`MAX_CLOSE_REASON`] bytes (its length is given).
    ReasonTooLong(usize),
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::Code(code) => write!(
                f,
                "invalid WebSocket close code {code}: use 1000-1003, 1007-1014 or 3000-4999"
            ),
            CloseError::ReasonTooLong(n) => write!(
                f,
                "WebSocket close reason too long: {n} bytes, at most {MAX_CLOSE_REASON}"
            ),
        }
    }
}

impl std::error::Error for CloseError {}

/// Whether an endpoint may send `code` in a close frame (RFC 6455 §7.4 and the IANA registry).
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A message whose first frames arrived and whose final frame has not.
#[derive(Debug)]
struct Partial {
    text: bool,
    /// Its first frame had RSV1: its payload is deflated.
    compressed: bool,
    /// The payload so far (inflated).
    data: Vec<u8>,
    /// The payload bytes received so far (before inflating).
    received: u64,
    /// For text: the length of `data`'s prefix known to be valid UTF-8, so that each fragment
    /// is checked once, as it arrives (fail fast: invalid text ends the connection at once).
    valid: usize,
}

/// A protocol error: the close code and reason sent to the client.
type Failure = (u16, String);

/// The server side of one WebSocket connection, after the 101 response.
///
/// Sends after the session started closing (we or the client sent a close frame, or the
/// client broke the protocol) are refused with [`Closed`] and send nothing; a second
/// [`Session::close`] is ignored. Data frames that arrive after our close frame and before the
/// client's reply are still returned as events.
#[derive(Debug)]
pub struct Session {
    /// Bytes fed and not yet parsed start at `input[read..]`.
    input: Vec<u8>,
    read: usize,
    output: Vec<u8>,
    max_message_size: usize,
    /// permessage-deflate, when it was negotiated.
    deflate: Option<Codec>,
    partial: Option<Partial>,
    /// We sent a close frame: nothing more may be sent.
    close_sent: bool,
    /// The close handshake is over or the connection failed: no more events.
    finished: bool,
}

impl Session {
    /// A session accepting messages of up to `max_message_size` bytes (larger ones end the
    /// connection with 1009), without extensions.
    pub fn new(max_message_size: usize) -> Self {
        Session::with_deflate(max_message_size, None)
    }

    /// A session with permessage-deflate if `deflate` holds the negotiated parameters:
    /// messages are sent compressed, and compressed ones received (RSV1) inflated. The size
    /// limit holds for both the compressed and the inflated size.
    pub fn with_deflate(max_message_size: usize, deflate: Option<Params>) -> Self {
        Session {
            input: Vec::new(),
            read: 0,
            output: Vec::new(),
            max_message_size,
            deflate: deflate.map(Codec::new),
            partial: None,
            close_sent: false,
            finished: false,
        }
    }

    /// Adds bytes read from the socket (ignored once the session is closed).
    pub fn feed(&mut self, data: &[u8]) {
        if self.finished {
            return;
        }
        if self.read == self.input.len() {
            self.input.clear();
        } else if self.read > 0 {
            self.input.drain(..self.read);
        }
        self.read = 0;
        self.input.extend_from_slice(data);
    }

    /// The next complete message, close or protocol error from the bytes fed so far; None when
    /// more bytes are needed, or once the session is closed.
    pub fn next_event(&mut self) -> Option<Event> {
        while !self.finished {
            let before = self.read;
            match self.next_frame() {
                Ok(Some(event)) => return Some(event),
                Ok(None) if self.read == before => break, // an incomplete frame
                Ok(None) => {}
                Err((code, reason)) => return Some(self.fail(code, reason)),
            }
        }
        if self.read == self.input.len() && self.input.capacity() > 64 * 1024 {
            self.input = Vec::new(); // an idle connection does not keep a big buffer
            self.read = 0;
        }
        None
    }

    /// Reads one frame if it is all there: Ok(None) when it needs more bytes (`read` did not
    /// move) or when the frame gave no event (a ping, a pong, a fragment).
    fn next_frame(&mut self) -> Result<Option<Event>, Failure> {
        let mut cursor = Cursor::new(&self.input[self.read..]);
        let (header, length) = match FrameHeader::parse(&mut cursor) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return Ok(None),
            Err(_) => return Err(protocol_error("Reserved opcode")),
        };
        let start = self.read + cursor.position() as usize;
        self.check(&header, length)?;
        // check() bounds the length by the size limit
        let end = start + length as usize;
        if self.input.len() < end {
            return Ok(None);
        }
        self.read = end;
        let payload = &mut self.input[start..end];
        if let Some(mask) = header.mask {
            unmask(payload, mask);
        }
        match header.opcode {
            OpCode::Data(data) => self.data_frame(data, header.rsv1, header.is_final, start, end),
            OpCode::Control(Control::Ping) => {
                if !self.close_sent {
                    let payload = self.input[start..end].to_vec();
                    self.write_frame(OpCode::Control(Control::Pong), false, &payload);
                }
                Ok(None)
            }
            OpCode::Control(Control::Close) => {
                let payload = self.input[start..end].to_vec();
                self.close_frame(&payload).map(Some)
            }
            // a pong, unasked or not, needs no answer (reserved opcodes fail in parse)
            OpCode::Control(_) => Ok(None),
        }
    }

    /// The checks a frame's header allows, before its payload arrives.
    fn check(&self, header: &FrameHeader, length: u64) -> Result<(), Failure> {
        if header.mask.is_none() {
            return Err(protocol_error("Unmasked frame from the client"));
        }
        if length >> 63 != 0 {
            return Err(protocol_error("Frame length with the top bit set"));
        }
        if header.rsv2 || header.rsv3 {
            return Err(protocol_error("Reserved bits set"));
        }
        let received = match (header.opcode, &self.partial) {
            (OpCode::Control(_), _) => {
                if !header.is_final {
                    return Err(protocol_error("Fragmented control frame"));
                }
                if length > MAX_CONTROL_PAYLOAD {
                    return Err(protocol_error("Control frame too long"));
                }
                if header.rsv1 {
                    return Err(protocol_error("RSV1 set on a control frame"));
                }
                return Ok(());
            }
            (OpCode::Data(Data::Continue), None) => {
                return Err(protocol_error(
                    "Continuation frame with nothing to continue",
                ));
            }
            (OpCode::Data(Data::Continue), Some(partial)) => {
                if header.rsv1 {
                    return Err(protocol_error("RSV1 set on a continuation frame"));
                }
                partial.received
            }
            (OpCode::Data(_), Some(_)) => {
                return Err(protocol_error("New message inside a fragmented one"));
            }
            (OpCode::Data(_), None) => {
                if header.rsv1 && self.deflate.is_none() {
                    return Err(protocol_error("RSV1 set without permessage-deflate"));
                }
                0
            }
        };
        if received.saturating_add(length) > self.max_message_size as u64 {
            return Err(too_big(self.max_message_size));
        }
        Ok(())
    }

    /// A data frame whose payload is `input[start..end]` (unmasked).
    fn data_frame(
        &mut self,
        data: Data,
        rsv1: bool,
        is_final: bool,
        start: usize,
        end: usize,
    ) -> Result<Option<Event>, Failure> {
        let mut partial = match self.partial.take() {
            Some(partial) => partial, // check() made sure this is a continuation
            None => Partial {
                text: data == Data::Text,
                compressed: rsv1,
                data: Vec::new(),
                received: 0,
                valid: 0,
            },
        };
        partial.received += (end - start) as u64;
        let payload = &self.input[start..end];
        match &mut self.deflate {
            Some(codec) if partial.compressed => {
                codec
                    .inflate(payload, is_final, &mut partial.data, self.max_message_size)
                    .map_err(|err| match err {
                        InflateError::TooBig => too_big(self.max_message_size),
                        InflateError::Corrupt => protocol_error("Invalid compressed data"),
                    })?;
            }
            _ => partial.data.extend_from_slice(payload),
        }
        if !is_final {
            if partial.text {
                match std::str::from_utf8(&partial.data[partial.valid..]) {
                    Ok(_) => partial.valid = partial.data.len(),
                    // a character split across fragments: its end is still to come
                    Err(err) if err.error_len().is_none() => partial.valid += err.valid_up_to(),
                    Err(_) => return Err((1007, "Invalid UTF-8 in text".to_owned())),
                }
            }
            self.partial = Some(partial);
            return Ok(None);
        }
        if !partial.text {
            return Ok(Some(Event::Binary(partial.data)));
        }
        match String::from_utf8(partial.data) {
            Ok(text) => Ok(Some(Event::Text(text))),
            Err(_) => Err((1007, "Invalid UTF-8 in text".to_owned())),
        }
    }

    /// The client's close frame: replied to unless it answers ours; the session is over.
    fn close_frame(&mut self, payload: &[u8]) -> Result<Event, Failure> {
        let (code, reason) = match payload {
            [] => (None, ""),
            [_] => return Err(protocol_error("Close frame with a one-byte payload")),
            [high, low, reason @ ..] => match std::str::from_utf8(reason) {
                Ok(reason) => (Some(u16::from_be_bytes([*high, *low])), reason),
                Err(_) => return Err((1007, "Invalid UTF-8 in close reason".to_owned())),
            },
        };
        let (code, reason) = match code {
            Some(code) if !is_valid_close_code(code) => (Some(1002), "Protocol violation"),
            code => (code, reason),
        };
        if !self.close_sent {
            self.write_close(code, reason);
        }
        self.finish();
        Ok(Event::Close {
            code: code.unwrap_or(1005),
            reason: reason.to_owned(),
        })
    }

    /// Ends the connection for a protocol error: queues a close frame saying why.
    fn fail(&mut self, code: u16, reason: String) -> Event {
        let reason = truncate(&reason, MAX_CLOSE_REASON).to_owned();
        if !self.close_sent {
            self.write_close(Some(code), &reason);
        }
        self.finish();
        Event::Error { code, reason }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.input = Vec::new();
        self.read = 0;
        self.partial = None;
    }

    /// Writes one unmasked, final frame to the output.
    fn write_frame(&mut self, opcode: OpCode, rsv1: bool, payload: &[u8]) {
        let header = FrameHeader {
            is_final: true,
            rsv1,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: None,
        };
        self.output.reserve(14 + payload.len());
        // Writing to a Vec cannot fail.
        let _ = header.format(payload.len() as u64, &mut self.output);
        self.output.extend_from_slice(payload);
    }

    fn write_close(&mut self, code: Option<u16>, reason: &str) {
        let mut payload = Vec::with_capacity(2 + reason.len());
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
            payload.extend_from_slice(reason.as_bytes());
        }
        self.write_frame(OpCode::Control(Control::Close), false, &payload);
        self.close_sent = true;
    }

    fn send(&mut self, data: Data, payload: &[u8]) -> Result<(), Closed> {
        if self.finished || self.close_sent {
            return Err(Closed);
        }
        match &mut self.deflate {
            Some(codec) => {
                let compressed = codec.compress(payload);
                self.write_frame(OpCode::Data(data), true, &compressed);
            }
            None => self.write_frame(OpCode::Data(data), false, payload),
        }
        Ok(())
    }

    /// Queues a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), Closed> {
        self.send(Data::Text, text.as_bytes())
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Closed> {
        self.send(Data::Binary, data)
    }

    /// Queues a ping, for keep-alive: the client's pong shows only as bytes received.
    pub fn ping(&mut self) -> Result<(), Closed> {
        if self.finished || self.close_sent {
            return Err(Closed);
        }
        self.write_frame(OpCode::Control(Control::Ping), false, b"");
        Ok(())
    }

    /// Starts the close handshake: queues a close frame with `code` and `reason`. The session
    /// is closed when the client's reply arrives (an [`Event::Close`]). Ignored if a close
    /// frame was already sent or received; invalid arguments are an error and send nothing.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), CloseError> {
        if !is_valid_close_code(code) {
            return Err(CloseError::Code(code));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(CloseError::ReasonTooLong(reason.len()));
        }
        if !self.finished && !self.close_sent {
            self.write_close(Some(code), reason);
        }
        Ok(())
    }

    /// The bytes to write to the socket now (possibly none): our frames, pongs, close frames.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Whether the close handshake is done or the connection failed: once the output is
    /// written, the socket should be closed.
    pub fn is_closed(&self) -> bool {
        self.finished
    }

    /// The permessage-deflate parameters in use, if it was negotiated.
    pub fn deflate(&self) -> Option<Params> {
        self.deflate.as_ref().map(Codec::params)
    }
}

fn protocol_error(reason: &str) -> Failure {
    (1002, reason.to_owned())
}

fn too_big(limit: usize) -> Failure {
    (1009, format!("Message too big: over {limit} bytes"))
}

/// Unmasks (or masks) a frame's payload in place.
fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask);
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let value = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (byte, m) in chunks.into_remainder().iter_mut().zip(mask) {
        *byte ^= m;
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::io::{self, Read, Write};
    use tungstenite::error::Error as WsError;
    use tungstenite::protocol::frame::coding::CloseCode;
    use tungstenite::protocol::{CloseFrame, Message, Role, WebSocket};

    /// The in-memory "socket" a tungstenite client runs over in these tests: reads what was
    /// fed (WouldBlock when there is nothing) and collects what it writes.
    #[derive(Debug, Default)]
    struct MemStream {
        input: VecDeque<u8>,
        output: Vec<u8>,
    }

    impl Read for MemStream {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.input.is_empty() && !buf.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.input.read(buf)
        }
    }

    impl Write for MemStream {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// A masked client frame: `first` is FIN/RSV/opcode (0x81 = final text frame).
    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![first];
        match payload.len() {
            n @ 0..=125 => out.push(0x80 | n as u8),
            n @ 126..=0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        out
    }

    /// The client side, a real tungstenite client: its frames are masked as browsers' are.
    struct Client(WebSocket<MemStream>);

    impl Client {
        fn new() -> Self {
            Client(WebSocket::from_raw_socket(
                MemStream::default(),
                Role::Client,
                None,
            ))
        }

        /// The bytes of `message` as this client sends it.
        fn encode(&mut self, message: Message) -> Vec<u8> {
            self.0.send(message).unwrap();
            std::mem::take(&mut self.0.get_mut().output)
        }

        /// What the client queued by itself (its pongs and close replies).
        fn pending(&mut self) -> Vec<u8> {
            self.0.flush().unwrap();
            std::mem::take(&mut self.0.get_mut().output)
        }

        /// Every message in the server's output `bytes`.
        fn decode(&mut self, bytes: &[u8]) -> Vec<Message> {
            self.0.get_mut().input.extend(bytes);
            let mut messages = Vec::new();
            loop {
                match self.0.read() {
                    Ok(m) => messages.push(m),
                    Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(WsError::ConnectionClosed) => break,
                    Err(e) => panic!("client read failed: {e}"),
                }
            }
            messages
        }
    }

    fn events(session: &mut Session) -> Vec<Event> {
        std::iter::from_fn(|| session.next_event()).collect()
    }

    fn close_of(message: &Message) -> (u16, String) {
        match message {
            Message::Close(Some(f)) => (u16::from(f.code), f.reason.as_str().to_owned()),
            other => panic!("expected a close frame, got {other:?}"),
        }
    }

    #[test]
    fn ping_is_a_frame_the_client_answers() {
        let mut session = Session::new(1024);
        session.ping().unwrap();
        let out = session.take_output();
        assert_eq!(out, [0x89, 0x00]);
        session.close(1000, "").unwrap();
        session.take_output();
        assert_eq!(session.ping(), Err(Closed));
    }

    #[test]
    fn text_and_binary_round_trip() {
        let mut client = Client::new();
        let mut session = Session::new(1 << 20);
        session.feed(&client.encode(Message::text("héllo")));
        session.feed(&client.encode(Message::binary(vec![0u8, 1, 2, 255])));
        assert_eq!(
            events(&mut session),
            [
                Event::Text("héllo".into()),
                Event::Binary(vec![0, 1, 2, 255])
            ]
        );
        assert_eq!(session.take_output(), b"");

        session.send_text("réponse").unwrap();
        session.send_binary(&[9; 300]).unwrap();
        let big = "x".repeat(70_000);
        session.send_text(&big).unwrap();
        let out = session.take_output();
        // server frames are unmasked: 0x81, length 8
        assert_eq!(&out[..2], &[0x81, 8]);
        assert_eq!(
            client.decode(&out),
            [
                Message::text("réponse"),
                Message::binary(vec![9; 300]),
                Message::text(big)
            ]
        );
        assert!(!session.is_closed());
        assert_eq!(session.take_output(), b"");
    }

    #[test]
    fn hand_built_masked_frames() {
        let mut session = Session::new(1 << 20);
        session.feed(&frame(0x81, b"hi"));
        session.feed(&frame(0x82, &[7; 200]));
        session.feed(&frame(0x82, &[8; 70_000]));
        session.feed(&frame(0x81, b""));
        assert_eq!(
            events(&mut session),
            [
                Event::Text("hi".into()),
                Event::Binary(vec![7; 200]),
                Event::Binary(vec![8; 70_000]),
                Event::Text(String::new()),
            ]
        );
    }

    #[test]
    fn fragmented_message_is_reassembled() {
        let mut session = Session::new(1 << 20);
        // "héllo" split inside the two-byte é, with a ping between the fragments
        let text = "héllo".as_bytes();
        session.feed(&frame(0x01, &text[..2]));
        assert_eq!(session.next_event(), None);
        session.feed(&frame(0x89, b"p"));
        session.feed(&frame(0x00, &text[2..4]));
        session.feed(&frame(0x80, &text[4..]));
        session.feed(&frame(0x02, b"ab"));
        session.feed(&frame(0x80, b"cd"));
        assert_eq!(
            events(&mut session),
            [Event::Text("héllo".into()), Event::Binary(b"abcd".to_vec())]
        );
        assert_eq!(
            Client::new().decode(&session.take_output()),
            [Message::Pong(b"p".to_vec().into())]
        );
    }

    #[test]
    fn several_frames_in_one_feed() {
        let mut client = Client::new();
        let mut data = Vec::new();
        for i in 0..5 {
            data.extend(client.encode(Message::text(format!("m{i}"))));
        }
        data.extend(client.encode(Message::Close(None)));
        let mut session = Session::new(1 << 20);
        session.feed(&data);
        let expected: Vec<Event> = (0..5)
            .map(|i| Event::Text(format!("m{i}")))
            .chain([Event::Close {
                code: 1005,
                reason: String::new(),
            }])
            .collect();
        assert_eq!(events(&mut session), expected);
        assert!(session.is_closed());
        // the reply to a close frame without a code has none either
        assert_eq!(
            client.decode(&session.take_output()),
            [Message::Close(None)]
        );
    }

    #[test]
    fn frame_split_byte_by_byte() {
        let mut client = Client::new();
        let mut data = client.encode(Message::text("a".repeat(300)));
        data.extend(client.encode(Message::binary(vec![1, 2, 3])));
        let mut session = Session::new(1 << 20);
        let mut got = Vec::new();
        for b in &data {
            session.feed(std::slice::from_ref(b));
            got.extend(events(&mut session));
        }
        assert_eq!(
            got,
            [Event::Text("a".repeat(300)), Event::Binary(vec![1, 2, 3])]
        );
    }

    #[test]
    fn ping_gets_pong() {
        let mut client = Client::new();
        let mut session = Session::new(1024);
        session.feed(&client.encode(Message::Ping(b"are you there".to_vec().into())));
        session.feed(&client.encode(Message::Pong(b"unsolicited".to_vec().into())));
        assert_eq!(session.next_event(), None);
        let out = session.take_output();
        assert_eq!(
            client.decode(&out),
            [Message::Pong(b"are you there".to_vec().into())]
        );
        // A pong queued with no next_event call after it still comes out of take_output.
        session.feed(&frame(0x89, b"x"));
        assert_eq!(session.next_event(), None);
        assert_eq!(session.take_output(), [0x8a, 1, b'x']);
        assert!(!session.is_closed());
    }

    #[test]
    fn client_close_gets_same_code() {
        let mut client = Client::new();
        let mut session = Session::new(1024);
        let close = CloseFrame {
            code: CloseCode::Away,
            reason: "bye".into(),
        };
        session.feed(&client.encode(Message::Close(Some(close))));
        // anything after the close frame is ignored
        session.feed(&frame(0x81, b"late"));
        assert_eq!(
            session.next_event(),
            Some(Event::Close {
                code: 1001,
                reason: "bye".into()
            })
        );
        assert!(session.is_closed());
        assert_eq!(session.next_event(), None);
        let reply = client.decode(&session.take_output());
        assert_eq!(reply.len(), 1);
        assert_eq!(close_of(&reply[0]), (1001, "bye".into()));
        // the session is over: sends are refused, close is ignored, nothing more is written
        assert_eq!(session.send_text("x"), Err(Closed));
        assert_eq!(session.send_binary(b"x"), Err(Closed));
        assert_eq!(session.close(1000, ""), Ok(()));
        assert_eq!(session.take_output(), b"");
        session.feed(b"more");
        assert_eq!(session.next_event(), None);
    }

    #[test]
    fn client_close_with_reserved_code_is_answered_with_1002() {
        let mut session = Session::new(1024);
        session.feed(&frame(0x88, &1004u16.to_be_bytes()));
        assert_eq!(
            session.next_event(),
            Some(Event::Close {
                code: 1002,
                reason: "Protocol violation".into()
            })
        );
        let reply = Client::new().decode(&session.take_output());
        assert_eq!(close_of(&reply[0]).0, 1002);
    }

    #[test]
    fn server_close() {
        let mut client = Client::new();
        let mut session = Session::new(1024);
        session.close(4000, "done").unwrap();
        assert!(!session.is_closed());
        let out = session.take_output();
        let got = client.decode(&out);
        assert_eq!(close_of(&got[0]), (4000, "done".into()));
        // no more sends, a second close is ignored
        assert_eq!(session.send_text("x"), Err(Closed));
        session.close(1000, "").unwrap();
        assert_eq!(session.take_output(), b"");
        // a message the client sent before seeing our close still arrives, then its reply
        session.feed(&frame(0x81, b"in flight"));
        session.feed(&client.pending()); // the client's echo of our close frame
        let evs = events(&mut session);
        assert_eq!(evs[0], Event::Text("in flight".into()));
        assert!(matches!(evs[1], Event::Close { code: 4000, .. }));
        assert!(session.is_closed());
        assert_eq!(session.take_output(), b"");
    }

    #[test]
    fn close_arguments_are_checked() {
        let mut session = Session::new(1024);
        for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert_eq!(session.close(code, ""), Err(CloseError::Code(code)));
        }
        let long = "é".repeat(62); // 124 bytes
        assert_eq!(
            session.close(1000, &long),
            Err(CloseError::ReasonTooLong(124))
        );
        assert_eq!(session.take_output(), b"");
        assert!(session.send_text("still open").is_ok());
        let ok = "a".repeat(MAX_CLOSE_REASON);
        assert_eq!(session.close(1011, &ok), Ok(()));
        let mut client = Client::new();
        let got = client.decode(&session.take_output());
        assert_eq!(got[0], Message::text("still open"));
        assert_eq!(close_of(&got[1]), (1011, ok));
        assert!(CloseError::Code(5).to_string().contains("close code 5"));
    }

    fn expect_error(session: &mut Session, code: u16) {
        match session.next_event() {
            Some(Event::Error { code: c, reason }) => {
                assert_eq!(c, code, "{reason}");
                assert!(!reason.is_empty() && reason.len() <= MAX_CLOSE_REASON);
            }
            other => panic!("expected error {code}, got {other:?}"),
        }
        assert!(session.is_closed());
        assert_eq!(session.next_event(), None);
        let got = Client::new().decode(&session.take_output());
        assert_eq!(got.len(), 1);
        assert_eq!(close_of(&got[0]).0, code);
        assert_eq!(session.send_text("x"), Err(Closed));
        assert_eq!(session.take_output(), b"");
    }

    #[test]
    fn invalid_utf8_is_1007() {
        let mut session = Session::new(1024);
        session.feed(&frame(0x81, b"ok"));
        session.feed(&frame(0x81, b"\xff\xfe"));
        assert_eq!(session.next_event(), Some(Event::Text("ok".into())));
        expect_error(&mut session, 1007);

        // also across fragments, and in a close reason
        let mut session = Session::new(1024);
        session.feed(&frame(0x01, b"a\xc3"));
        session.feed(&frame(0x80, b"("));
        expect_error(&mut session, 1007);
        let mut session = Session::new(1024);
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.push(0xff);
        session.feed(&frame(0x88, &payload));
        expect_error(&mut session, 1007);
    }

    #[test]
    fn unmasked_frame_is_1002() {
        let mut session = Session::new(1024);
        session.feed(&[0x81, 0x02, b'h', b'i']);
        expect_error(&mut session, 1002);
    }

    #[test]
    fn other_protocol_errors_are_1002() {
        for bad in [
            frame(0x83, b"x"),                               // reserved data opcode
            frame(0x8b, b""),                                // reserved control opcode
            frame(0xc1, b"x"),                               // RSV1 without an extension
            frame(0x80, b"x"),      // continuation with nothing to continue
            frame(0x09, b"x"),      // fragmented ping
            frame(0x89, &[0; 126]), // control frame too long
            frame(0x88, &[3]),      // one-byte close payload
            [frame(0x01, b"a"), frame(0x81, b"b")].concat(), // new message inside a fragmented one
        ] {
            let mut session = Session::new(1024);
            session.feed(&bad);
            expect_error(&mut session, 1002);
        }
    }

    #[test]
    fn oversize_is_1009() {
        let mut session = Session::new(10);
        session.feed(&frame(0x81, b"0123456789"));
        assert_eq!(session.next_event(), Some(Event::Text("0123456789".into())));
        session.feed(&frame(0x82, b"0123456789a"));
        expect_error(&mut session, 1009);

        // the limit is on the reassembled message
        let mut session = Session::new(10);
        session.feed(&frame(0x01, b"012345"));
        session.feed(&frame(0x80, b"6789a"));
        expect_error(&mut session, 1009);

        // a huge announced length fails at once, before its payload arrives
        let mut session = Session::new(1 << 20);
        session.feed(&[0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
        expect_error(&mut session, 1009);
    }

    // -- permessage-deflate -----------------------------------------------------------------

    fn params(server_no_context_takeover: bool, client_no_context_takeover: bool) -> Params {
        Params {
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits: 12,
            client_max_window_bits: Some(12),
        }
    }

    /// The client's compressor for `params` (a codec is symmetric: it compresses with the
    /// "server" window and takeover given to it).
    fn client_codec(p: Params) -> Codec {
        Codec::new(Params {
            server_no_context_takeover: p.client_no_context_takeover,
            client_no_context_takeover: p.server_no_context_takeover,
            server_max_window_bits: p.client_max_window_bits.unwrap_or(15),
            client_max_window_bits: Some(p.server_max_window_bits),
        })
    }

    /// The payload of each frame in the server's `output` (unmasked), with its first byte.
    fn server_frames(mut output: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut frames = Vec::new();
        while !output.is_empty() {
            let mut cursor = Cursor::new(output);
            let (header, length) = FrameHeader::parse(&mut cursor).unwrap().unwrap();
            assert!(header.mask.is_none());
            let start = cursor.position() as usize;
            let end = start + length as usize;
            frames.push((output[0], output[start..end].to_vec()));
            output = &output[end..];
        }
        frames
    }

    #[test]
    fn deflate_round_trip() {
        let p = params(false, false);
        let mut client = client_codec(p);
        let mut session = Session::with_deflate(1 << 20, Some(p));
        assert_eq!(session.deflate(), Some(p));
        let text = "compressible ".repeat(100);
        let compressed = client.compress(text.as_bytes());
        assert!(compressed.len() < 100);
        session.feed(&frame(0xc1, &compressed)); // final text frame, RSV1
        session.feed(&frame(0xc2, &client.compress(&[1, 2, 3])));
        // a message the client chose not to compress (no RSV1) is taken as it is
        session.feed(&frame(0x81, b"plain"));
        assert_eq!(
            events(&mut session),
            [
                Event::Text(text.clone()),
                Event::Binary(vec![1, 2, 3]),
                Event::Text("plain".into())
            ]
        );

        session.send_text(&text).unwrap();
        session.send_binary(b"").unwrap();
        let frames = server_frames(&session.take_output());
        assert_eq!(frames[0].0, 0xc1); // FIN, RSV1, text
        assert_eq!(frames[1].0, 0xc2);
        assert!(frames[0].1.len() < 100);
        let mut inflater = client_codec(p);
        let mut out = Vec::new();
        inflater
            .inflate(&frames[0].1, true, &mut out, 1 << 20)
            .unwrap();
        assert_eq!(out, text.as_bytes());
        out.clear();
        inflater
            .inflate(&frames[1].1, true, &mut out, 1 << 20)
            .unwrap();
        assert!(out.is_empty());
        // control frames are never compressed
        session.ping().unwrap();
        session.close(1000, "bye").unwrap();
        let frames = server_frames(&session.take_output());
        assert_eq!(frames[0], (0x89, vec![]));
        assert_eq!(frames[1], (0x88, b"\x03\xe8bye".to_vec()));
    }

    #[test]
    fn deflate_context_takeover_on_and_off() {
        let text = "the same sentence over and over again ".repeat(10);
        for takeover in [true, false] {
            let p = params(!takeover, !takeover);
            let mut client = client_codec(p);
            let mut session = Session::with_deflate(1 << 20, Some(p));
            let first = client.compress(text.as_bytes());
            let second = client.compress(text.as_bytes());
            assert_eq!(first == second, !takeover);
            session.feed(&frame(0xc1, &first));
            session.feed(&frame(0xc1, &second));
            assert_eq!(
                events(&mut session),
                [Event::Text(text.clone()), Event::Text(text.clone())]
            );
            session.send_text(&text).unwrap();
            session.send_text(&text).unwrap();
            let frames = server_frames(&session.take_output());
            // with takeover the second refers back to the first: a few bytes
            assert_eq!(frames[1].1.len() < frames[0].1.len() / 4, takeover);
            let mut inflater = client_codec(p);
            for (_, payload) in &frames {
                let mut out = Vec::new();
                inflater.inflate(payload, true, &mut out, 1 << 20).unwrap();
                assert_eq!(out, text.as_bytes());
            }
        }
    }

    #[test]
    fn deflate_fragmented_with_control_frames_between() {
        let p = params(false, false);
        let mut client = client_codec(p);
        let mut session = Session::with_deflate(1 << 20, Some(p));
        let text = "héllo, fragmented and compressed world ".repeat(50);
        let compressed = client.compress(text.as_bytes());
        let third = compressed.len() / 3;
        session.feed(&frame(0x41, &compressed[..third])); // RSV1 on the first frame only
        session.feed(&frame(0x89, b"ping"));
        session.feed(&frame(0x00, &compressed[third..2 * third]));
        session.feed(&frame(0x8a, b"pong"));
        session.feed(&frame(0x80, &compressed[2 * third..]));
        assert_eq!(events(&mut session), [Event::Text(text)]);
        assert_eq!(
            server_frames(&session.take_output()),
            [(0x8a, b"ping".to_vec())]
        );
        // an empty final fragment, byte by byte
        let again = client.compress(b"abc");
        let mut bytes = frame(0x42, &again);
        bytes.extend(frame(0x80, b""));
        let mut got = Vec::new();
        for b in &bytes {
            session.feed(std::slice::from_ref(b));
            got.extend(events(&mut session));
        }
        assert_eq!(got, [Event::Binary(b"abc".to_vec())]);
    }

    #[test]
    fn deflate_protocol_errors() {
        let p = params(false, false);
        let compressed = client_codec(p).compress(b"x");
        for bad in [
            frame(0xc9, b""),                                      // RSV1 on a ping
            frame(0xc8, &1000u16.to_be_bytes()),                   // RSV1 on a close
            [frame(0x41, &compressed), frame(0xc0, b"")].concat(), // RSV1 on a continuation
            [frame(0x01, b"a"), frame(0xc0, b"b")].concat(),       // ... of a plain message
            frame(0xe1, &compressed),                              // RSV2
            frame(0xc1, &[0xff, 0xff, 0xff]),                      // not deflate data
        ] {
            let mut session = Session::with_deflate(1024, Some(p));
            session.feed(&bad);
            expect_error(&mut session, 1002);
        }
        // invalid UTF-8 once inflated
        let mut session = Session::with_deflate(1024, Some(p));
        session.feed(&frame(0xc1, &client_codec(p).compress(b"\xff")));
        expect_error(&mut session, 1007);
    }

    #[test]
    fn deflate_bomb_is_1009() {
        let p = params(false, false);
        // 64 MiB of zeros deflate to about 64 KiB: inflating stops at the 1 MiB limit
        let zeros = vec![0u8; 64 << 20];
        let bomb = client_codec(p).compress(&zeros);
        assert!(bomb.len() < 128 * 1024);
        let mut session = Session::with_deflate(1 << 20, Some(p));
        session.feed(&frame(0xc2, &bomb));
        expect_error(&mut session, 1009);

        // the limit is on the whole message: fragments each under it, together over it
        let compressed = client_codec(p).compress(&zeros[..1536 * 1024]);
        let (first, second) = compressed.split_at(compressed.len() / 2);
        let mut session = Session::with_deflate(1 << 20, Some(p));
        session.feed(&frame(0x42, first));
        assert_eq!(session.next_event(), None);
        session.feed(&frame(0x80, second));
        expect_error(&mut session, 1009);

        // exactly at the limit is fine
        let mut session = Session::with_deflate(1 << 20, Some(p));
        session.feed(&frame(0xc2, &client_codec(p).compress(&zeros[..1 << 20])));
        assert_eq!(session.next_event(), Some(Event::Binary(vec![0; 1 << 20])));

        // a compressed frame itself over the limit fails on its header
        let mut session = Session::with_deflate(100, Some(p));
        session.feed(&frame(0xc2, &[0; 101])[..10]);
        expect_error(&mut session, 1009);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ab", 2), "ab");
        assert_eq!(truncate("aé", 2), "a");
    }
}
