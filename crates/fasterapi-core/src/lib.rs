//! FasterAPI core: the pure-Rust half of the framework (no PyO3). HTTP routing,
//! parameter parsing and coercion, HTTP/1.1 framing, gzip compression ([`compress`]),
//! WebSocket handshake and framing ([`ws`]); tested with `cargo test` alone.

pub mod compress;
pub mod http;
pub mod params;
pub mod route;
pub mod ws;
