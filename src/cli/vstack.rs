//! `ztpgate vstack decode|encode`: Smart Install (TCP 4786) messages on the command line, through
//! the pure codec [`crate::proto::vstack`]; and the director's actions on a running gateway
//! ([`admin`]: `join-window`, `on-hold-clients`, `join-window-status`, `backup`, `download-*`).
//!
//! - `decode [FILE|-] [--hex] [--json]` prints every message in the input (offset, kind, header,
//!   every URL, host and command, findings) and exits [`EXIT_FINDINGS`] with the decode error
//!   after printing the messages before it. The input is attacker-controlled bytes (captures,
//!   honeypot logs); printed text is escaped.
//! - `encode KIND [ARGS] [-o FILE] [--hex]` writes one message in the documented layout of
//!   `../shared/protocols/smart-install.md` §3; values that do not fit are refused.
//!
//! [`EXIT_FINDINGS`]: crate::cli::EXIT_FINDINGS

pub mod admin;
mod decode;
mod encode;

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::CliError;

pub use decode::DecodeArgs;
pub use encode::{EncodeArgs, EncodeKind};

/// Smart Install message tools.
#[derive(Debug, Subcommand)]
pub enum VstackCommand {
    /// Decode Smart Install bytes (one or more messages) and show what they name.
    Decode(DecodeArgs),
    /// Build one Smart Install message.
    Encode(EncodeArgs),
    /// Director: open or close the join window, or hand it back to the schedule.
    JoinWindow(admin::JoinWindowArgs),
    /// Director: `on-hold-clients remove` allows every held client.
    OnHoldClients(admin::OnHoldArgs),
    /// Director: fix clients' join-window state (allowed, held) or clear it.
    JoinWindowStatus(admin::JoinStatusArgs),
    /// Director: back up the clients' configuration now.
    Backup(admin::BackupArgs),
    /// Director: push the assigned image to the clients.
    DownloadImage(admin::DownloadArgs),
    /// Director: push the assigned configuration to the clients.
    DownloadConfig(admin::DownloadArgs),
    /// Director: push the assigned configuration and image to the clients.
    DownloadImageConfig(admin::DownloadArgs),
}

/// Runs a vstack command.
pub fn run(cmd: VstackCommand) -> Result<ExitCode, CliError> {
    match cmd {
        VstackCommand::Decode(args) => decode::run(&args),
        VstackCommand::Encode(args) => encode::run(&args),
        VstackCommand::JoinWindow(args) => admin::join_window(&args),
        VstackCommand::OnHoldClients(args) => admin::on_hold(&args),
        VstackCommand::JoinWindowStatus(args) => admin::join_status(&args),
        VstackCommand::Backup(args) => admin::backup(&args),
        VstackCommand::DownloadImage(args) => admin::download(admin::Download::Image, &args),
        VstackCommand::DownloadConfig(args) => admin::download(admin::Download::Config, &args),
        VstackCommand::DownloadImageConfig(args) => {
            admin::download(admin::Download::ImageAndConfig, &args)
        }
    }
}
