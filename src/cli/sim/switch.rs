//! `ztpgate sim switch`: run the emulated Smart Install client and print its events as JSON
//! lines on standard output (the first one, `listening`, names the bound address).
//!
//! Inputs: operator arguments; the running config file, if given, is read once at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tokio::sync::mpsc;

use crate::cli::CliError;
use crate::edge::tftp_client;
use crate::proto::vstack::Limits;
use crate::sim::switch::device::Device;
use crate::sim::switch::{Event, SwitchOptions, TFTP_PORT, serve};

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
    /// CDP advertisements (off without --cdp-interface).
    #[command(flatten)]
    pub cdp: crate::sim::switch::cdp::CdpArgs,
}

/// Runs the switch until interrupted.
pub fn run(args: SwitchArgs) -> Result<ExitCode, CliError> {
    let device = match &args.running_config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, &e))?;
            Device::with_config(text)
        }
        None => Device::new(&args.hostname),
    };
    let opts = SwitchOptions {
        tftp_port: args.tftp_port,
        tftp: tftp_client::Options {
            timeout: Duration::from_millis(args.tftp_timeout_ms),
            retries: args.tftp_retries,
            ..tftp_client::Options::default()
        },
        limits: Limits::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", args.listen)))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let printer = tokio::spawn(print_events(rx));
        crate::sim::switch::cdp::spawn(&args.cdp, &args.hostname, tx.clone())
            .map_err(|e| CliError::new(e.to_string()))?;
        tokio::select! {
            r = serve(listener, device, opts, tx) => {
                r.map_err(|e| CliError::new(format!("accept failed: {e}")))?;
            }
            _ = tokio::signal::ctrl_c() => {}
        }
        printer.abort();
        Ok(ExitCode::SUCCESS)
    })
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
