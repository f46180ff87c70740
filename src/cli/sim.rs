//! `ztpgate sim pnp-agent`: run simulated PnP devices against a server and print one summary
//! line per device and a totals line. Exit 0 when every device finished or was terminated by
//! the server, [`EXIT_FINDINGS`] otherwise.
//!
//! `ztpgate sim switch` and `ztpgate sim attack` live in [`switch`] and [`attack`].
//!
//! Inputs: operator arguments (server URL, CA, lab PKI directory, certificate files).

pub mod attack;
pub mod switch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{CliError, EXIT_FINDINGS};
use crate::edge::client::ServerUrl;
use crate::pki::KeyKind;
use crate::sim::fleet::{FleetOptions, run_fleet, totals};
use crate::sim::pnp_agent::{AgentOptions, Misbehaviour};

/// Simulators.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Emulate PnP agents (devices) talking to a PnP server over HTTPS.
    PnpAgent(PnpAgentArgs),
    /// Emulate a legacy switch with the Smart Install client enabled (TCP 4786 + TFTP).
    Switch(switch::SwitchArgs),
    /// Send a Smart Install attack-corpus message and report the answer.
    Attack(attack::AttackArgs),
}

/// Arguments of `sim pnp-agent`.
#[derive(Debug, Args)]
pub struct PnpAgentArgs {
    /// The PnP server, `https://host:port`.
    #[arg(long)]
    pub server: String,
    /// CA certificate that signs the server certificate (default: `<pki>/ca.crt`).
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Lab PKI directory: issue a SUDI per device (client certificate and SUDI signing).
    #[arg(long)]
    pub pki: Option<PathBuf>,
    /// Client certificate (the device's lab SUDI; one device only).
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Key of --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Number of concurrent devices.
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    /// Product ID of the devices.
    #[arg(long, default_value = "C9300-24P")]
    pub pid: String,
    /// Serial prefix (devices are <prefix>0001, <prefix>0002, …).
    #[arg(long, default_value = "FOC")]
    pub serial_prefix: String,
    /// Issue ECDSA P-256 SUDIs instead of RSA-2048.
    #[arg(long)]
    pub ecdsa: bool,
    /// Work requests per device before it stops.
    #[arg(long, default_value_t = 20)]
    pub max_rounds: u32,
    /// Multiplier for protocol waits (backoff, retry, reload); 0.001 makes a minute 60 ms.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Simulated reload time in seconds (before scaling).
    #[arg(long, default_value_t = 60)]
    pub reload_secs: u64,
    /// wrong-udi, oversized, malformed, slow-drip or replay-correlator.
    #[arg(long)]
    pub misbehave: Option<Misbehaviour>,
}

/// Runs a `sim` command.
pub fn run(cmd: SimCommand) -> Result<ExitCode, CliError> {
    match cmd {
        SimCommand::PnpAgent(args) => pnp_agent(args),
        SimCommand::Switch(args) => switch::run(args),
        SimCommand::Attack(args) => attack::run(args),
    }
}

fn pnp_agent(args: PnpAgentArgs) -> Result<ExitCode, CliError> {
    let opts = options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let reports = runtime
        .block_on(run_fleet(&opts))
        .map_err(|e| CliError::new(e.to_string()))?;
    for report in &reports {
        println!("{}", report.line());
    }
    let (line, ok) = totals(&reports);
    println!("{line}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

fn options(args: PnpAgentArgs) -> Result<FleetOptions, CliError> {
    let (server, _) = ServerUrl::parse(&args.server).map_err(|e| CliError::new(e.to_string()))?;
    if !args.time_scale.is_finite() || args.time_scale < 0.0 {
        return Err(CliError::new("--time-scale must be a finite number ≥ 0"));
    }
    let ca = match (args.ca, &args.pki) {
        (Some(ca), _) => ca,
        (None, Some(pki)) => pki.join("ca.crt"),
        (None, None) => return Err(CliError::new("--ca or --pki is required")),
    };
    Ok(FleetOptions {
        count: args.count,
        pid: args.pid,
        serial_prefix: args.serial_prefix,
        ca,
        pki: args.pki,
        cert_key: args.cert.zip(args.key),
        key_kind: if args.ecdsa {
            KeyKind::P256
        } else {
            KeyKind::Rsa2048
        },
        agent: AgentOptions {
            server,
            max_rounds: args.max_rounds,
            time_scale: args.time_scale,
            reload_time: Duration::from_secs(args.reload_secs),
            misbehave: args.misbehave,
            drip_interval: Duration::from_millis(100),
        },
    })
}
