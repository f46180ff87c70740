//! The `[inspect]` section of the gateway configuration: the detection rules `ztpgate serve`
//! applies — in the inspecting relay (matched rules in each of its audit records) and on the
//! interfaces it watches (live capture: findings become audit records and metrics).
//!
//! Operator input, trusted but validated: a rule directory is loaded and checked with the
//! configuration, its errors under the rule files' names; interface names follow Linux's rules (1–15 bytes, no `/`,
//! no whitespace); the BPF filter is compiled when the capture opens. Reference:
//! `policies/README.md`.

use std::path::{Path, PathBuf};

use crate::config::doc::{Ctx, Table};
use crate::config::gateway::path_key;
use crate::config::{ConfigErrors, resolve, rules};
use crate::rules::{RuleSet, Severity};

/// Capture filter of live inspection: Smart Install, TFTP requests, DHCP, FTP control and HTTP
/// (PnP) on their usual ports, untagged or in one 802.1Q tag.
pub const DEFAULT_FILTER: &str = "tcp port 4786 or udp port 69 or udp port 67 or tcp port 21 \
     or tcp port 80 or tcp port 8080 or (vlan and (tcp port 4786 or udp port 69 or udp port 67 \
     or tcp port 21 or tcp port 80 or tcp port 8080))";
/// Capture length per packet.
pub const DEFAULT_SNAPLEN: u32 = 65_535;
/// Findings recorded per rule and source address at once, then per second.
pub const DEFAULT_RECORD_BURST: u32 = 20;
/// Refill of that budget, records per second.
pub const DEFAULT_RECORDS_PER_SECOND: u32 = 1;
/// Longest Linux interface name.
const MAX_IFNAME_BYTES: usize = 15;

/// `[inspect]`: detection rules, in the relay and on watched interfaces.
#[derive(Clone, Debug)]
pub struct InspectConfig {
    /// The rule directory's rules, loaded with the configuration (`None`: the embedded set).
    pub rules: Option<RuleSet>,
    /// The rule directory (`None`: the embedded rules).
    pub rules_dir: Option<PathBuf>,
    /// Whether the relay lists matched rules in its audit records (default: on).
    pub relay: bool,
    /// Interfaces watched by live capture; empty (the default): no capture.
    pub interfaces: Vec<String>,
    /// BPF filter of the capture.
    pub filter: String,
    /// Whether the capture puts the interface in promiscuous mode (a mirror port needs it).
    pub promiscuous: bool,
    /// Bytes captured per packet.
    pub snaplen: u32,
    /// Findings below this severity are counted, not recorded.
    pub record_min_severity: Severity,
    /// Records per rule and source at once.
    pub record_burst: u32,
    /// Records per rule and source per second after the burst.
    pub records_per_second: u32,
}

/// Parses `[inspect]`; a relative `rules` directory resolves against `base_dir` (the
/// configuration file's directory).
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, base_dir: &Path) -> InspectConfig {
    let rules_dir = path_key(cx, t, "rules").map(|p| resolve(base_dir, &p));
    let relay = t.bool(cx, "relay").unwrap_or(true);
    let interfaces = t.strings(cx, "interfaces", interface).unwrap_or_default();
    let filter = t
        .parse(cx, "filter", |s: &str| {
            if s.trim().is_empty() {
                Err("must not be empty (the capture would take every packet)")
            } else {
                Ok(s.to_owned())
            }
        })
        .unwrap_or_else(|| DEFAULT_FILTER.to_owned());
    let promiscuous = t.bool(cx, "promiscuous").unwrap_or(true);
    let snaplen = bounded(cx, t, "snaplen", 128, 262_144).unwrap_or(DEFAULT_SNAPLEN);
    let record_min_severity = t
        .parse(cx, "record_min_severity", str::parse::<Severity>)
        .unwrap_or(Severity::Low);
    let record_burst = bounded(cx, t, "record_burst", 1, 100_000).unwrap_or(DEFAULT_RECORD_BURST);
    let records_per_second =
        bounded(cx, t, "records_per_second", 0, 100_000).unwrap_or(DEFAULT_RECORDS_PER_SECOND);
    InspectConfig {
        rules: None,
        rules_dir,
        relay,
        interfaces,
        filter,
        promiscuous,
        snaplen,
        record_min_severity,
        record_burst,
        records_per_second,
    }
}

impl Default for InspectConfig {
    /// The embedded rules, in the relay; no capture.
    fn default() -> Self {
        Self {
            rules: None,
            rules_dir: None,
            relay: true,
            interfaces: Vec::new(),
            filter: DEFAULT_FILTER.to_owned(),
            promiscuous: true,
            snaplen: DEFAULT_SNAPLEN,
            record_min_severity: Severity::Low,
            record_burst: DEFAULT_RECORD_BURST,
            records_per_second: DEFAULT_RECORDS_PER_SECOND,
        }
    }
}

impl InspectConfig {
    /// Loads the rule directory, if one is named (its errors under the rule files' names).
    pub(super) fn load_rules(&mut self) -> Result<(), ConfigErrors> {
        if let Some(dir) = &self.rules_dir {
            self.rules = Some(rules::load_rules_dir(dir)?);
        }
        Ok(())
    }

    /// The rules in force: the directory's, or the embedded set.
    pub fn rule_set(&self) -> Result<RuleSet, ConfigErrors> {
        match &self.rules {
            Some(set) => Ok(set.clone()),
            None => rules::builtin(),
        }
    }
}

/// A Linux interface name.
fn interface(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= MAX_IFNAME_BYTES
        && !s.contains('/')
        && !s.chars().any(|c| c.is_whitespace() || c == ':');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not an interface name (1–{MAX_IFNAME_BYTES} bytes, no '/', ':' or spaces)"
        ))
    }
}

/// An integer key in `min..=max`.
fn bounded(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str, min: u32, max: u32) -> Option<u32> {
    let node = t.take(key)?;
    let value = node.integer(cx)?;
    match u32::try_from(value) {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            node.invalid(cx, format!("must be between {min} and {max}"));
            None
        }
    }
}
