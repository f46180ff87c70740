//! The capture auditor's pure core: TCP flows and stream reassembly, the protocol observers on
//! top of them, and the engine that turns observations into rule findings. Used by
//! `ztpgate pcap audit` and by live capture in `ztpgate serve`.
//!
//! Inputs: decoded packets from captures of hostile traffic, with their endpoints and the
//! capture timestamp. Everything here is attacker-controlled and bounded: no sockets, no files,
//! no clock (time comes from the capture).
//!
//! - [`flows`]: the flow table — connections keyed by endpoint pair, bounded, least recently
//!   active evicted first, idle flows expired by capture time.
//! - [`reassembly`]: one direction of one connection, reassembled in order, with gap and
//!   conflicting-retransmission reports.
//! - [`smart_install`], [`http`], [`ftp`]: observers of reassembled streams; [`classify`]
//!   names transferred files.
//! - [`knowledge`]: which sources are directors and which TFTP servers are allowed.
//! - [`auditor`]: frames in, [`finding::Finding`]s out; [`speakers`] summarises who spoke
//!   Smart Install.

pub mod auditor;
pub mod classify;
pub mod detector;
pub mod dhcp;
pub mod events;
pub mod finding;
pub mod flows;
pub mod ftp;
pub mod http;
pub mod knowledge;
pub mod reassembly;
pub mod smart_install;
pub mod speakers;
