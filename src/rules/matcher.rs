//! The tests a rule applies to an event's fields. A rule's `[rule.match]` table maps field names
//! to tests:
//!
//! | TOML | Test | Fields |
//! |---|---|---|
//! | `field = 3`, `= "text"`, `= true` | equals | int, text, bool, list (any element) |
//! | `field = [1, 2]`, `= ["a", "b"]` | any of | int, text, list (any element) |
//! | `field = { not = … }` | negation of any test | all |
//! | `field = { prefix = "copy " }` | starts with (ASCII case-insensitive) | text, list |
//! | `field = { contains = "://" }` | contains (ASCII case-insensitive) | text, list |
//! | `field = { gt = 88 }`, `{ lt = … }` | greater / less than | int |
//! | `field = { empty = false }` | whether the list is empty | list |
//! | `field = { at = 24, ascii = "AAAA" }`, `{ at = 24, hex = "41414141" }` | bytes at an offset | bytes |
//!
//! A field the event does not carry fails every test except `not`.
//!
//! Inputs: tests from validated rule files; values from events (attacker-controlled data,
//! compared, never interpreted).

use super::event::{Event, FieldType, Value};

/// A literal a test compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// An integer.
    Int(u64),
    /// A text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// A test on one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// Equal to the literal (a list: any element).
    Equals(Literal),
    /// Equal to any of the literals.
    AnyOf(Vec<Literal>),
    /// The inner test fails.
    Not(Box<Self>),
    /// Starts with, ASCII case-insensitively.
    Prefix(String),
    /// Contains, ASCII case-insensitively.
    Contains(String),
    /// Greater than.
    Gt(u64),
    /// Less than.
    Lt(u64),
    /// The list is empty (`true`) or not (`false`).
    Empty(bool),
    /// These bytes at this offset.
    BytesAt {
        /// Offset into the field.
        offset: usize,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

impl Test {
    /// Whether the test can apply to a field of type `ty`; `Err` says why not.
    pub fn check(&self, ty: FieldType) -> Result<(), String> {
        let ok = match self {
            Self::Equals(l) => literal_fits(l, ty),
            Self::AnyOf(ls) => !ls.is_empty() && ls.iter().all(|l| literal_fits(l, ty)),
            Self::Not(inner) => return inner.check(ty),
            Self::Prefix(_) | Self::Contains(_) => {
                matches!(ty, FieldType::Text | FieldType::TextList)
            }
            Self::Gt(_) | Self::Lt(_) => ty == FieldType::Int,
            Self::Empty(_) => ty == FieldType::TextList,
            Self::BytesAt { bytes, .. } => ty == FieldType::Bytes && !bytes.is_empty(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "this test does not apply to a {} field",
                ty.as_str()
            ))
        }
    }

    /// Whether the test holds for `value` (`None`: the field is not set).
    pub fn holds(&self, value: Option<&Value>) -> bool {
        if let Self::Not(inner) = self {
            return !inner.holds(value);
        }
        let Some(value) = value else {
            return false;
        };
        match (self, value) {
            (Self::Equals(l), v) => equals(l, v),
            (Self::AnyOf(ls), v) => ls.iter().any(|l| equals(l, v)),
            (Self::Prefix(p), Value::Text(t)) => starts_with(t, p),
            (Self::Prefix(p), Value::TextList(ts)) => ts.iter().any(|t| starts_with(t, p)),
            (Self::Contains(p), Value::Text(t)) => contains(t, p),
            (Self::Contains(p), Value::TextList(ts)) => ts.iter().any(|t| contains(t, p)),
            (Self::Gt(n), Value::Int(v)) => v > n,
            (Self::Lt(n), Value::Int(v)) => v < n,
            (Self::Empty(e), Value::TextList(ts)) => ts.is_empty() == *e,
            (Self::BytesAt { offset, bytes }, Value::Bytes(b)) => offset
                .checked_add(bytes.len())
                .and_then(|end| b.get(*offset..end))
                .is_some_and(|s| s == bytes.as_slice()),
            _ => false,
        }
    }
}

/// One condition of a rule: a test on a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The field (declared by the rule's event kind).
    pub field: &'static str,
    /// The test.
    pub test: Test,
}

impl Condition {
    /// Whether the condition holds for `event`.
    pub fn holds(&self, event: &Event) -> bool {
        self.test.holds(event.get(self.field))
    }
}

fn literal_fits(l: &Literal, ty: FieldType) -> bool {
    matches!(
        (l, ty),
        (Literal::Int(_), FieldType::Int)
            | (Literal::Text(_), FieldType::Text | FieldType::TextList)
            | (Literal::Bool(_), FieldType::Bool)
    )
}

fn equals(l: &Literal, v: &Value) -> bool {
    match (l, v) {
        (Literal::Int(a), Value::Int(b)) => a == b,
        (Literal::Bool(a), Value::Bool(b)) => a == b,
        (Literal::Text(a), Value::Text(b)) => a == b,
        (Literal::Text(a), Value::TextList(bs)) => bs.iter().any(|b| b == a),
        _ => false,
    }
}

fn starts_with(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn contains(text: &str, needle: &str) -> bool {
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    n.is_empty() || t.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}
