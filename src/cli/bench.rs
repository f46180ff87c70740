//! `ztpgate bench policy [--rules N] [--seconds S] [--json]`: decision rates of the policy layer,
//! measured on one thread (see [`crate::bench`]); `ztpgate bench pnp …`: the PnP server load
//! driver ([`pnp`]); `ztpgate bench vstack-relay …`: the Smart Install relay benchmark
//! ([`vstack`]); `ztpgate bench pcap-audit …`: the capture audit against tshark and tcpdump
//! ([`pcap_audit`]).
//!
//! Inputs: command-line arguments only (validated here and in [`pnp`]).

pub mod dhcp;
pub mod director;
pub mod pcap_audit;
pub mod pnp;
pub mod smi_proxy;
pub mod vstack;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::bench::{self, PolicyBenchOptions};
use crate::cli::CliError;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Policy decisions per second: Smart Install access (compiled and linear), join windows,
    /// image delivery. Build with --release for meaningful figures.
    Policy(PolicyArgs),
    /// PnP server load: exchanges, handshakes, downloads, and device records for memory figures.
    /// Build with --release for meaningful figures.
    #[command(subcommand)]
    Pnp(pnp::PnpCommand),
    /// Smart Install relay: messages/s and added latency versus direct TCP, on loopback.
    /// Build with --release for meaningful figures.
    VstackRelay(vstack::VstackRelayArgs),
    /// DHCP transactions/s (DISCOVER→OFFER→REQUEST→ACK) through the DHCP service on loopback.
    /// Build with --release for meaningful figures.
    Dhcp(dhcp::DhcpArgs),
    /// Director database: store and load N clients, render `show vstack status` and its
    /// siblings. Build with --release for meaningful figures.
    Director(director::DirectorArgs),
    /// SMI PnP proxy: N legacy clients (default 1000) onboarded at once through one proxy
    /// (0-byte image, config, finish), gateway and emulated switches in this process on
    /// loopback; wall time, per-client percentiles, memory. Build with --release.
    SmiProxy(smi_proxy::SmiProxyArgs),
    /// `pcap audit` against tshark and tcpdump: writes a realistic mixed capture (default
    /// 1 GiB) and reports wall time, MB/s and peak RSS of each, warm cache, median of --runs.
    /// Build with --release.
    PcapAudit(pcap_audit::PcapAuditArgs),
}

/// Arguments of `bench policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Smart Install access rules in the synthetic policy.
    #[arg(long, default_value_t = 1000)]
    pub rules: usize,
    /// Seconds per measurement (four measurements are run).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a benchmark.
pub fn run(cmd: BenchCommand) -> Result<ExitCode, CliError> {
    match cmd {
        BenchCommand::Policy(args) => policy(&args),
        BenchCommand::Pnp(cmd) => pnp::run(cmd),
        BenchCommand::VstackRelay(args) => vstack::run(&args),
        BenchCommand::Dhcp(args) => dhcp::run(&args),
        BenchCommand::Director(args) => director::run(&args),
        BenchCommand::SmiProxy(args) => smi_proxy::run(&args),
        BenchCommand::PcapAudit(args) => pcap_audit::run(&args),
    }
}

fn policy(args: &PolicyArgs) -> Result<ExitCode, CliError> {
    let opts = options(args)?;
    let report = bench::run_policy(opts);
    print_report(args.json, &report, bench::render_table)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a benchmark's `report`: pretty JSON with `json`, else the table `render` makes.
fn print_report<T: serde::Serialize>(
    json: bool,
    report: &T,
    render: impl FnOnce(&T) -> String,
) -> Result<(), CliError> {
    if json {
        let text = serde_json::to_string_pretty(report)
            .map_err(|e| CliError::new(format!("bench: cannot encode report: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render(report));
    }
    Ok(())
}

fn options(args: &PolicyArgs) -> Result<PolicyBenchOptions, CliError> {
    if !(1..=MAX_RULES).contains(&args.rules) {
        return Err(CliError::new(format!(
            "bench policy: --rules must be between 1 and {MAX_RULES}"
        )));
    }
    if !args.seconds.is_finite() || args.seconds <= 0.0 || args.seconds > MAX_SECONDS {
        return Err(CliError::new(format!(
            "bench policy: --seconds must be above 0 and at most {MAX_SECONDS}"
        )));
    }
    Ok(PolicyBenchOptions {
        rules: args.rules,
        duration: Duration::from_secs_f64(args.seconds),
    })
}

/// Largest synthetic policy: the tables grow with rules × prefixes.
const MAX_RULES: usize = 100_000;

/// Longest measurement accepted.
const MAX_SECONDS: f64 = 3600.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(rules: usize, seconds: f64) -> PolicyArgs {
        PolicyArgs {
            rules,
            seconds,
            json: false,
        }
    }

    #[test]
    fn rejects_out_of_range_arguments() {
        assert!(options(&args(0, 1.0)).is_err());
        assert!(options(&args(MAX_RULES + 1, 1.0)).is_err());
        assert!(options(&args(10, 0.0)).is_err());
        assert!(options(&args(10, f64::NAN)).is_err());
        let ok = options(&args(1000, 0.5)).unwrap();
        assert_eq!(ok.duration, Duration::from_millis(500));
    }
}
