//! `ztpgate sim attack`: send one entry of the Smart Install attack corpus to a target and print
//! a JSON report of what came back; `--list` prints the modes, `--dump DIR` writes each corpus
//! entry to `DIR/<mode>.bin` (for `ztpgate vstack decode`).
//!
//! Inputs: operator arguments. The default TFTP host is 192.0.2.1 (TEST-NET-1, RFC 5737), so
//! a corpus built without `--tftp` points nowhere reachable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::cli::CliError;
use crate::sim::attack::{Mode, Params, build, send};

/// Arguments of `sim attack`.
#[derive(Debug, Args)]
pub struct AttackArgs {
    /// Smart Install endpoint to attack (`host:port`).
    #[arg(long, required_unless_present_any = ["list", "dump"])]
    pub target: Option<SocketAddr>,
    /// What to send (see --list).
    #[arg(long, required_unless_present_any = ["list", "dump"])]
    pub mode: Option<Mode>,
    /// TFTP host written into URLs (the attacker's TFTP server).
    #[arg(long, default_value = "192.0.2.1")]
    pub tftp: String,
    /// Name used for `<name>.conf` files (default: the target's IP address).
    #[arg(long)]
    pub target_name: Option<String>,
    /// File name override for modes that name a file.
    #[arg(long)]
    pub file: Option<String>,
    /// How long to wait for the connection and for each reply, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub wait_ms: u64,
    /// Print the modes and exit.
    #[arg(long)]
    pub list: bool,
    /// Write each corpus entry (or only --mode) to DIR/MODE.bin and exit.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// Runs `sim attack`.
pub fn run(args: AttackArgs) -> Result<ExitCode, CliError> {
    if args.list {
        for mode in Mode::ALL {
            println!("{:<14} {}", mode.name(), mode.describe());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let params = Params {
        tftp_host: args.tftp.clone(),
        target_name: args
            .target_name
            .clone()
            .or_else(|| args.target.map(|t| t.ip().to_string()))
            .unwrap_or_else(|| "192.0.2.2".to_owned()),
        file: args.file.clone(),
    };
    if let Some(dir) = &args.dump {
        return dump(dir, args.mode, &params);
    }
    let (Some(target), Some(mode)) = (args.target, args.mode) else {
        return Err(CliError::new("--target and --mode are required"));
    };
    let payload = build(mode, &params).map_err(|e| CliError::new(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    let wait = Duration::from_millis(args.wait_ms);
    let report = runtime
        .block_on(send(mode, target, &payload, wait))
        .map_err(|e| CliError::new(format!("{target}: {e}")))?;
    let json = serde_json::to_string(&report).map_err(|e| CliError::new(e.to_string()))?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

fn dump(dir: &std::path::Path, only: Option<Mode>, params: &Params) -> Result<ExitCode, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, &e))?;
    let modes: Vec<Mode> = only.map_or_else(|| Mode::ALL.to_vec(), |m| vec![m]);
    for mode in modes {
        let payload = build(mode, params).map_err(|e| CliError::new(e.to_string()))?;
        let path = dir.join(format!("{}.bin", mode.name()));
        std::fs::write(&path, payload.bytes()).map_err(|e| CliError::io(&path, &e))?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
