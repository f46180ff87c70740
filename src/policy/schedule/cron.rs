//! Parser for 5-field cron expressions (`minute hour day-of-month month day-of-week`), as Vixie
//! cron (`crontab(5)`) writes them: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists
//! `a,b,c`, month names `jan`–`dec` and weekday names `sun`–`sat` (case-insensitive), weekday `7`
//! as another Sunday.
//!
//! Operator input, validated at load (`crate::config`). Pure: text in, bit sets out.

use std::fmt;

use crate::policy::schedule::CronSchedule;

/// One of the five fields of a cron expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CronField {
    /// Minute, 0–59.
    Minute,
    /// Hour, 0–23.
    Hour,
    /// Day of month, 1–31.
    DayOfMonth,
    /// Month, 1–12 or `jan`–`dec`.
    Month,
    /// Day of week, 0–7 (0 and 7 are Sunday) or `sun`–`sat`.
    DayOfWeek,
}

impl CronField {
    /// The fields in expression order.
    pub const ALL: [Self; 5] = [
        Self::Minute,
        Self::Hour,
        Self::DayOfMonth,
        Self::Month,
        Self::DayOfWeek,
    ];

    /// The field's name in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
        }
    }

    /// Smallest and largest value the field accepts.
    pub fn bounds(self) -> (u32, u32) {
        match self {
            Self::Minute => (0, 59),
            Self::Hour => (0, 23),
            Self::DayOfMonth => (1, 31),
            Self::Month => (1, 12),
            Self::DayOfWeek => (0, 7),
        }
    }

    /// Values `*` stands for (weekday 7 is only an alias of 0).
    fn star(self) -> (u32, u32) {
        match self {
            Self::DayOfWeek => (0, 6),
            other => other.bounds(),
        }
    }

    /// Names accepted for values, with their numbers.
    fn names(self) -> &'static [(&'static str, u32)] {
        match self {
            Self::Month => &MONTH_NAMES,
            Self::DayOfWeek => &WEEKDAY_NAMES,
            Self::Minute | Self::Hour | Self::DayOfMonth => &[],
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a cron expression is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// Not exactly five whitespace-separated fields.
    #[error("expected 5 fields (minute hour day-of-month month day-of-week), found {found}")]
    FieldCount {
        /// Number of fields found.
        found: usize,
    },
    /// An empty list element or range end (`1,,2`, `-5`).
    #[error("{field}: empty value")]
    Empty {
        /// The field.
        field: CronField,
    },
    /// Neither a number nor a name the field accepts.
    #[error("{field}: `{text}` is not a valid value")]
    BadValue {
        /// The field.
        field: CronField,
        /// The offending text.
        text: String,
    },
    /// A number outside the field's range.
    #[error("{field}: {value} is out of range {min}-{max}")]
    OutOfRange {
        /// The field.
        field: CronField,
        /// The value given.
        value: u32,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// A range whose start is after its end.
    #[error("{field}: range {start}-{end} is reversed")]
    ReversedRange {
        /// The field.
        field: CronField,
        /// Range start.
        start: u32,
        /// Range end.
        end: u32,
    },
    /// A step of zero (`*/0`).
    #[error("{field}: step must be at least 1")]
    ZeroStep {
        /// The field.
        field: CronField,
    },
    /// A step after a single value (`5/10`): only `*/n` and `a-b/n` are allowed.
    #[error("{field}: a step needs `*` or a range before `/`")]
    StepWithoutRange {
        /// The field.
        field: CronField,
    },
}

impl CronSchedule {
    /// Parses a 5-field cron expression.
    pub fn parse(source: &str) -> Result<Self, CronError> {
        let fields: Vec<&str> = source.split_whitespace().collect();
        let [minute, hour, dom, month, dow] = fields[..] else {
            return Err(CronError::FieldCount {
                found: fields.len(),
            });
        };
        // Each field's bits lie within its bounds (at most bit 59), so the narrowing casts below
        // cannot lose bits.
        Ok(Self {
            source: source.to_owned(),
            minutes: parse_field(minute, CronField::Minute)?,
            hours: parse_field(hour, CronField::Hour)? as u32,
            days_of_month: parse_field(dom, CronField::DayOfMonth)? as u32,
            months: parse_field(month, CronField::Month)? as u16,
            days_of_week: parse_field(dow, CronField::DayOfWeek)? as u8,
            dom_restricted: dom != "*",
            dow_restricted: dow != "*",
        })
    }
}

/// Parses one field (a comma-separated list) into a bit set.
fn parse_field(text: &str, field: CronField) -> Result<u64, CronError> {
    text.split(',')
        .try_fold(0u64, |bits, item| Ok(bits | parse_item(item, field)?))
}

/// Parses one list element: `*`, `n`, `a-b`, `*/n` or `a-b/n`.
fn parse_item(item: &str, field: CronField) -> Result<u64, CronError> {
    if item.is_empty() {
        return Err(CronError::Empty { field });
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, parse_step(step, field)?),
        None => (item, 1),
    };
    let (start, end) = if range == "*" {
        field.star()
    } else if let Some((a, b)) = range.split_once('-') {
        let (start, end) = (parse_value(a, field)?, parse_value(b, field)?);
        if start > end {
            return Err(CronError::ReversedRange { field, start, end });
        }
        (start, end)
    } else if item.contains('/') {
        return Err(CronError::StepWithoutRange { field });
    } else {
        let value = parse_value(range, field)?;
        (value, value)
    };
    let bits = (start..=end)
        .step_by(step)
        .fold(0u64, |bits, v| bits | 1 << normalize(v, field));
    Ok(bits)
}

fn parse_step(text: &str, field: CronField) -> Result<usize, CronError> {
    if text.is_empty() {
        return Err(CronError::Empty { field });
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CronError::BadValue {
            field,
            text: text.to_owned(),
        });
    }
    // A step beyond every field's width selects only the range start; saturate instead of failing.
    let step = text.parse::<usize>().unwrap_or(usize::MAX);
    if step == 0 {
        return Err(CronError::ZeroStep { field });
    }
    Ok(step)
}

