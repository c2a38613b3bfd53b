//! The WebSocket frame parser (`ws::Session`, with and without permessage-deflate): never panics; the same bytes fed in any pieces
//! give the same events and the same frames back (pongs aside: one pong may answer several
//! pings); messages respect the size limit; a close or a protocol error is the last event and
//! is answered by a close frame, the last frame written, with the error's code and reason.

use fasterapi_core::ws::deflate::Params;
use fasterapi_core::ws::{Event, Session};

/// The largest message the checked sessions accept.
pub const MAX_MESSAGE: usize = 1024;

const PONG: u8 = 0x8A;
const CLOSE: u8 = 0x88;

/// Checks a session fed `data` whole and in pieces at [`super::cuts`].
pub fn run(data: &[u8]) {
    check(data, &super::cuts(data));
}

/// The permessage-deflate parameters of the sessions checked with compression on.
const DEFLATE: Params = Params {
    server_no_context_takeover: false,
    client_no_context_takeover: false,
    server_max_window_bits: 12,
    client_max_window_bits: Some(12),
};

/// What a session does with `data` fed in pieces cut at `cuts`: the events it gives after
/// each piece, and the bytes it writes.
pub fn session(data: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    session_with(None, data, cuts)
}

/// [`session`] with permessage-deflate agreed (`deflate`) or not.
fn session_with(deflate: Option<Params>, data: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    let mut session = Session::with_deflate(MAX_MESSAGE, deflate);
    let (mut events, mut output) = (Vec::new(), Vec::new());
    for piece in super::pieces(data, cuts) {
        session.feed(piece);
        events.extend(std::iter::from_fn(|| session.next_event()));
        output.extend(session.take_output());
    }
    (events, output)
}

/// A masked frame as a client sends it: `first` is the FIN bit, RSV bits and opcode.
pub fn client_frame(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
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
    out.extend_from_slice(&mask);
    out.extend((payload.iter().enumerate()).map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// The frames in a server's output, as (first byte, payload); panics on a masked or cut one.
pub fn server_frames(mut output: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while !output.is_empty() {
        assert!(output.len() >= 2, "cut frame in the output");
        assert_eq!(output[1] & 0x80, 0, "a server frame is not masked");
        let (len, header) = match output[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([output[2], output[3]])), 4),
            127 => {
                let len = u64::from_be_bytes(output[2..10].try_into().expect("8 bytes"));
                (usize::try_from(len).expect("a length"), 10)
            }
            n => (usize::from(n), 2),
        };
        assert!(output.len() >= header + len, "cut frame in the output");
        frames.push((output[0], output[header..header + len].to_vec()));
        output = &output[header + len..];
    }
    frames
}

/// Checks a session fed `data` whole against one fed it in pieces cut at `cuts`, with and
/// without permessage-deflate (RSV1 frames are then inflated, or refused).
pub fn check(data: &[u8], cuts: &[usize]) {
    check_with(None, data, cuts);
    check_with(Some(DEFLATE), data, cuts);
}

fn check_with(deflate: Option<Params>, data: &[u8], cuts: &[usize]) {
    let input = super::show(data);
    let (events, output) = session_with(deflate, data, &[]);
    let (split_events, split_output) = session_with(deflate, data, cuts);
    assert_eq!(split_events, events, "cut at {cuts:?}: {input}");
    let frames = server_frames(&output);
    let not_pongs = |frames: &[(u8, Vec<u8>)]| -> Vec<(u8, Vec<u8>)> {
        frames.iter().filter(|f| f.0 != PONG).cloned().collect()
    };
    let split_frames = server_frames(&split_output);
    assert_eq!(not_pongs(&split_frames), not_pongs(&frames), "{input}");

    for (i, event) in events.iter().enumerate() {
        match event {
            Event::Text(text) => assert!(text.len() <= MAX_MESSAGE, "{input}"),
            Event::Binary(data) => assert!(data.len() <= MAX_MESSAGE, "{input}"),
            Event::Close { .. } | Event::Error { .. } => {
                assert_eq!(i, events.len() - 1, "an event after the end: {input}")
            }
        }
    }
    for (i, (first, _)) in frames.iter().enumerate() {
        assert!(
            *first == PONG || *first == CLOSE,
            "frame {first:#x}: {input}"
        );
        if *first == CLOSE {
            assert_eq!(i, frames.len() - 1, "a frame after the close: {input}");
        }
    }
    let last_close = frames.last().filter(|f| f.0 == CLOSE).map(|f| &f.1);
    match events.last() {
        Some(Event::Error { code, reason }) => {
            let payload = [&code.to_be_bytes()[..], reason.as_bytes()].concat();
            assert_eq!(last_close, Some(&payload), "{input}");
        }
        Some(Event::Close { .. }) => assert!(last_close.is_some(), "close unanswered: {input}"),
        _ => assert!(last_close.is_none(), "closed without an event: {input}"),
    }
}

/// Checks that `data`, the frames of the `expected` events with `pings` (their payloads)
/// among them, gives exactly those events when fed in pieces cut at `cuts`, and that the
/// session writes only pongs answering those pings, and a close frame after a close.
pub fn round_trip(data: &[u8], cuts: &[usize], expected: &[Event], pings: &[Vec<u8>]) {
    let (events, output) = session(data, cuts);
    assert_eq!(events, expected, "cut at {cuts:?}: {}", super::show(data));
    let mut frames = server_frames(&output);
    if let Some(Event::Close { .. }) = expected.last() {
        assert_eq!(frames.pop().map(|f| f.0), Some(CLOSE));
    }
    assert_eq!(frames.is_empty(), pings.is_empty());
    for (first, payload) in frames {
        assert_eq!(first, PONG);
        assert!(pings.contains(&payload));
    }
    check(data, cuts);
}
