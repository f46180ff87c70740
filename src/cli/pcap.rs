//! `ztpgate pcap audit FILE`: audit a capture (pcap or pcapng; `-` reads standard input) for
//! Smart Install abuse and clear-text provisioning with the detection rules (the shipped ones,
//! or `--rules DIR`).
//!
//! `--config FILE` (a policy or gateway configuration) or `--director ADDR` / `--tftp-server
//! HOST` say which sources are legitimate directors and which TFTP servers are allowed; without
//! a director list, findings that depend on it are reported at their unverified severity (at
//! most low). Output: `--format text` (default), `json` or `sarif` (SARIF 2.1.0). A progress
//! bar is drawn on a terminal.
//!
//! Exit status: 0 when no finding reaches `--fail-on` (default `high`), 1 when one does, 2 when
//! the capture, the rules or the configuration cannot be read. A capture that ends in the middle
//! of a record (a capture cut short) is reported as a warning after the findings of everything
//! before it.
//!
//! Inputs: the capture is untrusted (bounded parsers throughout); rules and configuration are
//! the operator's.

mod render;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::{CliError, EXIT_FINDINGS};
use crate::config::rules::{builtin, load_rules_dir};
use crate::edge::capture_file::{CaptureFile, CaptureFileError};
use crate::inspect::auditor::{Auditor, AuditorSettings};
use crate::inspect::finding::Report;
use crate::inspect::knowledge::Knowledge;
use crate::policy::net::{AddrSet, HostSet};
use crate::proto::pcap::{CaptureError, CaptureLimits};
use crate::rules::{RuleSet, Severity};

/// Capture commands.
#[derive(Debug, Subcommand)]
pub enum PcapCommand {
    /// Audit a capture file for Smart Install abuse and clear-text provisioning.
    Audit(AuditArgs),
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable findings and speaker table.
    Text,
    /// The whole report as JSON.
    Json,
    /// SARIF 2.1.0 (for code-scanning and SIEM tools).
    Sarif,
}

/// Arguments of `pcap audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The capture (pcap or pcapng); `-` reads standard input.
    pub file: PathBuf,
    /// Directory of rule files (`*.toml`) to use instead of the shipped rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Policy or gateway configuration naming the directors and allowed TFTP servers.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A legitimate director (address or prefix); repeatable.
    #[arg(long = "director", value_name = "ADDR")]
    pub directors: Vec<String>,
    /// An allowed TFTP server (address, prefix or DNS name); repeatable.
    #[arg(long = "tftp-server", value_name = "HOST")]
    pub tftp_servers: Vec<String>,
    /// Exit with status 1 when a finding at or above this severity is found.
    #[arg(long, value_name = "SEVERITY", default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
        .map_err(|e: crate::rules::UnknownSeverity| e.to_string())
}

/// Runs a capture command.
pub fn run(cmd: PcapCommand) -> Result<ExitCode, CliError> {
    match cmd {
        PcapCommand::Audit(args) => audit(&args),
    }
}

fn audit(args: &AuditArgs) -> Result<ExitCode, CliError> {
    let rules = load_rules(args.rules.as_deref())?;
    let knowledge = knowledge(args)?;
    let settings = AuditorSettings {
        knowledge,
        ..AuditorSettings::default()
    };
    let sarif_rules = rules.clone();
    let mut auditor = Auditor::new(rules, settings).map_err(|e| CliError::new(e.to_string()))?;
    let mut file = CaptureFile::open_or_stdin(&args.file, CaptureLimits::default())
        .map_err(|e| CliError::new(e.to_string()))?;
    let total = std::fs::metadata(&args.file).map(|m| m.len()).ok();
    let progress = render::Progress::new(total.filter(|_| !args.no_progress));
    let mut warning = None;
    let mut n: u64 = 0;
    loop {
        match file.next_record() {
            Ok(Some(record)) => {
                auditor.record(record.timestamp_ns, record.link, record.data);
                n += 1;
                if n.is_multiple_of(65_536) {
                    progress.set(file.bytes_read());
                }
            }
            Ok(None) => break,
            Err(CaptureFileError::Capture(err @ CaptureError::Truncated { .. })) => {
                warning = Some(format!("{}: {err}", args.file.display()));
                break;
            }
            Err(err) => {
                progress.done();
                return Err(CliError::new(format!("{}: {err}", args.file.display())));
            }
        }
    }
    progress.done();
    let report = auditor.finish();
    let name = args.file.display().to_string();
    let text = match args.format {
        Format::Text => render::text(&name, &report),
        Format::Json => render::json(&name, &report),
        Format::Sarif => render::sarif(&name, &report, &sarif_rules),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(format!("cannot write the report: {e}")))?;
    if let Some(w) = warning {
        eprintln!("warning: {w}; the findings above cover the records before it");
    }
    Ok(exit_status(&report, args.fail_on))
}

fn exit_status(report: &Report, fail_on: Severity) -> ExitCode {
    if report.at_least(fail_on) > 0 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn load_rules(dir: Option<&Path>) -> Result<RuleSet, CliError> {
    let loaded = match dir {
        Some(dir) => load_rules_dir(dir),
        None => builtin(),
    };
    loaded.map_err(|errors| CliError::new(errors.to_string()))
}

fn knowledge(args: &AuditArgs) -> Result<Knowledge, CliError> {
    let mut k = match &args.config {
        Some(path) => {
            let policy = crate::config::load_policy_file(path)
                .map_err(|errors| CliError::new(errors.to_string()))?;
            Knowledge::from_policy(&policy.smart_install)
        }
        None => Knowledge::none(),
    };
    if !args.directors.is_empty() {
        let mut set = AddrSet::default();
        for d in &args.directors {
            let net = d
                .parse()
                .map_err(|e| CliError::new(format!("--director {d}: {e}")))?;
            set.0.push(net);
        }
        k.add_directors(&set);
    }
    if !args.tftp_servers.is_empty() {
        let mut set = HostSet::default();
        for s in &args.tftp_servers {
            set.push_entry(s)
                .map_err(|e| CliError::new(format!("--tftp-server {s}: {e}")))?;
        }
        k.add_tftp_servers(&set);
    }
    Ok(k)
}
