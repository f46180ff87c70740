//! The Smart Install director's settings as the views show them (`show vstack config`, the
//! director's row of `show vstack status`), derived from the gateway configuration and policy.

use std::net::IpAddr;

use crate::config::GatewayConfig;
use crate::edge::admin::vstack::DirectorView;
use crate::roles::director::DirectorInfo;

/// The director view of `config`: enabled when the policy assigns anything, with the address
/// and TFTP server the DHCP service announces and the default files as TFTP URLs.
pub(super) fn view(config: &GatewayConfig) -> DirectorView {
    let d = &config.policy.director;
    let enabled = !d.default.is_empty() || !d.groups.is_empty() || !d.builtin.is_empty();
    let dhcp = config.dhcp.as_ref();
    let ip = dhcp.and_then(|c| c.smart_install.director).map(IpAddr::V4);
    let tftp = dhcp
        .and_then(|c| c.smart_install.tftp_server)
        .map(|a| a.to_string());
    let url = |file: &Option<String>| {
        file.as_ref().map(|f| match &tftp {
            Some(server) => format!("tftp://{server}/{f}"),
            None => f.clone(),
        })
    };
    let backup =
        (!config.tftp.listen.is_empty()).then(|| config.tftp.backup_dir.display().to_string());
    DirectorView {
        info: DirectorInfo {
            enabled,
            ip,
            hostname: "ztpgate".to_owned(),
            mac: None,
            config_url: url(&d.default.config),
            image_url: url(&d.default.image),
            script_url: url(&d.default.script),
            window: String::new(),
            join_mode: String::new(),
            backup,
        },
        join: config.policy.join_window.clone(),
    }
}
