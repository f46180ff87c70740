//! `ztpgate policy explain --config FILE EVENT`: the verdict, the deciding rule, its mode and the
//! reason for a hypothetical event, as text or (`--json`) as the [`Decision`] itself.
//!
//! Inputs: an operator-written policy file (validated by `crate::config`) and event arguments,
//! validated by clap. Exit code 0 whenever the event was evaluated (whatever the verdict: this is
//! an explanation, not a check), 2 on bad arguments or an invalid policy.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::cli::CliError;
use crate::identity::{CertIdentity, Udi};
use crate::policy::access::{AccessVerdict, MessageKind, SmartInstallEvent};
use crate::policy::auth::{AuthEvidence, AuthVerdict, CertStatus, ChainFailure, VerifiedChain};
use crate::policy::delivery::{DeliveryEvent, DeliveryVerdict};
use crate::policy::join::{
    ClientOverride, JoinContext, JoinDevice, JoinOutcome, JoinState, Mac, ManualWindow, Purpose,
};
use crate::policy::{Decision, Mode, Policy};

/// Arguments of `policy explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Configuration or policy file.
    #[arg(long)]
    pub config: PathBuf,
    /// Print the decision as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// The hypothetical event.
    #[command(subcommand)]
    pub event: ExplainEvent,
}

/// The kinds of event `policy explain` evaluates.
#[derive(Debug, Subcommand)]
pub enum ExplainEvent {
    /// A Smart Install (TCP 4786) message.
    SmartInstall(SmartInstallArgs),
    /// A device asking to join: a Smart Install client, or a PnP device with --pnp.
    Join(JoinArgs),
    /// An image or configuration delivery.
    Deliver(DeliverArgs),
    /// A device authenticating with a certificate (SUDI), or without one.
    Auth(AuthArgs),
}

/// A Smart Install message.
#[derive(Debug, Args)]
pub struct SmartInstallArgs {
    /// Sender address.
    #[arg(long)]
    pub from: IpAddr,
    /// Receiver address.
    #[arg(long)]
    pub to: IpAddr,
    /// Message kind: probe, config-push, image-upgrade, copy-commands, execute, init-discovery,
    /// client-reply or unknown.
    #[arg(long)]
    pub kind: MessageKind,
    /// A URL the message carries (repeatable).
    #[arg(long = "url")]
    pub urls: Vec<String>,
    /// A CLI command the message carries (repeatable).
    #[arg(long = "command")]
    pub commands: Vec<String>,
}

/// A device asking to join.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// Device MAC address.
    #[arg(long, value_parser = Mac::parse)]
    pub mac: Option<Mac>,
    /// Device product ID.
    #[arg(long)]
    pub pid: Option<String>,
    /// When the device joins (RFC 3339); default: now.
    #[arg(long, value_parser = parse_rfc3339)]
    pub at: Option<DateTime<Utc>>,
    /// PnP onboarding instead of a Smart Install join.
    #[arg(long)]
    pub pnp: bool,
    /// The device is already known (onboarded before).
    #[arg(long)]
    pub known: bool,
    /// Runtime manual window state set by an operator.
    #[arg(long, value_enum)]
    pub manual: Option<ManualArg>,
    /// Runtime per-client state set by an operator.
    #[arg(long = "client-override", value_enum)]
    pub client_override: Option<OverrideArg>,
    /// The device is on the hold list.
    #[arg(long)]
    pub on_hold_list: bool,
}

/// `--manual` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ManualArg {
    /// Window opened by the operator.
    Open,
    /// Window closed by the operator.
    Closed,
}

/// `--client-override` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OverrideArg {
    /// Client allowed (Active).
    Allowed,
    /// Client held (Hold).
    Held,
}

/// An image or configuration delivery.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// The URL the device would fetch.
    #[arg(long)]
    pub url: String,
    /// The accompanying checksum (sha256:HEX or sha512:HEX).
    #[arg(long)]
    pub checksum: Option<String>,
    /// The receiving device's address.
    #[arg(long)]
    pub device: Option<IpAddr>,
    /// The receiver is a legacy Smart Install client.
    #[arg(long)]
    pub legacy: bool,
}

