//! HTTP/1.1 wire protocol, without I/O: incremental request-head parsing ([`head`]), with the
//! request target's forms and the Host header checked ([`target`]), chunked request bodies
//! ([`body`]) and response serialisation ([`response`]); the [`limits`] a request must keep
//! and the [`error`] that refuses it; which media types are JSON ([`media`]).
//!
//! Everything here works on byte slices handed in by the caller, in whatever pieces
//! they arrive from the socket, so the server's `data_received` can drive it directly.

pub mod body;
pub mod error;
pub mod head;
pub mod limits;
pub mod media;
pub mod response;
pub mod target;

pub use body::ChunkedDecoder;
pub use error::HttpError;
pub use head::{parse_head, Framing, RequestHead};
pub use limits::Limits;
pub use response::{
    error_response, reason_phrase, status_has_no_body, write_chunk, write_head, BodyFraming,
    DateCache, Defaults, InvalidHeader, ServerHeaders, CONTINUE, LAST_CHUNK, SERVER,
};
