//! Text-to-scalar coercion with pydantic's lax rules, as FastAPI applies them to
//! path, query, header and cookie values.

/// Why a value could not be coerced: pydantic's error `type` and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoerceError {
    IntParsing,
    FloatParsing,
    BoolParsing,
}

impl CoerceError {
    /// pydantic's error type, e.g. `int_parsing`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::IntParsing => "int_parsing",
            Self::FloatParsing => "float_parsing",
            Self::BoolParsing => "bool_parsing",
        }
    }

    /// pydantic's message for the error.
    pub fn message(self) -> &'static str {
        match self {
            Self::IntParsing => {
                "Input should be a valid integer, unable to parse string as an integer"
            }
            Self::FloatParsing => {
                "Input should be a valid number, unable to parse string as a number"
            }
            Self::BoolParsing => "Input should be a valid boolean, unable to interpret input",
        }
    }
}

/// An integer that fits in `i64`, or the normalised decimal digits of a bigger one
/// (sign included) for the caller to build an arbitrary-precision integer from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Int<'a> {
    Small(i64),
    Big(&'a str),
}

/// Parses an integer: surrounding whitespace allowed, optional sign, ASCII digits,
/// and a fractional part only when it is all zeros (`"3.00"` is 3; `"3.5"` is `int_parsing`,
/// as pydantic says of a string).
pub fn parse_int(text: &str) -> Result<Int<'_>, CoerceError> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CoerceError::IntParsing);
    }
    if let Some(fraction) = fraction {
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CoerceError::IntParsing);
        }
        if fraction.bytes().any(|b| b != b'0') {
            return Err(CoerceError::IntParsing);
        }
    }
    Ok(whole.parse::<i64>().map_or(Int::Big(whole), Int::Small))
}

/// Parses a float: whitespace allowed, decimal or exponent notation, `inf` and `nan`.
pub fn parse_float(text: &str) -> Result<f64, CoerceError> {
    let text = text.trim();
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    let special = matches!(
        text.trim_start_matches(['+', '-'])
            .to_ascii_lowercase()
            .as_str(),
        "inf" | "infinity" | "nan"
    );
    if !(plain || special) {
        return Err(CoerceError::FloatParsing);
    }
    text.parse::<f64>().map_err(|_| CoerceError::FloatParsing)
}

/// Parses a boolean from pydantic's accepted words, case-insensitively.
pub fn parse_bool(text: &str) -> Result<bool, CoerceError> {
    const TRUE: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];
    const FALSE: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
    if text.len() > 5 {
        return Err(CoerceError::BoolParsing);
    }
    let lower = text.to_ascii_lowercase();
    if TRUE.contains(&lower.as_str()) {
        Ok(true)
    } else if FALSE.contains(&lower.as_str()) {
        Ok(false)
    } else {
        Err(CoerceError::BoolParsing)
    }
}

/// A value to check numeric bounds with for `Int::Big` digits (beyond `i64`): their `f64`,
/// moved just past ±2^63 when rounding brought it back to that edge, so that a bound within
/// `i64` (itself rounded, such as `le=2**63 - 1`) is never met by a number outside it.
pub fn big_int_approx(digits: &str) -> f64 {
    const EDGE: f64 = 9_223_372_036_854_775_808.0; // 2^63
    let value: f64 = digits.parse().unwrap_or(f64::NAN);
    if (0.0..=EDGE).contains(&value) {
        EDGE.next_up()
    } else if (-EDGE..0.0).contains(&value) {
        (-EDGE).next_down()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("42"), Ok(Int::Small(42)));
        assert_eq!(parse_int(" -7 "), Ok(Int::Small(-7)));
        assert_eq!(parse_int("+3.000"), Ok(Int::Small(3)));
        assert_eq!(parse_int("3.5"), Err(CoerceError::IntParsing));
        assert_eq!(parse_int("abc"), Err(CoerceError::IntParsing));
        assert_eq!(parse_int(""), Err(CoerceError::IntParsing));
        assert_eq!(parse_int("-"), Err(CoerceError::IntParsing));
        assert_eq!(parse_int("1e3"), Err(CoerceError::IntParsing));
        assert_eq!(
            parse_int("123456789012345678901234567890"),
            Ok(Int::Big("123456789012345678901234567890"))
        );
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float(" 2e3 "), Ok(2000.0));
        assert_eq!(parse_float("-inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float("nan").unwrap().is_nan());
        assert_eq!(parse_float("1,5"), Err(CoerceError::FloatParsing));
        assert_eq!(parse_float(""), Err(CoerceError::FloatParsing));
        assert_eq!(parse_float("abc"), Err(CoerceError::FloatParsing));
    }

    #[test]
    fn bools() {
        for word in ["1", "on", "T", "true", "Y", "YES"] {
            assert_eq!(parse_bool(word), Ok(true), "{word}");
        }
        for word in ["0", "OFF", "f", "False", "n", "no"] {
            assert_eq!(parse_bool(word), Ok(false), "{word}");
        }
        for word in ["maybe", "", "2", "truee"] {
            assert_eq!(parse_bool(word), Err(CoerceError::BoolParsing), "{word}");
        }
    }

    #[test]
    fn big_ints_are_checked_beyond_i64() {
        let edge = 9_223_372_036_854_775_808.0_f64;
        assert!(big_int_approx("9223372036854775808") > edge);
        assert!(big_int_approx("-9223372036854775809") < -edge);
        assert_eq!(big_int_approx("100000000000000000000000"), 1e23);
        assert_eq!(big_int_approx("-100000000000000000000000"), -1e23);
    }
}
