//! `ztpgate sudi verify`: checks the saved output of `show platform sudi certificate sign nonce
//! <N>` — the device's signature over the nonce and its chain, and the chain to Cisco anchors.
//!
//! The output file is attacker-controlled text, parsed by [`crate::pki::sudi::attest`]; anchors,
//! policy and flags are the operator's. Exit codes: 0 signature and chain valid, 1 either is
//! invalid, 2 the file or an option is unusable. Spec: `../shared/protocols/pnp.md` §4.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::cli::certs::{load_anchors, load_device_auth, parse_at, rfc3339};
use crate::cli::{CliError, EXIT_FINDINGS};
use crate::pki::sudi::attest::{self, Examination};
use crate::pki::sudi::{ChainOptions, SudiChainError, VerifiedSudiChain};
use crate::policy::auth::DeviceAuthPolicy;

/// SUDI commands.
#[derive(Debug, Subcommand)]
pub enum SudiCommand {
    /// Verify saved `show platform sudi certificate sign nonce <N>` output.
    Verify(VerifyArgs),
}

/// Arguments of `sudi verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The saved command output.
    pub file: PathBuf,
    /// The nonce that was asked for (default: the one on the echoed command line).
    #[arg(long)]
    pub nonce: Option<u64>,
    /// Trust anchors: a PEM file or a directory of PEM files; repeatable.
    #[arg(long, value_name = "PATH")]
    pub anchors: Vec<PathBuf>,
    /// Take anchors (`device_auth.trust_anchors`) and the danger knobs from this policy file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["danger_accept_sha1_legacy_sudi", "danger_ignore_idevid_not_after"])]
    pub policy: Option<PathBuf>,
    /// Verify at this time instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// DANGER: accept the SHA-1 signature of a pinned root on its SUDI sub-CA (ACT2).
    #[arg(long, requires = "pin_root")]
    pub danger_accept_sha1_legacy_sudi: bool,
    /// SHA-256 (hex, colons allowed) of a root pinned for the SHA-1 legacy path; repeatable.
    #[arg(long, value_name = "SHA256HEX", value_parser = parse_pin, requires = "danger_accept_sha1_legacy_sudi")]
    pub pin_root: Vec<[u8; 32]>,
    /// DANGER: accept a SUDI (IDevID) past its notAfter.
    #[arg(long)]
    pub danger_ignore_idevid_not_after: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs a sudi command.
pub fn run(cmd: SudiCommand) -> Result<ExitCode, CliError> {
    match cmd {
        SudiCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| CliError::io(&args.file, &e))?;
    let parsed = attest::parse_output(&text)
        .map_err(|e| CliError::new(format!("{}: {e}", args.file.display())))?;
    let policy = match &args.policy {
        Some(path) => Some(load_device_auth(path)?),
        None => None,
    };
    let anchors = load_anchors(&args.anchors, policy.as_ref())?;
    if anchors.is_empty() {
        return Err(CliError::new(
            "no trust anchors: give --anchors or --policy",
        ));
    }
    let opts = options(args, policy.as_ref());
    let at = args
        .at
        .map_or_else(crate::clock::now_system, SystemTime::from);
    let exam = attest::examine(&parsed, args.nonce, &anchors, at, &opts);
    let valid = exam.signature.is_ok() && exam.chain.is_ok();
    let report = Report {
        file: &args.file,
        exam: &exam,
        version: parsed.signature_version,
        at: DateTime::<Utc>::from(at),
        valid,
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

fn options<'a>(args: &'a VerifyArgs, policy: Option<&'a DeviceAuthPolicy>) -> ChainOptions<'a> {
    match policy {
        Some(policy) => ChainOptions::from_policy(policy),
        None => ChainOptions {
            sha1_pinned_roots: if args.danger_accept_sha1_legacy_sudi {
                &args.pin_root
            } else {
                &[]
            },
            ignore_idevid_not_after: args.danger_ignore_idevid_not_after,
        },
    }
}

struct Report<'a> {
    file: &'a std::path::Path,
    exam: &'a Examination,
    version: u32,
    at: DateTime<Utc>,
    valid: bool,
}

impl Report<'_> {
    fn text(&self) -> String {
        let (pid, sn) = match &self.exam.identity {
            Some(id) => (id.pid.clone(), id.sn.clone()),
            None => ("(none)".to_owned(), "(none)".to_owned()),
        };
        let rows = [
            ("file", self.file.display().to_string()),
            ("PID", pid),
            ("SN", sn),
            (
                "nonce",
                self.exam
                    .nonce
                    .map_or_else(|| "(none)".to_owned(), |n| n.to_string()),
            ),
            ("sig version", self.version.to_string()),
            (
                "signature",
                match &self.exam.signature {
                    Ok(()) => "valid (device key over nonce and chain)".to_owned(),
                    Err(e) => format!("INVALID: {e}"),
                },
            ),
            ("chain", chain_text(&self.exam.chain)),
            ("checked at", rfc3339(&self.at)),
            (
                "verdict",
                if self.valid { "VALID" } else { "INVALID" }.to_owned(),
            ),
        ];
        rows.iter()
            .map(|(k, v)| format!("{:<12} {v}\n", format!("{k}:")))
            .collect()
    }

    fn json(&self) -> serde_json::Value {
        let id = self.exam.identity.as_ref();
        let chain = match &self.exam.chain {
            Ok(c) => serde_json::json!({
                "valid": true,
                "anchor_subject": c.anchor_subject,
                "root_sha256": hex::encode(c.root_sha256),
                "used_sha1_legacy": c.used_sha1_legacy,
                "expired_idevid": c.expired_idevid,
            }),
            Err(e) => {
                serde_json::json!({"valid": false, "error": e.name(), "explanation": e.to_string()})
            }
        };
        serde_json::json!({
            "file": self.file.display().to_string(),
            "pid": id.map(|i| i.pid.as_str()),
            "sn": id.map(|i| i.sn.as_str()),
            "nonce": self.exam.nonce,
            "signature_version": self.version,
            "signature": {
                "valid": self.exam.signature.is_ok(),
                "error": self.exam.signature.as_ref().err().map(ToString::to_string),
            },
            "chain": chain,
            "checked_at": rfc3339(&self.at),
            "valid": self.valid,
        })
    }
}

fn chain_text(chain: &Result<VerifiedSudiChain, SudiChainError>) -> String {
    match chain {
        Ok(c) => {
            let mut text = format!("valid (anchor: {})", c.anchor_subject);
            if c.used_sha1_legacy {
                text.push_str(&format!(
                    "; SHA-1 legacy SUDI CA accepted under pinned root {}",
                    hex::encode(c.root_sha256)
                ));
            }
            if c.expired_idevid {
                text.push_str("; expired IDevID accepted");
            }
            text
        }
        Err(e) => format!("INVALID ({}): {e}", e.name()),
    }
}

fn parse_pin(s: &str) -> Result<[u8; 32], String> {
    let digits: String = s.chars().filter(|c| *c != ':').collect();
    let bytes = hex::decode(&digits).map_err(|e| format!("not hex: {e}"))?;
    <[u8; 32]>::try_from(bytes).map_err(|b| format!("{} bytes, a SHA-256 has 32", b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pins_with_or_without_colons() {
        assert!(parse_pin(&"ab".repeat(31)).is_err());
        let colons = ["ab"; 32].join(":");
        assert_eq!(parse_pin(&colons), Ok([0xab; 32]));
        assert_eq!(parse_pin(&"01".repeat(32)), Ok([1; 32]));
        assert!(parse_pin("zz").is_err());
    }
}
