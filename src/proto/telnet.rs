//! Sans-IO telnet stream filter (RFC 854 NVT, RFC 855 option negotiation) for the reverse-telnet
//! session a legacy Smart Install client opens to the SMI proxy (`../shared/reference/smi-proxy.txt`,
//! "SMI Proxy and Tailored Configuration Files").
//!
//! [`TelnetFilter::handle_input`] strips every IAC sequence from the received bytes and appends
//! the remaining data to the caller's buffer: `IAC IAC` becomes one `0xFF` data byte, `WILL`/
//! `WONT`/`DO`/`DONT <option>` drive the negotiation, `SB … IAC SE` subnegotiations are dropped
//! (bounded by [`MAX_SUBNEGOTIATION_BYTES`]), other two-byte commands (NOP, GA, AYT, …) are
//! ignored, and the NVT `CR NUL` pair becomes a bare `CR`. Sequences may be split anywhere
//! across reads; the filter keeps the partial state.
//!
//! Negotiation is that of a minimal NVT: we accept the peer's `WILL ECHO` and
//! `WILL SUPPRESS-GO-AHEAD` (answering `DO`), offer `WILL SUPPRESS-GO-AHEAD` when asked, and refuse
//! everything else (`DO x` → `WONT x`, `WILL x` → `DONT x`). Per-option state (RFC 1143 "yes/no")
//! keeps us from answering a request for a mode already in effect, which is what prevents
//! negotiation loops. Replies are queued for [`TelnetFilter::poll_transmit`], bounded by
//! [`MAX_PENDING_REPLY_BYTES`]. [`escape`] doubles `0xFF` in outgoing data.
//!
//! Inputs: every received byte is attacker-controlled. No panic on any input (property-tested).

/// Interpret As Command.
pub const IAC: u8 = 0xFF;
/// `DONT <option>`: demand that the peer stop using an option.
pub const DONT: u8 = 0xFE;
/// `DO <option>`: ask the peer to use an option.
pub const DO: u8 = 0xFD;
/// `WONT <option>`: refuse to use an option.
pub const WONT: u8 = 0xFC;
/// `WILL <option>`: offer to use an option.
pub const WILL: u8 = 0xFB;
/// Subnegotiation begin.
pub const SB: u8 = 0xFA;
/// Subnegotiation end.
pub const SE: u8 = 0xF0;
/// Option ECHO (RFC 857).
pub const OPT_ECHO: u8 = 0x01;
/// Option SUPPRESS-GO-AHEAD (RFC 858).
pub const OPT_SUPPRESS_GO_AHEAD: u8 = 0x03;

/// The most bytes one subnegotiation may carry before the stream is rejected.
pub const MAX_SUBNEGOTIATION_BYTES: usize = 512;
/// The most reply bytes that may wait for [`TelnetFilter::poll_transmit`].
pub const MAX_PENDING_REPLY_BYTES: usize = 4_096;

const CR: u8 = 0x0D;
const NUL: u8 = 0x00;

/// A telnet stream that cannot be followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TelnetError {
    /// A subnegotiation longer than [`MAX_SUBNEGOTIATION_BYTES`].
    #[error("telnet subnegotiation for option {option} longer than {limit} bytes")]
    SubnegotiationTooLong {
        /// The option being subnegotiated.
        option: u8,
        /// The limit in bytes.
        limit: usize,
    },
    /// The peer negotiated faster than replies were taken with `poll_transmit`.
    #[error("more than {limit} bytes of telnet replies pending")]
    ReplyBacklog {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Where the filter is within the received stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Data,
    /// The previous data byte was CR (a following NUL is dropped).
    DataAfterCr,
    Iac,
    /// Saw `IAC <verb>`; the option byte comes next.
    Verb(u8),
    /// Saw `IAC SB`; the option byte comes next.
    SubOption,
    Sub(u8),
    SubIac(u8),
}

/// The receive-side filter and negotiation state of one telnet connection.
#[derive(Clone, Debug)]
pub struct TelnetFilter {
    state: State,
    sub_len: usize,
    /// Options the peer has agreed to use (we sent or answered `DO`).
    peer_enabled: [bool; 256],
    /// Options we use (we sent or answered `WILL`).
    local_enabled: [bool; 256],
    pending: Vec<u8>,
}

impl TelnetFilter {
    /// A filter at the start of a connection: every option off on both sides.
    pub fn new() -> Self {
        Self {
            state: State::Data,
            sub_len: 0,
            peer_enabled: [false; 256],
            local_enabled: [false; 256],
            pending: Vec::new(),
        }
    }

