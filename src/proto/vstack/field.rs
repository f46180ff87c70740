//! Building blocks of the Smart Install payload layouts: fixed-size NUL-padded text fields
//! ([`FixedText`]), the reload block shared by types 2 and 3 ([`ReloadSchedule`]), and a bounded
//! big-endian reader and writer.
//!
//! Inputs: slots cut from attacker-controlled payloads. A slot is kept byte for byte (so a decoded
//! message re-encodes to the same bytes); its value ends at the first NUL (smart-install.md §2.2)
//! and may be any bytes, UTF-8 or not. Nothing here indexes or panics on peer data.

use std::borrow::Cow;

use super::error::EncodeError;

/// A fixed-size text slot of `N` bytes, NUL-padded (smart-install.md §2.2).
///
/// The whole slot is kept, so bytes hidden after the first NUL and slots without any NUL survive
/// a decode → encode round trip and can be reported ([`FixedText::is_terminated`],
/// [`FixedText::has_data_after_nul`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FixedText<const N: usize> {
    // Invariant: exactly N bytes.
    raw: Vec<u8>,
}

impl<const N: usize> FixedText<N> {
    /// Slot size in bytes.
    pub const SIZE: usize = N;
    /// Longest value that fits with its NUL terminator.
    pub const MAX_VALUE_BYTES: usize = N.saturating_sub(1);

    /// A slot holding `value` followed by NUL padding. `field` names the slot in errors.
    ///
    /// Refuses values with a NUL byte and values of `N` bytes or more (no room for the
    /// terminator): over-long values are an error, never truncated.
    pub fn new(field: &'static str, value: &[u8]) -> Result<Self, EncodeError> {
        if let Some(offset) = value.iter().position(|&b| b == 0) {
            return Err(EncodeError::NulInField { field, offset });
        }
        if value.len() > Self::MAX_VALUE_BYTES {
            return Err(EncodeError::FieldTooLong {
                field,
                max: Self::MAX_VALUE_BYTES,
                actual: value.len(),
            });
        }
        let mut raw = value.to_vec();
        raw.resize(N, 0);
        Ok(Self { raw })
    }

    /// An all-zero slot.
    pub fn empty() -> Self {
        Self { raw: vec![0; N] }
    }

    /// A slot with exactly these bytes (any content, as received); `None` unless `raw` is `N`
    /// bytes long.
    pub fn from_raw(raw: &[u8]) -> Option<Self> {
        (raw.len() == N).then(|| Self { raw: raw.to_vec() })
    }

    /// The whole slot, padding included.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The value: the bytes before the first NUL (the whole slot when there is none).
    pub fn value(&self) -> &[u8] {
        value_of(&self.raw)
    }

    /// The value as text; bytes that are not UTF-8 are shown as U+FFFD.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.value())
    }

    /// Whether the value is empty (the slot starts with NUL).
    pub fn is_empty(&self) -> bool {
        self.value().is_empty()
    }

    /// Whether a NUL ends the value inside the slot. A slot without one is suspicious: a
    /// receiver reading a C string would run into the next field.
    pub fn is_terminated(&self) -> bool {
        self.raw.contains(&0)
    }

    /// Whether non-zero bytes follow the first NUL (content a NUL-terminated reader ignores).
    pub fn has_data_after_nul(&self) -> bool {
        let value = self.value().len();
        self.raw
            .get(value..)
            .is_some_and(|rest| rest.iter().any(|&b| b != 0))
    }
}

impl<const N: usize> std::fmt::Debug for FixedText<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedText")
            .field("size", &N)
            .field("text", &self.text())
            .field("terminated", &self.is_terminated())
            .field("data_after_nul", &self.has_data_after_nul())
            .finish()
    }
}

/// The bytes of `slot` before its first NUL.
pub(crate) fn value_of(slot: &[u8]) -> &[u8] {
    let end = slot.iter().position(|&b| b == 0).unwrap_or(slot.len());
    slot.get(..end).unwrap_or(slot)
}

