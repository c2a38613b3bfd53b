//! libFuzzer target: the `multipart_stream` harness of fasterapi-core's tests/harness/.
#![no_main]

#[allow(dead_code)] // this target runs one harness of several
#[path = "../../tests/harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::multipart_stream::run(data));
