//! `ztpgate bench director [--clients N] [--runs R] [--json]`: the director database at scale
//! ([`crate::bench::director`]).
//!
//! Inputs: command-line arguments only, validated here. Exit status 0, or 2 when the run could
//! not start.

use std::process::ExitCode;

use clap::Args;

use crate::bench::PrivateDir;
use crate::bench::director::{DirectorBenchOptions, render_report, run_director_bench};
use crate::cli::CliError;

/// Arguments of `bench director`.
#[derive(Debug, Args)]
pub struct DirectorArgs {
    /// Clients in the database (1 to 1,000,000).
    #[arg(long, default_value_t = 10_000)]
    pub clients: u32,
    /// Timed runs; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub runs: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bench director` in a temporary directory.
pub fn run(args: &DirectorArgs) -> Result<ExitCode, CliError> {
    if !(1..=1_000_000).contains(&args.clients) || !(1..=100).contains(&args.runs) {
        return Err(CliError::new(
            "bench director: --clients must be 1 to 1000000 and --runs 1 to 100",
        ));
    }
    let dir = PrivateDir::create("director")
        .map_err(|e| CliError::new(format!("bench director: temporary directory: {e}")))?;
    let opts = DirectorBenchOptions {
        clients: args.clients,
        runs: args.runs,
    };
    let report = run_director_bench(&opts, dir.path())
        .map_err(|e| CliError::new(format!("bench director: {e}")))?;
    super::print_report(args.json, &report, render_report)?;
    Ok(ExitCode::SUCCESS)
}
