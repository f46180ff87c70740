//! `ztpgate show pnp devices [detail]` and `ztpgate show vstack …` ([`vstack`]): what a running
//! gateway knows about its PnP devices and Smart Install clients, read from its admin API over
//! HTTPS with the admin client certificate, printed as tables (or JSON).
//!
//! The answers come from the gateway (trusted, authenticated by its server certificate); they are
//! still parsed defensively: missing fields print as `-`.

pub mod vstack;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use hyper::Method;

use crate::cli::CliError;
use crate::edge::client::{HttpClient, ServerUrl, full};
use crate::pki;

/// Views of a running gateway.
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// PnP views.
    #[command(subcommand)]
    Pnp(PnpShow),
    /// Smart Install director views (`show vstack status|download-status|config`).
    #[command(subcommand)]
    Vstack(vstack::VstackShow),
}

/// PnP views.
#[derive(Debug, Subcommand)]
pub enum PnpShow {
    /// Every PnP device with its state; `detail` adds each device's history.
    Devices(DevicesArgs),
}

/// Arguments of `show pnp devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// `detail`: one block per device with its history.
    #[arg(value_parser = ["detail"])]
    pub detail: Option<String>,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// Where and how to reach the admin API (shared by every view).
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Gateway configuration (admin address and lab PKI); default: the embedded lab defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Admin API URL instead of the configuration's first admin listener.
    #[arg(long)]
    pub server: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Runs a show command.
pub fn run(cmd: ShowCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ShowCommand::Pnp(PnpShow::Devices(args)) => pnp_devices(&args),
        ShowCommand::Vstack(view) => vstack::run(&view),
    }
}

