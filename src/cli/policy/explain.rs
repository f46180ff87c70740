//! `ztpgate policy explain --config FILE EVENT`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

/// Arguments of `policy explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Configuration or policy file.
    #[arg(long)]
    pub config: PathBuf,
}

/// Runs `policy explain`.
pub fn run(args: ExplainArgs) -> Result<ExitCode, CliError> {
    Err(CliError::new(format!(
        "policy explain {}: pending",
        args.config.display()
    )))
}
