//! `ztpgate bench pnp exchanges | handshakes | download | populate | fixed-reply`: the PnP load
//! driver ([`crate::bench::pnp`]). Arguments are validated here into typed options (ranges,
//! URLs, names); reports print as a table or, with `--json`, as JSON.
//!
//! Inputs: command-line arguments only. Exit status: 0 when every request succeeded, 1
//! ([`EXIT_FINDINGS`]) when the run saw errors, non-2xx answers or unexpected answers (the
//! report is printed either way), 2 when the run could not start.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::bench::pnp::{
    self, DEFAULT_PID, DownloadOptions, ExchangeOptions, Fleet, HandshakeOptions, PopulateOptions,
};
use crate::cli::{CliError, EXIT_FINDINGS};
use crate::edge::client::ServerUrl;
use crate::pki::KeyKind;

/// PnP server benchmarks.
#[derive(Debug, Subcommand)]
pub enum PnpCommand {
    /// WORK-REQUEST / WORK-RESPONSE rounds of keep-alive mTLS agents: requests/s and latency.
    Exchanges(LoadArgs),
    /// Full mTLS handshakes (no resumption), each followed by GET /pnp/HELLO: handshakes/s.
    Handshakes(LoadArgs),
    /// Stream one URL over HTTPS, several copies at once: MiB/s.
    Download(DownloadArgs),
    /// Write realistic PnP device records into a gateway database (gateway stopped).
    Populate(PopulateArgs),
    /// Print the fixed cli-exec request a reference web server answers with.
    FixedReply(FixedReplyArgs),
}

/// Arguments of `exchanges` and `handshakes`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The PnP server, `https://host:port`.
    #[arg(long)]
    pub server: String,
    /// CA certificate of the server certificate (default: `<pki>/ca.crt`).
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Lab PKI directory: one device certificate per agent is issued there (or reused).
    #[arg(long)]
    pub pki: PathBuf,
    /// Concurrent agents (connections).
    #[arg(long, default_value_t = 64)]
    pub agents: u32,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Seconds of warm-up before the measurement.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Serial prefix: agents are <prefix>0001, <prefix>0002, …
    #[arg(long, default_value = "BENCH")]
    pub serial_prefix: String,
    /// Product ID of the agents.
    #[arg(long, default_value = DEFAULT_PID)]
    pub pid: String,
    /// Issue ECDSA P-256 device certificates instead of RSA-2048.
    #[arg(long)]
    pub ecdsa: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The file, `https://host:port/path` (for the gateway: a `ztpgate files grant` URL).
    #[arg(long)]
    pub url: String,
    /// CA certificate of the server certificate.
    #[arg(long)]
    pub ca: PathBuf,
    /// Client certificate chain to present (PEM).
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Key of --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Copies downloaded at once, each on its own connection.
    #[arg(long, default_value_t = 1)]
    pub concurrency: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `populate`.