    /// Filters received bytes: appends the data to `data` and queues negotiation replies.
    ///
    /// `data` grows by at most `input.len()` bytes. On error the stream must be closed.
    pub fn handle_input(&mut self, input: &[u8], data: &mut Vec<u8>) -> Result<(), TelnetError> {
        for &byte in input {
            self.state = self.step(byte, data)?;
        }
        Ok(())
    }

    /// Takes the negotiation replies queued so far, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.pending))
        }
    }

    /// Whether the peer has agreed to use `option` (e.g. [`OPT_ECHO`]).
    pub fn peer_enabled(&self, option: u8) -> bool {
        self.peer_enabled[usize::from(option)]
    }

    /// Whether we use `option` (only [`OPT_SUPPRESS_GO_AHEAD`] can be on).
    pub fn local_enabled(&self, option: u8) -> bool {
        self.local_enabled[usize::from(option)]
    }

    fn step(&mut self, byte: u8, data: &mut Vec<u8>) -> Result<State, TelnetError> {
        Ok(match (self.state, byte) {
            (State::Data | State::DataAfterCr, IAC) => State::Iac,
            (State::DataAfterCr, NUL) => State::Data,
            (State::Data | State::DataAfterCr, _) => {
                data.push(byte);
                if byte == CR {
                    State::DataAfterCr
                } else {
                    State::Data
                }
            }
            (State::Iac, IAC) => {
                data.push(IAC);
                State::Data
            }
            (State::Iac, WILL | WONT | DO | DONT) => State::Verb(byte),
            (State::Iac, SB) => State::SubOption,
            // NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, a stray SE or an undefined code: no data.
            (State::Iac, _) => State::Data,
            (State::Verb(verb), option) => {
                self.negotiate(verb, option)?;
                State::Data
            }
            (State::SubOption, option) => {
                self.sub_len = 0;
                State::Sub(option)
            }
            (State::Sub(option), IAC) => State::SubIac(option),
            (State::Sub(option), _) => self.sub_byte(option)?,
            (State::SubIac(_), SE) => State::Data,
            (State::SubIac(option), IAC) => self.sub_byte(option)?,
            // RFC 855 leaves any other IAC inside SB undefined; we end the subnegotiation and
            // read the byte as the command it would be outside one.
            (State::SubIac(_), _) => {
                self.state = State::Iac;
                return self.step(byte, data);
            }
        })
    }

    fn sub_byte(&mut self, option: u8) -> Result<State, TelnetError> {
        self.sub_len += 1;
        if self.sub_len > MAX_SUBNEGOTIATION_BYTES {
            return Err(TelnetError::SubnegotiationTooLong {
                option,
                limit: MAX_SUBNEGOTIATION_BYTES,
            });
        }
        Ok(State::Sub(option))
    }

    fn negotiate(&mut self, verb: u8, option: u8) -> Result<(), TelnetError> {
        let index = usize::from(option);
        let reply = match verb {
            WILL if self.peer_enabled[index] => None,
            WILL if matches!(option, OPT_ECHO | OPT_SUPPRESS_GO_AHEAD) => {
                self.peer_enabled[index] = true;
                Some(DO)
            }
            WILL => Some(DONT),
            WONT if self.peer_enabled[index] => {
                self.peer_enabled[index] = false;
                Some(DONT)
            }
            DO if self.local_enabled[index] => None,
            DO if option == OPT_SUPPRESS_GO_AHEAD => {
                self.local_enabled[index] = true;
                Some(WILL)
            }
            DO => Some(WONT),
            DONT if self.local_enabled[index] => {
                self.local_enabled[index] = false;
                Some(WONT)
            }
            _ => None,
        };
        match reply {
            Some(reply) => self.queue(&[IAC, reply, option]),
            None => Ok(()),
        }
    }

    fn queue(&mut self, bytes: &[u8]) -> Result<(), TelnetError> {
        if self.pending.len() + bytes.len() > MAX_PENDING_REPLY_BYTES {
            return Err(TelnetError::ReplyBacklog {
                limit: MAX_PENDING_REPLY_BYTES,
            });
        }
        self.pending.extend_from_slice(bytes);
        Ok(())
    }
}

impl Default for TelnetFilter {
    fn default() -> Self {
        Self::new()
    }
}

/// Escapes outgoing data for the telnet stream: every `0xFF` is doubled.
pub fn escape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.iter().filter(|&&b| b == IAC).count());
    for &byte in data {
        out.push(byte);
        if byte == IAC {
            out.push(IAC);
        }
    }
    out
}

#[cfg(test)]
mod tests;
