//! What the switch shows of itself outside the Smart Install channel: the view its telnet CLI
//! presents ([`vty_view`]) and the [`Event::StartupConfig`] report of a written startup config.
//! Pure.

use std::time::Duration;

use md5::{Digest, Md5};

use super::Event;
use super::device::{Device, config_hostname};
use super::identity::{VersionView, show_version};
use super::logins::Logins;
use super::vty::VtyView;

/// The CLI view of `device` as it runs now, `uptime` after its last reload.
pub fn vty_view(device: &Device, uptime: Duration) -> VtyView {
    let hostname = device.hostname().to_owned();
    let show_version = show_version(&VersionView {
        identity: &device.identity,
        hostname: &hostname,
        software: &device.software,
        uptime,
    });
    VtyView {
        logins: Logins::from_config(&device.running_config),
        show_version,
        running_config: device.running_config.clone(),
        hostname,
    }
}

/// The report of a startup config written with `config`.
pub fn startup_config_event(config: &[u8]) -> Event {
    let text = String::from_utf8_lossy(config);
    Event::StartupConfig {
        bytes: config.len(),
        md5: hex::encode(Md5::digest(config)),
        hostname: config_hostname(&text).map(str::to_owned),
    }
}
