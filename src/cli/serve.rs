//! `ztpgate serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Gateway configuration; without it the embedded lab defaults are used.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `serve`.
pub fn run(_args: ServeArgs) -> Result<ExitCode, CliError> {
    Err(CliError::new("serve: pending"))
}