/// A device authenticating.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// PID in the certificate's subject serialNumber.
    #[arg(long, required_unless_present_any = ["no_certificate", "chain_failure"])]
    pub pid: Option<String>,
    /// SN in the certificate's subject serialNumber.
    #[arg(long, required_unless_present_any = ["no_certificate", "chain_failure"])]
    pub sn: Option<String>,
    /// Trust-anchor set the chain ends in; default: the first of device_auth.trust_anchors.
    #[arg(long)]
    pub anchor_set: Option<String>,
    /// The chain needs a SHA-1 legacy SUDI CA.
    #[arg(long)]
    pub sha1_legacy: bool,
    /// SHA-256 (hex) of the chain's root certificate; default: none pinned.
    #[arg(long)]
    pub root_sha256: Option<String>,
    /// The IDevID leaf is past its notAfter.
    #[arg(long)]
    pub expired: bool,
    /// The UDI the device claims in its messages (PID:…,VID:…,SN:…).
    #[arg(long, value_parser = Udi::parse)]
    pub claimed_udi: Option<Udi>,
    /// The device presents no certificate.
    #[arg(long, conflicts_with_all = ["pid", "sn", "chain_failure"])]
    pub no_certificate: bool,
    /// The presented chain fails verification this way.
    #[arg(long, value_enum, conflicts_with_all = ["pid", "sn"])]
    pub chain_failure: Option<ChainFailureArg>,
}

/// `--chain-failure` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ChainFailureArg {
    /// Malformed certificate.
    Malformed,
    /// No path to a trust anchor.
    UnknownIssuer,
    /// A signature does not verify.
    BadSignature,
    /// Unsupported signature algorithm.
    UnsupportedSignatureAlgorithm,
    /// Past notAfter.
    Expired,
    /// Before notBefore.
    NotYetValid,
    /// Revoked.
    Revoked,
    /// Revocation status unknown.
    RevocationStatusUnknown,
    /// Not valid for client authentication.
    InvalidPurpose,
    /// No PID/SN in the subject serialNumber.
    MissingIdentity,
}

