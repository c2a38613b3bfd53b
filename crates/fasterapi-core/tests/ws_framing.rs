//! WebSocket Session framing cases (RFC 6455, Autobahn's): invalid UTF-8 fails on the fragment
//! that makes it invalid, and a 64-bit length with its top bit set is a protocol error.

use fasterapi_core::ws::{Event, Session};

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame with a 7-bit length.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut out = vec![first, 0x80 | payload.len() as u8];
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

fn error_code(session: &mut Session) -> Option<u16> {
    match session.next_event() {
        Some(Event::Error { code, .. }) => Some(code),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn invalid_utf8_fails_on_the_fragment_that_breaks_it() {
    // Autobahn 6.4.1: valid, then a fragment with U+110000, and no final fragment yet
    let mut session = Session::new(1024);
    session.feed(&frame(0x01, "κόσμε".as_bytes()));
    assert_eq!(session.next_event(), None);
    session.feed(&frame(0x00, b"\xf4\x90\x80\x80"));
    assert_eq!(error_code(&mut session), Some(1007));

    // a character split across fragments is not an error
    let text = "κόσμε".as_bytes();
    let mut session = Session::new(1024);
    session.feed(&frame(0x01, &text[..1]));
    session.feed(&frame(0x00, &text[1..3]));
    session.feed(&frame(0x00, &text[3..6]));
    assert_eq!(session.next_event(), None);
    session.feed(&frame(0x80, &text[6..]));
    assert_eq!(session.next_event(), Some(Event::Text("κόσμε".into())));

    // ... but one left unfinished by the final fragment is
    let mut session = Session::new(1024);
    session.feed(&frame(0x01, b"a\xce"));
    session.feed(&frame(0x80, b""));
    assert_eq!(error_code(&mut session), Some(1007));
}

#[test]
fn a_length_with_the_top_bit_set_is_1002() {
    let mut session = Session::new(usize::MAX);
    let mut bytes = vec![0x82, 0x80 | 127];
    bytes.extend_from_slice(&((1u64 << 63) | 5).to_be_bytes());
    bytes.extend_from_slice(&MASK);
    bytes.extend_from_slice(b"hello");
    session.feed(&bytes);
    assert_eq!(error_code(&mut session), Some(1002));

    // with no limit to speak of, a length near 2^64 must not overflow the buffer's index
    let mut session = Session::new(usize::MAX);
    let mut bytes = vec![0x82, 0x80 | 127];
    bytes.extend_from_slice(&u64::MAX.to_be_bytes());
    bytes.extend_from_slice(&MASK);
    session.feed(&bytes);
    assert_eq!(error_code(&mut session), Some(1002));
}
