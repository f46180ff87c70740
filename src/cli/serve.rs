//! `ztpgate serve`: load the configuration (or the embedded lab defaults), start the runtime,
//! run the gateway.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::CliError;

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Gateway configuration; without it the embedded lab defaults are used (data dir ./var,
    /// loopback only, lab PKI generated when missing, host firewall untouched).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `serve`.
pub fn run(args: ServeArgs) -> Result<ExitCode, CliError> {
    init_tracing();
    let config = match &args.config {
        Some(path) => crate::config::load(path).map_err(|e| CliError::new(e.to_string()))?,
        None => {
            println!("ztpgate: no --config given: using the embedded lab defaults");
            crate::config::lab_default()
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ztpgate")
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    runtime
        .block_on(crate::app::run(config))
        .map_err(|e| CliError::new(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZTPGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
