//! `ztpgate show vstack status [detail] | download-status [detail] | config | proxy-db [detail]
//! [--json]`: the Smart Install director's views, read from the admin API (`GET /vstack/clients`)
//! and rendered with the reference layouts (`crate::roles::director::views`), and the SMI Proxy
//! database (`GET /vstack/proxy-db`, `crate::roles::smi_proxy::proxy_db`).
//!
//! The answer comes from the gateway (authenticated by its certificate) and is parsed into the
//! typed records; anything that does not parse is an error, not a partial view.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::CliError;
use crate::cli::show::{AdminArgs, admin_client, get};
use crate::roles::director::{
    Client, DirectorInfo, render_config, render_download_status, render_status,
};
use crate::roles::smi_proxy::proxy_db::{ProxyEntry, render_proxy_db};

/// The `show vstack` views.
#[derive(Debug, Subcommand)]
pub enum VstackShow {
    /// The director database: one row per client with its status letters; `detail` for blocks.
    Status(DetailArgs),
    /// Update progress per client; `detail` adds failure reasons and download times.
    DownloadStatus(DetailArgs),
    /// The director's settings.
    Config(AdminArgs),
    /// The SMI Proxy database: MAC, UDI, state and health per client; `detail` for blocks.
    ProxyDb(DetailArgs),
}

/// A view with an optional `detail`.
#[derive(Debug, Args)]
pub struct DetailArgs {
    /// `detail`: one block per client.
    #[arg(value_parser = ["detail"])]
    pub detail: Option<String>,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// Runs a `show vstack` view.
pub fn run(view: &VstackShow) -> Result<ExitCode, CliError> {
    let admin = match view {
        VstackShow::Status(a) | VstackShow::DownloadStatus(a) => &a.admin,
        VstackShow::Config(a) => a,
        VstackShow::ProxyDb(a) => return run_proxy_db(a),
    };
    let (client, server, runtime) = admin_client(admin.config.as_ref(), admin.server.as_ref())?;
    let body = runtime.block_on(get(&client, &server, "/vstack/clients"))?;
    let bad = |what: &str, e: serde_json::Error| {
        CliError::new(format!("{server}/vstack/clients: unexpected {what}: {e}"))
    };
    let info: DirectorInfo =
        serde_json::from_value(body["director"].clone()).map_err(|e| bad("director", e))?;
    let clients: Vec<Client> =
        serde_json::from_value(body["clients"].clone()).map_err(|e| bad("clients", e))?;
    if admin.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = match view {
        VstackShow::Status(a) => render_status(&info, &clients, a.detail.is_some()),
        VstackShow::DownloadStatus(a) => {
            render_download_status(&info, &clients, a.detail.is_some())
        }
        VstackShow::Config(_) => render_config(&info),
        VstackShow::ProxyDb(a) => return run_proxy_db(a),
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `show vstack proxy-db [detail] [--json]`.
fn run_proxy_db(args: &DetailArgs) -> Result<ExitCode, CliError> {
    let admin = &args.admin;
    let (client, server, runtime) = admin_client(admin.config.as_ref(), admin.server.as_ref())?;
    let body = runtime.block_on(get(&client, &server, "/vstack/proxy-db"))?;
    if admin.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let bad = |what: &str, e: serde_json::Error| {
        CliError::new(format!("{server}/vstack/proxy-db: unexpected {what}: {e}"))
    };
    let enabled: bool =
        serde_json::from_value(body["enabled"].clone()).map_err(|e| bad("enabled", e))?;
    let clients: Vec<ProxyEntry> =
        serde_json::from_value(body["clients"].clone()).map_err(|e| bad("clients", e))?;
    print!(
        "{}",
        render_proxy_db(enabled, &clients, args.detail.is_some())
    );
    Ok(ExitCode::SUCCESS)
}
