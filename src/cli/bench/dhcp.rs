//! `ztpgate bench dhcp [--workers N] [--seconds S] [--fsync MODE] [--json]`: DHCP transactions
//! per second through the DHCP service on loopback ([`crate::bench::dhcp`]).
//!
//! Inputs: command-line arguments only, validated here. Exit status: 0 when transactions
//! completed without errors, 1 ([`EXIT_FINDINGS`]) otherwise, 2 when the run could not start.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::bench::dhcp::{self, DhcpBenchOptions};
use crate::cli::bench::vstack::FsyncArg;
use crate::cli::{CliError, EXIT_FINDINGS};
use crate::config::FsyncPolicy;

/// Arguments of `bench dhcp`.
#[derive(Debug, Args)]
pub struct DhcpArgs {
    /// Concurrent simulated relay agents (1 to 200).
    #[arg(long, default_value_t = 16)]
    pub workers: u8,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// The audit log's durability: `always` (fdatasync after every record) or `interval`.
    #[arg(long, value_enum, default_value_t = FsyncArg::Always)]
    pub fsync: FsyncArg,
    /// Decide with the Smart Install director (every granted client recorded in its database).
    #[arg(long)]
    pub director: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bench dhcp`.
pub fn run(args: &DhcpArgs) -> Result<ExitCode, CliError> {
    if !(1..=200).contains(&args.workers) {
        return Err(CliError::new(
            "bench dhcp: --workers must be between 1 and 200",
        ));
    }
    if !args.seconds.is_finite() || args.seconds <= 0.0 || args.seconds > 3_600.0 {
        return Err(CliError::new(
            "bench dhcp: --seconds must be above 0 and at most 3600",
        ));
    }
    let opts = DhcpBenchOptions {
        workers: args.workers,
        duration: Duration::from_secs_f64(args.seconds),
        fsync: match args.fsync {
            FsyncArg::Always => FsyncPolicy::Always,
            FsyncArg::Interval => FsyncPolicy::Interval(Duration::from_secs(1)),
        },
        director: args.director,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let report = runtime
        .block_on(dhcp::run_dhcp_bench(&opts))
        .map_err(|e| CliError::new(format!("bench dhcp: {e}")))?;
    super::print_report(args.json, &report, dhcp::render)?;
    Ok(if report.errors == 0 && report.transactions > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}
