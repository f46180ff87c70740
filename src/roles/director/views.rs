//! `show vstack status [detail]`, `show vstack download-status [detail]` and `show vstack
//! config`, rendered from director records with the columns, flag letters and field names of
//! the Smart Install guide's reference outputs (`../shared/reference/smi-proxy.txt`).
//!
//! Pure text formatting; client-supplied strings are printed as they are (they were bounded
//! and cleaned of control characters when stored).

use std::fmt::Write as _;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::roles::director::client::{ArtifactStatus, Client, DeviceType, Health};

/// The director's own row and settings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectorInfo {
    /// Whether the director role is on (`SmartInstall: ENABLED`).
    pub enabled: bool,
    /// The director's address as clients see it.
    pub ip: Option<IpAddr>,
    /// The director's hostname.
    pub hostname: String,
    /// The director's MAC address, if known.
    pub mac: Option<[u8; 6]>,
    /// Default configuration URL, image list URL and script URL.
    pub config_url: Option<String>,
    /// Default image URL.
    pub image_url: Option<String>,
    /// Default script URL.
    pub script_url: Option<String>,
    /// `Open` / `Closed`, and whether that is the default.
    pub window: String,
    /// `auto` / `manual`.
    pub join_mode: String,
    /// Backup on or off, and the repository.
    pub backup: Option<String>,
}

const LEGEND: &str = "\
Status: Device_type Health_status Join-window_status Upgrade_status
Device_type: S - Smart install N - Non smart install P - Pending
Health_status: A - Active I - Inactive
Join-window_Status: a - Allowed h - On-hold d - Denied
Image Upgrade: i - in progress I - done X - failed
Config Upgrade: c - in progress C - done x - failed
Script Upgrade: p - in progress P - done F - failed
";

/// `show vstack status` (`detail = false`) or `show vstack status detail`.
pub fn render_status(director: &DirectorInfo, clients: &[Client], detail: bool) -> String {
    let mut out = enabled_line(director);
    if !director.enabled {
        return out;
    }
    if detail {
        out.push_str("-----\n");
        out.push_str(&director_detail(director));
        for c in clients {
            out.push_str("-----\n");
            out.push_str(&client_detail(c));
        }
        return out;
    }
    out.push_str(LEGEND);
    out.push_str("Director Database:\n");
    let _ = writeln!(
        out,
        "{:<7}{:<17}{:<20}{:<19}{:<19}Status",
        "DevNo", "MAC Address", "Product-ID", "IP_addr", "Hostname"
    );
    out.push_str("=====\n");
    let _ = writeln!(
        out,
        "{:<7}{:<17}{:<20}{:<19}{:<19}Director",
        0,
        director
            .mac
            .map_or_else(|| "-".to_owned(), |m| cisco_mac(&m)),
        "ztpgate",
        ip_text(director.ip),
        director.hostname
    );
    for c in clients {
        let _ = writeln!(
            out,
            "{:<7}{:<17}{:<20}{:<19}{:<19}{}",
            c.index,
            cisco_mac(&c.mac),
            c.pid.as_deref().unwrap_or("-"),
            ip_text(c.ip),
            c.hostname.as_deref().unwrap_or("Switch"),
            c.status_letters()
        );
    }
    out
}

fn director_detail(d: &DirectorInfo) -> String {
    let mut out = String::new();
    field(&mut out, "Device Num", "0");
    field(&mut out, "Device ID", &d.hostname);
    field(
        &mut out,
        "MAC Address",
        &d.mac.map_or_else(|| "-".to_owned(), |m| cisco_mac(&m)),
    );
    field(&mut out, "IP Addr", &ip_text(d.ip));
    field(&mut out, "Hop value", "0");
    field(&mut out, "Serial", "Not Found");
    field(&mut out, "Product-ID", "ztpgate");
    field(&mut out, "Version", env!("CARGO_PKG_VERSION"));
    field(&mut out, "Image", "ztpgate");
    field(&mut out, "Entry Role", "Entry");
    field(&mut out, "(N-1)HOP Entry", "Already Root");
    field(&mut out, "Backup done", "no");
    field(&mut out, "Latest backup file", "none");
    field(&mut out, "Latest backup client name", "none");
    field(&mut out, "File checksum", "none");
    field(&mut out, "Status", "Director");
    out
}

fn client_detail(c: &Client) -> String {
    let mut out = String::new();
    let or_not_found = |v: &Option<String>| v.clone().unwrap_or_else(|| "Not Found".to_owned());
    field(&mut out, "Device Num", &c.index.to_string());
    field(
        &mut out,
        "Device ID",
        c.device_id
            .as_deref()
            .or(c.hostname.as_deref())
            .unwrap_or("-"),
    );
    field(&mut out, "MAC Address", &cisco_mac(&c.mac));
    field(&mut out, "IP Addr", &ip_text(c.ip));
    field(&mut out, "Hop value", &c.hops.to_string());
    field(&mut out, "Serial", &or_not_found(&c.serial));
    field(&mut out, "Product-ID", &or_not_found(&c.pid));
    field(&mut out, "Version", &or_not_found(&c.version));
    field(&mut out, "Image", &or_not_found(&c.image));
    field(&mut out, "Entry Role", "IBC Entry");
    let upstream = c
        .upstream
        .map_or_else(|| "Director".to_owned(), |m| cisco_mac(&m));
    field(&mut out, "(N-1)HOP Entry", &upstream);
    match &c.backup {
        Some(b) => {
            field(&mut out, "Backup done", "Yes");
            field(&mut out, "Latest backup file", &b.file);
            field(&mut out, "Latest backup client name", &b.client_name);
            field(&mut out, "File checksum", &b.checksum);
        }
        None => {
            field(&mut out, "Backup done", "no");
            field(&mut out, "Latest backup file", "none");
            field(&mut out, "Latest backup client name", "none");
            field(&mut out, "File checksum", "none");
        }
    }
    let status = match (c.device_type, c.health) {
        (DeviceType::NonSmartInstall, _) => "NSI",
        (DeviceType::Pending, _) => "PEND",
        (DeviceType::SmartInstall, Health::Active) => "ACT",
        (DeviceType::SmartInstall, Health::Inactive) => "INACT",
    };
    field(&mut out, "Status", status);
    out
}

