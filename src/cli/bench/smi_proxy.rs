//! `ztpgate bench smi-proxy [--clients N] [--timeout-secs S] [--tftp-max-transfers T] [--json]`:
//! N legacy clients onboarded through one SMI PnP proxy, gateway and switches in this process
//! on loopback ([`crate::bench::smi_proxy`]).
//!
//! Inputs: command-line arguments only, validated here and in the library. Exit status 0 when
//! every client was onboarded, 1 when the run timed out (the report says where the clients
//! stopped), 2 when it could not start. The gateway's own start-up lines go to stdout before
//! the report.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::bench::smi_proxy::{DEFAULT_CLIENTS, SmiProxyBenchOptions, render, run_smi_proxy};
use crate::cli::CliError;

/// Arguments of `bench smi-proxy`.
#[derive(Debug, Args)]
pub struct SmiProxyArgs {
    /// Proxied clients (emulated switches on 127.A.B.C), 1 to 60000.
    #[arg(long, default_value_t = DEFAULT_CLIENTS)]
    pub clients: u32,
    /// Seconds the run may take before it is reported as incomplete.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    /// The TFTP server's `max_transfers` (default: the gateway's default).
    #[arg(long)]
    pub tftp_max_transfers: Option<usize>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bench smi-proxy`.
pub fn run(args: &SmiProxyArgs) -> Result<ExitCode, CliError> {
    let opts = SmiProxyBenchOptions {
        clients: args.clients,
        timeout: Duration::from_secs(args.timeout_secs.max(1)),
        tftp_max_transfers: args.tftp_max_transfers,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let report = runtime
        .block_on(run_smi_proxy(&opts))
        .map_err(|e| CliError::new(format!("bench smi-proxy: {e}")))?;
    runtime.shutdown_background();
    super::print_report(args.json, &report, render)?;
    Ok(if report.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