/// An admin API client for `config`/`server`, and a runtime to drive it.
pub(crate) fn admin_client(
    config: Option<&PathBuf>,
    server: Option<&String>,
) -> Result<(HttpClient, ServerUrl, tokio::runtime::Runtime), CliError> {
    let config = match config {
        Some(path) => crate::config::load(path).map_err(|e| CliError::new(e.to_string()))?,
        None => crate::config::lab_default(),
    };
    let url = match (server, config.admin.listen.first()) {
        (Some(url), _) => url.clone(),
        (None, Some(addr)) if addr.ip().is_loopback() => {
            format!("https://localhost:{}", addr.port())
        }
        (None, Some(addr)) => format!("https://{addr}"),
        (None, None) => return Err(CliError::new("no admin listener configured; give --server")),
    };
    let (server, _) = ServerUrl::parse(&url).map_err(|e| CliError::new(e.to_string()))?;
    let dir = &config.pki.dir;
    let ca = pki::load_certs_pem(&config.pki.admin_ca).map_err(|e| CliError::new(e.to_string()))?;
    let chain =
        pki::load_certs_pem(&dir.join("admin.crt")).map_err(|e| CliError::new(e.to_string()))?;
    let key =
        pki::load_key_pem(&dir.join("admin.key")).map_err(|e| CliError::new(e.to_string()))?;
    let client =
        HttpClient::new(&ca, Some((chain, key))).map_err(|e| CliError::new(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the runtime: {e}")))?;
    Ok((client, server, runtime))
}

fn pnp_devices(args: &DevicesArgs) -> Result<ExitCode, CliError> {
    let (client, server, runtime) =
        admin_client(args.admin.config.as_ref(), args.admin.server.as_ref())?;
    runtime.block_on(async {
        let list = get(&client, &server, "/pnp/devices").await?;
        let devices = list["devices"].as_array().cloned().unwrap_or_default();
        if args.detail.is_none() {
            if args.admin.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&devices).unwrap_or_default()
                );
            } else {
                print!("{}", table(&devices));
            }
            return Ok(ExitCode::SUCCESS);
        }
        let mut details = Vec::new();
        for d in &devices {
            let serial = text(&d["serial"]);
            details.push(get(&client, &server, &format!("/pnp/devices/{serial}")).await?);
        }
        if args.admin.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&details).unwrap_or_default()
            );
        } else {
            for d in &details {
                print!("{}", detail(d));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub(crate) async fn get(
    client: &HttpClient,
    server: &ServerUrl,
    path: &str,
) -> Result<serde_json::Value, CliError> {
    let (status, body) = client
        .exchange(server, Method::GET, path, full(Vec::new()))
        .await
        .map_err(|e| CliError::new(format!("{server}: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| CliError::new(format!("{server}{path}: not JSON: {e}")))?;
    if status != 200 {
        return Err(CliError::new(format!(
            "{server}{path}: HTTP {status}: {}",
            value["error"]
        )));
    }
    Ok(value)
}

/// Sends an action (`POST` with an empty body) to the admin API; its JSON answer, or the
/// answer's `error` as a [`CliError`] when the status is not 200.
pub(crate) async fn post(
    client: &HttpClient,
    server: &ServerUrl,
    path: &str,
) -> Result<serde_json::Value, CliError> {
    let (status, body) = client
        .exchange(server, Method::POST, path, full(Vec::new()))
        .await
        .map_err(|e| CliError::new(format!("{server}: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| CliError::new(format!("{server}{path}: not JSON: {e}")))?;
    if status != 200 {
        let reason = value["error"].as_str().unwrap_or("no reason given");
        return Err(CliError::new(format!("HTTP {status}: {reason}")));
    }
    Ok(value)
}

/// The device table, in the columns operators see in `show pnp devices`.
pub fn table(devices: &[serde_json::Value]) -> String {
    let mut out = format!(
        "{:<14} {:<18} {:<22} {:<16} {:>4}  {:<8} {}\n",
        "Serial", "PID", "State", "Profile", "Step", "Approved", "Last contact"
    );
    for d in devices {
        out.push_str(&format!(
            "{:<14} {:<18} {:<22} {:<16} {:>4}  {:<8} {}\n",
            text(&d["serial"]),
            text(&d["pid"]),
            text(&d["state"]),
            text(&d["profile"]),
            text(&d["step"]),
            if d["approved"].as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            },
            text(&d["last_contact"]),
        ));
    }
    out.push_str(&format!("{} device(s)\n", devices.len()));
    out
}

/// One device block with its history.
pub fn detail(d: &serde_json::Value) -> String {
    let dev = &d["device"];
    let mut out = format!(
        "Device {}\n  UDI:          {}\n  State:        {}\n  Profile:      {} (step {})\n  Approved:     {}\n  Last contact: {}\n  History:\n",
        text(&dev["serial"]),
        text(&dev["udi"]),
        text(&dev["state"]),
        text(&dev["profile"]),
        text(&dev["step"]),
        if dev["approved"].as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        },
        text(&dev["last_contact"]),
    );
    for h in d["history"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        out.push_str(&format!(
            "    {}  {:<22} {}\n",
            text(&h["at"]),
            text(&h["state"]),
            text(&h["note"])
        ));
    }
    out.push('\n');
    out
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_each_device_and_dashes_for_missing_fields() {
        let devices = vec![
            serde_json::json!({"serial": "FOC1", "pid": "C9300-24T", "state": "FINISHED",
                               "profile": "lab", "step": 3, "approved": true,
                               "last_contact": "2026-11-21T10:00:00Z"}),
            serde_json::json!({"serial": "FOC2", "state": "UNCLAIMED", "profile": null}),
        ];
        let t = table(&devices);
        assert!(
            t.lines()
                .nth(1)
                .unwrap()
                .starts_with("FOC1           C9300-24T")
        );
        assert!(t.contains("FINISHED") && t.contains("UNCLAIMED") && t.contains(" yes "));
        assert!(t.lines().nth(2).unwrap().contains(" - "));
        assert!(t.ends_with("2 device(s)\n"));
    }
}
