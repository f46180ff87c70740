//! The director's side of TCP 4786: probes (the 24-byte hello, smart-install.md §3.1) and the
//! operations whose formats are publicly known — configuration push (§3.4), image upgrade (§3.6)
//! and copy commands (§3.5, used for backups toward ztpgate's own TFTP server). One message per
//! connection (§10 item 9: some clients expect that), every step bounded by a timeout.
//!
//! Inputs: replies from clients (untrusted), decoded by the bounded `proto::vstack` codec; only
//! whether a well-formed probe reply arrived is used.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::proto::vstack::{
    Body, ConfigPush, CopyCommands, Decoded, EncodeError, ImageUpgrade, Limits, Message, Probe,
    ReloadSchedule, StreamDecoder, UpgradeTiming,
};

/// Why a message could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The message does not encode (a URL or command too long for its slot).
    #[error("cannot encode the message: {0}")]
    Encode(#[from] EncodeError),
    /// Connecting or writing failed.
    #[error("cannot reach {addr}: {source}")]
    Io {
        /// The client.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The client did not accept the connection in time.
    #[error("{addr} did not answer within {timeout:?}")]
    Timeout {
        /// The client.
        addr: SocketAddr,
        /// The limit.
        timeout: Duration,
    },
}

/// When a pushed update reloads the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "when")]
pub enum Reload {
    /// As soon as the image (or configuration) is in place.
    Now,
    /// At HH:MM (the wire's scheduled-reload field, smart-install.md §3.4: whether clients read
    /// it as a time of day or a delay is not publicly known).
    At {
        /// Hour, 0–23.
        hour: u32,
        /// Minute, 0–59.
        minute: u32,
    },
}

/// A TFTP URL for `file` on ztpgate's server at `tftp` (the port is written only when it is not
/// 69, as clients assume 69).
pub fn tftp_url(tftp: SocketAddr, file: &str) -> String {
    if tftp.port() == 69 {
        format!("tftp://{}/{file}", tftp.ip())
    } else {
        format!("tftp://{tftp}/{file}")
    }
}

/// Whether a Smart Install client answers the documented probe at `addr` within `timeout`.
pub async fn probe(addr: SocketAddr, timeout: Duration) -> bool {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let hello = Message::new(Body::Probe(Probe::HELLO)).encode().ok()?;
        stream.write_all(&hello).await.ok()?;
        let mut decoder = StreamDecoder::new(Limits::default());
        let mut buf = [0u8; 256];
        loop {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return Some(false);
            }
            let mut input = buf.get(..n)?;
            match decoder.decode(&mut input) {
                Ok(Decoded::Frame(frame)) => {
                    return Some(matches!(frame.message.body, Body::ProbeReply(_)));
                }
                Ok(Decoded::NeedMore { .. }) => {}
                Err(_) => return Some(false),
            }
        }
    };
    matches!(
        tokio::time::timeout(timeout, exchange).await,
        Ok(Some(true))
    )
}

/// Probes running at once in [`probe_many`].
const PROBE_CONCURRENCY: usize = 64;

/// Probes every `(mac, address)` on `port`, [`PROBE_CONCURRENCY`] at a time; whether each
/// answered, in completion order.
pub async fn probe_many(
    targets: Vec<([u8; 6], IpAddr)>,
    port: u16,
    timeout: Duration,
) -> Vec<([u8; 6], bool)> {
    let slots = Arc::new(Semaphore::new(PROBE_CONCURRENCY));
    let mut probes = JoinSet::new();
    for (mac, ip) in targets {
        let slots = Arc::clone(&slots);
        probes.spawn(async move {
            let _slot = slots.acquire_owned().await.ok()?;
            Some((mac, probe(SocketAddr::new(ip, port), timeout).await))
        });
    }
    let mut results = Vec::new();
    while let Some(done) = probes.join_next().await {
        if let Ok(Some(result)) = done {
            results.push(result);
        }
    }
    results
}

/// The copy-commands message that makes a client upload its running configuration to `url`.
pub fn backup_message(url: &str) -> Result<Message, WireError> {
    let command = format!("copy system:running-config {url}");
    Ok(Message::new(Body::CopyCommands(CopyCommands::new(&[
        command,
    ])?)))
}

/// The image-upgrade message pointing the client at its image list.
pub fn image_message(list_url: &str, reload: Reload) -> Result<Message, WireError> {
    let timing = match reload {
        Reload::Now => UpgradeTiming::Immediate,
        Reload::At { hour, minute } => UpgradeTiming::At { hour, minute },
    };
    Ok(Message::new(Body::ImageUpgrade(ImageUpgrade::new(
        list_url.as_bytes(),
        timing,
    )?)))
}

/// The configuration-push message; with `reload`, the client reloads on the new configuration.
pub fn config_message(url: &str, reload: Option<Reload>) -> Result<Message, WireError> {
    let schedule = match reload {
        None => ReloadSchedule::default(),
        Some(Reload::Now) => ReloadSchedule::at(0, 0)?,
        Some(Reload::At { hour, minute }) => ReloadSchedule::at(hour, minute)?,
    };
    Ok(Message::new(Body::ConfigPush(ConfigPush::new(
        url.as_bytes(),
        schedule,
    )?)))
}

/// Sends `message` to the client at `addr` on a connection of its own, then closes it.
pub async fn send(addr: SocketAddr, message: &Message, timeout: Duration) -> Result<(), WireError> {
    let bytes = message.encode()?;
    let io = |source| WireError::Io { addr, source };
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.map_err(io)?;
        stream.write_all(&bytes).await.map_err(io)?;
        stream.shutdown().await.map_err(io)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| WireError::Timeout { addr, timeout })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_the_urls_and_reload_timing() {
        let m = backup_message("tftp://10.0.0.1/vstack-backup-0102.cfg").unwrap();
        assert_eq!(
            m.commands()[0].text(),
            "copy system:running-config tftp://10.0.0.1/vstack-backup-0102.cfg"
        );
        let m = image_message("tftp://10.0.0.1/imagelist-01.txt", Reload::Now).unwrap();
        assert_eq!(m.urls()[0].text(), "tftp://10.0.0.1/imagelist-01.txt");
        let Body::ImageUpgrade(i) = &m.body else {
            panic!("not an image upgrade")
        };
        assert_eq!(i.timing(), Some(UpgradeTiming::Immediate));
        let m = config_message(
            "tftp://10.0.0.1/a.cfg",
            Some(Reload::At { hour: 1, minute: 2 }),
        )
        .unwrap();
        let Body::ConfigPush(c) = &m.body else {
            panic!("not a config push")
        };
        assert_eq!(c.reload.scheduled(), Some((1, 2)));
        let m = config_message("tftp://10.0.0.1/a.cfg", None).unwrap();
        let Body::ConfigPush(c) = &m.body else {
            panic!("not a config push")
        };
        assert_eq!(c.reload.scheduled(), None);
        assert!(
            config_message(
                "tftp://h/a",
                Some(Reload::At {
                    hour: 24,
                    minute: 0
                })
            )
            .is_err()
        );
        assert!(backup_message(&format!("tftp://h/{}", "x".repeat(400))).is_err());
    }

    #[tokio::test]
    async fn probe_is_false_when_nobody_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        assert!(!probe(addr, Duration::from_millis(300)).await);
    }
}
