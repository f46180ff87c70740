//! HTTP `Range` requests (RFC 9110 §14) for resumable downloads: which bytes of a file of known
//! length one request asks for.
//!
//! The header is attacker-controlled: parsing is bounded, never panics, and anything this server
//! does not support (multiple ranges, other units) falls back to the whole file, as the RFC
//! allows. Pure: no I/O.

/// The most bytes of `Range` header the parser looks at.
pub const MAX_RANGE_HEADER_BYTES: usize = 256;

/// What to send for a request against a file of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOutcome {
    /// The whole file, status 200.
    Full,
    /// Bytes `start..=end`, status 206 with `Content-Range: bytes start-end/len`.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// Status 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

impl RangeOutcome {
    /// Evaluates an optional `Range` header value against a file of `len` bytes.
    pub fn evaluate(header: Option<&[u8]>, len: u64) -> Self {
        let Some(raw) = header else {
            return Self::Full;
        };
        if raw.len() > MAX_RANGE_HEADER_BYTES {
            return Self::Full;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            return Self::Full;
        };
        let Some(spec) = text.trim().strip_prefix("bytes=") else {
            // Another unit: ignore the header (RFC 9110 §14.2).
            return Self::Full;
        };
        if spec.contains(',') {
            // Multiple ranges would need multipart/byteranges; serving the whole file is allowed.
            return Self::Full;
        }
        match spec.trim().split_once('-') {
            Some(("", suffix)) => suffix_range(suffix, len),
            Some((first, last)) => explicit_range(first, last, len),
            None => Self::Full,
        }
    }

    /// The number of bytes this outcome sends for a file of `len` bytes.
    pub fn body_len(self, len: u64) -> u64 {
        match self {
            Self::Full => len,
            Self::Partial { start, end } => end - start + 1,
            Self::Unsatisfiable => 0,
        }
    }
}

/// `bytes=-N`: the last N bytes.
fn suffix_range(suffix: &str, len: u64) -> RangeOutcome {
    let Some(n) = digits(suffix) else {
        return RangeOutcome::Full;
    };
    if n == 0 || len == 0 {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Partial {
        start: len.saturating_sub(n),
        end: len - 1,
    }
}

/// `bytes=A-` or `bytes=A-B`.
fn explicit_range(first: &str, last: &str, len: u64) -> RangeOutcome {
    let Some(start) = digits(first) else {
        return RangeOutcome::Full;
    };
    let end = if last.is_empty() {
        None
    } else {
        match digits(last) {
            Some(end) if end >= start => Some(end),
            // A last position before the first is syntactically invalid: ignore the header.
            _ => return RangeOutcome::Full,
        }
    };
    if start >= len {
        return RangeOutcome::Unsatisfiable;
    }
    let last_byte = len - 1;
    RangeOutcome::Partial {
        start,
        end: end.map_or(last_byte, |e| e.min(last_byte)),
    }
}

/// A decimal number of at most 19 digits (fits in `u64`), nothing else.
fn digits(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eval(h: &str, len: u64) -> RangeOutcome {
        RangeOutcome::evaluate(Some(h.as_bytes()), len)
    }

    #[test]
    fn serves_explicit_open_and_suffix_ranges() {
        assert_eq!(
            eval("bytes=0-99", 1000),
            RangeOutcome::Partial { start: 0, end: 99 }
        );
        assert_eq!(
            eval("bytes=500-", 1000),
            RangeOutcome::Partial {
                start: 500,
                end: 999
            }
        );
        assert_eq!(
            eval("bytes=-100", 1000),
            RangeOutcome::Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            eval("bytes=-5000", 1000),
            RangeOutcome::Partial { start: 0, end: 999 }
        );
        assert_eq!(
            eval("bytes=990-2000", 1000),
            RangeOutcome::Partial {
                start: 990,
                end: 999
            }
        );
        assert_eq!(RangeOutcome::evaluate(None, 10), RangeOutcome::Full);
    }

    #[test]
    fn refuses_ranges_beyond_the_end() {
        assert_eq!(eval("bytes=1000-", 1000), RangeOutcome::Unsatisfiable);
        assert_eq!(eval("bytes=-0", 1000), RangeOutcome::Unsatisfiable);
        assert_eq!(eval("bytes=0-", 0), RangeOutcome::Unsatisfiable);
    }

    #[test]
    fn ignores_what_it_does_not_support() {
        for h in [
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=9-1",
            "bytes=x-1",
            "bytes=1",
            "bytes=+1-2",
        ] {
            assert_eq!(eval(h, 1000), RangeOutcome::Full, "{h}");
        }
        assert_eq!(
            eval(&format!("bytes=0-{}", "9".repeat(300)), 10),
            RangeOutcome::Full
        );
        assert_eq!(eval("bytes=99999999999999999999-", 10), RangeOutcome::Full);
    }

    proptest! {
        #[test]
        fn partial_ranges_stay_inside_the_file(h in "\\PC{0,40}", len in 0u64..10_000) {
            match RangeOutcome::evaluate(Some(h.as_bytes()), len) {
                RangeOutcome::Partial { start, end } => {
                    prop_assert!(start <= end && end < len);
                }
                RangeOutcome::Full | RangeOutcome::Unsatisfiable => {}
            }
        }

        #[test]
        fn explicit_ranges_are_exact(a in 0u64..5_000, n in 1u64..5_000, len in 1u64..10_000) {
            let outcome = eval(&format!("bytes={a}-{}", a + n - 1), len);
            if a >= len {
                prop_assert_eq!(outcome, RangeOutcome::Unsatisfiable);
            } else {
                prop_assert_eq!(outcome, RangeOutcome::Partial { start: a, end: (a + n - 1).min(len - 1) });
            }
        }
    }
}
