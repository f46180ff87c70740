//! `ztpgate vstack encode KIND [ARGS] [-o FILE] [--hex]`: one message in the documented layout
//! (smart-install.md §3), as raw bytes (default) or hex text, to standard output or a file.
//!
//! Inputs: operator arguments. Over-long fields and invalid times are refused (exit 2), never
//! truncated. `init-discovery` can build malformed messages for tests and attack corpora:
//! `--raw-tlv-length` declares a length for the last TLV other than its value's, and
//! `--length-override` writes any header `length`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::CliError;
use crate::proto::vstack::{
    Body, ConfigPush, CopyCommands, EncodeError, Execute, ImageUpgrade, InitDiscovery, Message,
    Probe, ProbeReply, ReloadSchedule, UpgradeTiming,
};

/// Arguments of `vstack encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// The message to build.
    #[command(subcommand)]
    pub kind: EncodeKind,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// Write hex text instead of raw bytes.
    #[arg(long, global = true)]
    pub hex: bool,
    /// Header word 0 instead of the one public tools use for this kind.
    #[arg(long, global = true)]
    pub w0: Option<u32>,
    /// Header word 1 instead of the one public tools use for this kind.
    #[arg(long, global = true)]
    pub w1: Option<u32>,
}

/// Message kinds `vstack encode` builds.
#[derive(Debug, Subcommand)]
pub enum EncodeKind {
    /// The 24-byte "hello" probe (type 4), or with --short the 17-byte probe (type 3).
    Probe {
        /// The 17-byte Greenbone form.
        #[arg(long)]
        short: bool,
    },
    /// The client's 24-byte reply (type 3), or with --short the 20-byte reply (type 4).
    ProbeReply {
        /// The 20-byte status form.
        #[arg(long)]
        short: bool,
    },
    /// Type 3: push a config URL, optionally with a reload.
    ConfigPush {
        /// The config URL (at most 131 bytes).
        #[arg(long)]
        url: String,
        /// Set the reload flag (at 00:00 unless --at is given).
        #[arg(long)]
        reload: bool,
        /// Reload time.
        #[arg(long, value_name = "HH:MM", value_parser = parse_time, requires = "reload")]
        at: Option<(u32, u32)>,
    },
    /// Type 2: image upgrade through an image-list URL.
    ImageUpgrade {
        /// The image-list URL (at most 414 bytes).
        #[arg(long)]
        image_list_url: String,
        /// Reload at this time.
        #[arg(long, value_name = "HH:MM", value_parser = parse_time, conflicts_with = "immediate")]
        at: Option<(u32, u32)>,
        /// Reload as soon as the image is installed (the default).
        #[arg(long)]
        immediate: bool,
    },
    /// Type 8: up to three CLI (`copy …`) commands.
    CopyCommands {
        /// A command (at most 335 bytes); repeat up to 3 times.
        #[arg(long = "command", value_name = "COMMAND", required = true)]
        commands: Vec<String>,
    },
    /// Type 5 (w0 = 2): fetch and run a command file.
    Execute {
        /// The command-file URL (at most 130 bytes).
        #[arg(long)]
        url: String,
    },
    /// Type 7: init discovery, a sequence of TLVs.
    InitDiscovery {
        /// A TLV as TYPE:HEXVALUE (type decimal or 0x-hex); repeatable, in order.
        #[arg(long = "tlv", value_name = "TYPE:HEX", value_parser = parse_tlv)]
        tlvs: Vec<(u32, Vec<u8>)>,
        /// Declared length of the last TLV instead of its value's (a larger one overruns the
        /// message: the CVE-2018-0171 pattern).
        #[arg(long, value_name = "N", requires = "tlvs")]
        raw_tlv_length: Option<u32>,
        /// Header `length` instead of the payload size (a deliberately malformed frame).
        #[arg(long, value_name = "N")]
        length_override: Option<u32>,
    },
}

