#!/usr/bin/env bash
# Runs one cargo-fuzz (libFuzzer) target on its committed corpus for a set time:
#   ./run.sh TARGET SECONDS
# The machine has stable Rust only; RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass the nightly flags
# it needs (sanitizer coverage). New inputs that libFuzzer finds go to a scratch folder, so the
# committed corpus changes only by hand; a crash leaves its input in artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1 seconds=$2
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz "$target" "$scratch" fuzz/corpus/"$target" -- \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1