/// The reload block at payload offsets 36/40/44 of types 3 and 2: flag, hour, minute, each a
/// u32 with only the low byte used by SIET (smart-install.md §3.4, §3.6, §10 item 4). Values are
/// kept as received; [`ReloadSchedule::at`] interprets them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReloadSchedule {
    /// Non-zero: reload at `hour:minute` (**\[inference\]** "reload scheduled").
    pub flag: u32,
    /// Hour (0–23 when valid).
    pub hour: u32,
    /// Minute (0–59 when valid; SIET accepts 60).
    pub minute: u32,
}

impl ReloadSchedule {
    /// Scheduled reload at `hour:minute`; refuses times outside 00:00–23:59.
    pub fn at(hour: u32, minute: u32) -> Result<Self, EncodeError> {
        if hour > 23 || minute > 59 {
            return Err(EncodeError::InvalidTime { hour, minute });
        }
        Ok(Self {
            flag: 1,
            hour,
            minute,
        })
    }

    /// No scheduled reload (all zero).
    pub fn none() -> Self {
        Self::default()
    }

    /// `(hour, minute)` when the flag is set.
    pub fn scheduled(&self) -> Option<(u32, u32)> {
        (self.flag != 0).then_some((self.hour, self.minute))
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Self {
            flag: r.u32()?,
            hour: r.u32()?,
            minute: r.u32()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        for word in [self.flag, self.hour, self.minute] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

/// A bounded cursor over a payload; every read returns `None` instead of running past the end.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    /// The next big-endian u32.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        let bytes = self.take(4)?;
        Some(u32::from_be_bytes(bytes.try_into().ok()?))
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    /// The next `N`-byte text slot.
    pub(crate) fn text<const N: usize>(&mut self) -> Option<FixedText<N>> {
        FixedText::from_raw(self.take(N)?)
    }

    /// Whatever is left.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// Appends big-endian u32 words.
pub(crate) fn put_u32s(out: &mut Vec<u8>, words: &[u32]) {
    for word in words {
        out.extend_from_slice(&word.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stops_at_first_nul_and_keeps_hidden_bytes() {
        let text = FixedText::<8>::from_raw(b"ab\0cd\0\0\0").unwrap();
        assert_eq!(text.value(), b"ab");
        assert!(text.is_terminated());
        assert!(text.has_data_after_nul());
        assert_eq!(text.raw(), b"ab\0cd\0\0\0");
    }

    #[test]
    fn unterminated_slot_is_flagged() {
        let text = FixedText::<4>::from_raw(b"abcd").unwrap();
        assert_eq!(text.value(), b"abcd");
        assert!(!text.is_terminated());
        assert!(!text.has_data_after_nul());
    }

    #[test]
    fn non_utf8_is_kept_and_shown_lossily() {
        let text = FixedText::<4>::from_raw(b"\xffa\0\0").unwrap();
        assert_eq!(text.value(), b"\xffa");
        assert_eq!(text.text(), "\u{fffd}a");
    }

    #[test]
    fn new_refuses_overlong_and_nul_values() {
        assert!(FixedText::<4>::new("f", b"abc").is_ok());
        assert_eq!(
            FixedText::<4>::new("f", b"abcd"),
            Err(EncodeError::FieldTooLong {
                field: "f",
                max: 3,
                actual: 4
            })
        );
        assert_eq!(
            FixedText::<4>::new("f", b"a\0"),
            Err(EncodeError::NulInField {
                field: "f",
                offset: 1
            })
        );
        assert!(FixedText::<4>::from_raw(b"abc").is_none());
    }

    #[test]
    fn reload_time_is_validated() {
        assert_eq!(
            ReloadSchedule::at(23, 59).unwrap().scheduled(),
            Some((23, 59))
        );
        assert!(ReloadSchedule::at(24, 0).is_err());
        assert!(ReloadSchedule::at(0, 60).is_err());
        assert_eq!(ReloadSchedule::none().scheduled(), None);
    }

    #[test]
    fn reader_never_runs_past_the_end() {
        let mut r = Reader::new(&[0, 0, 0, 7, 9]);
        assert_eq!(r.u32(), Some(7));
        assert_eq!(r.u32(), None);
        assert_eq!(r.u8(), Some(9));
        assert_eq!(r.u8(), None);
        assert_eq!(r.take(1), None);
    }
}
