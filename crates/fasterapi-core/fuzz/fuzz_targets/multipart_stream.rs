//! libFuzzer target: the `multipart_stream` harness of fasterapi-core's tests/harness.rs.
#![no_main]

#[path = "../../tests/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::multipart_stream(data));
