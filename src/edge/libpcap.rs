//! Live libpcap captures, shared by the CDP listener and live inspection: an interface opened
//! with a snap length, a read timeout, immediate delivery, promiscuity and a BPF filter, and the
//! typed errors of opening, filtering and reading.
//!
//! Inputs: the interface name and filter come from the operator (or the caller's constant);
//! libpcap reports its own errors, which are kept as the source.

use pcap::{Active, Capture};

/// How a capture is opened.
#[derive(Clone, Copy, Debug)]
pub struct OpenOptions<'a> {
    /// Bytes captured per packet.
    pub snaplen: i32,
    /// Milliseconds a read waits for a packet.
    pub timeout_ms: i32,
    /// Promiscuous mode.
    pub promiscuous: bool,
    /// Kernel buffer size (`None`: libpcap's default).
    pub buffer_bytes: Option<i32>,
    /// BPF filter (compiled with optimisation).
    pub filter: &'a str,
}

/// Capture failures (libpcap errors: the interface, permissions, the filter).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The interface could not be opened for capture.
    #[error("cannot capture on {interface}: {source}")]
    Open {
        /// The interface.
        interface: String,
        /// libpcap's error.
        source: pcap::Error,
    },
    /// The BPF filter or direction could not be set.
    #[error("cannot set the capture filter on {interface}: {source}")]
    Filter {
        /// The interface.
        interface: String,
        /// libpcap's error.
        source: pcap::Error,
    },
    /// Reading from the capture failed.
    #[error("capture on {interface} failed: {source}")]
    Read {
        /// The interface.
        interface: String,
        /// libpcap's error.
        source: pcap::Error,
    },
}

/// Opens `interface` with `options`. Packets are handed over at once (immediate mode), not
/// when a kernel block fills up.
pub fn open(interface: &str, options: &OpenOptions<'_>) -> Result<Capture<Active>, CaptureError> {
    let open = |source| CaptureError::Open {
        interface: interface.to_owned(),
        source,
    };
    let mut inactive = Capture::from_device(interface)
        .map_err(open)?
        .snaplen(options.snaplen)
        .timeout(options.timeout_ms)
        .immediate_mode(true)
        .promisc(options.promiscuous);
    if let Some(bytes) = options.buffer_bytes {
        inactive = inactive.buffer_size(bytes);
    }
    let mut capture = inactive.open().map_err(open)?;
    capture
        .filter(options.filter, true)
        .map_err(|source| CaptureError::Filter {
            interface: interface.to_owned(),
            source,
        })?;
    Ok(capture)
}
