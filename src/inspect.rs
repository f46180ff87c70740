//! The capture auditor's pure core: TCP flows and stream reassembly. Protocol observers and
//! detection rules come on top of it.
//!
//! Inputs: decoded TCP segments from captures of hostile traffic, with their endpoints and the
//! capture timestamp. Everything here is attacker-controlled and bounded: no sockets, no files,
//! no clock (time comes from the capture).
//!
//! - [`flows`]: the flow table — connections keyed by endpoint pair, bounded, least recently
//!   active evicted first, idle flows expired by capture time.
//! - [`reassembly`]: one direction of one connection, reassembled in order, with gap and
//!   conflicting-retransmission reports.

pub mod flows;
pub mod reassembly;
