//! `ztpgate certs init|device|inspect`: generate the lab PKI, issue SUDI-like device certificates,
//! and show what a certificate says together with its chain verdict.
//!
//! Operator input (paths, PID/SN, times) is validated by [`crate::pki`]; the inspected file may
//! hold attacker-supplied certificates. Exit codes of `inspect`: 0 when the chain is valid, 1 when
//! it is not (or no anchors were given), 2 when an input cannot be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand, ValueEnum};
use rustls_pki_types::CertificateDer;

use crate::cli::{CliError, EXIT_FINDINGS};
use crate::pki::inspect::CertInfo;
use crate::pki::lab::{self, DEFAULT_DEVICE_DAYS, DeviceRequest};
use crate::pki::sudi::chain::to_verdict;
use crate::pki::sudi::{ChainOptions, verify_sudi_chain};
use crate::pki::verify::{ChainVerdict, verify_chain};
use crate::pki::{self, KeyKind};
use crate::policy::auth::DeviceAuthPolicy;

/// Certificate commands.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Generate the lab PKI: admin CA, server and admin certificates, device root and device CA.
    Init(InitArgs),
    /// Issue a SUDI-like device certificate (serialNumber `PID:<pid> SN:<sn>`) from the device CA.
    Device(DeviceArgs),
    /// Show a certificate's identity and its chain verdict against trust anchors.
    Inspect(InspectArgs),
}

/// Arguments of `certs init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the PKI in (created with mode 0700).
    #[arg(long)]
    pub dir: PathBuf,
    /// Overwrite an existing PKI.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `certs device`.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// Lab PKI directory (from `certs init`).
    #[arg(long)]
    pub dir: PathBuf,
    /// Product ID, e.g. ISR4321/K9.
    #[arg(long)]
    pub pid: String,
    /// Serial number, e.g. FDO21520TGH.
    #[arg(long)]
    pub sn: String,
    /// Key algorithm.
    #[arg(long, value_enum, default_value_t = KeyArg::Rsa)]
    pub key: KeyArg,
    /// Validity in days.
    #[arg(long, default_value_t = DEFAULT_DEVICE_DAYS)]
    pub days: u32,
    /// Base file name under devices/ (default: `<PID with / as _>_<SN>`).
    #[arg(long)]
    pub out: Option<String>,
    /// Overwrite existing files of the same name.
    #[arg(long)]
    pub force: bool,
}

/// Key algorithm on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyArg {
    /// RSA-2048 (as Cisco SUDIs).
    Rsa,
    /// ECDSA P-256.
    P256,
}

/// Arguments of `certs inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Certificate file (PEM: leaf first, then intermediates; or one DER certificate).
    pub file: PathBuf,
    /// Trust anchors: PEM files or directories of PEM files (repeatable). Anchors need not be
    /// self-signed: a SUDI sub-CA can be an anchor.
    #[arg(long = "anchors", value_name = "PATH")]
    pub anchors: Vec<PathBuf>,
    /// Policy (or gateway config) whose device_auth trust anchors are used: the sets named in
    /// `trust_anchors`, or every anchor set when that list is empty.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Verify at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs a certs command.
pub fn run(cmd: CertsCommand) -> Result<ExitCode, CliError> {
    match cmd {
        CertsCommand::Init(args) => init(&args),
        CertsCommand::Device(args) => device(&args),
        CertsCommand::Inspect(args) => inspect(&args),
    }
}

