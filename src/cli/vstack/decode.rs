//! `ztpgate vstack decode [FILE|-] [--hex] [--json]`: every message in the input with its offset,
//! kind, header words, URLs, hosts, commands, findings and layout details.
//!
//! Inputs: a file or standard input holding attacker-originated bytes, read up to
//! [`MAX_INPUT_BYTES`]. Text output escapes every byte taken from the input; JSON output relies on
//! serde_json's escaping. Exit codes: 0 all bytes decoded, 1 a decode error (printed after the
//! messages before it), 2 unreadable input or bad options.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use crate::cli::{CliError, EXIT_FINDINGS};
use crate::proto::vstack::{
    Body, DecodeError, Frame, Limits, Message, Probe, ProbeReply, TlvTail, UpgradeTiming,
    decode_all,
};

/// Largest input read, in bytes.
pub(super) const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Arguments of `vstack decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Input file; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,
    /// The input is hex text (whitespace allowed) instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Largest message accepted, header included (16 to 1048576).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
}

pub(super) fn run(args: &DecodeArgs) -> Result<ExitCode, CliError> {
    let limits = Limits::new(args.max_message_bytes).map_err(|e| CliError::new(e.to_string()))?;
    let raw = read_input(args.file.as_ref())?;
    let bytes = if args.hex { parse_hex(&raw)? } else { raw };
    let decoding = decode_all(&bytes, limits);
    if args.json {
        let messages: Vec<Value> = decoding.frames.iter().map(frame_json).collect();
        let error = decoding.error.as_ref().map(error_json);
        let doc = json!({ "messages": messages, "error": error });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for frame in &decoding.frames {
            print_frame(frame);
        }
    }
    match decoding.error {
        None => Ok(ExitCode::SUCCESS),
        Some(err) => Err(CliError {
            message: format!("malformed Smart Install input: {err}"),
            code: EXIT_FINDINGS,
        }),
    }
}

fn read_input(file: Option<&PathBuf>) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    let result = match file {
        Some(path) if path.as_os_str() != "-" => std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut out)),
        _ => std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut out),
    };
    let name = file.map_or_else(|| PathBuf::from("-"), Clone::clone);
    result.map_err(|e| CliError::io(&name, &e))?;
    if out.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::new(format!(
            "{}: input larger than {MAX_INPUT_BYTES} bytes",
            name.display()
        )));
    }
    Ok(out)
}

/// Hex text to bytes; ASCII whitespace anywhere is ignored.
fn parse_hex(text: &[u8]) -> Result<Vec<u8>, CliError> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    hex::decode(&digits).map_err(|e| CliError::new(format!("--hex input: {e}")))
}

fn print_frame(frame: &Frame) {
    let m = &frame.message;
    let h = &frame.header;
    println!(
        "offset {}: {} (w0={} w1={} type={} length={}, {})",
        frame.offset,
        m.kind().as_str(),
        h.w0,
        h.w1,
        h.msg_type,
        h.length,
        m.direction().as_str()
    );
    for url in m.urls() {
        let parts = url.parsed.map_or_else(
            || "unparsed".to_owned(),
            |p| {
                let port = p.port.map_or_else(String::new, |p| format!(" port {p}"));
                let path = p.path.escape_debug();
                format!("scheme {} host {}{port} path {path}", p.scheme, p.host)
            },
        );
        println!(
            "  url {}: {} ({parts})",
            url.field,
            url.text().escape_debug()
        );
    }
    for host in m.hosts() {
        println!("  host: {}", host.escape_debug());
    }
    for command in m.commands() {
        println!(
            "  command {}: {}",
            command.field,
            command.text().escape_debug()
        );
    }
    for finding in m.findings() {
        println!("  finding {}: {}", finding.code(), finding);
    }
    if let Value::Object(details) = details(m) {
        for (key, value) in details {
            match value {
                Value::String(text) => println!("  {key}: {}", text.escape_debug()),
                other => println!("  {key}: {other}"),
            }
        }
    }
}

fn frame_json(frame: &Frame) -> Value {
    let m = &frame.message;
    let urls: Vec<Value> = m
        .urls()
        .iter()
        .map(|u| {
            json!({
                "field": u.field,
                "url": u.text(),
                "scheme": u.parsed.map(|p| p.scheme),
                "host": u.parsed.map(|p| p.host),
                "port": u.parsed.and_then(|p| p.port),
                "path": u.parsed.map(|p| p.path),
            })
        })
        .collect();
    let commands: Vec<Value> = m
        .commands()
        .iter()
        .map(|c| json!({ "field": c.field, "command": c.text() }))
        .collect();
    let findings: Vec<Value> = m
        .findings()
        .iter()
        .map(|f| json!({ "code": f.code(), "field": f.field(), "text": f.to_string() }))
        .collect();
    json!({
        "offset": frame.offset,
        "kind": m.kind().as_str(),
        "w0": frame.header.w0,
        "w1": frame.header.w1,
        "type": frame.header.msg_type,
        "length": frame.header.length,
        "direction": m.direction().as_str(),
        "documented_direction": m.kind().documented_direction().as_str(),
        "urls": urls,
        "hosts": m.hosts(),
        "commands": commands,
        "findings": findings,
        "details": details(m),
    })
}

fn error_json(err: &DecodeError) -> Value {
    json!({ "code": err.code(), "offset": err.offset(), "message": err.to_string() })
}

/// Layout fields worth showing, per kind.
fn details(m: &Message) -> Value {
    match &m.body {
        Body::Probe(Probe::Hello { word1, word2 }) => {
            json!({ "form": "hello", "words": [word1, word2] })
        }
        Body::Probe(Probe::Short { byte }) => json!({ "form": "short", "byte": byte }),
        Body::ProbeReply(ProbeReply::Hello { word1, word2 }) => {
            json!({ "form": "hello", "words": [word1, word2] })
        }
        Body::ProbeReply(ProbeReply::Status { status }) => {
            json!({ "form": "status", "status": status })
        }
        Body::ConfigPush(c) => json!({
            "reload": c.reload.scheduled().is_some(),
            "at": c.reload.scheduled().map(|(h, m)| format!("{h:02}:{m:02}")),
        }),
        Body::ImageUpgrade(i) => json!({
            "flags": format!("{:#x}", i.flags),
            "timing": match i.timing() {
                Some(UpgradeTiming::Immediate) => "immediate".to_owned(),
                Some(UpgradeTiming::At { hour, minute }) => format!("{hour:02}:{minute:02}"),
                None => "none".to_owned(),
            },
        }),
        Body::Execute(e) => json!({ "trailer": e.trailer }),
        Body::CopyCommands(c) => json!({ "mac": hex::encode(c.mac()) }),
        Body::InitDiscovery(d) => json!({
            "tlvs": d.tlvs.iter().map(|t| json!({
                "type": t.tlv_type,
                "length": t.value.len(),
                "value": hex::encode(&t.value),
            })).collect::<Vec<_>>(),
            "tail": d.tail.as_ref().map(|t| match t {
                TlvTail::ShortHeader { bytes } => hex::encode(bytes),
                TlvTail::Overrun { value, .. } => hex::encode(value),
            }),
        }),
        Body::Unknown { payload, .. } => json!({ "payload": hex::encode(payload) }),
    }
}
