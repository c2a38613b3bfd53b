//! Value constraints of `Query(gt=..., max_length=..., pattern=...)` and friends,
//! checked in pydantic's order, reporting the first one violated.

pub use regex::Regex;

/// Which constraint a value broke; the caller words the error with the limit's own value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    GreaterThan,
    GreaterThanEqual,
    LessThan,
    LessThanEqual,
    TooShort,
    TooLong,
    PatternMismatch,
}

impl Violation {
    /// pydantic's error type.
    pub fn kind(self) -> &'static str {
        match self {
            Self::GreaterThan => "greater_than",
            Self::GreaterThanEqual => "greater_than_equal",
            Self::LessThan => "less_than",
            Self::LessThanEqual => "less_than_equal",
            Self::TooShort => "string_too_short",
            Self::TooLong => "string_too_long",
            Self::PatternMismatch => "string_pattern_mismatch",
        }
    }

    /// The `ctx` key naming the limit, e.g. `gt` or `min_length`.
    pub fn ctx_key(self) -> &'static str {
        match self {
            Self::GreaterThan => "gt",
            Self::GreaterThanEqual => "ge",
            Self::LessThan => "lt",
            Self::LessThanEqual => "le",
            Self::TooShort => "min_length",
            Self::TooLong => "max_length",
            Self::PatternMismatch => "pattern",
        }
    }

    /// pydantic's message, given the limit as the user wrote it (`5`, `2.5`, `^a`).
    pub fn message(self, limit: &str) -> String {
        let plural = if limit == "1" { "" } else { "s" };
        match self {
            Self::GreaterThan => format!("Input should be greater than {limit}"),
            Self::GreaterThanEqual => format!("Input should be greater than or equal to {limit}"),
            Self::LessThan => format!("Input should be less than {limit}"),
            Self::LessThanEqual => format!("Input should be less than or equal to {limit}"),
            Self::TooShort => format!("String should have at least {limit} character{plural}"),
            Self::TooLong => format!("String should have at most {limit} character{plural}"),
            Self::PatternMismatch => format!("String should match pattern '{limit}'"),
        }
    }
}

/// Numeric bounds; any may be absent.
#[derive(Debug, Clone, Default)]
pub struct NumberBounds {
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
}

impl NumberBounds {
    pub fn is_empty(&self) -> bool {
        self.gt.is_none() && self.ge.is_none() && self.lt.is_none() && self.le.is_none()
    }

    /// The first bound `value` breaks, in pydantic's order (gt, ge, lt, le).
    pub fn check(&self, value: f64) -> Result<(), Violation> {
        use std::cmp::Ordering::{Equal, Greater, Less};
        // NaN compares as None and so breaks every bound, as in pydantic.
        let holds = |bound: Option<f64>, ok: &[std::cmp::Ordering]| {
            bound.is_none_or(|b| value.partial_cmp(&b).is_some_and(|o| ok.contains(&o)))
        };
        if !holds(self.gt, &[Greater]) {
            Err(Violation::GreaterThan)
        } else if !holds(self.ge, &[Greater, Equal]) {
            Err(Violation::GreaterThanEqual)
        } else if !holds(self.lt, &[Less]) {
            Err(Violation::LessThan)
        } else if !holds(self.le, &[Less, Equal]) {
            Err(Violation::LessThanEqual)
        } else {
            Ok(())
        }
    }
}

/// String length (in characters) and pattern constraints.
#[derive(Debug, Clone, Default)]
pub struct StringRules {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// Matched anywhere in the value (`re.search` semantics), as pydantic does.
    pub pattern: Option<Regex>,
}

impl StringRules {
    pub fn is_empty(&self) -> bool {
        self.min_length.is_none() && self.max_length.is_none() && self.pattern.is_none()
    }

    /// The first rule `value` breaks: length first, then pattern.
    pub fn check(&self, value: &str) -> Result<(), Violation> {
        if self.min_length.is_some() || self.max_length.is_some() {
            let len = value.chars().count();
            if self.min_length.is_some_and(|min| len < min) {
                return Err(Violation::TooShort);
            }
            if self.max_length.is_some_and(|max| len > max) {
                return Err(Violation::TooLong);
            }
        }
        match &self.pattern {
            Some(re) if !re.is_match(value) => Err(Violation::PatternMismatch),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_bounds_in_order() {
        let b = NumberBounds {
            gt: Some(0.0),
            le: Some(10.0),
            ..Default::default()
        };
        assert_eq!(b.check(5.0), Ok(()));
        assert_eq!(b.check(10.0), Ok(()));
        assert_eq!(b.check(0.0), Err(Violation::GreaterThan));
        assert_eq!(b.check(10.5), Err(Violation::LessThanEqual));
        assert_eq!(b.check(f64::NAN), Err(Violation::GreaterThan));
        let ge_lt = NumberBounds {
            ge: Some(1.0),
            lt: Some(3.0),
            ..Default::default()
        };
        assert_eq!(ge_lt.check(1.0), Ok(()));
        assert_eq!(ge_lt.check(0.5), Err(Violation::GreaterThanEqual));
        assert_eq!(ge_lt.check(3.0), Err(Violation::LessThan));
    }

    #[test]
    fn string_rules() {
        let r = StringRules {
            min_length: Some(2),
            max_length: Some(4),
            pattern: Some(Regex::new("^[a-zé]+$").unwrap()),
        };
        assert_eq!(r.check("abé"), Ok(()));
        assert_eq!(r.check("a"), Err(Violation::TooShort));
        assert_eq!(r.check("abcde"), Err(Violation::TooLong));
        assert_eq!(r.check("ab1"), Err(Violation::PatternMismatch));
    }

    #[test]
    fn messages_match_pydantic() {
        assert_eq!(
            Violation::GreaterThan.message("5"),
            "Input should be greater than 5"
        );
        assert_eq!(
            Violation::TooShort.message("1"),
            "String should have at least 1 character"
        );
        assert_eq!(
            Violation::TooLong.message("3"),
            "String should have at most 3 characters"
        );
        assert_eq!(
            Violation::PatternMismatch.message("^a"),
            "String should match pattern '^a'"
        );
    }
}
