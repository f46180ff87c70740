//! `ztpgate sim switch`: run the emulated Smart Install client and print its events as JSON
//! lines on standard output (the first one, `listening`, names the bound address). With
//! `--boot-dhcp IF` it starts `write erase`d and boots zero-touch over DHCP and TFTP on IF
//! (`sim::switch::boot`). Its identity in `show version` (on the CLI it presents when a `do
//! telnet` line calls out) is `--pid`, `--vid`, `--serial` and the base MAC: `--base-mac`, else the
//! `--boot-dhcp` (or else `--cdp-interface`) interface's MAC, else one derived from the hostname.
//! It stops cleanly on SIGINT or SIGTERM (unplugged).
//!
//! Inputs: operator arguments; the running config file, if given, is read once at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tokio::signal::unix::SignalKind;
use tokio::sync::mpsc;

use crate::cli::CliError;
use crate::edge::tftp_client;
use crate::policy::join::Mac;
use crate::proto::vstack::Limits;
use crate::sim::switch::boot::{self, BootConfig};
use crate::sim::switch::cdp::interface_mac;
use crate::sim::switch::device::Device;
use crate::sim::switch::dhcp_client::Timing;
use crate::sim::switch::identity::Identity;
use crate::sim::switch::{Event, Switch, SwitchOptions, TFTP_PORT};

/// Arguments of `sim switch`.
#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// Address to listen on (port 0: any free port; the `listening` event names it).
    #[arg(long, default_value = "127.0.0.1:4786")]
    pub listen: SocketAddr,
    /// TFTP port for URLs that name none (real switches use 69).
    #[arg(long, default_value_t = TFTP_PORT)]
    pub tftp_port: u16,
    /// Hostname in the default running config.
    #[arg(long, default_value = "Switch")]
    pub hostname: String,
    /// Running config to start with (instead of the built-in one).
    #[arg(long)]
    pub running_config: Option<PathBuf>,
    /// TFTP reply timeout per packet, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub tftp_timeout_ms: u64,
    /// TFTP retransmissions per packet.
    #[arg(long, default_value_t = 5)]
    pub tftp_retries: u32,
    /// Boot `write erase`d and autoinstall over DHCP + TFTP on this interface.
    #[arg(long, value_name = "IF")]
    pub boot_dhcp: Option<String>,
    /// Seconds between DHCP rounds while no zero-touch options came (or a download failed).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub dhcp_retry_secs: u64,
    /// Product ID (`show version`); also sets the CDP platform to `cisco <PID>`.
    #[arg(long, value_name = "PID")]
    pub pid: Option<String>,
    /// Version ID (`show version`).
    #[arg(long, value_name = "VID", default_value = crate::sim::switch::identity::DEFAULT_VID)]
    pub vid: String,
    /// Base Ethernet MAC address (`show version`; default: the interface's).
    #[arg(long, value_name = "MAC", value_parser = parse_mac)]
    pub base_mac: Option<[u8; 6]>,
    /// CDP advertisements (off without --cdp-interface).
    #[command(flatten)]
    pub cdp: crate::sim::switch::cdp::CdpArgs,
}

/// Runs the switch until interrupted (SIGINT or SIGTERM).
pub fn run(mut args: SwitchArgs) -> Result<ExitCode, CliError> {
    let device = match &args.running_config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, &e))?;
            Device::with_config(text)
        }
        None if args.boot_dhcp.is_some() => Device::erased(&args.hostname),
        None => Device::new(&args.hostname),
    };
    if let Some(pid) = &args.pid {
        args.cdp.cdp_platform = format!("cisco {pid}");
    }
    let identity = identity(&args, device.hostname())?;
    args.cdp.serial = Some(identity.serial.clone());
    let device = device.with_identity(identity);
    let opts = SwitchOptions {
        tftp_port: args.tftp_port,
        tftp: tftp_client::Options {
            timeout: Duration::from_millis(args.tftp_timeout_ms),
            retries: args.tftp_retries,
            ..tftp_client::Options::default()
        },
        limits: Limits::default(),
    };
    let boot = args.boot_dhcp.clone().map(|interface| BootConfig {
        interface,
        retry: Duration::from_secs(args.dhcp_retry_secs.max(1)),
        timing: Timing::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", args.listen)))?;
        let mut terminate = tokio::signal::unix::signal(SignalKind::terminate())
            .map_err(|e| CliError::new(format!("cannot handle SIGTERM: {e}")))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let printer = tokio::spawn(print_events(rx));
        let switch = Switch::new(device, opts, tx);
        crate::sim::switch::cdp::spawn(&args.cdp, switch.advert(), switch.events())
            .map_err(|e| CliError::new(e.to_string()))?;
        let booting = run_boot(Arc::clone(&switch), boot);
        let result = tokio::select! {
            r = Arc::clone(&switch).serve(listener) => {
                r.map_err(|e| CliError::new(format!("accept failed: {e}")))
            }
            e = booting => Err(CliError::new(format!("cannot boot: {e}"))),
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = terminate.recv() => Ok(()),
        };
        // Let the printer write what is queued, then stop it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        printer.abort();
        result.map(|()| ExitCode::SUCCESS)
    })
}

/// The switch's identity from the options (see the module documentation).
fn identity(args: &SwitchArgs, hostname: &str) -> Result<Identity, CliError> {
    let interface = args.boot_dhcp.as_ref().or(args.cdp.cdp_interface.as_ref());
    let mut identity = match (args.base_mac, interface) {
        (Some(mac), _) => Identity::for_mac(mac),
        (None, Some(interface)) => {
            let mac = interface_mac(interface).map_err(|e| CliError::new(e.to_string()))?;
            Identity::for_mac(mac)
        }
        (None, None) => Identity::for_hostname(hostname),
    };
    if let Some(pid) = &args.pid {
        identity.pid.clone_from(pid);
    }
    identity.vid.clone_from(&args.vid);
    if let Some(serial) = &args.cdp.serial {
        identity.serial.clone_from(serial);
    }
    Ok(identity)
}

fn parse_mac(text: &str) -> Result<[u8; 6], String> {
    Mac::parse(text).map(|m| m.0).map_err(|e| e.to_string())
}

/// The boot loop, or nothing to do without `--boot-dhcp`; resolves only on a fatal error.
async fn run_boot(switch: Arc<Switch>, boot: Option<BootConfig>) -> boot::BootError {
    let Some(config) = boot else {
        return std::future::pending().await;
    };
    match boot::run(switch, config).await {
        Err(e) => e,
    }
}

/// Prints each event as one JSON line and flushes, so a reader sees it at once.
async fn print_events(mut rx: mpsc::UnboundedReceiver<Event>) {
    use std::io::Write;
    while let Some(event) = rx.recv().await {
        let Ok(line) = serde_json::to_string(&event) else {
            continue;
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