/// Runs `policy explain`.
pub fn run(args: ExplainArgs) -> Result<ExitCode, CliError> {
    let policy = crate::config::load_policy_file(&args.config)
        .map_err(|errs| CliError::new(errs.to_string()))?;
    let text = explain(&policy, &args.event, args.json, crate::clock::now_utc())?;
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Evaluates `event` against `policy` and renders the decision; `now` is the join time unless
/// the event gives one.
pub fn explain(
    policy: &Policy,
    event: &ExplainEvent,
    json: bool,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    match event {
        ExplainEvent::SmartInstall(a) => {
            let urls: Vec<&str> = a.urls.iter().map(String::as_str).collect();
            let commands: Vec<&str> = a.commands.iter().map(String::as_str).collect();
            let ev = SmartInstallEvent {
                src: a.from,
                dst: a.to,
                kind: a.kind,
                urls: &urls,
                commands: &commands,
            };
            let d = policy.smart_install.compile().decide(&ev);
            let denied = d.verdict == AccessVerdict::Deny;
            let verdict = match d.verdict {
                AccessVerdict::Allow => "allow",
                AccessVerdict::Deny => "deny",
            };
            output(&d, json, verdict.to_owned(), denied, &[])
        }
        ExplainEvent::Join(a) => explain_join(policy, a, json, now),
        ExplainEvent::Deliver(a) => {
            let ev = DeliveryEvent {
                url: &a.url,
                checksum: a.checksum.as_deref(),
                device: a.device,
                legacy_smart_install: a.legacy,
            };
            let d = policy.image_delivery.decide(&ev);
            let (verdict, denied) = match &d.verdict {
                DeliveryVerdict::Allow => ("allow".to_owned(), false),
                DeliveryVerdict::Deny => ("deny".to_owned(), true),
                DeliveryVerdict::Rewrite(url) => (format!("rewrite to {url}"), false),
            };
            output(&d, json, verdict, denied, &[])
        }
        ExplainEvent::Auth(a) => {
            let certificate = certificate(policy, a)?;
            let ev = AuthEvidence {
                certificate,
                claimed_udi: a.claimed_udi.as_ref(),
            };
            let d = policy.device_auth.decide(&ev);
            let denied = matches!(d.verdict, AuthVerdict::Reject(_));
            output(&d, json, d.verdict.to_string(), denied, &[])
        }
    }
}

fn explain_join(
    policy: &Policy,
    a: &JoinArgs,
    json: bool,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let device = JoinDevice {
        mac: a.mac,
        pid: a.pid.clone(),
        known: a.known,
        ..JoinDevice::default()
    };
    let ctx = JoinContext {
        manual: a.manual.map(|m| match m {
            ManualArg::Open => ManualWindow::Open,
            ManualArg::Closed => ManualWindow::Closed,
        }),
        client_override: a.client_override.map(|o| match o {
            OverrideArg::Allowed => ClientOverride::Allowed,
            OverrideArg::Held => ClientOverride::Held,
        }),
        on_hold_list: a.on_hold_list,
        purpose: if a.pnp {
            Purpose::PnpOnboarding
        } else {
            Purpose::SmartInstallJoin
        },
    };
    let at = a.at.unwrap_or(now);
    let d = policy.join_window.decide(&device, &ctx, at);
    let o: JoinOutcome = d.verdict;
    let extra = [
        ("at", format!("{}", at.format("%Y-%m-%dT%H:%M:%SZ"))),
        (
            "window",
            if o.window_open { "open" } else { "closed" }.to_owned(),
        ),
        ("zero-touch", o.zero_touch.to_string()),
        ("on-demand", o.on_demand.to_string()),
        ("backup", o.backup.to_string()),
        (
            "hold list",
            if o.add_to_hold_list {
                "add"
            } else {
                "no change"
            }
            .to_owned(),
        ),
    ];
    output(
        &d,
        json,
        o.state.to_string(),
        o.state == JoinState::Deny,
        &extra,
    )
}

fn certificate(policy: &Policy, a: &AuthArgs) -> Result<CertStatus, CliError> {
    if a.no_certificate {
        return Ok(CertStatus::NotPresented);
    }
    if let Some(failure) = a.chain_failure {
        return Ok(CertStatus::Failed(chain_failure(failure)));
    }
    let (Some(pid), Some(sn)) = (&a.pid, &a.sn) else {
        return Err(CliError::new(
            "policy explain auth: give --pid and --sn, --chain-failure or --no-certificate",
        ));
    };
    let root_sha256 = match &a.root_sha256 {
        None => [0; 32],
        Some(text) => {
            let mut root = [0; 32];
            hex::decode_to_slice(text, &mut root).map_err(|e| {
                CliError::new(format!(
                    "policy explain auth: --root-sha256: {e} (expected 64 hex digits)"
                ))
            })?;
            root
        }
    };
    let anchor_set = a
        .anchor_set
        .clone()
        .or_else(|| policy.device_auth.trust_anchors.first().cloned())
        .unwrap_or_default();
    Ok(CertStatus::Verified(VerifiedChain {
        identity: CertIdentity {
            pid: pid.clone(),
            sn: sn.clone(),
        },
        anchor_set,
        used_sha1_legacy: a.sha1_legacy,
        expired_idevid: a.expired,
        root_sha256,
    }))
}

fn chain_failure(arg: ChainFailureArg) -> ChainFailure {
    match arg {
        ChainFailureArg::Malformed => ChainFailure::Malformed,
        ChainFailureArg::UnknownIssuer => ChainFailure::UnknownIssuer,
        ChainFailureArg::BadSignature => ChainFailure::BadSignature,
        ChainFailureArg::UnsupportedSignatureAlgorithm => {
            ChainFailure::UnsupportedSignatureAlgorithm
        }
        ChainFailureArg::Expired => ChainFailure::Expired,
        ChainFailureArg::NotYetValid => ChainFailure::NotYetValid,
        ChainFailureArg::Revoked => ChainFailure::Revoked,
        ChainFailureArg::RevocationStatusUnknown => ChainFailure::RevocationStatusUnknown,
        ChainFailureArg::InvalidPurpose => ChainFailure::InvalidPurpose,
        ChainFailureArg::MissingIdentity => ChainFailure::MissingIdentity,
    }
}

/// The decision as JSON, or as aligned `label: value` lines.
fn output<V: Serialize>(
    d: &Decision<V>,
    json: bool,
    verdict: String,
    denied: bool,
    extra: &[(&str, String)],
) -> Result<String, CliError> {
    if json {
        let mut text = serde_json::to_string_pretty(d)
            .map_err(|e| CliError::new(format!("policy explain: cannot encode decision: {e}")))?;
        text.push('\n');
        return Ok(text);
    }
    let mode = match (d.mode, denied) {
        (Mode::Audit, true) => "audit (audit: not enforced)".to_owned(),
        (mode, _) => mode.to_string(),
    };
    let mut lines = vec![
        ("verdict", verdict),
        ("rule", d.rule.to_string()),
        ("mode", mode),
        ("reason", d.reason.clone()),
    ];
    lines.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    Ok(lines
        .iter()
        .map(|(k, v)| format!("{:<width$} {v}\n", format!("{k}:")))
        .collect())
}

/// Parses an RFC 3339 timestamp into UTC.
fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
