//! The Smart Install director's database and views: one record per client (what DHCP, probes
//! and CDP taught the director, its join-window state, upgrade progress and backups), and the
//! `show vstack` outputs of the Smart Install guide rendered from those records.
//!
//! Pure: records in, text out; time comes in as values. The letters and field names follow the
//! reference outputs (`../shared/reference/smi-proxy.txt`, "show vstack"). Group assignment is
//! policy (`crate::policy::director`).

pub mod backup;
pub mod client;
pub mod database;
pub mod replacement;
pub mod views;

#[cfg(test)]
mod tests;

pub use client::{
    ArtifactStatus, Backup, Client, DeviceType, Download, DownloadMethod, Health, Replacement,
    StackMember, Stage, UpgradeState,
};
pub use database::{CdpFacts, Changes, Database, Repository, Selector, ZeroTouchPlan};
pub use views::{DirectorInfo, render_config, render_download_status, render_status};
