//! Which content coding a response gets, from the request's Accept-Encoding (RFC 9110
//! §12.5.3): the one the client weighs highest among those offered, the server's order
//! breaking ties; `*` stands for any coding the header does not name; `q=0` refuses one.

/// The index in `offered` (codings in lower case, in the server's order of preference) of
/// the coding to use, or None when the client accepts none of them.
pub fn choose(accept_encoding: &[u8], offered: &[&str]) -> Option<usize> {
    let mut weights: Vec<Option<u32>> = vec![None; offered.len()];
    let mut any: Option<u32> = None;
    for item in accept_encoding.split(|&b| b == b',') {
        let mut parts = item.split(|&b| b == b';');
        let coding = trim(parts.next().unwrap_or_default()).to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        let mut weight = 1000;
        for param in parts {
            let param = trim(param);
            if param.len() >= 2 && param[..2].eq_ignore_ascii_case(b"q=") {
                weight = quality(&param[2..]).unwrap_or(0); // (a malformed one refuses)
            }
        }
        if coding == b"*" {
            any = Some(weight);
        } else if let Some(i) = offered.iter().position(|o| o.as_bytes() == coding) {
            weights[i] = Some(weight);
        }
    }
    let mut best: Option<(usize, u32)> = None;
    for (i, weight) in weights.into_iter().enumerate() {
        let weight = weight.or(any).unwrap_or(0);
        if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
            best = Some((i, weight));
        }
    }
    best.map(|(i, _)| i)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
    match (start, end) {
        (Some(start), Some(end)) => &bytes[start..=end],
        _ => &[],
    }
}

/// A qvalue in thousandths, as RFC 9110 writes one (`0`, `0.5`, `1`, `1.000`: a 0 or 1, then
/// at most three decimals, none but 0 after a 1); None when malformed.
fn quality(text: &[u8]) -> Option<u32> {
    let (whole, decimals) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &[][..]),
    };
    if decimals.len() > 3 || !decimals.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0;
    for (i, &digit) in decimals.iter().enumerate() {
        thousandths += u32::from(digit - b'0') * [100, 10, 1][i];
    }
    match whole {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERED: [&str; 2] = ["br", "gzip"];

    #[test]
    fn the_servers_order_breaks_ties() {
        assert_eq!(choose(b"gzip, deflate, br", &OFFERED), Some(0));
        assert_eq!(choose(b"gzip", &OFFERED), Some(1));
        assert_eq!(choose(b"GZIP", &OFFERED), Some(1));
        assert_eq!(choose(b"deflate, identity", &OFFERED), None);
        assert_eq!(choose(b"", &OFFERED), None);
    }

    #[test]
    fn weights_and_refusals() {
        assert_eq!(choose(b"br;q=0.5, gzip", &OFFERED), Some(1));
        assert_eq!(choose(b"br;q=0, gzip;q=0.1", &OFFERED), Some(1));
        assert_eq!(choose(b"br; q=0, gzip ;q=0", &OFFERED), None);
        assert_eq!(choose(b"*", &OFFERED), Some(0));
        assert_eq!(choose(b"*;q=0.2, br;q=0.1", &OFFERED), Some(1));
        assert_eq!(choose(b"br;q=2, gzip;q=x", &OFFERED), None);
        assert_eq!(choose(b"br;q=, gzip;q=0.001", &OFFERED), Some(1));
        assert_eq!(choose(b"br;q=1e-3, gzip;q=1.0001", &OFFERED), None);
        assert_eq!(choose(b"br;q=0.999, gzip;q=1.000", &OFFERED), Some(1));
    }
}
