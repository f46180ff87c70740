//! The `[device_auth]` section of a policy file: trust-anchor references, certificate and UDI
//! requirements, serial and PID allow/deny lists, trusted SMI proxies (`smi_proxies`) and the
//! `danger_*` legacy-SUDI exceptions (`crate::policy::auth`).
//!
//! Operator input, trusted but validated. Weakening knobs must be spelled out in full: a pinned
//! root list without its knob, or the knob without pins, is an error.

use crate::config::doc::{Ctx, Node, Table, one_of};
use crate::config::policy_file::{mode, required_list};
use crate::policy::auth::{
    AuthMethod, DeviceAuthPolicy, IdPattern, MethodsRequired, TrustAnchorSet,
};

/// Parses the section (already taken from the document; the caller finishes it). `anchor_sets`
/// are the file's `[[trust_anchors]]`, which `trust_anchors` must name.
pub(super) fn parse(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    anchor_sets: Vec<TrustAnchorSet>,
) -> DeviceAuthPolicy {
    let mut policy = DeviceAuthPolicy::default();
    if let Some(m) = t.parse(cx, "mode", mode) {
        policy.mode = m;
    }
    if let Some(node) = t.take("trust_anchors") {
        policy.trust_anchors = anchor_refs(cx, &node, &anchor_sets);
    }
    policy.anchor_sets = anchor_sets;
    if let Some(b) = t.bool(cx, "require_certificate") {
        policy.require_certificate = b;
    }
    if let Some(b) = t.bool(cx, "udi_must_match_certificate") {
        policy.udi_must_match_certificate = b;
    }
    let lists = [
        ("allow_serials", &mut policy.allow_serials),
        ("deny_serials", &mut policy.deny_serials),
        ("allow_pids", &mut policy.allow_pids),
        ("deny_pids", &mut policy.deny_pids),
        ("smi_proxies", &mut policy.smi_proxies),
    ];
    for (key, list) in lists {
        if let Some(patterns) = t.strings(cx, key, id_pattern) {
            *list = patterns;
        }
    }
    if let Some(node) = t.take("methods") {
        let given = node.value().as_array().map_or(0, |a| a.len());
        let parsed = required_list(cx, &node, method);
        // Only a list whose every entry is valid is checked further (bad entries are reported).
        if let Some(methods) = parsed.filter(|m| m.len() == given && given > 0) {
            policy.methods = methods;
        }
        if given > 0
            && policy.require_certificate
            && !policy.methods.contains(&AuthMethod::TlsCertificate)
        {
            node.invalid(
                cx,
                "require_certificate = true needs tls-certificate among the methods \
                 (or set require_certificate = false)",
            );
        }
    }
    if let Some(r) = t.parse(cx, "methods_required", |s| {
        one_of(
            s,
            &[("any", MethodsRequired::Any), ("all", MethodsRequired::All)],
        )
    }) {
        policy.methods_required = r;
    }
    policy.danger_accept_sha1_legacy_sudi = sha1_legacy_pins(cx, t);
    if let Some(b) = t.bool(cx, "danger_ignore_idevid_not_after") {
        policy.danger_ignore_idevid_not_after = b;
    }
    policy
}

fn method(s: &str) -> Result<AuthMethod, String> {
    one_of(
        s,
        &[
            ("tls-certificate", AuthMethod::TlsCertificate),
            ("device-auth", AuthMethod::DeviceAuth),
            ("sudi-cli", AuthMethod::SudiCli),
        ],
    )
}

/// `trust_anchors`: names of `[[trust_anchors]]` sets.
fn anchor_refs(cx: &mut Ctx<'_>, node: &Node<'_, '_>, sets: &[TrustAnchorSet]) -> Vec<String> {
    let mut names = Vec::new();
    for item in node.array(cx).unwrap_or_default() {
        let Some(name) = item.str(cx) else { continue };
        if sets.iter().any(|s| s.name == name) {
            names.push(name.to_owned());
        } else {
            item.invalid(cx, format!("no [[trust_anchors]] set is named `{name}`"));
        }
    }
    names
}

/// `danger_accept_sha1_legacy_sudi` and `danger_sha1_pinned_roots`: the pins, when the knob is on.
fn sha1_legacy_pins(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Vec<[u8; 32]> {
    let knob = t.bool(cx, "danger_accept_sha1_legacy_sudi");
    let pins_node = t.take("danger_sha1_pinned_roots");
    let Some(node) = pins_node else {
        if knob == Some(true) {
            t.missing(cx, "danger_sha1_pinned_roots");
        }
        return Vec::new();
    };
    let pins = node.strings(cx, parse_pin).unwrap_or_default();
    match knob {
        Some(true) if node.value().as_array().is_some_and(|a| a.is_empty()) => {
            node.invalid(
                cx,
                "danger_accept_sha1_legacy_sudi = true needs at least one pinned root",
            );
            Vec::new()
        }
        Some(true) => pins,
        // An invalid knob is already reported; do not pile on.
        None if t.has("danger_accept_sha1_legacy_sudi") => Vec::new(),
        _ => {
            node.invalid(
                cx,
                "has no effect without danger_accept_sha1_legacy_sudi = true",
            );
            Vec::new()
        }
    }
}

/// SHA-256 of a root certificate, 64 hex digits, colons allowed.
fn parse_pin(s: &str) -> Result<[u8; 32], &'static str> {
    let digits: String = s.chars().filter(|c| *c != ':').collect();
    let mut pin = [0u8; 32];
    hex::decode_to_slice(&digits, &mut pin)
        .map_err(|_| "expected a SHA-256 fingerprint: 64 hex digits, colons allowed")?;
    Ok(pin)
}

/// A serial or PID pattern: exact, or a prefix with a trailing `*`; upper-cased.
fn id_pattern(s: &str) -> Result<IdPattern, &'static str> {
    let body = s.strip_suffix('*').unwrap_or(s);
    if s.is_empty() {
        return Err("pattern must not be empty");
    }
    if s.len() > MAX_ID_PATTERN_LEN {
        return Err("pattern longer than 64 characters");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-');
    if !body.chars().all(allowed) {
        return Err(
            "pattern may only contain A-Z, a-z, 0-9, `/`, `.`, `_`, `-` and a trailing `*`",
        );
    }
    Ok(IdPattern {
        source: s.to_ascii_uppercase(),
    })
}

/// Longest serial or PID pattern.
const MAX_ID_PATTERN_LEN: usize = 64;
