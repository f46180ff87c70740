//! Join windows, the hold list and per-client join states, exactly as the Smart Install guide
//! describes them (`../shared/reference/smart-install-overview.txt`, "Using a Join Window",
//! "Configuring Join Window Mode", Table 1-3). The same windows gate PnP onboarding of devices not
//! yet known.
//!
//! Inputs: operator policy, operator state (manual open/close, per-client overrides, hold list)
//! and a device identity claimed by the device (MAC, UDI, PID), which is only used as a key.
//!
//! # Decision order ([`JoinWindowPolicy::decide`])
//! 1. per-client override — the runtime one (operator, from the store) beats the policy's
//!    `clients` list — gives Active or Hold (`client-override`);
//! 2. a client on the hold list stays in Hold (`hold-list`);
//! 3. PnP onboarding only: a known device is not gated (`known-device`), nor is any device when
//!    `gate_pnp` is off (`pnp-not-gated`);
//! 4. window closed → Deny (`window-closed`);
//! 5. window open and mode auto → Active (`window-open-auto`);
//! 6. window open and mode manual → Hold, and the client goes on the hold list
//!    (`window-open-manual`).
//!
//! Whether the window is open ([`JoinWindowPolicy::window_open`]): the runtime manual state beats
//! the policy's `manual` key, which beats the schedule; with no windows configured the window is
//! always open (the guide: "If a join window is not configured, a zero touch update can happen at
//! any time because that is the default state").
//!
//! # A conflict in the guide, and how it is resolved
//! The guide says both "If a join window is configured, a zero touch update is possible only
//! during the configured window" and "When a new client joins the network and the mode is set to
//! auto, the join window state is active, whether or not the join window is open or closed". Both
//! cannot hold. ztpgate follows the first, security-relevant sentence: a closed window means Deny
//! in both modes, so no zero-touch update ever happens outside a configured window. Table 1-3 still
//! applies unchanged to Deny (on-demand updates and backups remain allowed).

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::identity::Udi;
use crate::policy::schedule::Window;
use crate::policy::{Area, Decision, Mode, RuleRef};

/// `vstack join-window mode auto` or `no vstack join-window mode` (manual).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinMode {
    /// Clients joining while the window is open are updated automatically (state Active).
    #[default]
    Auto,
    /// Clients joining while the window is open are put on the hold list (state Hold).
    Manual,
}

/// `vstack join-window close` / `no vstack join-window close`: an operator override of the
/// schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManualWindow {
    /// Closed whatever the schedule says.
    Closed,
    /// Open whatever the schedule says.
    Open,
}

/// A per-client join-window state set by the operator
/// (`vstack join-window-status index client-id {allowed | held}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientOverride {
    /// The client is allowed (state Active).
    Allowed,
    /// The client is held (state Hold).
    Held,
}

/// A 48-bit MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or Cisco's `aabb.ccdd.eeff` (hex digits in
    /// either case).
    pub fn parse(s: &str) -> Result<Self, MacError> {
        let groups: Vec<&str> = if s.contains('.') {
            s.split('.').collect()
        } else {
            s.split([':', '-']).collect()
        };
        let width = match groups.len() {
            3 => 4,
            6 => 2,
            _ => return Err(MacError),
        };
        let mut out = [0u8; 6];
        let mut i = 0;
        for group in groups {
            if group.len() != width || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(MacError);
            }
            for pair in group.as_bytes().chunks(2) {
                let text = std::str::from_utf8(pair).map_err(|_| MacError)?;
                *out.get_mut(i).ok_or(MacError)? =
                    u8::from_str_radix(text, 16).map_err(|_| MacError)?;
                i += 1;
            }
        }
        Ok(Self(out))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// A string that is not a MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff)")]
pub struct MacError;

/// A client listed in the policy file with a fixed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEntry {
    /// The client's MAC address.
    pub mac: Mac,
    /// Its state.
    pub state: ClientOverride,
}

/// The validated join-window policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinWindowPolicy {
    /// Auto or manual (hold) mode.
    pub mode: JoinMode,
    /// Manual open/close from the policy file; operator state at run time overrides it.
    pub manual: Option<ManualWindow>,
    /// Configured windows. None configured: always open (the documented default).
    pub windows: Vec<Window>,
    /// Per-client states fixed in the policy file.
    pub clients: Vec<ClientEntry>,
    /// Whether the windows also gate PnP onboarding of devices not yet known (default true).
    pub gate_pnp: bool,
}

impl Default for JoinWindowPolicy {
    /// Mode auto, no manual state, no windows (always open), no fixed clients, PnP gated.
    fn default() -> Self {
        Self {
            mode: JoinMode::Auto,
            manual: None,
            windows: Vec::new(),
            clients: Vec::new(),
            gate_pnp: true,
        }
    }
}

/// The three join-window states of Table 1-3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinState {
    /// Zero-touch updates, on-demand updates and configuration backup allowed.
    Active,
    /// Zero-touch updates not allowed; on-demand updates and configuration backup allowed.
    Deny,
    /// Zero-touch updates only with operator intervention; on-demand allowed; backup not allowed.
    Hold,
}

