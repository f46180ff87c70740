//! `ztpgate show vstack status [detail] | download-status [detail] | config [--json]`: the
//! Smart Install director's views, read from the admin API (`GET /vstack/clients`) and rendered
//! with the reference layouts (`crate::roles::director::views`).
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

/// The `show vstack` views.
#[derive(Debug, Subcommand)]
pub enum VstackShow {
    /// The director database: one row per client with its status letters; `detail` for blocks.
    Status(DetailArgs),
    /// Update progress per client; `detail` adds failure reasons and download times.
    DownloadStatus(DetailArgs),
    /// The director's settings.
    Config(AdminArgs),
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
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