pub(super) fn run(args: &EncodeArgs) -> Result<ExitCode, CliError> {
    let refused = |e: EncodeError| CliError::new(format!("cannot encode: {e}"));
    let mut message = Message::new(body(&args.kind).map_err(refused)?);
    message.w0 = args.w0.unwrap_or(message.w0);
    message.w1 = args.w1.unwrap_or(message.w1);
    let bytes = match &args.kind {
        EncodeKind::InitDiscovery {
            length_override: Some(length),
            ..
        } => message.danger_encode_with_declared_length(*length),
        _ => message.encode(),
    }
    .map_err(refused)?;
    let out = if args.hex {
        format!("{}\n", hex::encode(&bytes)).into_bytes()
    } else {
        bytes
    };
    match &args.output {
        Some(path) => std::fs::write(path, &out).map_err(|e| CliError::io(path, &e))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .map_err(|e| CliError::io(&PathBuf::from("-"), &e))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn body(kind: &EncodeKind) -> Result<Body, EncodeError> {
    Ok(match kind {
        EncodeKind::Probe { short: false } => Body::Probe(Probe::HELLO),
        EncodeKind::Probe { short: true } => Body::Probe(Probe::SHORT),
        EncodeKind::ProbeReply { short: false } => Body::ProbeReply(ProbeReply::HELLO),
        EncodeKind::ProbeReply { short: true } => Body::ProbeReply(ProbeReply::STATUS),
        EncodeKind::ConfigPush { url, reload, at } => {
            let schedule = match (reload, at) {
                (false, _) => ReloadSchedule::none(),
                (true, None) => ReloadSchedule::at(0, 0)?,
                (true, Some((hour, minute))) => ReloadSchedule::at(*hour, *minute)?,
            };
            Body::ConfigPush(ConfigPush::new(url.as_bytes(), schedule)?)
        }
        EncodeKind::ImageUpgrade {
            image_list_url, at, ..
        } => {
            let timing = at.map_or(UpgradeTiming::Immediate, |(hour, minute)| {
                UpgradeTiming::At { hour, minute }
            });
            Body::ImageUpgrade(ImageUpgrade::new(image_list_url.as_bytes(), timing)?)
        }
        EncodeKind::CopyCommands { commands } => Body::CopyCommands(CopyCommands::new(commands)?),
        EncodeKind::Execute { url } => Body::Execute(Execute::new(url.as_bytes())?),
        EncodeKind::InitDiscovery {
            tlvs,
            raw_tlv_length,
            ..
        } => Body::InitDiscovery(init_discovery(tlvs, *raw_tlv_length)?),
    })
}

/// TLVs written in order, the last one with `raw_len` as its declared length when given, then
/// split back into TLVs and a tail exactly as a receiver would see them.
fn init_discovery(
    tlvs: &[(u32, Vec<u8>)],
    raw_len: Option<u32>,
) -> Result<InitDiscovery, EncodeError> {
    let mut payload = Vec::new();
    let last = tlvs.len().saturating_sub(1);
    for (i, (tlv_type, value)) in tlvs.iter().enumerate() {
        let len = u32::try_from(value.len())
            .map_err(|_| EncodeError::PayloadTooLarge { len: value.len() })?;
        let declared = raw_len.filter(|_| i == last).unwrap_or(len);
        payload.extend_from_slice(&tlv_type.to_be_bytes());
        payload.extend_from_slice(&declared.to_be_bytes());
        payload.extend_from_slice(value);
    }
    Ok(InitDiscovery::from_payload(&payload))
}

fn parse_time(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected HH:MM between 00:00 and 23:59, got {s:?}");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let hour: u32 = h.parse().map_err(|_| bad())?;
    let minute: u32 = m.parse().map_err(|_| bad())?;
    if hour > 23 || minute > 59 || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    Ok((hour, minute))
}

fn parse_tlv(s: &str) -> Result<(u32, Vec<u8>), String> {
    let (t, value) = s
        .split_once(':')
        .ok_or_else(|| format!("expected TYPE:HEX, got {s:?}"))?;
    let tlv_type = match t.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse(),
    }
    .map_err(|_| format!("TLV type {t:?} is not a u32"))?;
    let value = hex::decode(value).map_err(|e| format!("TLV value: {e}"))?;
    Ok((tlv_type, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_hh_mm_within_a_day() {
        assert_eq!(parse_time("01:02"), Ok((1, 2)));
        assert_eq!(parse_time("23:59"), Ok((23, 59)));
        for bad in ["24:00", "00:60", "1:2", "0102", "a:bc", "001:02"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tlv_arguments_take_decimal_or_hex_types() {
        assert_eq!(parse_tlv("1:4142"), Ok((1, b"AB".to_vec())));
        assert_eq!(parse_tlv("0x10:"), Ok((16, Vec::new())));
        assert!(parse_tlv("1:zz").is_err());
        assert!(parse_tlv("x:00").is_err());
        assert!(parse_tlv("100").is_err());
    }

    #[test]
    fn raw_tlv_length_beyond_the_value_becomes_an_overrun_tail() {
        let d = init_discovery(&[(1, vec![0xaa; 4]), (2, vec![0xbb; 2])], Some(0xd8)).unwrap();
        assert_eq!(d.tlvs.len(), 1);
        assert_eq!(d.tail_offset(), 12);
        assert!(matches!(
            d.tail,
            Some(crate::proto::vstack::TlvTail::Overrun {
                tlv_type: 2,
                declared_len: 0xd8,
                ..
            })
        ));
    }
}
