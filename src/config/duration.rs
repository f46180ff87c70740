//! Duration syntax of configuration and policy files: `500ms`, `10s`, `5m`, `1h`, `2d` and
//! combinations in decreasing unit order such as `1h30m`; and the Cisco `hh:mm` form of join-window
//! intervals.
//!
//! Operator input, trusted but validated: no overflow, no empty or repeated units.

use std::time::Duration;

/// Why a duration string is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum DurationError {
    /// Nothing to parse.
    #[error("empty duration (expected e.g. `10s`, `5m`, `1h30m`)")]
    Empty,
    /// A number without a unit, or a unit without a number.
    #[error(
        "`{text}` is not a duration (expected numbers with units ms, s, m, h or d, e.g. `1h30m`)"
    )]
    Malformed {
        /// The offending text.
        text: String,
    },
    /// A unit that is not `ms`, `s`, `m`, `h` or `d`.
    #[error("unknown unit `{unit}` (expected ms, s, m, h or d)")]
    UnknownUnit {
        /// The offending unit.
        unit: String,
    },
    /// Units must get smaller from left to right, each at most once.
    #[error("units must appear once each, largest first (e.g. `1h30m`)")]
    UnitOrder,
    /// The total does not fit.
    #[error("duration too large")]
    Overflow,
    /// `hh:mm` with minutes of 60 or more.
    #[error("minutes in `hh:mm` must be below 60")]
    MinutesOutOfRange,
}

/// Units, largest first, with their length in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses `500ms`, `10s`, `1h30m` and the like.
pub(super) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let malformed = || DurationError::Malformed {
        text: text.to_owned(),
    };
    let mut rest = text;
    let mut total_ms: u64 = 0;
    let mut last_unit = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        if digits == 0 || unit_len == 0 {
            return Err(malformed());
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Overflow)?;
        let unit = &rest[digits..digits + unit_len];
        let index = UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(|| {
            DurationError::UnknownUnit {
                unit: unit.to_owned(),
            }
        })?;
        if last_unit.is_some_and(|last| index <= last) {
            return Err(DurationError::UnitOrder);
        }
        last_unit = Some(index);
        total_ms = number
            .checked_mul(UNITS[index].1)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or(DurationError::Overflow)?;
        rest = &rest[digits + unit_len..];
    }
    Ok(Duration::from_millis(total_ms))
}

/// Parses a join-window interval: Cisco `hh:mm` or the duration syntax.
pub(super) fn parse_interval(text: &str) -> Result<Duration, DurationError> {
    let Some((hours, minutes)) = text.split_once(':') else {
        return parse_duration(text);
    };
    let number = |s: &str| -> Result<u64, DurationError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DurationError::Malformed {
                text: text.to_owned(),
            });
        }
        s.parse().map_err(|_| DurationError::Overflow)
    };
    let (hours, minutes) = (number(hours)?, number(minutes)?);
    if minutes >= 60 {
        return Err(DurationError::MinutesOutOfRange);
    }
    let secs = hours
        .checked_mul(3600)
        .and_then(|h| h.checked_add(minutes * 60))
        .ok_or(DurationError::Overflow)?;
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_combined_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1m500ms"), Ok(Duration::from_millis(60_500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_malformed_durations() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert!(matches!(
            parse_duration("10"),
            Err(DurationError::Malformed { .. })
        ));
        assert!(matches!(
            parse_duration("s"),
            Err(DurationError::Malformed { .. })
        ));
        assert!(matches!(
            parse_duration("1 h"),
            Err(DurationError::Malformed { .. })
        ));
        assert!(matches!(
            parse_duration("3w"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert_eq!(parse_duration("30m1h"), Err(DurationError::UnitOrder));
        assert_eq!(parse_duration("1h1h"), Err(DurationError::UnitOrder));
        assert_eq!(
            parse_duration("99999999999999999999s"),
            Err(DurationError::Overflow)
        );
        assert_eq!(
            parse_duration("18446744073709551615d"),
            Err(DurationError::Overflow)
        );
    }

    #[test]
    fn parses_cisco_hh_mm_intervals() {
        assert_eq!(parse_interval("04:00"), Ok(Duration::from_secs(4 * 3600)));
        assert_eq!(parse_interval("0:45"), Ok(Duration::from_secs(45 * 60)));
        assert_eq!(parse_interval("90m"), Ok(Duration::from_secs(90 * 60)));
        assert_eq!(
            parse_interval("01:60"),
            Err(DurationError::MinutesOutOfRange)
        );
        assert!(matches!(
            parse_interval("1:"),
            Err(DurationError::Malformed { .. })
        ));
        assert!(matches!(
            parse_interval("a:10"),
            Err(DurationError::Malformed { .. })
        ));
    }
}
