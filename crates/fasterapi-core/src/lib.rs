//! FasterAPI core: the pure-Rust half of the framework (no PyO3). HTTP routing,
//! parameter parsing and coercion; tested with `cargo test` alone.

pub mod media;
pub mod params;
pub mod router;
