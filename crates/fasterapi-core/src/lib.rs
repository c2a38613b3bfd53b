//! FasterAPI core: the pure-Rust half of the framework (no PyO3), tested with `cargo test`
//! alone. One folder per concept, each using only those below it: HTTP/1.1 framing without
//! I/O ([`http`]), WebSocket handshake and framing on it ([`ws`]); on their own, the router
//! ([`route`]), request parameters, form bodies and their coercion ([`params`]), gzip
//! ([`compress`]), CORS ([`cors`]), the trusted Host check ([`hosts`]) and security headers
//! ([`secure`]).

pub mod compress;
pub mod cors;
pub mod hosts;
pub mod http;
pub mod params;
pub mod route;
pub mod secure;
pub mod ws;