#[derive(Debug, Args)]
pub struct PopulateArgs {
    /// The gateway's database (`<data_dir>/ztpgate.db`).
    #[arg(long)]
    pub db: PathBuf,
    /// Device records to write.
    #[arg(long, default_value_t = 100_000)]
    pub devices: u32,
    /// Serial prefix: devices are <prefix>000001, <prefix>000002, …
    #[arg(long, default_value = "POP")]
    pub prefix: String,
    /// Product ID of the devices.
    #[arg(long, default_value = DEFAULT_PID)]
    pub pid: String,
    /// Profile name stored in the records.
    #[arg(long, default_value = "bench")]
    pub profile: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `fixed-reply`.
#[derive(Debug, Args)]
pub struct FixedReplyArgs {
    /// Exact size of the body in bytes.
    #[arg(long, default_value_t = 600)]
    pub bytes: usize,
}

/// A command-line value out of range or malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// A number outside its range.
    #[error("--{argument} must be between {min} and {max}, not {value}")]
    OutOfRange {
        /// The option.
        argument: &'static str,
        /// What was given.
        value: String,
        /// Smallest accepted value.
        min: String,
        /// Largest accepted value.
        max: String,
    },
    /// A value of the wrong form.
    #[error("--{argument} {value:?}: expected {expected}")]
    Invalid {
        /// The option.
        argument: &'static str,
        /// What was given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
}

/// Runs a `bench pnp` command.
pub fn run(cmd: PnpCommand) -> Result<ExitCode, CliError> {
    match cmd {
        PnpCommand::Exchanges(args) => {
            let opts = exchange_options(&args).map_err(arg_error)?;
            let report = runtime()?
                .block_on(pnp::run_exchanges(&opts))
                .map_err(|e| CliError::new(e.to_string()))?;
            let clean = report.errors + report.non_2xx + report.unexpected_answers == 0;
            print(&report, args.json, pnp::exchange::render_table)?;
            Ok(exit(clean && report.requests > 0))
        }
        PnpCommand::Handshakes(args) => {
            let opts = handshake_options(&args).map_err(arg_error)?;
            let report = runtime()?
                .block_on(pnp::run_handshakes(&opts))
                .map_err(|e| CliError::new(e.to_string()))?;
            let clean = report.errors + report.non_2xx + report.resumed == 0;
            print(&report, args.json, pnp::handshake::render_table)?;
            Ok(exit(clean && report.handshakes > 0))
        }
        PnpCommand::Download(args) => {
            let opts = download_options(&args).map_err(arg_error)?;
            let report = runtime()?
                .block_on(pnp::run_download(&opts))
                .map_err(|e| CliError::new(e.to_string()))?;
            print(&report, args.json, pnp::download::render_table)?;
            Ok(exit(report.errors == 0))
        }
        PnpCommand::Populate(args) => {
            let opts = populate_options(&args).map_err(arg_error)?;
            let report = pnp::run_populate(&opts, crate::clock::now_utc())
                .map_err(|e| CliError::new(e.to_string()))?;
            print(&report, args.json, pnp::populate::render_table)?;
            Ok(ExitCode::SUCCESS)
        }
        PnpCommand::FixedReply(args) => {
            let body = fixed_reply(args.bytes).map_err(arg_error)?;
            print!("{body}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Validated options of `exchanges`.
pub fn exchange_options(args: &LoadArgs) -> Result<ExchangeOptions, ArgError> {
    let (fleet, duration, warmup) = load_options(args, MAX_AGENTS)?;
    Ok(ExchangeOptions {
        fleet,
        duration,
        warmup,
    })
}

/// Validated options of `handshakes`.
pub fn handshake_options(args: &LoadArgs) -> Result<HandshakeOptions, ArgError> {
    let (fleet, duration, warmup) = load_options(args, MAX_AGENTS)?;
    Ok(HandshakeOptions {
        fleet,
        duration,
        warmup,
    })
}

/// Validated options of `download`.
pub fn download_options(args: &DownloadArgs) -> Result<DownloadOptions, ArgError> {
    let (server, path) = server_url("url", &args.url)?;
    in_range("concurrency", args.concurrency, 1, MAX_STREAMS)?;
    Ok(DownloadOptions {
        server,
        path,
        ca: args.ca.clone(),
        identity: args.cert.clone().zip(args.key.clone()),
        concurrency: args.concurrency,
    })
}

/// Validated options of `populate`.
pub fn populate_options(args: &PopulateArgs) -> Result<PopulateOptions, ArgError> {
    in_range("devices", args.devices, 1, MAX_DEVICES)?;
    name("prefix", &args.prefix, MAX_PREFIX_BYTES, false)?;
    name("pid", &args.pid, MAX_PID_BYTES, true)?;
    name("profile", &args.profile, MAX_PID_BYTES, true)?;
    Ok(PopulateOptions {
        db: args.db.clone(),
        devices: args.devices,
        prefix: args.prefix.clone(),
        pid: args.pid.clone(),
        profile: args.profile.clone(),
    })
}

/// The fixed reply body of `bytes` bytes.
pub fn fixed_reply(bytes: usize) -> Result<String, ArgError> {
    in_range("bytes", bytes, 1, MAX_FIXED_REPLY_BYTES)?;
    pnp::messages::fixed_request_body(bytes).map_err(|e| ArgError::Invalid {
        argument: "bytes",
        value: bytes.to_string(),
        expected: match e {
            pnp::messages::FixedBodyError::TooSmall { .. } => "room for the whole cli-exec request",
        },
    })
}

fn load_options(args: &LoadArgs, max_agents: u32) -> Result<(Fleet, Duration, Duration), ArgError> {
    let (server, _) = server_url("server", &args.server)?;
    in_range("agents", args.agents, 1, max_agents)?;
    let duration = seconds("seconds", args.seconds, false)?;
    let warmup = seconds("warmup", args.warmup, true)?;
    name(
        "serial-prefix",
        &args.serial_prefix,
        MAX_PREFIX_BYTES,
        false,
    )?;
    name("pid", &args.pid, MAX_PID_BYTES, true)?;
    let fleet = Fleet {
        server,
        ca: args.ca.clone().unwrap_or_else(|| args.pki.join("ca.crt")),
        pki: args.pki.clone(),
        agents: args.agents,
        pid: args.pid.clone(),
        serial_prefix: args.serial_prefix.clone(),
        key_kind: if args.ecdsa {
            KeyKind::P256
        } else {
            KeyKind::Rsa2048
        },
    };
    Ok((fleet, duration, warmup))
}

fn server_url(argument: &'static str, url: &str) -> Result<(ServerUrl, String), ArgError> {
    ServerUrl::parse(url).map_err(|_| ArgError::Invalid {
        argument,
        value: url.to_owned(),
        expected: "an https://host[:port][/path] URL",
    })
}

fn in_range<T>(argument: &'static str, value: T, min: T, max: T) -> Result<(), ArgError>
where
    T: PartialOrd + ToString,
{
    if value < min || value > max {
        return Err(ArgError::OutOfRange {
            argument,
            value: value.to_string(),
            min: min.to_string(),
            max: max.to_string(),
        });
    }
    Ok(())
}

fn seconds(argument: &'static str, value: f64, zero_ok: bool) -> Result<Duration, ArgError> {
    let low_ok = if zero_ok { value >= 0.0 } else { value > 0.0 };
    if !value.is_finite() || !low_ok || value > MAX_SECONDS {
        return Err(ArgError::OutOfRange {
            argument,
            value: value.to_string(),
            min: if zero_ok { "0" } else { "above 0" }.to_owned(),
            max: MAX_SECONDS.to_string(),
        });
    }
    Ok(Duration::from_secs_f64(value))
}

/// A serial prefix (letters and digits) or a PID-like name (also `-`, `/`, `.`, `_`).
fn name(
    argument: &'static str,
    value: &str,
    max: usize,
    punctuation: bool,
) -> Result<(), ArgError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || (punctuation && "-/._".contains(c));
    if value.is_empty() || value.len() > max || !value.chars().all(ok_char) {
        return Err(ArgError::Invalid {
            argument,
            value: value.to_owned(),
            expected: if punctuation {
                "1 to 32 characters of A-Z a-z 0-9 - / . _"
            } else {
                "1 to 16 letters or digits"
            },
        });
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))
}

fn print<R: serde::Serialize>(
    report: &R,
    json: bool,
    table: fn(&R) -> String,
) -> Result<(), CliError> {
    if json {
        let text = serde_json::to_string_pretty(report)
            .map_err(|e| CliError::new(format!("bench: cannot encode report: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", table(report));
    }
    Ok(())
}

fn exit(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

fn arg_error(e: ArgError) -> CliError {
    CliError::new(format!("bench pnp: {e}"))
}

/// Most concurrent agents of a load run.
const MAX_AGENTS: u32 = 4_096;
/// Most concurrent download streams.
const MAX_STREAMS: u32 = 64;
/// Most records `populate` writes in one run.
const MAX_DEVICES: u32 = 1_000_000;
/// Longest measurement or warm-up, seconds.
const MAX_SECONDS: f64 = 3_600.0;
/// Longest serial prefix (the serial adds at least 4 digits; UDI fields hold 64 bytes).
const MAX_PREFIX_BYTES: usize = 16;
/// Longest PID or profile name.
const MAX_PID_BYTES: usize = 32;
/// Largest fixed reply (the gateway's PnP body limit).
const MAX_FIXED_REPLY_BYTES: usize = crate::proto::pnp::MAX_BODY_BYTES;

#[cfg(test)]
mod tests {
    use super::*;

    fn load(server: &str, agents: u32, seconds: f64, warmup: f64, prefix: &str) -> LoadArgs {
        LoadArgs {
            server: server.into(),
            ca: None,
            pki: PathBuf::from("pki"),
            agents,
            seconds,
            warmup,
            serial_prefix: prefix.into(),
            pid: DEFAULT_PID.into(),
            ecdsa: false,
            json: false,
        }
    }

    #[test]
    fn accepts_valid_load_arguments_and_defaults_the_ca() {
        let o = exchange_options(&load("https://127.0.0.1:8445", 64, 2.5, 0.0, "BN")).unwrap();
        assert_eq!(o.fleet.server.port, 8445);
        assert_eq!(o.fleet.ca, PathBuf::from("pki/ca.crt"));
        assert_eq!(o.duration, Duration::from_millis(2500));
        assert_eq!(o.warmup, Duration::ZERO);
        assert_eq!(o.fleet.key_kind, KeyKind::Rsa2048);
        assert!(handshake_options(&load("https://[::1]:1", 1, 1.0, 1.0, "A1")).is_ok());
    }

    #[test]
    fn rejects_out_of_range_load_arguments() {
        let bad = [
            load("http://127.0.0.1:1", 1, 1.0, 0.0, "B"),
            load("https://127.0.0.1:1", 0, 1.0, 0.0, "B"),
            load("https://127.0.0.1:1", MAX_AGENTS + 1, 1.0, 0.0, "B"),
            load("https://127.0.0.1:1", 1, 0.0, 0.0, "B"),
            load("https://127.0.0.1:1", 1, f64::NAN, 0.0, "B"),
            load("https://127.0.0.1:1", 1, 1.0, -1.0, "B"),
            load("https://127.0.0.1:1", 1, 1.0, f64::INFINITY, "B"),
            load("https://127.0.0.1:1", 1, MAX_SECONDS + 1.0, 0.0, "B"),
            load("https://127.0.0.1:1", 1, 1.0, 0.0, ""),
            load("https://127.0.0.1:1", 1, 1.0, 0.0, "A B"),
            load("https://127.0.0.1:1", 1, 1.0, 0.0, &"P".repeat(17)),
        ];
        for args in &bad {
            assert!(exchange_options(args).is_err(), "{args:?}");
        }
        let err = exchange_options(&load("https://127.0.0.1:1", 0, 1.0, 0.0, "B")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--agents must be between 1 and 4096, not 0"
        );
    }

    #[test]
    fn validates_download_and_populate_arguments() {
        let dl = |url: &str, concurrency| DownloadArgs {
            url: url.into(),
            ca: PathBuf::from("ca.crt"),
            cert: None,
            key: None,
            concurrency,
            json: false,
        };
        let o = download_options(&dl("https://127.0.0.1:8444/files/a/b", 8)).unwrap();
        assert_eq!(o.path, "/files/a/b");
        assert!(download_options(&dl("https://127.0.0.1:8444/x", 0)).is_err());
        assert!(download_options(&dl("https://127.0.0.1:8444/x", 65)).is_err());
        assert!(download_options(&dl("ftp://127.0.0.1/x", 1)).is_err());
        let pop = |devices, prefix: &str, pid: &str| PopulateArgs {
            db: PathBuf::from("gw.db"),
            devices,
            prefix: prefix.into(),
            pid: pid.into(),
            profile: "bench".into(),
            json: false,
        };
        assert!(populate_options(&pop(100_000, "POP", "C9300-24P")).is_ok());
        assert!(populate_options(&pop(0, "POP", "C9300-24P")).is_err());
        assert!(populate_options(&pop(MAX_DEVICES + 1, "POP", "C9300-24P")).is_err());
        assert!(populate_options(&pop(10, "P-1", "C9300-24P")).is_err());
        assert!(populate_options(&pop(10, "POP", "C9300 24P")).is_err());
    }

    #[test]
    fn fixed_reply_has_the_requested_size_or_is_refused() {
        assert_eq!(fixed_reply(600).unwrap().len(), 600);
        assert!(matches!(fixed_reply(0), Err(ArgError::OutOfRange { .. })));
        assert!(matches!(fixed_reply(50), Err(ArgError::Invalid { .. })));
        assert!(fixed_reply(MAX_FIXED_REPLY_BYTES + 1).is_err());
    }
}
