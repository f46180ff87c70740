//! `ztpgate files grant`: mint a per-device, expiring HTTPS download URL for a file under the
//! file root, signed with the gateway's file key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::cli::CliError;
use crate::edge::files::grant::Grant;
use crate::edge::files::key;

/// File server commands.
#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Print a download URL that lets one device fetch one file until it expires.
    Grant(GrantArgs),
}

/// Arguments of `files grant`.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// Gateway configuration; without it the embedded lab defaults (data dir ./var).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serial number of the device allowed to fetch the file.
    #[arg(long)]
    pub device: String,
    /// File path relative to the file root.
    #[arg(long)]
    pub path: String,
    /// Validity (e.g. 30m, 2h); default: files.grant_ttl.
    #[arg(long, value_parser = crate::config::parse_duration_arg)]
    pub ttl: Option<Duration>,
    /// URL base instead of files.public_url or the first listen address.
    #[arg(long)]
    pub base: Option<String>,
}

/// Runs a files command.
pub fn run(cmd: FilesCommand) -> Result<ExitCode, CliError> {
    let FilesCommand::Grant(args) = cmd;
    let config = match &args.config {
        Some(path) => crate::config::load(path).map_err(|e| CliError::new(e.to_string()))?,
        None => crate::config::lab_default(),
    };
    let files = &config.files;
    let base = match (&args.base, &files.public_url, files.listen.first()) {
        (Some(base), _, _) | (None, Some(base), _) => base.trim_end_matches('/').to_owned(),
        (None, None, Some(addr)) => format!("https://{addr}"),
        (None, None, None) => {
            return Err(CliError::new(
                "the file server is off (files.listen is empty) and no --base was given",
            ));
        }
    };
    let ttl = args.ttl.unwrap_or(files.grant_ttl);
    let ttl_secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let expires = crate::clock::now_utc().timestamp().saturating_add(ttl_secs);
    let grant =
        Grant::new(&args.device, &args.path, expires).map_err(|e| CliError::new(e.to_string()))?;
    if !files.root.join(&args.path).is_file() {
        eprintln!(
            "ztpgate: warning: {} does not exist under {} (yet)",
            args.path,
            files.root.display()
        );
    }
    let key = key::load_or_create(&files.key).map_err(|e| CliError::new(e.to_string()))?;
    println!("{base}{}", grant.url_path(&key));
    Ok(ExitCode::SUCCESS)
}
