//! CDP capture on a management interface: libpcap with the BPF filter [`CDP_FILTER`] (incoming
//! frames only), each frame decoded by the pure `proto::cdp` codec and handed on as a typed
//! [`Observation`] — a [`NeighborRecord`] (who is on the other end of this link) or a malformed
//! frame with its decode error. Consumers (the director database) receive them through a
//! callback, on the listener's own thread.
//!
//! Inputs: frames from the wire — attacker-controlled; only the bounded decoder reads them, and
//! captures are cut at [`SNAPLEN_BYTES`]. Trusted: the interface name (operator). Spec: CDP as
//! documented in `proto::cdp`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use pcap::{Active, Capture, Direction};

use crate::edge::libpcap::{self, CaptureError, OpenOptions};
use serde::Serialize;

use crate::clock;
use crate::policy::join::Mac;
use crate::proto::cdp::{self, DecodeError, Neighbor};

/// BPF filter selecting CDP (and other Cisco multicast) frames.
pub const CDP_FILTER: &str = "ether dst 01:00:0c:cc:cc:cc";
/// Capture length: the largest frame the decoder accepts.
pub const SNAPLEN_BYTES: i32 = cdp::MAX_FRAME_BYTES as i32;
/// How long a read waits before the listener checks its stop flag, in milliseconds.
pub const READ_TIMEOUT_MS: i32 = 200;

/// What a neighbor advertised on one local interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NeighborRecord {
    /// Local interface the frame arrived on.
    pub interface: String,
    /// Source MAC of the frame (the neighbor's port), `aa:bb:cc:dd:ee:ff`.
    pub source_mac: String,
    /// VLAN of the 802.1Q tag, if the frame was tagged.
    pub vlan: Option<u16>,
    /// When the frame was captured.
    pub seen_at: DateTime<Utc>,
    /// How long the advertisement stays valid, in seconds.
    pub ttl_secs: u8,
    /// Product ID from the platform string (`WS-C2960X-48FPD-L`).
    pub pid: Option<String>,
    /// Everything the neighbor advertised.
    pub neighbor: Neighbor,
}

impl NeighborRecord {
    /// The record for a decoded frame seen on `interface` at `seen_at`.
    pub fn new(interface: &str, frame: &cdp::Frame, seen_at: DateTime<Utc>) -> Self {
        let neighbor = frame.pdu.neighbor();
        Self {
            interface: interface.to_owned(),
            source_mac: Mac(frame.source).to_string(),
            vlan: frame.vlan,
            seen_at,
            ttl_secs: frame.pdu.ttl_secs,
            pid: neighbor.pid().map(str::to_owned),
            neighbor,
        }
    }
}

/// One captured frame, decoded or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// A valid CDP frame.
    Neighbor(Box<NeighborRecord>),
    /// A frame to the CDP address that is not valid CDP (VTP, DTP, a corrupt or hostile frame).
    Malformed {
        /// Local interface.
        interface: String,
        /// Captured length.
        bytes: usize,
        /// Why it was rejected.
        error: DecodeError,
    },
}

/// Capture failures of the listener.
pub type ListenError = CaptureError;

/// An open CDP capture on one interface.
pub struct CdpListener {
    capture: Capture<Active>,
    interface: String,
}

impl CdpListener {
    /// Opens `interface` with the CDP filter, incoming frames only. Promiscuous: the NIC has
    /// not joined the CDP multicast group, and a hardware filter would drop its frames.
    pub fn open(interface: &str) -> Result<Self, ListenError> {
        let capture = libpcap::open(
            interface,
            &OpenOptions {
                snaplen: SNAPLEN_BYTES,
                timeout_ms: READ_TIMEOUT_MS,
                promiscuous: true,
                buffer_bytes: None,
                filter: CDP_FILTER,
            },
        )?;
        capture
            .direction(Direction::In)
            .map_err(|source| CaptureError::Filter {
                interface: interface.to_owned(),
                source,
            })?;
        Ok(Self {
            capture,
            interface: interface.to_owned(),
        })
    }

    /// Waits up to [`READ_TIMEOUT_MS`] for the next frame; `None` when none arrived.
    pub fn next_observation(&mut self) -> Result<Option<Observation>, ListenError> {
        let packet = match self.capture.next_packet() {
            Ok(p) => p,
            Err(pcap::Error::TimeoutExpired) => return Ok(None),
            Err(source) => {
                return Err(ListenError::Read {
                    interface: self.interface.clone(),
                    source,
                });
            }
        };
        let data: &[u8] = &packet;
        Ok(Some(match cdp::decode_frame(data) {
            Ok(frame) => {
                let record = NeighborRecord::new(&self.interface, &frame, clock::now_utc());
                Observation::Neighbor(Box::new(record))
            }
            Err(error) => Observation::Malformed {
                interface: self.interface.clone(),
                bytes: data.len(),
                error,
            },
        }))
    }

    /// Hands every observation to `sink` until `stop` is set or the capture fails.
    pub fn run(
        mut self,
        stop: &AtomicBool,
        mut sink: impl FnMut(Observation),
    ) -> Result<(), ListenError> {
        while !stop.load(Ordering::Relaxed) {
            if let Some(observation) = self.next_observation()? {
                sink(observation);
            }
        }
        Ok(())
    }

    /// Runs the listener on its own thread (libpcap reads block); set `stop` to end it.
    pub fn spawn(
        self,
        stop: Arc<AtomicBool>,
        sink: impl FnMut(Observation) + Send + 'static,
    ) -> JoinHandle<Result<(), ListenError>> {
        std::thread::spawn(move || self.run(&stop, sink))
    }
}
