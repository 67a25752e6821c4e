//! [`Times`]: how many calls a stub expects.

use std::{
    fmt,
    ops::{Range, RangeFrom, RangeInclusive, RangeTo, RangeToInclusive},
};

/// How many calls a stub expects ([`Stubbed::expect`](super::Stubbed::expect)): an exact
/// number or a range of them.
///
/// ```
/// use region_client_testing::region::Times;
///
/// assert!(Times::from(2).contains(2));
/// assert!(Times::from(1..=3).contains(3));
/// assert!(!Times::from(1..).contains(0));
/// assert_eq!(Times::from(..2).to_string(), "at most 1 call");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    min: u64,
    /// Inclusive; `None`: no upper bound.
    max: Option<u64>,
}

impl Times {
    /// Whether `calls` calls meet the expectation.
    pub fn contains(&self, calls: u64) -> bool {
        calls >= self.min && self.max.is_none_or(|max| calls <= max)
    }
}

impl From<u64> for Times {
    fn from(exactly: u64) -> Self {
        Self {
            min: exactly,
            max: Some(exactly),
        }
    }
}

impl From<Range<u64>> for Times {
    fn from(range: Range<u64>) -> Self {
        Self {
            min: range.start,
            max: Some(range.end.saturating_sub(1)),
        }
    }
}

impl From<RangeInclusive<u64>> for Times {
    fn from(range: RangeInclusive<u64>) -> Self {
        Self {
            min: *range.start(),
            max: Some(*range.end()),
        }
    }
}

impl From<RangeFrom<u64>> for Times {
    fn from(range: RangeFrom<u64>) -> Self {
        Self {
            min: range.start,
            max: None,
        }
    }
}

impl From<RangeTo<u64>> for Times {
    fn from(range: RangeTo<u64>) -> Self {
        Self {
            min: 0,
            max: Some(range.end.saturating_sub(1)),
        }
    }
}

impl From<RangeToInclusive<u64>> for Times {
    fn from(range: RangeToInclusive<u64>) -> Self {
        Self {
            min: 0,
            max: Some(range.end),
        }
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let calls = |n: u64| if n == 1 { "call" } else { "calls" };
        match (self.min, self.max) {
            (min, Some(max)) if min == max => write!(f, "exactly {min} {}", calls(min)),
            (0, Some(max)) => write!(f, "at most {max} {}", calls(max)),
            (min, None) => write!(f, "at least {min} {}", calls(min)),
            (min, Some(max)) => write!(f, "between {min} and {max} calls"),
        }
    }
}
