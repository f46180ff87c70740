//! `ztpgate vstack join-window | on-hold-clients | join-window-status | backup |
//! download-image | download-config | download-image-config`: the Smart Install director's
//! actions, after Cisco's `vstack` EXEC and configuration commands, sent to a running gateway's
//! admin API (`POST /vstack/…`, [`crate::edge::admin::vstack::actions`]).
//!
//! Selectors and reload times are checked here with the API's own parser before anything is
//! sent. The answers come from the gateway (authenticated by its certificate). Human output is
//! one line per client (`DevNo  MAC  requested|<reason>`); the exit code is 0 when every
//! client's request went out, [`EXIT_FINDINGS`] when some were refused, 2 on errors (including
//! a selector that matches no client and a gateway without the director).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::cli::show::{AdminArgs, admin_client, post};
use crate::cli::{CliError, EXIT_FINDINGS};
use crate::edge::admin::vstack::request::{
    RequestError, parse_reload, parse_selector, reload_text, selector_segment,
};
use crate::policy::join::Mac;
use crate::roles::director::Selector;
use crate::roles::director::views::cisco_mac;

/// `vstack join-window open|close|schedule`.
#[derive(Debug, Args)]
pub struct JoinWindowArgs {
    /// Open or close the window whatever the schedule says, or hand it back to the schedule.
    #[arg(value_enum)]
    pub action: WindowAction,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// The join-window actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WindowAction {
    /// Open whatever the schedule says.
    Open,
    /// Close whatever the schedule says.
    Close,
    /// Follow the policy's schedule again.
    Schedule,
}

/// `vstack on-hold-clients remove`.
#[derive(Debug, Args)]
pub struct OnHoldArgs {
    /// `remove`: every held client is allowed.
    #[arg(value_parser = ["remove"])]
    pub action: String,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// Which clients an action is for (exactly one of the options).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// Client indices (`DevNo`), comma-separated; ranges like `3-7` allowed.
    #[arg(long, value_name = "N[,N..]")]
    pub index: Option<String>,
    /// Client MAC addresses, comma-separated (`aabb.ccdd.eeff` or `aa:bb:cc:dd:ee:ff`).
    #[arg(long, value_name = "MAC[,MAC..]")]
    pub mac: Option<String>,
    /// The clients whose assignment comes from this group (`default` for the default).
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Every client.
    #[arg(long)]
    pub all: bool,
}

impl TargetArgs {
    /// The selector these options name.
    pub fn selector(&self) -> Result<Selector, RequestError> {
        let text = match (&self.index, &self.mac, &self.group) {
            (Some(list), _, _) => format!("index:{list}"),
            (_, Some(list), _) => format!("mac:{list}"),
            (_, _, Some(name)) => format!("group:{name}"),
            _ => "all".to_owned(),
        };
        parse_selector(&text)
    }
}

/// `vstack join-window-status (selector) allowed|held|clear`.
#[derive(Debug, Args)]
pub struct JoinStatusArgs {
    /// The clients.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Their join-window state: fixed to allowed or held, or back to the policy (`clear`).
    #[arg(value_enum)]
    pub state: JoinStatus,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// A client's join-window state as the operator sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JoinStatus {
    /// Active: zero-touch, on-demand updates and backups allowed.
    Allowed,
    /// Hold: nothing until approved.
    Held,
    /// The operator's override is removed.
    Clear,
}

/// `vstack backup (selector)`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The clients.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// `vstack download-image|download-config|download-image-config (selector) [--reload]`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// The clients.
    #[command(flatten)]
    pub target: TargetArgs,
    /// When the clients reload: `now` or `HH:MM`.
    #[arg(long, default_value = "now", value_name = "now|HH:MM")]
    pub reload: String,
    /// Admin API access.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// What an update pushes (the `download-*` command's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Download {
    /// `download-image`.
    Image,
    /// `download-config`.
    Config,
    /// `download-image-config`.
    ImageAndConfig,
}

/// `vstack join-window …`.
pub fn join_window(args: &JoinWindowArgs) -> Result<ExitCode, CliError> {
    let word = match args.action {
        WindowAction::Open => "open",
        WindowAction::Close => "close",
        WindowAction::Schedule => "schedule",
    };
    send(&format!("/vstack/join-window/{word}"), &args.admin)
}

/// `vstack on-hold-clients remove`.
pub fn on_hold(args: &OnHoldArgs) -> Result<ExitCode, CliError> {
    send("/vstack/on-hold-clients/remove", &args.admin)
}

/// `vstack join-window-status …`.
pub fn join_status(args: &JoinStatusArgs) -> Result<ExitCode, CliError> {
    let word = match args.state {
        JoinStatus::Allowed => "allowed",
        JoinStatus::Held => "held",
        JoinStatus::Clear => "clear",
    };
    let segment = segment(&args.target)?;
    send(
        &format!("/vstack/clients/{segment}/join-window/{word}"),
        &args.admin,
    )
}