/// `show vstack download-status` (`detail = false`) or `... detail`.
pub fn render_download_status(director: &DirectorInfo, clients: &[Client], detail: bool) -> String {
    let rows: Vec<&Client> = clients.iter().filter(|c| c.download.is_some()).collect();
    if detail {
        let mut out = enabled_line(director);
        for (n, c) in rows.iter().enumerate() {
            let Some(d) = &c.download else { continue };
            let _ = writeln!(out, "No {}:", n + 1);
            let _ = writeln!(out, "client-ip: {}", ip_text(c.ip));
            let _ = writeln!(
                out,
                "client-hostname: {}",
                c.hostname.as_deref().unwrap_or("Switch")
            );
            let _ = writeln!(out, "client-mac: {}", cisco_mac(&c.mac));
            let _ = writeln!(out, "method: {}", d.method.as_str());
            for (name, a) in [
                ("config", &d.config),
                ("image", &d.image),
                ("script", &d.script),
            ] {
                let _ = writeln!(out, "{name}-fail-reason: {}", fail_reason(a));
            }
            for (name, a) in [
                ("config", &d.config),
                ("image", &d.image),
                ("script", &d.script),
            ] {
                let _ = writeln!(out, "{name} downloaded at: {}", downloaded_at(a));
            }
        }
        return out;
    }
    if !director.enabled {
        return enabled_line(director);
    }
    let mut out = format!("Total no of entries : {}\n", rows.len());
    let _ = writeln!(
        out,
        "{:<4}{:<16}{:<16}{:<16}{:<15}{:<15}Script-status",
        "No", "client-IP", "client-MAC", "Method", "Image-status", "Config-status"
    );
    out.push_str("=== =====\n");
    for (n, c) in rows.iter().enumerate() {
        let Some(d) = &c.download else { continue };
        let _ = writeln!(
            out,
            "{:<4}{:<16}{:<16}{:<16}{:<15}{:<15}{}",
            n + 1,
            ip_text(c.ip),
            cisco_mac(&c.mac),
            d.method.as_str(),
            d.image.column(),
            d.config.column(),
            d.script.column()
        );
    }
    out
}

/// `show vstack config` on the director.
pub fn render_config(d: &DirectorInfo) -> String {
    let mut out = String::from("Role: Director\n");
    let _ = writeln!(out, "Vstack Director IP address: {}", ip_text(d.ip));
    out.push_str("Vstack Mode: Basic\n");
    let none = || "none".to_owned();
    let _ = writeln!(
        out,
        "Vstack Config file: {}",
        d.config_url.clone().unwrap_or_else(none)
    );
    let _ = writeln!(
        out,
        "Vstack Image file: {}",
        d.image_url.clone().unwrap_or_else(none)
    );
    let _ = writeln!(
        out,
        "Vstack Script file: {}",
        d.script_url.clone().unwrap_or_else(none)
    );
    out.push_str("Join Window Details:\n");
    let _ = writeln!(out, "  Window: {}", d.window);
    let _ = writeln!(out, "  Operation Mode: {}", d.join_mode);
    out.push_str("Vstack Backup Details:\n");
    match &d.backup {
        Some(repo) => {
            out.push_str("  Mode: On\n");
            let _ = writeln!(out, "  Repository: {repo}");
        }
        None => out.push_str("  Mode: Off\n"),
    }
    out
}

fn enabled_line(d: &DirectorInfo) -> String {
    let state = if d.enabled { "ENABLED" } else { "DISABLED" };
    format!("SmartInstall: {state}\n")
}

/// One `Name : value` line of a detail block (the reference pads names to 17 columns).
fn field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "{name:<17}: {value}");
}

fn fail_reason(a: &ArtifactStatus) -> &str {
    match a {
        ArtifactStatus::Failed { reason } => reason,
        _ => "NA",
    }
}

fn downloaded_at(a: &ArtifactStatus) -> String {
    match a {
        ArtifactStatus::Upgraded { at } => reference_time(*at),
        _ => "-".to_owned(),
    }
}

/// `02:47:39 UTC Mar 30 2011`, as the reference prints download times.
fn reference_time(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S UTC %b %-d %Y").to_string()
}

/// An address for a view column, `-` when unknown.
pub(crate) fn ip_text(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "-".to_owned(), |ip| ip.to_string())
}

/// Cisco's dotted MAC form: `0018.7363.4200`.
pub fn cisco_mac(mac: &[u8; 6]) -> String {
    let [a, b, c, d, e, f] = *mac;
    format!("{a:02x}{b:02x}.{c:02x}{d:02x}.{e:02x}{f:02x}")
}
