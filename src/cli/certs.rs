//! `ztpgate certs init|device|inspect`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::CliError;

/// Certificate commands.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Generate the lab PKI.
    Init,
}

/// Runs a certs command.
pub fn run(_cmd: CertsCommand) -> Result<ExitCode, CliError> {
    Err(CliError::new("certs: pending"))
}
