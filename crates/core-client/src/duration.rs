//! Durations written the way the platform's Go flags take them (`time.ParseDuration`):
//! `24h`, `1h30m`, `90s`, `1.5s`, `500ms`, `0`.

use std::time::Duration;

/// A duration flag value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {value:?}: expected a number with a unit (ns, us, ms, s, m, h), e.g. 24h, 1m30s or 0"
)]
pub struct InvalidDuration {
    /// The text as given.
    pub value: String,
}

/// Parses `text` as Go's `time.ParseDuration` does, except that negative durations are refused
/// (nothing here can wait a negative time). A bare `0` is zero.
///
/// ```
/// use std::time::Duration;
/// use core_client::parse_duration;
///
/// assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(24 * 3600));
/// assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
/// assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
/// assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
/// assert!(parse_duration("10").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, InvalidDuration> {
    let invalid = || InvalidDuration {
        value: text.to_owned(),
    };
    let rest = text.strip_prefix('+').unwrap_or(text);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    let mut rest = rest;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let nanos_per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            _ => return Err(invalid()),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(invalid());
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut value = whole.checked_mul(nanos_per_unit).ok_or_else(invalid)?;
        // Digits beyond nanosecond precision cannot change the result.
        let mut scale = nanos_per_unit;
        for digit in fraction.bytes().take(30) {
            scale /= 10;
            value += u128::from(digit - b'0') * scale;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| invalid())?;
    // The remainder is below 1e9, so it fits.
    let nanos = (total % 1_000_000_000) as u32;
    Ok(Duration::new(secs, nanos))
}

/// `duration` written back in the same form (`24h0m0s` style, as Go prints it, trimmed of
/// zero parts): used for flag defaults and messages.
pub(crate) fn format_duration(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_owned();
    }
    let mut secs = duration.as_secs();
    let nanos = duration.subsec_nanos();
    let mut out = String::new();
    let hours = secs / 3600;
    secs %= 3600;
    let minutes = secs / 60;
    secs %= 60;
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if secs > 0 || nanos > 0 {
        if nanos == 0 {
            out.push_str(&format!("{secs}s"));
        } else {
            let fraction = format!("{nanos:09}");
            out.push_str(&format!("{secs}.{}s", fraction.trim_end_matches('0')));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_go_reads() {
        for (text, expected) in [
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("24h", Duration::from_secs(86_400)),
            ("1h30m", Duration::from_secs(5_400)),
            ("90s", Duration::from_secs(90)),
            ("1.5h", Duration::from_secs(5_400)),
            (".5s", Duration::from_millis(500)),
            ("500ms", Duration::from_millis(500)),
            ("1us", Duration::from_micros(1)),
            ("1µs", Duration::from_micros(1)),
            ("3ns", Duration::from_nanos(3)),
            ("+2m", Duration::from_secs(120)),
            ("1h1m1s1ms", Duration::new(3_661, 1_000_000)),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_go_refuses_and_negatives() {
        for text in [
            "", "10", "h", "1x", "-1s", "1..5s", ".s", "1s2", " 1s", "1 s",
        ] {
            let error = parse_duration(text).unwrap_err();
            assert_eq!(error.value, text);
        }
        assert!(parse_duration("999999999999999999999h").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for duration in [
            Duration::ZERO,
            Duration::from_secs(86_400),
            Duration::from_secs(90),
            Duration::from_millis(1_500),
            Duration::new(3_661, 1_000_000),
        ] {
            assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
        assert_eq!(format_duration(Duration::from_secs(60)), "1m");
        assert_eq!(format_duration(Duration::from_secs(86_400)), "24h");
    }
}