/// A number or name, checked against the field's bounds.
fn parse_value(text: &str, field: CronField) -> Result<u32, CronError> {
    if text.is_empty() {
        return Err(CronError::Empty { field });
    }
    if let Some((_, value)) = field
        .names()
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok(*value);
    }
    let bad = || CronError::BadValue {
        field,
        text: text.to_owned(),
    };
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (min, max) = field.bounds();
    let value = text.parse::<u32>().unwrap_or(u32::MAX);
    if value < min || value > max {
        return Err(CronError::OutOfRange {
            field,
            value,
            min,
            max,
        });
    }
    Ok(value)
}

/// Weekday 7 is Sunday (bit 0).
fn normalize(value: u32, field: CronField) -> u32 {
    match (field, value) {
        (CronField::DayOfWeek, 7) => 0,
        _ => value,
    }
}

const MONTH_NAMES: [(&str, u32); 12] = [
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

const WEEKDAY_NAMES: [(&str, u32); 7] = [
    ("sun", 0),
    ("mon", 1),
    ("tue", 2),
    ("wed", 3),
    ("thu", 4),
    ("fri", 5),
    ("sat", 6),
];

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn bits(values: impl IntoIterator<Item = u32>) -> u64 {
        values.into_iter().fold(0, |b, v| b | 1 << v)
    }

    #[test]
    fn parses_stars_as_full_fields_unrestricted() {
        let c = CronSchedule::parse("* * * * *").unwrap();
        assert_eq!(c.minutes, bits(0..=59));
        assert_eq!(u64::from(c.hours), bits(0..=23));
        assert_eq!(u64::from(c.days_of_month), bits(1..=31));
        assert_eq!(u64::from(c.months), bits(1..=12));
        assert_eq!(c.days_of_week, 0x7f);
        assert!(!c.dom_restricted);
        assert!(!c.dow_restricted);
        assert_eq!(c.source, "* * * * *");
    }

    #[test]
    fn parses_numbers_ranges_steps_and_lists() {
        let c = CronSchedule::parse("0,30 8-18/2 1,15 */3 1-5").unwrap();
        assert_eq!(c.minutes, bits([0, 30]));
        assert_eq!(u64::from(c.hours), bits([8, 10, 12, 14, 16, 18]));
        assert_eq!(u64::from(c.days_of_month), bits([1, 15]));
        assert_eq!(u64::from(c.months), bits([1, 4, 7, 10]));
        assert_eq!(u64::from(c.days_of_week), bits(1..=5));
        assert!(c.dom_restricted);
        assert!(c.dow_restricted);
    }

    #[test]
    fn parses_names_case_insensitively() {
        let c = CronSchedule::parse("0 2 * JAN-mar,Dec Mon-FRI,sun").unwrap();
        assert_eq!(u64::from(c.months), bits([1, 2, 3, 12]));
        assert_eq!(u64::from(c.days_of_week), bits([0, 1, 2, 3, 4, 5]));
    }

    #[test]
    fn weekday_seven_is_sunday() {
        let c = CronSchedule::parse("0 0 * * 7").unwrap();
        assert_eq!(c.days_of_week, 1);
        let c = CronSchedule::parse("0 0 * * 5-7").unwrap();
        assert_eq!(u64::from(c.days_of_week), bits([0, 5, 6]));
    }

    #[test]
    fn star_step_counts_as_restricted() {
        let c = CronSchedule::parse("0 0 */2 * */2").unwrap();
        assert!(c.dom_restricted);
        assert!(c.dow_restricted);
        assert_eq!(u64::from(c.days_of_week), bits([0, 2, 4, 6]));
    }

    #[test]
    fn rejects_wrong_field_count() {
        assert_eq!(
            CronSchedule::parse("0 2 * *"),
            Err(CronError::FieldCount { found: 4 })
        );
        assert_eq!(
            CronSchedule::parse("0 2 * * * *"),
            Err(CronError::FieldCount { found: 6 })
        );
        assert_eq!(
            CronSchedule::parse(""),
            Err(CronError::FieldCount { found: 0 })
        );
    }

    #[test]
    fn rejects_out_of_range_values_naming_the_field() {
        let err = CronSchedule::parse("60 * * * *").unwrap_err();
        assert_eq!(
            err,
            CronError::OutOfRange {
                field: CronField::Minute,
                value: 60,
                min: 0,
                max: 59
            }
        );
        assert_eq!(err.to_string(), "minute: 60 is out of range 0-59");
        assert!(matches!(
            CronSchedule::parse("* 24 * * *"),
            Err(CronError::OutOfRange {
                field: CronField::Hour,
                ..
            })
        ));
        assert!(matches!(
            CronSchedule::parse("* * 0 * *"),
            Err(CronError::OutOfRange {
                field: CronField::DayOfMonth,
                ..
            })
        ));
        assert!(matches!(
            CronSchedule::parse("* * * 13 *"),
            Err(CronError::OutOfRange {
                field: CronField::Month,
                ..
            })
        ));
        assert!(matches!(
            CronSchedule::parse("* * * * 8"),
            Err(CronError::OutOfRange {
                field: CronField::DayOfWeek,
                ..
            })
        ));
    }

    #[test]
    fn rejects_malformed_elements() {
        let field = CronField::Hour;
        assert_eq!(
            CronSchedule::parse("0 1,,2 * * *"),
            Err(CronError::Empty { field })
        );
        assert_eq!(
            CronSchedule::parse("0 -5 * * *"),
            Err(CronError::Empty { field })
        );
        assert_eq!(
            CronSchedule::parse("0 5-2 * * *"),
            Err(CronError::ReversedRange {
                field,
                start: 5,
                end: 2
            })
        );
        assert_eq!(
            CronSchedule::parse("0 */0 * * *"),
            Err(CronError::ZeroStep { field })
        );
        assert_eq!(
            CronSchedule::parse("0 5/2 * * *"),
            Err(CronError::StepWithoutRange { field })
        );
        assert!(matches!(
            CronSchedule::parse("0 x * * *"),
            Err(CronError::BadValue {
                field: CronField::Hour,
                ..
            })
        ));
        assert!(matches!(
            CronSchedule::parse("0 0 mon * *"),
            Err(CronError::BadValue {
                field: CronField::DayOfMonth,
                ..
            })
        ));
        assert!(matches!(
            CronSchedule::parse("0 0 * * fri-sun"),
            Err(CronError::ReversedRange { .. })
        ));
        assert!(matches!(
            CronSchedule::parse("0 */x * * *"),
            Err(CronError::BadValue { .. })
        ));
        assert!(matches!(
            CronSchedule::parse("0 */ * * *"),
            Err(CronError::Empty { .. })
        ));
    }

    fn field_bits(c: &CronSchedule, field: CronField) -> u64 {
        match field {
            CronField::Minute => c.minutes,
            CronField::Hour => u64::from(c.hours),
            CronField::DayOfMonth => u64::from(c.days_of_month),
            CronField::Month => u64::from(c.months),
            CronField::DayOfWeek => u64::from(c.days_of_week),
        }
    }

    fn expression(field: CronField, text: &str) -> String {
        let mut fields = ["*"; 5];
        let i = CronField::ALL.iter().position(|f| *f == field).unwrap();
        fields[i] = text;
        fields.join(" ")
    }

    proptest! {
        #[test]
        fn range_with_step_sets_exactly_expected_bits(
            field_index in 0usize..5,
            x in 0u32..64,
            y in 0u32..64,
            step in 1usize..70,
        ) {
            let field = CronField::ALL[field_index];
            let (min, max) = field.bounds();
            let a = min + x % (max - min + 1);
            let b = min + y % (max - min + 1);
            let (a, b) = (a.min(b), a.max(b));
            let c = CronSchedule::parse(&expression(field, &format!("{a}-{b}/{step}"))).unwrap();
            let expected = (a..=b).step_by(step).fold(0u64, |bits, v| bits | 1 << normalize(v, field));
            prop_assert_eq!(field_bits(&c, field), expected);
        }

        #[test]
        fn single_values_set_one_bit(field_index in 0usize..5, x in 0u32..64) {
            let field = CronField::ALL[field_index];
            let (min, max) = field.bounds();
            let v = min + x % (max - min + 1);
            let c = CronSchedule::parse(&expression(field, &v.to_string())).unwrap();
            prop_assert_eq!(field_bits(&c, field), 1u64 << normalize(v, field));
        }
    }
}
