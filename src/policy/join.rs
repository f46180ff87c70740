//! Join windows, the hold list and per-client join states, exactly as the Smart Install guide
//! describes them (`../shared/reference/smart-install-overview.txt`, "Using a Join Window",
//! "Configuring Join Window Mode", Table 1-3). The same windows gate PnP onboarding of devices not
//! yet known.
//!
//! Inputs: operator policy, operator state (manual open/close, per-client overrides, hold list)
//! and a device identity claimed by the device (MAC, UDI, PID), which is only used as a key.

use crate::policy::schedule::Window;

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

/// A client listed in the policy file with a fixed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEntry {
    /// The client's MAC address.
    pub mac: Mac,
    /// Its state.
    pub state: ClientOverride,
}

/// The validated join-window policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

/// The three join-window states of Table 1-3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinState {
    /// Zero-touch updates, on-demand updates and configuration backup allowed.
    Active,
    /// Zero-touch updates not allowed; on-demand updates and configuration backup allowed.
    Deny,
    /// Zero-touch updates only with operator intervention; on-demand allowed; backup not allowed.
    Hold,
}
