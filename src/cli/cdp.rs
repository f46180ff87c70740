//! `ztpgate cdp decode FILE [--json]`: decode one captured CDP Ethernet frame and print the
//! neighbor it describes and every TLV. `ztpgate cdp listen --interface IF`: capture CDP on an
//! interface and print each neighbor record (or malformed frame) as a JSON line.
//!
//! Inputs: a file (or `-` for standard input) holding attacker-originated bytes, read up to
//! [`MAX_INPUT_BYTES`]: either the raw frame, or hex text (whitespace ignored, `#` starts a
//! comment, as in `tests/fixtures/cdp/*.hex`). Input that is entirely printable text is read as
//! hex. Text output escapes every string taken from the frame. Exit codes: 0 decoded, 1 the frame
//! is malformed, 2 unreadable input.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::cli::{CliError, EXIT_FINDINGS};
use crate::clock;
use crate::edge::cdp_listener::{CdpListener, Observation};
use crate::policy::join::Mac;
use crate::proto::cdp::{Frame, Tlv, decode_frame};

/// Largest input read, in bytes (hex text of the largest frame, with comments).
pub const MAX_INPUT_BYTES: u64 = 64 << 10;

/// `cdp` subcommands.
#[derive(Debug, Subcommand)]
pub enum CdpCommand {
    /// Decode a captured CDP frame (raw bytes or hex text).
    Decode(DecodeArgs),
    /// Capture CDP on an interface and print neighbor records as JSON lines.
    Listen(ListenArgs),
}

/// Arguments of `cdp listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Interface to capture on.
    #[arg(long, value_name = "IF")]
    pub interface: String,
    /// Stop after this many neighbor records (0: never).
    #[arg(long, default_value_t = 0)]
    pub count: u64,
    /// Give up after this many seconds (0: never); exit 1 if --count was not reached.
    #[arg(long, default_value_t = 0)]
    pub timeout_secs: u64,
}

/// Arguments of `cdp decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Input file; `-` reads standard input.
    pub file: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `cdp` command.
pub fn run(cmd: CdpCommand) -> Result<ExitCode, CliError> {
    match cmd {
        CdpCommand::Decode(args) => decode(&args),
        CdpCommand::Listen(args) => listen(&args),
    }
}

fn listen(args: &ListenArgs) -> Result<ExitCode, CliError> {
    let mut listener =
        CdpListener::open(&args.interface).map_err(|e| CliError::new(e.to_string()))?;
    eprintln!("listening for CDP on {}", args.interface);
    let deadline = (args.timeout_secs > 0)
        .then(|| clock::now_monotonic() + Duration::from_secs(args.timeout_secs));
    let mut seen = 0u64;
    while args.count == 0 || seen < args.count {
        if deadline.is_some_and(|d| clock::now_monotonic() >= d) {
            return Err(CliError {
                message: format!("timed out after {seen} of {} neighbor records", args.count),
                code: EXIT_FINDINGS,
            });
        }
        let observation = listener
            .next_observation()
            .map_err(|e| CliError::new(e.to_string()))?;
        let line = match observation {
            None => continue,
            Some(Observation::Neighbor(record)) => {
                seen += 1;
                json!({ "event": "neighbor", "record": record })
            }
            Some(Observation::Malformed {
                interface,
                bytes,
                error,
            }) => json!({
                "event": "malformed", "interface": interface, "bytes": bytes,
                "error": error.to_string(),
            }),
        };
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Frame bytes from file contents: hex text when every byte is printable ASCII or whitespace
/// (`#` comments to the end of the line are skipped), raw bytes otherwise.
pub fn frame_bytes(input: &[u8]) -> Result<Vec<u8>, CliError> {
    let is_text = input
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if !is_text || input.is_empty() {
        return Ok(input.to_vec());
    }
    let text = String::from_utf8_lossy(input);
    let digits: String = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(str::chars)
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    hex::decode(&digits).map_err(|e| CliError::new(format!("bad hex input: {e}")))
}

fn decode(args: &DecodeArgs) -> Result<ExitCode, CliError> {
    let input = read_input(&args.file)?;
    let bytes = frame_bytes(&input)?;
    let frame = decode_frame(&bytes).map_err(|e| CliError {
        message: format!("malformed CDP frame: {e}"),
        code: EXIT_FINDINGS,
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&frame_json(&frame)).unwrap_or_default()
        );
    } else {
        print_frame(&frame);
    }
    Ok(ExitCode::SUCCESS)
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut out)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut out))
    };
    result.map_err(|e| CliError::io(path, &e))?;
    if out.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::new(format!(
            "{}: input larger than {MAX_INPUT_BYTES} bytes",
            path.display()
        )));
    }
    Ok(out)
}

fn frame_json(frame: &Frame) -> Value {
    let neighbor = frame.pdu.neighbor();
    let tlvs: Vec<Value> = frame.pdu.tlvs.iter().map(tlv_json).collect();
    json!({
        "source": Mac(frame.source).to_string(),
        "vlan": frame.vlan,
        "version": frame.pdu.version.number(),
        "ttl_secs": frame.pdu.ttl_secs,
        "checksum": format!("{:#06x}", frame.checksum),
        "pid": neighbor.pid(),
        "neighbor": neighbor,
        "tlvs": tlvs,
    })
}

fn tlv_json(tlv: &Tlv) -> Value {
    let (name, value) = tlv_parts(tlv);
    json!({ "type": format!("{:#06x}", tlv.kind()), "name": name, "value": value })
}

/// The TLV's name and its value as JSON.
fn tlv_parts(tlv: &Tlv) -> (&'static str, Value) {
    match tlv {
        Tlv::DeviceId(s) => ("device_id", json!(s)),
        Tlv::Addresses(a) => ("addresses", json!(a)),
        Tlv::PortId(s) => ("port_id", json!(s)),
        Tlv::Capabilities(c) => ("capabilities", json!(c)),
        Tlv::SoftwareVersion(s) => ("software_version", json!(s)),
        Tlv::Platform(s) => ("platform", json!(s)),
        Tlv::VtpDomain(s) => ("vtp_domain", json!(s)),
        Tlv::NativeVlan(v) => ("native_vlan", json!(v)),
        Tlv::Duplex(d) => ("duplex", json!(d)),
        Tlv::ManagementAddresses(a) => ("management_addresses", json!(a)),
        Tlv::Unknown { value, .. } => ("unknown", json!(hex::encode(value))),
    }
}

fn print_frame(frame: &Frame) {
    let n = frame.pdu.neighbor();
    println!("source           {}", Mac(frame.source));
    if let Some(vlan) = frame.vlan {
        println!("802.1q vlan      {vlan}");
    }
    println!("version          {}", frame.pdu.version.number());
    println!("ttl              {} s", frame.pdu.ttl_secs);
    println!("checksum         {:#06x} (verified)", frame.checksum);
    if let Some(pid) = n.pid() {
        println!("pid              {}", pid.escape_debug());
    }
    for tlv in &frame.pdu.tlvs {
        let (name, value) = tlv_parts(tlv);
        match tlv {
            Tlv::SoftwareVersion(s) => {
                println!("{name:<16} {:#06x}", tlv.kind());
                for line in s.lines() {
                    println!("    {}", line.escape_debug());
                }
            }
            Tlv::DeviceId(s) | Tlv::PortId(s) | Tlv::Platform(s) | Tlv::VtpDomain(s) => {
                println!("{name:<16} {}", s.escape_debug());
            }
            Tlv::Unknown { kind, .. } => println!("{name:<16} {kind:#06x} {value}"),
            _ => println!("{name:<16} {value}"),
        }
    }
}