fn init(args: &InitArgs) -> Result<ExitCode, CliError> {
    let pki = lab::init(&args.dir, args.force).map_err(pki_error)?;
    println!("lab PKI written to {}:", pki.dir.display());
    for file in pki.files() {
        println!("  {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn device(args: &DeviceArgs) -> Result<ExitCode, CliError> {
    let req = DeviceRequest {
        pid: &args.pid,
        sn: &args.sn,
        key: match args.key {
            KeyArg::Rsa => KeyKind::Rsa2048,
            KeyArg::P256 => KeyKind::P256,
        },
        days: args.days,
        out_name: args.out.as_deref(),
        force: args.force,
    };
    let files = lab::issue(&args.dir, &req).map_err(pki_error)?;
    println!("device certificate for {}:", files.identity);
    for file in [&files.cert, &files.key, &files.chain] {
        println!("  {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect(args: &InspectArgs) -> Result<ExitCode, CliError> {
    let certs = pki::load_certs_file(&args.file).map_err(pki_error)?;
    let (leaf, intermediates) = certs
        .split_first()
        .ok_or_else(|| CliError::new(format!("{}: no certificate found", args.file.display())))?;
    let info = CertInfo::from_der(leaf)
        .map_err(|e| CliError::new(format!("{}: {e}", args.file.display())))?;
    let policy = match &args.policy {
        Some(path) => Some(load_device_auth(path)?),
        None => None,
    };
    let anchors = load_anchors(&args.anchors, policy.as_ref())?;
    let at = args
        .at
        .map_or_else(crate::clock::now_system, SystemTime::from);
    // The policy's danger_* knobs apply to SUDI leaves: the pinned-root SHA-1 path and the
    // IDevID notAfter exception.
    let opts = policy
        .as_ref()
        .map(ChainOptions::from_policy)
        .unwrap_or_default();
    let verdict = if opts.is_dangerous() && info.identity().is_some() {
        to_verdict(&verify_sudi_chain(leaf, intermediates, &anchors, at, &opts))
    } else {
        verify_chain(leaf, intermediates, &anchors, at)
    };
    let report = Report {
        file: &args.file,
        info: &info,
        intermediates: intermediates.len(),
        anchors: anchors.len(),
        at: DateTime::<Utc>::from(at),
        verdict: &verdict,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(if verdict.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// The device-auth section of the policy file at `path`.
pub(crate) fn load_device_auth(path: &Path) -> Result<DeviceAuthPolicy, CliError> {
    let policy = crate::config::load_policy_file(path).map_err(|e| CliError::new(e.to_string()))?;
    Ok(policy.device_auth)
}

/// The certificates in `paths` and in the anchor sets `policy` trusts.
pub(crate) fn load_anchors(
    paths: &[PathBuf],
    policy: Option<&DeviceAuthPolicy>,
) -> Result<Vec<CertificateDer<'static>>, CliError> {
    let mut paths = paths.to_vec();
    if let Some(policy) = policy {
        paths.extend(policy_anchor_paths(policy));
    }
    let mut anchors = Vec::new();
    for path in &paths {
        anchors.extend(pki::load_certs_pem(path).map_err(pki_error)?);
    }
    Ok(anchors)
}

/// The anchor paths a device chain may end in under `auth`: the sets named in `trust_anchors`,
/// or every set when none is named.
fn policy_anchor_paths(auth: &DeviceAuthPolicy) -> Vec<PathBuf> {
    auth.anchor_sets
        .iter()
        .filter(|set| auth.trust_anchors.is_empty() || auth.trust_anchors.contains(&set.name))
        .flat_map(|set| set.paths.iter().cloned())
        .collect()
}

struct Report<'a> {
    file: &'a Path,
    info: &'a CertInfo,
    intermediates: usize,
    anchors: usize,
    at: DateTime<Utc>,
    verdict: &'a ChainVerdict,
}

impl Report<'_> {
    fn text(&self) -> String {
        let info = self.info;
        let (serial, pid, sn) = match &info.serial_number {
            None => (
                "(none)".to_owned(),
                "(none)".to_owned(),
                "(none)".to_owned(),
            ),
            Some(attr) => {
                let serial = format!("{} ({})", attr.value, attr.string_type);
                match &attr.identity {
                    Ok(id) => (serial, id.pid.clone(), id.sn.clone()),
                    Err(e) => {
                        let why = format!("(not a SUDI identity: {e})");
                        (serial, why.clone(), why)
                    }
                }
            }
        };
        let rows = [
            ("file", self.file.display().to_string()),
            ("subject", info.subject.clone()),
            ("issuer", info.issuer.clone()),
            ("serialNumber", serial),
            ("PID", pid),
            ("SN", sn),
            ("not before", rfc3339(&info.not_before)),
            ("not after", rfc3339(&info.not_after)),
            ("signature", info.signature_algorithm.clone()),
            ("key", info.key.clone()),
            ("sha256", info.sha256_fingerprint.clone()),
            ("intermediates", self.intermediates.to_string()),
            ("anchors", self.anchors.to_string()),
            ("checked at", rfc3339(&self.at)),
            ("chain", self.verdict.to_string()),
        ];
        rows.iter()
            .map(|(k, v)| format!("{:<14} {v}\n", format!("{k}:")))
            .collect()
    }

    fn json(&self) -> serde_json::Value {
        let info = self.info;
        let serial = info.serial_number.as_ref().map(|attr| {
            serde_json::json!({
                "value": attr.value,
                "string_type": attr.string_type,
                "identity_error": attr.identity.as_ref().err().map(ToString::to_string),
            })
        });
        serde_json::json!({
            "file": self.file.display().to_string(),
            "subject": info.subject,
            "issuer": info.issuer,
            "serial_number": serial,
            "pid": info.identity().map(|id| id.pid.as_str()),
            "sn": info.identity().map(|id| id.sn.as_str()),
            "not_before": rfc3339(&info.not_before),
            "not_after": rfc3339(&info.not_after),
            "signature_algorithm": info.signature_algorithm,
            "key": info.key,
            "sha256_fingerprint": info.sha256_fingerprint,
            "is_ca": info.is_ca,
            "intermediates": self.intermediates,
            "anchors": self.anchors,
            "checked_at": rfc3339(&self.at),
            "verdict": verdict_json(self.verdict),
        })
    }
}

fn verdict_json(verdict: &ChainVerdict) -> serde_json::Value {
    let mut value = serde_json::json!({
        "status": verdict.name(),
        "valid": verdict.is_valid(),
        "explanation": verdict.to_string(),
    });
    let extra = match verdict {
        ChainVerdict::Valid { anchor_subject }
        | ChainVerdict::ValidUnderDanger { anchor_subject, .. } => {
            Some(("anchor_subject", anchor_subject.as_str().into()))
        }
        ChainVerdict::Expired { not_after } => Some(("not_after", rfc3339(not_after).into())),
        ChainVerdict::NotYetValid { not_before } => {
            Some(("not_before", rfc3339(not_before).into()))
        }
        ChainVerdict::UnsupportedSignatureAlgorithm { algorithm, .. } => {
            Some(("algorithm", algorithm.as_str().into()))
        }
        _ => None,
    };
    if let (Some((key, v)), Some(obj)) = (extra, value.as_object_mut()) {
        obj.insert(key.to_owned(), v);
    }
    value
}

pub(crate) fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn parse_at(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2030-01-01T00:00:00Z"))
}

pub(crate) fn pki_error(err: pki::PkiError) -> CliError {
    CliError::new(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::auth::TrustAnchorSet;

    fn set(name: &str, path: &str) -> TrustAnchorSet {
        TrustAnchorSet {
            name: name.to_owned(),
            paths: vec![PathBuf::from(path)],
        }
    }

    #[test]
    fn policy_anchors_are_the_named_sets() {
        let mut auth = DeviceAuthPolicy {
            anchor_sets: vec![
                set("cisco", "certs/cisco"),
                set("lab", "pki/device-root.crt"),
            ],
            trust_anchors: vec!["lab".to_owned()],
            ..DeviceAuthPolicy::default()
        };
        assert_eq!(
            policy_anchor_paths(&auth),
            vec![PathBuf::from("pki/device-root.crt")]
        );
        auth.trust_anchors.clear();
        assert_eq!(policy_anchor_paths(&auth).len(), 2);
    }

    #[test]
    fn parses_rfc3339_times_with_offsets() {
        let t = parse_at("2030-01-01T02:00:00+02:00").unwrap();
        assert_eq!(rfc3339(&t), "2030-01-01T00:00:00Z");
        assert!(parse_at("tomorrow").is_err());
    }

    #[test]
    fn verdict_json_carries_the_details() {
        let v = verdict_json(&ChainVerdict::UnknownIssuer);
        assert_eq!(v["status"], "unknown_issuer");
        assert_eq!(v["valid"], false);
        let v = verdict_json(&ChainVerdict::Valid {
            anchor_subject: "CN=x".to_owned(),
        });
        assert_eq!(v["anchor_subject"], "CN=x");
    }
}
