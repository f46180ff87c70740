//! Server-side TFTP option negotiation: the options of an RRQ/WRQ in, the transfer parameters and
//! the OACK to send out. Implements RFC 2347 (option extension: unknown options are ignored, an
//! OACK is sent only when at least one option was accepted), RFC 2348 (`blksize` 8..=65464, the
//! server may answer with a smaller value), RFC 2349 (`timeout` 1..=255 s echoed exactly or not at
//! all; `tsize`: on an RRQ the server fills in the file size, on a WRQ the client announces it
//! and the server refuses sizes above its cap) and RFC 7440 (`windowsize` 1..=65535, the server
//! may answer with a smaller value).
//!
//! Inputs: option names and values from the request, attacker-controlled (the codec already
//! bounded their number and length). Names compare case-insensitively; a malformed or
//! out-of-range value makes the option ignored, never the request refused; a repeated option is
//! ignored after its first occurrence.

use std::time::Duration;

use crate::proto::tftp::{DEFAULT_BLOCK_BYTES, MAX_BLOCK_BYTES};

/// The server's side of negotiation: what it is willing to grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest block size granted (a larger request is answered with this value).
    pub max_block_bytes: usize,
    /// Largest window granted (a larger request is answered with this value).
    pub max_window: u16,
    /// Largest file a WRQ may announce (`tsize`) or write.
    pub max_write_bytes: u64,
    /// Retransmission timeout when the client does not ask for one.
    pub default_timeout: Duration,
}

impl Default for ServerLimits {
    /// Every block size and window the RFCs allow, 16 MiB writes, 1 s timeout.
    fn default() -> Self {
        Self {
            max_block_bytes: MAX_BLOCK_BYTES,
            max_window: u16::MAX,
            max_write_bytes: 16 << 20,
            default_timeout: Duration::from_secs(1),
        }
    }
}

/// Which request is being negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// An RRQ for a file of this many bytes.
    Read {
        /// Size of the file the server will send.
        file_bytes: u64,
    },
    /// A WRQ.
    Write,
}

/// The parameters a transfer runs with once options are settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// Data bytes per block.
    pub block_bytes: usize,
    /// Blocks sent before an ACK is expected (RFC 7440; 1 is RFC 1350 lock-step).
    pub window: u16,
    /// Retransmission timeout.
    pub timeout: Duration,
    /// The size the client announced in a WRQ (`tsize`), if it did.
    pub announced_bytes: Option<u64>,
}

/// The outcome of negotiation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiation {
    /// The transfer parameters.
    pub params: Negotiated,
    /// The options to acknowledge in an OACK, in request order; empty: send no OACK.
    pub oack: Vec<(String, String)>,
}

/// Why a request is refused during negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// A WRQ announced (`tsize`) more bytes than the server accepts (reply: error 3).
    #[error("announced size of {announced} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// The announced size.
        announced: u64,
        /// The limit.
        limit: u64,
    },
}

/// Settles the options of a request against the server's limits.
pub fn negotiate(
    options: &[(String, String)],
    direction: Direction,
    limits: &ServerLimits,
) -> Result<Negotiation, OptionError> {
    let mut params = Negotiated {
        block_bytes: DEFAULT_BLOCK_BYTES,
        window: 1,
        timeout: limits.default_timeout,
        announced_bytes: None,
    };
    let mut oack: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in options {
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        let answer = match name.as_str() {
            "blksize" => number(value, MIN_BLOCK_BYTES, MAX_BLOCK_BYTES as u64).map(|asked| {
                params.block_bytes = usize::try_from(asked).unwrap_or(MAX_BLOCK_BYTES).min(
                    limits
                        .max_block_bytes
                        .clamp(MIN_BLOCK_BYTES_USIZE, MAX_BLOCK_BYTES),
                );
                params.block_bytes.to_string()
            }),
            "windowsize" => number(value, 1, u64::from(u16::MAX)).map(|asked| {
                let asked = u16::try_from(asked).unwrap_or(u16::MAX);
                params.window = asked.min(limits.max_window.max(1));
                params.window.to_string()
            }),
            "timeout" => number(value, 1, MAX_TIMEOUT_SECS).map(|secs| {
                params.timeout = Duration::from_secs(secs);
                secs.to_string()
            }),
            "tsize" => match (direction, number(value, 0, u64::MAX)) {
                (Direction::Read { file_bytes }, Some(_)) => Some(file_bytes.to_string()),
                (Direction::Write, Some(announced)) if announced > limits.max_write_bytes => {
                    return Err(OptionError::TooLarge {
                        announced,
                        limit: limits.max_write_bytes,
                    });
                }
                (Direction::Write, Some(announced)) => {
                    params.announced_bytes = Some(announced);
                    Some(announced.to_string())
                }
                (_, None) => None,
            },
            _ => None,
        };
        if let Some(value) = answer {
            oack.push((name, value));
        }
    }
    Ok(Negotiation { params, oack })
}