/// `vstack backup …`.
pub fn backup(args: &BackupArgs) -> Result<ExitCode, CliError> {
    let segment = segment(&args.target)?;
    send(&format!("/vstack/clients/{segment}/backup"), &args.admin)
}

/// `vstack download-image|download-config|download-image-config …`.
pub fn download(kind: Download, args: &DownloadArgs) -> Result<ExitCode, CliError> {
    let word = match kind {
        Download::Image => "image",
        Download::Config => "config",
        Download::ImageAndConfig => "image-and-config",
    };
    let segment = segment(&args.target)?;
    let reload = parse_reload(&args.reload).map_err(|e| CliError::new(e.to_string()))?;
    let path = format!(
        "/vstack/clients/{segment}/update/{word}?reload={}",
        reload_text(reload)
    );
    send(&path, &args.admin)
}

/// The answer as operators read it: one line per outcome (`DevNo  MAC  result`), `ok` for
/// actions without outcomes; and whether every outcome was sent.
pub fn render(answer: &serde_json::Value) -> (String, bool) {
    let Some(outcomes) = answer["outcomes"].as_array() else {
        let ok = answer["ok"].as_bool() == Some(true);
        return ((if ok { "ok\n" } else { "failed\n" }).to_owned(), ok);
    };
    if outcomes.is_empty() {
        return ("0 clients\n".to_owned(), true);
    }
    let mut out = String::new();
    let mut all_sent = true;
    for o in outcomes {
        let sent = o["sent"].as_bool() == Some(true);
        all_sent &= sent;
        let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let mac = text(&o["mac"]);
        let mac = Mac::parse(&mac).map_or(mac, |m| cisco_mac(&m.0));
        out.push_str(&format!(
            "{:<6} {:<16} {}\n",
            text(&o["index"]),
            mac,
            text(&o["result"])
        ));
    }
    (out, all_sent)
}

fn segment(target: &TargetArgs) -> Result<String, CliError> {
    let selector = target
        .selector()
        .map_err(|e| CliError::new(e.to_string()))?;
    Ok(selector_segment(&selector))
}

/// Posts `path`, prints the answer and maps it to the exit code.
fn send(path: &str, admin: &AdminArgs) -> Result<ExitCode, CliError> {
    let (client, server, runtime) = admin_client(admin.config.as_ref(), admin.server.as_ref())?;
    let answer = runtime.block_on(post(&client, &server, path))?;
    let (text, all_sent) = render(&answer);
    if admin.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    } else {
        print!("{text}");
    }
    Ok(if all_sent {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(index: Option<&str>, mac: Option<&str>, group: Option<&str>) -> TargetArgs {
        TargetArgs {
            index: index.map(str::to_owned),
            mac: mac.map(str::to_owned),
            group: group.map(str::to_owned),
            all: index.is_none() && mac.is_none() && group.is_none(),
        }
    }

    #[test]
    fn options_name_the_api_selector() {
        assert_eq!(segment(&target(None, None, None)).unwrap(), "all");
        assert_eq!(
            segment(&target(Some("3,1-2"), None, None)).unwrap(),
            "index:1,2,3"
        );
        assert_eq!(
            segment(&target(None, Some("00:11:22:33:44:55"), None)).unwrap(),
            "mac:0011.2233.4455"
        );
        assert_eq!(
            segment(&target(None, None, Some("floor 2"))).unwrap(),
            "group:floor%202"
        );
    }

    #[test]
    fn refuses_bad_selectors_before_sending() {
        let err = segment(&target(Some("1,,2"), None, None)).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(segment(&target(None, Some("nope"), None)).is_err());
    }

    #[test]
    fn renders_one_line_per_outcome_and_whether_all_went_out() {
        let answer = serde_json::json!({"outcomes": [
            {"index": 1, "mac": "00:11:22:33:44:01", "sent": true, "result": "requested"},
            {"index": 12, "mac": "00:11:22:33:44:0c", "sent": false,
             "result": "cannot reach 127.0.0.1:4786: refused"},
        ]});
        let (text, all_sent) = render(&answer);
        assert_eq!(
            text,
            "1      0011.2233.4401   requested\n\
             12     0011.2233.440c   cannot reach 127.0.0.1:4786: refused\n"
        );
        assert!(!all_sent);
        let (text, all_sent) = render(&serde_json::json!({"outcomes": []}));
        assert_eq!((text.as_str(), all_sent), ("0 clients\n", true));
        let (text, all_sent) = render(&serde_json::json!({"ok": true}));
        assert_eq!((text.as_str(), all_sent), ("ok\n", true));
    }
}
