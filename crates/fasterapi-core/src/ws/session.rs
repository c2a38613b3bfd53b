//! The server side of a connection after the handshake ([`Session`]), on `tungstenite`'s framing.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};

use tungstenite::error::Error as WsError;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Message, Role, WebSocket, WebSocketConfig};

/// The longest close reason that fits a close frame (125 bytes of payload, 2 of them the code).
pub const MAX_CLOSE_REASON: usize = 123;

/// One thing the client sent, from [`Session::next_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete text message (fragments reassembled).
    Text(String),
    /// A complete binary message (fragments reassembled).
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
    /// message or close reason), 1009 (message over the size limit) or 1011. A close frame with
    /// this code is queued in the output, and [`Session::is_closed`] is now true.
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

/// The in-memory "socket" tungstenite runs over: reads what was fed (WouldBlock when there is
/// nothing, never end-of-file) and collects what it writes.
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

/// The server side of one WebSocket connection, after the 101 response.
///
/// Sends after the session started closing (we or the client sent a close frame, or the
/// client broke the protocol) are refused with [`Closed`] and send nothing; a second
/// [`Session::close`] is ignored. Data frames that arrive after our close frame and before the
/// client's reply are still returned as events.
#[derive(Debug)]
pub struct Session {
    ws: WebSocket<MemStream>,
    /// The close handshake is over or the connection failed: no more events.
    finished: bool,
}

impl Session {
    /// A session accepting messages of up to `max_message_size` bytes (larger ones end the
    /// connection with 1009).
    pub fn new(max_message_size: usize) -> Self {
        let mut config = WebSocketConfig::default();
        // Allocated eagerly for each connection; tungstenite reads at most this much per call.
        config.read_buffer_size = 16 * 1024;
        // Frames go to the output at once; take_output flushes anyway.
        config.write_buffer_size = 0;
        config.max_message_size = Some(max_message_size);
        config.max_frame_size = Some(max_message_size);
        config.accept_unmasked_frames = false;
        Session {
            ws: WebSocket::from_raw_socket(MemStream::default(), Role::Server, Some(config)),
            finished: false,
        }
    }

    /// Adds bytes read from the socket (ignored once the session is closed).
    pub fn feed(&mut self, data: &[u8]) {
        if !self.finished {
            self.ws.get_mut().input.extend(data);
        }
    }

    /// The next complete message, close or protocol error from the bytes fed so far; None when
    /// more bytes are needed, or once the session is closed.
    pub fn next_event(&mut self) -> Option<Event> {
        if self.finished {
            return None;
        }
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => return Some(Event::Text(text.as_str().to_owned())),
                Ok(Message::Binary(data)) => return Some(Event::Binary(Vec::from(data))),
                // Answered by tungstenite (the pong is queued), or needing no answer.
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Ok(Message::Close(frame)) => {
                    self.finished = true;
                    let (code, reason) = match frame {
                        Some(CloseFrame { code, reason }) => {
                            (u16::from(code), reason.as_str().to_owned())
                        }
                        None => (1005, String::new()),
                    };
                    return Some(Event::Close { code, reason });
                }
                Err(WsError::Io(err)) if err.kind() == io::ErrorKind::WouldBlock => return None,
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                    self.finished = true;
                    return None;
                }
                Err(err) => return Some(self.fail(&err)),
            }
        }
    }

    /// Ends the connection for a protocol error: queues a close frame saying why.
    fn fail(&mut self, err: &WsError) -> Event {
        let (code, reason) = match err {
            WsError::Utf8(_) => (1007, "Invalid UTF-8 in text".to_owned()),
            WsError::Capacity(e) => (1009, e.to_string()),
            WsError::Protocol(e) => (1002, e.to_string()),
            e => (1011, e.to_string()),
        };
        let reason = truncate(&reason, MAX_CLOSE_REASON).to_owned();
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.as_str().into(),
        };
        // Only queues the frame (nothing if we already sent one); the output cannot fail.
        let _ = self.ws.close(Some(frame));
        self.finished = true;
        self.ws.get_mut().input = VecDeque::new();
        Event::Error { code, reason }
    }

    fn send(&mut self, message: Message) -> Result<(), Closed> {
        if self.finished || !self.ws.can_write() {
            return Err(Closed);
        }
        self.ws.send(message).map_err(|_| Closed)
    }

    /// Queues a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), Closed> {
        self.send(Message::text(text))
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Closed> {
        self.send(Message::binary(data.to_vec()))
    }

    /// Queues a ping, for keep-alive: the client's pong is answered by tungstenite itself and
    /// shows only as bytes received.
    pub fn ping(&mut self) -> Result<(), Closed> {
        self.send(Message::Ping(Vec::new().into()))
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
        if !self.finished && self.ws.can_write() {
            let frame = CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            };
            // Only queues the frame; the output cannot fail.
            let _ = self.ws.close(Some(frame));
        }
        Ok(())
    }

    /// The bytes to write to the socket now (possibly none): our frames, pongs, close frames.
    pub fn take_output(&mut self) -> Vec<u8> {
        // Writes what tungstenite still holds (a queued pong or close reply). After the close
        // handshake this reports ConnectionClosed, having written everything: nothing to do.
        if let Err(WsError::ConnectionClosed) = self.ws.flush() {
            self.finished = true;
        }
        std::mem::take(&mut self.ws.get_mut().output)
    }

    /// Whether the close handshake is done or the connection failed: once the output is
    /// written, the socket should be closed.
    pub fn is_closed(&self) -> bool {
        self.finished
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

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ab", 2), "ab");
        assert_eq!(truncate("aé", 2), "a");
    }
}
