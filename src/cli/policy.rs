//! `ztpgate policy check|explain`.

pub mod check;
pub mod explain;

use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::CliError;

/// Policy commands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate configuration and policy files; every problem as file:line:col: key: message.
    Check(check::CheckArgs),
    /// Print the verdict and the deciding rule for a hypothetical event.
    Explain(explain::ExplainArgs),
}

/// Runs a policy command.
pub fn run(cmd: PolicyCommand) -> Result<ExitCode, CliError> {
    match cmd {
        PolicyCommand::Check(args) => check::run(args),
        PolicyCommand::Explain(args) => explain::run(args),
    }
}