impl JoinState {
    /// The state's name, as in `show vstack status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deny => "deny",
            Self::Hold => "hold",
        }
    }

    /// What the state allows: zero-touch updates, on-demand updates, configuration backup
    /// (Table 1-3).
    pub fn permissions(self) -> [Permission; 3] {
        use Permission::{Allowed, NotAllowed, WithOperatorApproval};
        match self {
            Self::Active => [Allowed, Allowed, Allowed],
            Self::Deny => [NotAllowed, Allowed, Allowed],
            Self::Hold => [WithOperatorApproval, Allowed, NotAllowed],
        }
    }
}

impl fmt::Display for JoinState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an action is allowed in a join state (a column of Table 1-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Allowed.
    Allowed,
    /// Not allowed.
    NotAllowed,
    /// Allowed after an operator approves ("allowed with user intervention").
    WithOperatorApproval,
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allowed => "allowed",
            Self::NotAllowed => "not allowed",
            Self::WithOperatorApproval => "with operator approval",
        })
    }
}

/// A device asking to join, as far as it has identified itself (untrusted keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JoinDevice {
    /// MAC address (Smart Install clients are keyed by it).
    pub mac: Option<Mac>,
    /// UDI (PnP devices).
    pub udi: Option<Udi>,
    /// Product ID, when known without a full UDI (e.g. from CDP).
    pub pid: Option<String>,
    /// Whether the device is already in the inventory (onboarded before).
    pub known: bool,
}

impl JoinDevice {
    fn label(&self) -> String {
        match (&self.mac, &self.udi, &self.pid) {
            (Some(mac), _, _) => format!("client {mac}"),
            (None, Some(udi), _) => format!("device {udi}"),
            (None, None, Some(pid)) => format!("device with PID {pid}"),
            (None, None, None) => "unidentified device".to_owned(),
        }
    }
}

/// Why a device asks to join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A Smart Install client joining the director's network.
    SmartInstallJoin,
    /// A PnP device onboarding through the PnP server.
    PnpOnboarding,
}

/// Operator state at run time that the decision depends on (kept in the store).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinContext {
    /// `vstack join-window close` / `no vstack join-window close` issued at run time.
    pub manual: Option<ManualWindow>,
    /// `vstack join-window-status … {allowed | held}` for this device; beats the policy's list.
    pub client_override: Option<ClientOverride>,
    /// The device is on the hold list.
    pub on_hold_list: bool,
    /// Why the device asks.
    pub purpose: Purpose,
}

/// The join decision: the state of Table 1-3 and what it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct JoinOutcome {
    /// The join-window state of the device.
    pub state: JoinState,
    /// Whether the join window was open.
    pub window_open: bool,
    /// Zero-touch updates (image and configuration on join).
    pub zero_touch: Permission,
    /// On-demand updates pushed by the operator.
    pub on_demand: Permission,
    /// Configuration backup.
    pub backup: Permission,
    /// The device must be added to the hold list.
    pub add_to_hold_list: bool,
}

impl JoinOutcome {
    /// The outcome for `state`, with the permissions of Table 1-3.
    pub fn new(state: JoinState, window_open: bool, add_to_hold_list: bool) -> Self {
        let [zero_touch, on_demand, backup] = state.permissions();
        Self {
            state,
            window_open,
            zero_touch,
            on_demand,
            backup,
            add_to_hold_list,
        }
    }
}

/// Where a manual open or close came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManualSource {
    /// Operator state at run time.
    Runtime,
    /// The policy file's `manual` key.
    Policy,
}

/// Whether the join window is open, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowStatus {
    /// Open.
    Open(OpenCause),
    /// Closed.
    Closed(ClosedCause),
}

/// Why the join window is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenCause {
    /// Opened manually.
    Manual(ManualSource),
    /// No window is configured: always open (the documented default).
    NoWindowsConfigured,
    /// Inside an occurrence of a configured window.
    Scheduled {
        /// The window's name.
        window: String,
        /// When the occurrence ends (`None`: never).
        until: Option<NaiveDateTime>,
    },
}

/// Why the join window is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClosedCause {
    /// Closed manually.
    Manual(ManualSource),
    /// Outside every configured window.
    OutsideWindows {
        /// The next window to open and when, if one opens within the search horizon.
        next_open: Option<(String, NaiveDateTime)>,
    },
}

impl WindowStatus {
    /// Whether the window is open.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open(_))
    }
}

