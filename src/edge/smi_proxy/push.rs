//! Delivering staged files to a client: grant the files to its address, send the Smart Install
//! message that makes it fetch them, and wait until it has.
//!
//! - **Pacing**: at most as many pushes wait at once as the TFTP server has transfer slots, so
//!   a thousand clients told at once do not find the server full.
//! - **A full server** (a read refused `Busy`, which the TFTP server reports though the
//!   authorizer was never asked) is not the client's failure: the message is sent again after a
//!   short pause, until the transfer timeout. Any other refusal or a failed transfer ends the
//!   push at once with the TFTP server's reason; silence ends it at the transfer timeout.
//!
//! [`Waiter::outcome`] is the pure part: what one TFTP event means for a push.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::edge::director::wire;
use crate::edge::tftp_server::{Refusal, TransferEvent, TransferPhase};

use super::SmiProxy;

/// The first pause after a `Busy` refusal; it doubles up to [`MAX_BUSY_PAUSE`].
const FIRST_BUSY_PAUSE: Duration = Duration::from_millis(250);
/// The longest pause after a `Busy` refusal.
const MAX_BUSY_PAUSE: Duration = Duration::from_secs(4);

/// A push waiting for its client's transfers.
pub(super) struct Waiter {
    /// The files the client fetches, in order; the last one's completion ends the push.
    files: Vec<String>,
    tx: mpsc::UnboundedSender<Outcome>,
}

/// What a TFTP event means for a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The last file arrived.
    Fetched,
    /// The server was full: try again.
    Busy,
    /// A file was refused or its transfer failed.
    Failed(String),
}

impl Waiter {
    /// What `event` (already known to be from this waiter's client) means, if anything.
    pub(super) fn outcome(files: &[String], event: &TransferEvent) -> Option<Outcome> {
        if event.write || !files.contains(&event.filename) {
            return None;
        }
        let name = &event.filename;
        match &event.phase {
            TransferPhase::Started => None,
            TransferPhase::Completed { .. } => {
                (files.last() == Some(name)).then_some(Outcome::Fetched)
            }
            TransferPhase::Refused(Refusal::Busy) => Some(Outcome::Busy),
            TransferPhase::Refused(refusal) => {
                Some(Outcome::Failed(format!("{name} refused: {refusal}")))
            }
            TransferPhase::Failed { reason } => Some(Outcome::Failed(format!("{name}: {reason}"))),
        }
    }
}

/// The pause before the `attempt`-th resend after a `Busy` refusal (1-based).
fn busy_pause(attempt: u32) -> Duration {
    FIRST_BUSY_PAUSE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(8))
        .min(MAX_BUSY_PAUSE)
}

impl SmiProxy {
    /// Grants `files` to `ip`, sends `message` and waits until the client has fetched the last
    /// of them. `Err` carries why not, for the PnP response.
    pub(super) async fn push(
        &self,
        ip: IpAddr,
        files: &[String],
        message: &crate::proto::vstack::Message,
    ) -> Result<(), String> {
        let _slot = self
            .push_slots
            .acquire()
            .await
            .map_err(|_| "the proxy is stopping".to_owned())?;
        for name in files {
            self.grant(ip, name);
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let waiter = Waiter {
            files: files.to_vec(),
            tx,
        };
        if let Ok(mut w) = self.waiting.write() {
            w.insert(ip, waiter);
        }
        let addr = SocketAddr::new(ip, self.settings.gateway.client_port);
        let timeout = self.settings.gateway.transfer_timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let last = files.last().map_or("", String::as_str);
        let mut busy = 0u32;
        let result = loop {
            if let Err(e) = wire::send(addr, message, self.settings.gateway.probe_timeout).await {
                break Err(format!("cannot reach the client: {e}"));
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(Outcome::Fetched)) => break Ok(()),
                Ok(Some(Outcome::Failed(reason))) => {
                    break Err(format!("the client's TFTP transfer failed: {reason}"));
                }
                Ok(Some(Outcome::Busy)) => {
                    busy = busy.saturating_add(1);
                    let resume = tokio::time::Instant::now() + busy_pause(busy);
                    if resume >= deadline {
                        break Err(format!(
                            "the TFTP server stayed busy; the client did not fetch {last} \
                             within {timeout:?}"
                        ));
                    }
                    tokio::time::sleep_until(resume).await;
                }
                Ok(None) | Err(_) => {
                    break Err(format!(
                        "the client did not fetch {last} within {timeout:?}"
                    ));
                }
            }
        };
        if let Ok(mut w) = self.waiting.write() {
            w.remove(&ip);
        }
        result
    }

    /// Reports a TFTP event to the push waiting on that client, if it concerns it.
    pub(super) fn on_transfer(&self, event: &TransferEvent) {
        let Ok(waiting) = self.waiting.read() else {
            return;
        };
        let Some(waiter) = waiting.get(&event.client) else {
            return;
        };
        if let Some(outcome) = Waiter::outcome(&waiter.files, event) {
            let _ = waiter.tx.send(outcome);
        }
    }

    fn grant(&self, ip: IpAddr, name: &str) {
        if let Ok(mut s) = self.staged.write() {
            s.entry(ip).or_default().insert(name.to_owned());
        }
    }
}

#[cfg(test)]
mod tests;
