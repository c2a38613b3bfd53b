//! Fuzz harnesses: the properties each parser that reads client bytes (and the router) must
//! keep, one module per target. Each module's `run(data)` takes any bytes (a corpus file, a
//! fuzzer's input) and panics when a property breaks; `tests/fuzz.rs` runs them on proptest's
//! inputs and on the committed corpus (`fuzz/corpus/<target>/`), and calls their finer
//! `check` and `round_trip` functions with inputs of its own making; the cargo-fuzz targets
//! in `fuzz/` run the same `run` functions.

pub mod chunked;
pub mod head;
pub mod multipart;
pub mod multipart_stream;
pub mod router;
pub mod urlencoded;
pub mod ws;

/// The names of the targets, as the corpus folders and cargo-fuzz targets are named.
pub const TARGETS: [&str; 7] = [
    "head",
    "chunked",
    "urlencoded",
    "multipart",
    "multipart_stream",
    "ws",
    "router",
];

/// Runs the harness named `target` on `data`.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "head" => head::run(data),
        "chunked" => chunked::run(data),
        "urlencoded" => urlencoded::run(data),
        "multipart" => multipart::run(data),
        "multipart_stream" => multipart_stream::run(data),
        "ws" => ws::run(data),
        "router" => router::run(data),
        other => panic!("no fuzz target {other}"),
    }
}

/// Cut points for feeding `data` in pieces, derived from the bytes alone (so a failure
/// reproduces from the input): every offset of a short input; for a longer one, the offsets
/// around its first line ends and a few pseudo-random ones.
pub fn cuts(data: &[u8]) -> Vec<usize> {
    let len = data.len();
    if len <= 64 {
        return (1..len).collect();
    }
    let mut cuts: Vec<usize> = (data.iter().enumerate())
        .filter(|&(_, &b)| b == b'\n' || b == b'\r')
        .take(16)
        .flat_map(|(i, _)| [i, i + 1])
        .collect();
    let mut state = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    for _ in 0..16 {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        cuts.push(((z ^ (z >> 31)) % len as u64) as usize);
    }
    normalize(cuts, len)
}

/// `cuts` as sorted, distinct offsets strictly inside `0..len`.
pub fn normalize(mut cuts: Vec<usize>, len: usize) -> Vec<usize> {
    cuts.retain(|&c| c > 0 && c < len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// `data` cut at `cuts` (any offsets, in any order): the non-empty pieces, in order.
pub fn pieces<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut bounds = normalize(cuts.to_vec(), data.len());
    bounds.push(data.len());
    let mut start = 0;
    let mut pieces = Vec::with_capacity(bounds.len());
    for end in bounds {
        if end > start {
            pieces.push(&data[start..end]);
            start = end;
        }
    }
    pieces
}

/// A short, printable rendering of `data` for assertion messages.
pub fn show(data: &[u8]) -> String {
    let text = format!("{:?}", String::from_utf8_lossy(data));
    if text.len() > 400 {
        format!(
            "{}... ({} bytes)",
            &text[..text.floor_char_boundary(400)],
            data.len()
        )
    } else {
        text
    }
}