impl fmt::Display for WindowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = |s: &ManualSource| match s {
            ManualSource::Runtime => "by the operator",
            ManualSource::Policy => "by join_window.manual",
        };
        match self {
            Self::Open(OpenCause::Manual(s)) => write!(f, "opened manually {}", source(s)),
            Self::Open(OpenCause::NoWindowsConfigured) => {
                f.write_str("no join window configured: always open")
            }
            Self::Open(OpenCause::Scheduled { window, until }) => match until {
                Some(until) => write!(f, "window {window} open until {until} UTC"),
                None => write!(f, "window {window} open"),
            },
            Self::Closed(ClosedCause::Manual(s)) => write!(f, "closed manually {}", source(s)),
            Self::Closed(ClosedCause::OutsideWindows { next_open }) => match next_open {
                Some((window, at)) => {
                    write!(f, "outside every window; next: {window} at {at} UTC")
                }
                None => f.write_str("outside every window; none opens within five years"),
            },
        }
    }
}

impl JoinWindowPolicy {
    /// Whether the join window is open at `now`, given the runtime manual state, and why.
    pub fn window_open(
        &self,
        now: DateTime<Utc>,
        runtime_manual: Option<ManualWindow>,
    ) -> WindowStatus {
        let manual = runtime_manual
            .map(|m| (m, ManualSource::Runtime))
            .or_else(|| self.manual.map(|m| (m, ManualSource::Policy)));
        match manual {
            Some((ManualWindow::Open, source)) => {
                return WindowStatus::Open(OpenCause::Manual(source));
            }
            Some((ManualWindow::Closed, source)) => {
                return WindowStatus::Closed(ClosedCause::Manual(source));
            }
            None => {}
        }
        if self.windows.is_empty() {
            return WindowStatus::Open(OpenCause::NoWindowsConfigured);
        }
        let now = now.naive_utc();
        let open = self
            .windows
            .iter()
            .filter_map(|w| w.occurrence_at(now).map(|(_, until)| (w, until)))
            // The occurrence that stays open longest explains best; `None` means for ever.
            .max_by_key(|(_, until)| until.map_or((1, NaiveDateTime::MIN), |u| (0, u)));
        if let Some((window, until)) = open {
            return WindowStatus::Open(OpenCause::Scheduled {
                window: window.name.clone(),
                until,
            });
        }
        let next_open = self
            .windows
            .iter()
            .filter_map(|w| w.next_open_after(now).map(|at| (w.name.clone(), at)))
            .min_by_key(|(_, at)| *at);
        WindowStatus::Closed(ClosedCause::OutsideWindows { next_open })
    }

    /// Decides the join state of `device` at `now` (Table 1-3; order in the module docs).
    pub fn decide(
        &self,
        device: &JoinDevice,
        ctx: &JoinContext,
        now: DateTime<Utc>,
    ) -> Decision<JoinOutcome> {
        let who = device.label();
        let status = self.window_open(now, ctx.manual);
        let open = status.is_open();
        if let Some((state, by)) = self.client_override(device, ctx) {
            let join = match state {
                ClientOverride::Allowed => JoinState::Active,
                ClientOverride::Held => JoinState::Hold,
            };
            let text = format!("{who} fixed to {} {by}", join.as_str());
            return decision(JoinOutcome::new(join, open, false), "client-override", text);
        }
        if ctx.on_hold_list {
            let text = format!("{who} is on the hold list until an operator releases it");
            return decision(
                JoinOutcome::new(JoinState::Hold, open, false),
                "hold-list",
                text,
            );
        }
        if ctx.purpose == Purpose::PnpOnboarding {
            if device.known {
                let text = format!("{who} is already known: PnP onboarding is not gated");
                return decision(
                    JoinOutcome::new(JoinState::Active, open, false),
                    "known-device",
                    text,
                );
            }
            if !self.gate_pnp {
                let text = "join_window.gate_pnp is off: PnP onboarding is not gated";
                return decision(
                    JoinOutcome::new(JoinState::Active, open, false),
                    "pnp-not-gated",
                    text,
                );
            }
        }
        match (open, self.mode) {
            (false, _) => decision(
                JoinOutcome::new(JoinState::Deny, false, false),
                "window-closed",
                format!("{status}: {who} gets no zero-touch update"),
            ),
            (true, JoinMode::Auto) => decision(
                JoinOutcome::new(JoinState::Active, true, false),
                "window-open-auto",
                format!("{status}; mode auto: {who} is updated"),
            ),
            (true, JoinMode::Manual) => decision(
                JoinOutcome::new(JoinState::Hold, true, true),
                "window-open-manual",
                format!("{status}; mode manual: {who} goes on the hold list"),
            ),
        }
    }

    fn client_override(
        &self,
        device: &JoinDevice,
        ctx: &JoinContext,
    ) -> Option<(ClientOverride, &'static str)> {
        if let Some(state) = ctx.client_override {
            return Some((state, "by the operator"));
        }
        let mac = device.mac?;
        self.clients
            .iter()
            .find(|c| c.mac == mac)
            .map(|c| (c.state, "by join_window.clients"))
    }
}

fn decision(outcome: JoinOutcome, rule: &str, reason: impl Into<String>) -> Decision<JoinOutcome> {
    Decision::new(
        outcome,
        RuleRef::new(Area::JoinWindow, rule),
        Mode::Enforce,
        reason,
    )
}

#[cfg(test)]
mod tests;
