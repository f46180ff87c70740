//! `ztpgate vstack decode|encode`: Smart Install (TCP 4786) messages on the command line, through
//! the pure codec [`crate::proto::vstack`].
//!
//! - `decode [FILE|-] [--hex] [--json]` prints every message in the input (offset, kind, header,
//!   every URL, host and command, findings) and exits [`EXIT_FINDINGS`] with the decode error
//!   after printing the messages before it. The input is attacker-controlled bytes (captures,
//!   honeypot logs); printed text is escaped.
//! - `encode KIND [ARGS] [-o FILE] [--hex]` writes one message in the documented layout of
//!   `../shared/protocols/smart-install.md` §3; values that do not fit are refused.
//!
//! [`EXIT_FINDINGS`]: crate::cli::EXIT_FINDINGS

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
}

/// Runs a vstack command.
pub fn run(cmd: VstackCommand) -> Result<ExitCode, CliError> {
    match cmd {
        VstackCommand::Decode(args) => decode::run(&args),
        VstackCommand::Encode(args) => encode::run(&args),
    }
}
