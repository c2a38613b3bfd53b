//! FasterAPI core: pure Rust, no PyO3.
