//! `ztpgate audit verify FILE [--head HASH]`: check an audit log's hash chain.
//!
//! Prints `FILE: ok, N records, head <hash>` and exits 0, or names the first bad record as
//! `FILE:LINE: record seq S: <problem>` and exits 1; an unreadable file exits 2. The file is
//! untrusted input, read line by line with a bounded line length.
//!
//! `--head` compares the chain's final hash with one kept elsewhere (e.g. recorded by a monitoring
//! system or printed at shift change). This is how removal of records at the end of the log, or a
//! rewrite of the whole tail with recomputed hashes, is detected: the file alone cannot show it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::audit::chain::GENESIS;
use crate::audit::log::{VerifyError, verify_file};
use crate::cli::{CliError, EXIT_FINDINGS};

/// Audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of an audit log; name the first bad record.
    Verify(VerifyArgs),
}

/// Arguments of `audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The JSONL audit log.
    pub file: PathBuf,
    /// Expected head (hash of the last record, 64 hex digits), kept outside the log; detects
    /// records removed from the end.
    #[arg(long, value_name = "HASH", value_parser = parse_head)]
    pub head: Option<String>,
}

/// Runs an audit command.
pub fn run(cmd: AuditCommand) -> Result<ExitCode, CliError> {
    match cmd {
        AuditCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let file = args.file.display();
    let summary = match verify_file(&args.file) {
        Ok(summary) => summary,
        Err(VerifyError::Io(err)) => return Err(CliError::io(&args.file, &err)),
        Err(VerifyError::Chain(err)) => {
            println!("{file}:{}: {}: {}", err.line, err.record_label(), err.kind);
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
    };
    if let Some(expected) = &args.head
        && *expected != summary.head_hash
    {
        println!(
            "{file}: head mismatch: the chain ends at seq {} with head {}, expected {expected} \
             (records removed from the end, or the log was rewritten)",
            summary.records, summary.head_hash
        );
        return Ok(ExitCode::from(EXIT_FINDINGS));
    }
    println!(
        "{file}: ok, {} records, head {}",
        summary.records, summary.head_hash
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_head(s: &str) -> Result<String, String> {
    let head = s.trim().to_ascii_lowercase();
    if head.len() == GENESIS.len() && head.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(head)
    } else {
        Err("expected 64 hexadecimal digits (the hash of the last record)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_64_hex_digits_in_any_case() {
        let upper = "AB".repeat(32);
        assert_eq!(parse_head(&upper).unwrap(), "ab".repeat(32));
        assert!(parse_head("abc").is_err());
        assert!(parse_head(&"zz".repeat(32)).is_err());
    }
}
