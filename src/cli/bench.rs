//! `ztpgate bench`.

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::CliError;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Policy decisions.
    Policy,
}

/// Runs a benchmark.
pub fn run(_cmd: BenchCommand) -> Result<ExitCode, CliError> {
    Err(CliError::new("bench: pending"))
}
