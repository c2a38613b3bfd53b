//! `parse_urlencoded`: never panics; every non-empty `&`-separated piece is one field, taken
//! as is when it has no escapes; the fields, encoded anew, parse back to themselves; the
//! limits refuse exactly the bodies that exceed them.

use fasterapi_core::params::fields::{Field, FormError, FormLimits, Value};
use fasterapi_core::params::form::parse_urlencoded;

/// No limit at all.
pub const UNLIMITED: FormLimits = FormLimits {
    max_files: usize::MAX,
    max_fields: usize::MAX,
    max_part_size: usize::MAX,
};

/// Small limits: 3 fields of at most 8 bytes each.
pub const SMALL: FormLimits = FormLimits {
    max_files: 3,
    max_fields: 3,
    max_part_size: 8,
};

/// Fields as (name, value) pairs.
pub fn pairs(fields: &[Field<'_>]) -> Vec<(String, String)> {
    (fields.iter())
        .map(|f| match &f.value {
            Value::Text(v) => (f.name.to_string(), v.to_string()),
            Value::File(_) => panic!("a urlencoded body has no files"),
        })
        .collect()
}

/// `application/x-www-form-urlencoded` encoding of `fields`, as browsers do it.
pub fn encode(fields: &[(String, String)]) -> Vec<u8> {
    let escape = |text: &str, out: &mut Vec<u8>| {
        for &b in text.as_bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b),
                b' ' => out.push(b'+'),
                _ => out.extend(format!("%{b:02X}").bytes()),
            }
        }
    };
    let mut out = Vec::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        escape(name, &mut out);
        out.push(b'=');
        escape(value, &mut out);
    }
    out
}

/// Checks the parse of any `data`.
pub fn run(data: &[u8]) {
    let input = super::show(data);
    let fields = pairs(&parse_urlencoded(data, &UNLIMITED).expect("no limit, no error"));
    let pieces: Vec<&[u8]> = (data.split(|&b| b == b'&'))
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(fields.len(), pieces.len(), "{input}");
    for (piece, (name, value)) in pieces.iter().zip(&fields) {
        if !piece.contains(&b'%') && !piece.contains(&b'+') {
            let (raw_name, raw_value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (&piece[..], &b""[..]),
            };
            assert_eq!(name, &String::from_utf8_lossy(raw_name), "{input}");
            assert_eq!(value, &String::from_utf8_lossy(raw_value), "{input}");
        }
    }
    round_trip(&fields);

    // The limits count bytes as sent, the '=' left out.
    let too_large =
        (pieces.iter()).any(|p| p.len() - usize::from(p.contains(&b'=')) > SMALL.max_part_size);
    let too_many = pieces.len() > SMALL.max_fields;
    match parse_urlencoded(data, &SMALL) {
        Ok(small) => {
            assert!(!too_large && !too_many, "{input}");
            assert_eq!(pairs(&small), fields, "{input}");
        }
        Err(FormError::FieldTooLarge(8)) => assert!(too_large, "{input}"),
        Err(FormError::TooManyFields(3)) => assert!(too_many, "{input}"),
        Err(e) => panic!("{e:?} for {input}"),
    }
}

/// `fields`, encoded, parse back to themselves.
pub fn round_trip(fields: &[(String, String)]) {
    let encoded = encode(fields);
    let parsed = pairs(&parse_urlencoded(&encoded, &UNLIMITED).expect("no limit, no error"));
    assert_eq!(parsed, fields, "{}", super::show(&encoded));
}
