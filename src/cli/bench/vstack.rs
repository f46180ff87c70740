//! `ztpgate bench vstack-relay [--connections N] [--seconds S] [--warmup S] [--fsync MODE]
//! [--json]`: messages per second through the inspecting Smart Install relay and the latency it
//! adds over direct TCP ([`crate::bench::vstack`]).
//!
//! Inputs: command-line arguments only, validated here. Exit status: 0 when every exchange was
//! answered correctly and every relayed message was audited, 1 ([`EXIT_FINDINGS`]) otherwise
//! (the report is printed either way), 2 when the run could not start.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::bench::vstack::{self, RelayBenchOptions};
use crate::cli::{CliError, EXIT_FINDINGS};
use crate::config::FsyncPolicy;

/// Arguments of `bench vstack-relay`.
#[derive(Debug, Args)]
pub struct VstackRelayArgs {
    /// Concurrent connections of the throughput phases (a 1-connection phase always runs).
    #[arg(long, default_value_t = 64)]
    pub connections: u32,
    /// Measured seconds per phase (four phases).
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Seconds of warm-up before each phase.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// The relay's audit log durability: `always` (the gateway's default: fdatasync after every
    /// record) or `interval` (at most once per second).
    #[arg(long, value_enum, default_value_t = FsyncArg::Always)]
    pub fsync: FsyncArg,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--fsync` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FsyncArg {
    /// fdatasync after every record.
    Always,
    /// fdatasync at most once per second.
    Interval,
}

/// Runs `bench vstack-relay`.
pub fn run(args: &VstackRelayArgs) -> Result<ExitCode, CliError> {
    let opts = options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let report = runtime
        .block_on(vstack::run_relay_bench(&opts))
        .map_err(|e| CliError::new(format!("bench vstack-relay: {e}")))?;
    super::print_report(args.json, &report, vstack::render_table)?;
    let exchanged = report.phases.iter().all(|p| p.exchanges > 0);
    Ok(if report.errors == 0 && exchanged {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// Validated options.
pub fn options(args: &VstackRelayArgs) -> Result<RelayBenchOptions, CliError> {
    if !(1..=MAX_CONNECTIONS).contains(&args.connections) {
        return Err(CliError::new(format!(
            "bench vstack-relay: --connections must be between 1 and {MAX_CONNECTIONS}"
        )));
    }
    let duration = seconds("seconds", args.seconds, false)?;
    let warmup = seconds("warmup", args.warmup, true)?;
    Ok(RelayBenchOptions {
        connections: args.connections,
        duration,
        warmup,
        fsync: match args.fsync {
            FsyncArg::Always => FsyncPolicy::Always,
            FsyncArg::Interval => FsyncPolicy::Interval(Duration::from_secs(1)),
        },
    })
}

fn seconds(argument: &str, value: f64, zero_ok: bool) -> Result<Duration, CliError> {
    let low_ok = if zero_ok { value >= 0.0 } else { value > 0.0 };
    if !value.is_finite() || !low_ok || value > MAX_SECONDS {
        return Err(CliError::new(format!(
            "bench vstack-relay: --{argument} must be {} and at most {MAX_SECONDS}",
            if zero_ok { "at least 0" } else { "above 0" }
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// Most concurrent connections (each side of each one is a socket of this process).
const MAX_CONNECTIONS: u32 = 1_024;
/// Longest measurement or warm-up, seconds.
const MAX_SECONDS: f64 = 3_600.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(connections: u32, seconds: f64, warmup: f64) -> VstackRelayArgs {
        VstackRelayArgs {
            connections,
            seconds,
            warmup,
            fsync: FsyncArg::Always,
            json: false,
        }
    }

    #[test]
    fn accepts_valid_arguments() {
        let o = options(&args(64, 2.5, 0.0)).unwrap();
        assert_eq!(o.connections, 64);
        assert_eq!(o.duration, Duration::from_millis(2500));
        assert_eq!(o.warmup, Duration::ZERO);
        assert_eq!(o.fsync, FsyncPolicy::Always);
    }

    #[test]
    fn rejects_out_of_range_arguments() {
        for bad in [
            args(0, 1.0, 0.0),
            args(MAX_CONNECTIONS + 1, 1.0, 0.0),
            args(1, 0.0, 0.0),
            args(1, f64::NAN, 0.0),
            args(1, 1.0, -1.0),
            args(1, MAX_SECONDS + 1.0, 0.0),
        ] {
            assert!(options(&bad).is_err(), "{bad:?}");
        }
    }
}
