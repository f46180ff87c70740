//! Command-line front end: argument types and dispatch. Each command group lives in its own file
//! and reduces its typed errors to a [`CliError`] message here, at the top, and nowhere below.

pub mod audit;
pub mod bench;
pub mod cdp;
pub mod certs;
pub mod files;
pub mod firewall;
pub mod pcap;
pub mod policy;
pub mod serve;
pub mod show;
pub mod sim;
pub mod sudi;
pub mod vstack;

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ztpgate — security gateway for Cisco zero-touch provisioning.
#[derive(Debug, Parser)]
#[command(name = "ztpgate", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (without --config: lab defaults on loopback).
    Serve(serve::ServeArgs),
    /// Validate policy and configuration files, or explain a decision.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Lab PKI: generate and inspect certificates.
    #[command(subcommand)]
    Certs(certs::CertsCommand),
    /// HTTPS file server: per-device download grants.
    #[command(subcommand)]
    Files(files::FilesCommand),
    /// SUDI tools: verify `show platform sudi certificate sign` output.
    #[command(subcommand)]
    Sudi(sudi::SudiCommand),
    /// Views of a running gateway (through its admin API).
    #[command(subcommand)]
    Show(show::ShowCommand),
    /// Audit log tools.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Simulators: PnP agents, a Smart Install switch and attack corpus.
    #[command(subcommand)]
    Sim(sim::SimCommand),
    /// Smart Install: decode and encode messages; the director's actions (join window, backups,
    /// updates) on a running gateway.
    #[command(subcommand)]
    Vstack(vstack::VstackCommand),
    /// Cisco Discovery Protocol frames: decode.
    #[command(subcommand)]
    Cdp(cdp::CdpCommand),
    /// nftables table `inet ztpgate` from the Smart Install policy: plan, apply, remove.
    #[command(subcommand)]
    Firewall(firewall::FirewallCommand),
    /// Capture files: audit them for Smart Install abuse and clear-text provisioning.
    #[command(subcommand)]
    Pcap(pcap::PcapCommand),
}

/// A command failure, reduced to the message shown to the operator and an exit code.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong, for stderr.
    pub message: String,
    /// Process exit code (2: usage or I/O; 1 is reserved for "checked and found bad").
    pub code: u8,
}

impl CliError {
    /// A failure with exit code 2.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }

    /// A failure reading or writing `path`.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        Self::new(format!("{}: {err}", path.display()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Policy(cmd) => policy::run(cmd),
        Command::Certs(cmd) => certs::run(cmd),
        Command::Files(cmd) => files::run(cmd),
        Command::Sudi(cmd) => sudi::run(cmd),
        Command::Show(cmd) => show::run(cmd),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Sim(cmd) => sim::run(cmd),
        Command::Vstack(cmd) => vstack::run(cmd),
        Command::Firewall(cmd) => firewall::run(cmd),
        Command::Cdp(cmd) => cdp::run(cmd),
        Command::Pcap(cmd) => pcap::run(cmd),
    }
}

/// Exit code for "checked, and the input is bad" (policy errors, broken audit chain).
pub const EXIT_FINDINGS: u8 = 1;
