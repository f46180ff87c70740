//! The `ztpgate` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ztpgate::cli::Cli::parse();
    match ztpgate::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ztpgate: {err}");
            ExitCode::from(err.code)
        }
    }
}
