//! `ztpgate bench pcap-audit [--size SIZE] [--out FILE] [--format pcap|pcapng] [--seed N]
//! [--runs N] [--generate-only] [--json]`: writes a realistic mixed capture and measures
//! `ztpgate pcap audit`, tshark and tcpdump on it ([`crate::bench::pcap_audit`]).
//!
//! Without `--out` the capture goes to a private temporary directory and is removed at the
//! end; with `--out` it is kept. Inputs: command-line arguments only, validated here.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::bench::PrivateDir;
use crate::bench::pcap_audit::{
    CaptureFormat, CaptureInfo, DEFAULT_SEED, MeasureOptions, default_capture_path, generate,
    render, run as measure,
};
use crate::cli::CliError;
use crate::clock::now_monotonic;

/// Arguments of `bench pcap-audit`.
#[derive(Debug, Args)]
pub struct PcapAuditArgs {
    /// Capture size: bytes, or with a suffix K/KiB, M/MiB, G/GiB (binary) or KB, MB, GB.
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    pub size: u64,
    /// Where to write the capture (kept); default: a temporary file, removed at the end.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Capture format.
    #[arg(long, value_enum, default_value_t = CaptureFormat::Pcap)]
    pub format: CaptureFormat,
    /// Seed of the traffic generator.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Runs per tool (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// Write the capture and stop.
    #[arg(long)]
    pub generate_only: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Smallest capture accepted.
const MIN_SIZE: u64 = 1 << 20;
/// Largest capture accepted.
const MAX_SIZE: u64 = 64 << 30;
/// Most runs per tool.
const MAX_RUNS: u32 = 100;

/// Runs `bench pcap-audit`.
pub fn run(args: &PcapAuditArgs) -> Result<ExitCode, CliError> {
    if !(MIN_SIZE..=MAX_SIZE).contains(&args.size) {
        return Err(CliError::new(
            "bench pcap-audit: --size must be between 1 MiB and 64 GiB",
        ));
    }
    if !(1..=MAX_RUNS).contains(&args.runs) {
        return Err(CliError::new(format!(
            "bench pcap-audit: --runs must be between 1 and {MAX_RUNS}"
        )));
    }
    let dir = PrivateDir::create("pcap-audit")
        .map_err(|e| CliError::new(format!("bench pcap-audit: cannot create a temp dir: {e}")))?;
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| default_capture_path(dir.path(), args.format));
    let file = File::create(&path)
        .map_err(|e| CliError::new(format!("cannot create {}: {e}", path.display())))?;
    let start = now_monotonic();
    let composition = generate(
        BufWriter::with_capacity(1 << 20, file),
        args.size,
        args.format,
        args.seed,
    )
    .map_err(|e| CliError::new(format!("{}: {e}", path.display())))?;
    let capture = CaptureInfo {
        path,
        format: args.format,
        seed: args.seed,
        composition,
        generate_seconds: start.elapsed().as_secs_f64(),
    };
    if args.generate_only {
        let text = if args.json {
            serde_json::to_string_pretty(&capture).unwrap_or_default()
        } else {
            format!(
                "wrote {} ({} bytes, {} packets, {} TCP flows) in {:.1} s",
                capture.path.display(),
                capture.composition.file_bytes,
                capture.composition.packets,
                capture.composition.tcp_flows,
                capture.generate_seconds
            )
        };
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let ztpgate = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the ztpgate executable: {e}")))?;
    let opts = MeasureOptions {
        ztpgate,
        runs: args.runs,
        scratch: dir.path().to_owned(),
    };
    let report = measure(capture, &opts).map_err(|e| CliError::new(e.to_string()))?;
    super::print_report(args.json, &report, render)?;
    Ok(ExitCode::SUCCESS)
}

/// Parses `1073741824`, `1GiB`, `512M`, `100MB`.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit {other:?}")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1TiB").is_err());
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
