//! `ztpgate audit verify`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::CliError;

/// Audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the chain.
    Verify,
}

/// Runs an audit command.
pub fn run(_cmd: AuditCommand) -> Result<ExitCode, CliError> {
    Err(CliError::new("audit: pending"))
}
