//! WebSocket (RFC 6455) for the native HTTP/1.1 server, without I/O: checking a client's
//! opening handshake and writing the answer to it ([`check_handshake`], [`handshake_response`],
//! [`rejection_response`]; permessage-deflate is agreed by [`deflate::negotiate`]), then the
//! server side of the connection ([`Session`]).
//!
//! The caller [`Session::feed`]s the bytes read from the socket, takes complete messages out
//! with [`Session::next_event`], and writes whatever [`Session::take_output`] returns (its own
//! frames, and the pong and close replies it queues by itself). Pings and pongs never reach the
//! caller. Frame headers are read and written by `tungstenite`; the rest is `session.rs`.

pub mod deflate;
mod handshake;
mod session;

pub use handshake::{
    accept_key, check_handshake, handshake_response, rejection_detail, rejection_response,
    HandshakeError,
};
pub use session::{is_valid_close_code, CloseError, Closed, Event, Session, MAX_CLOSE_REASON};
