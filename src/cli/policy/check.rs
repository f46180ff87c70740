//! `ztpgate policy check FILE...`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

/// Arguments of `policy check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration (ztpgate.toml) or policy files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `policy check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    Err(CliError::new(format!(
        "policy check: {} files: pending",
        args.files.len()
    )))
}