/// The decimal value of an option if it lies in `min..=max`.
fn number(value: &str, min: u64, max: u64) -> Option<u64> {
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value
        .parse::<u64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
}

/// Smallest block size RFC 2348 allows.
const MIN_BLOCK_BYTES: u64 = 8;
const MIN_BLOCK_BYTES_USIZE: usize = 8;
/// Largest timeout RFC 2349 allows, in seconds.
const MAX_TIMEOUT_SECS: u64 = 255;

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn read(list: &[(&str, &str)], size: u64) -> Negotiation {
        negotiate(
            &opts(list),
            Direction::Read { file_bytes: size },
            &ServerLimits::default(),
        )
        .unwrap()
    }

    #[test]
    fn no_options_means_rfc1350_defaults_and_no_oack() {
        let n = read(&[], 10);
        assert_eq!(n.params.block_bytes, 512);
        assert_eq!(n.params.window, 1);
        assert_eq!(n.params.timeout, Duration::from_secs(1));
        assert!(n.oack.is_empty());
    }

    #[test]
    fn acknowledges_blksize_windowsize_timeout_and_fills_tsize_on_read() {
        let n = read(
            &[
                ("BLKSIZE", "1468"),
                ("tsize", "0"),
                ("windowsize", "16"),
                ("timeout", "3"),
            ],
            70_000,
        );
        assert_eq!(n.params.block_bytes, 1468);
        assert_eq!(n.params.window, 16);
        assert_eq!(n.params.timeout, Duration::from_secs(3));
        assert_eq!(
            n.oack,
            opts(&[
                ("blksize", "1468"),
                ("tsize", "70000"),
                ("windowsize", "16"),
                ("timeout", "3")
            ])
        );
    }

    #[test]
    fn ignores_unknown_malformed_out_of_range_and_repeated_options() {
        let n = read(
            &[
                ("multicast", ""),
                ("blksize", "7"),
                ("blksize", "600"),
                ("windowsize", "0"),
                ("timeout", "256"),
                ("tsize", "-1"),
                ("timeout", "+5"),
            ],
            1,
        );
        assert_eq!(n.params.block_bytes, 512);
        assert_eq!(n.params.window, 1);
        assert!(n.oack.is_empty(), "{:?}", n.oack);
    }

    #[test]
    fn answers_larger_requests_with_the_server_maximum() {
        let limits = ServerLimits {
            max_block_bytes: 1024,
            max_window: 8,
            ..ServerLimits::default()
        };
        let n = negotiate(
            &opts(&[("blksize", "65464"), ("windowsize", "65535")]),
            Direction::Read { file_bytes: 0 },
            &limits,
        )
        .unwrap();
        assert_eq!(n.params.block_bytes, 1024);
        assert_eq!(n.params.window, 8);
        assert_eq!(n.oack, opts(&[("blksize", "1024"), ("windowsize", "8")]));
    }

    #[test]
    fn echoes_the_announced_write_size() {
        let n = negotiate(
            &opts(&[("tsize", "4096")]),
            Direction::Write,
            &ServerLimits::default(),
        )
        .unwrap();
        assert_eq!(n.params.announced_bytes, Some(4096));
        assert_eq!(n.oack, opts(&[("tsize", "4096")]));
    }

    #[test]
    fn refuses_an_announced_write_size_above_the_cap() {
        let limits = ServerLimits {
            max_write_bytes: 1000,
            ..ServerLimits::default()
        };
        let err = negotiate(&opts(&[("tsize", "1001")]), Direction::Write, &limits).unwrap_err();
        assert_eq!(
            err,
            OptionError::TooLarge {
                announced: 1001,
                limit: 1000
            }
        );
    }
}
