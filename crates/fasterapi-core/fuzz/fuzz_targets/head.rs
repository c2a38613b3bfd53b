//! libFuzzer target: the `head` harness of fasterapi-core's tests/harness.rs.
#![no_main]

#[path = "../../tests/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::head(data));
