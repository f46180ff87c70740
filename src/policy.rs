//! Policy layer: typed policy data and the pure decision functions behind every verdict.
//!
//! Inputs are operator-written policy (trusted but validated by `crate::config`) and typed events
//! built by the edge from attacker-controlled traffic. Every decision function is pure: it takes the
//! compiled policy, the event and — where time matters — `now`, and returns a [`Decision`] that names
//! the verdict, the rule that produced it and whether that rule is enforced or only audited
//! (`../shared/design/ARCHITECTURE.md` §6). Nothing here reads the clock, a file or a socket;
//! `tests/architecture.rs` enforces that.

pub mod access;
pub mod auth;
pub mod delivery;
pub mod director;
pub mod firewall;
pub mod join;
pub mod net;
pub mod provision;
pub mod schedule;
pub mod smi_proxy;
pub mod url;

use std::fmt;

/// Whether a rule's verdict is carried out or only recorded.
///
/// An audited rule produces the same verdict and audit record as an enforced one, but the edge does
/// not act on a denial: this is how new rules are rolled out safely.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Record the verdict, do not act on a denial.
    Audit,
    /// Record the verdict and act on it.
    #[default]
    Enforce,
}

impl Mode {
    /// The name used in policy files and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audit => "audit",
            Self::Enforce => "enforce",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy area a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Who may send which Smart Install message to whom (TCP 4786).
    SmartInstall,
    /// Join windows, hold list and per-client join states.
    JoinWindow,
    /// Device authentication (certificates, SUDI, allow and deny lists).
    DeviceAuth,
    /// Where images and configurations may be delivered from.
    ImageDelivery,
    /// PnP provisioning: which device gets which plan.
    Provision,
}

impl Area {
    /// The section name used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SmartInstall => "smart_install",
            Self::JoinWindow => "join_window",
            Self::DeviceAuth => "device_auth",
            Self::ImageDelivery => "image_delivery",
            Self::Provision => "provision",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule that decided: its area and its name (operator-given, or a built-in name such as
/// `default-deny`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RuleRef {
    /// Policy area of the rule.
    pub area: Area,
    /// Rule name, unique within its area.
    pub name: String,
}

impl RuleRef {
    /// A rule reference for `area` named `name`.
    pub fn new(area: Area, name: impl Into<String>) -> Self {
        Self {
            area,
            name: name.into(),
        }
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.area, self.name)
    }
}

/// A verdict together with the rule behind it, the rule's mode and a human explanation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decision<V> {
    /// What the policy decided.
    pub verdict: V,
    /// The rule that produced the verdict.
    pub rule: RuleRef,
    /// Whether the deciding rule is enforced or audited.
    pub mode: Mode,
    /// One-line explanation, for operators and audit records.
    pub reason: String,
}

impl<V> Decision<V> {
    /// A decision of `rule` in `mode`, with its explanation.
    pub fn new(verdict: V, rule: RuleRef, mode: Mode, reason: impl Into<String>) -> Self {
        Self {
            verdict,
            rule,
            mode,
            reason: reason.into(),
        }
    }

    /// Whether the deciding rule is only audited: the edge records the verdict but does not act
    /// on a denial.
    pub fn is_audited(&self) -> bool {
        self.mode == Mode::Audit
    }
}

/// A policy file, validated: every section compiled into its typed form.
///
/// Sections that a file leaves out take strict defaults: Smart Install denies everything, device
/// authentication requires a certificate, image delivery allows HTTPS only with a checksum, and no
/// join window is configured (the documented Smart Install default: always open).
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Policy name (`name` key), shown in explanations.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Smart Install (TCP 4786) access.
    pub smart_install: access::SmartInstallPolicy,
    /// Join windows, shared by Smart Install and PnP onboarding.
    pub join_window: join::JoinWindowPolicy,
    /// Device authentication.
    pub device_auth: auth::DeviceAuthPolicy,
    /// Image and configuration delivery.
    pub image_delivery: delivery::ImageDeliveryPolicy,
    /// PnP device profiles and plans.
    pub pnp: provision::PnpPolicy,
    /// Smart Install director: default files, groups, hardening.
    pub director: director::DirectorPolicy,
    /// The SMI PnP proxy role (`smart_install.role = "proxy"`); `None`: the director role.
    pub smi_proxy: Option<smi_proxy::ProxySettings>,
}
