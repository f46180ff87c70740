//! Tests of the device-authentication policy: one per reject reason, the danger knobs, patterns
//! and the JSON form of verdicts.

use super::*;

const ROOT: [u8; 32] = [7; 32];

fn pattern(s: &str) -> IdPattern {
    IdPattern {
        source: s.to_ascii_uppercase(),
    }
}

fn policy() -> DeviceAuthPolicy {
    DeviceAuthPolicy {
        trust_anchors: vec!["cisco-sudi".into()],
        ..DeviceAuthPolicy::default()
    }
}

fn chain(pid: &str, sn: &str) -> VerifiedChain {
    VerifiedChain {
        identity: CertIdentity {
            pid: pid.into(),
            sn: sn.into(),
        },
        anchor_set: "cisco-sudi".into(),
        used_sha1_legacy: false,
        expired_idevid: false,
        root_sha256: ROOT,
    }
}

fn decide(p: &DeviceAuthPolicy, c: VerifiedChain, udi: Option<&Udi>) -> Decision<AuthVerdict> {
    p.decide(&AuthEvidence {
        certificate: CertStatus::Verified(c),
        claimed_udi: udi,
    })
}

fn rejected(d: &Decision<AuthVerdict>, rule: &str) -> bool {
    matches!(d.verdict, AuthVerdict::Reject(_)) && d.rule.name == rule
}

#[test]
fn authenticates_verified_matching_device() {
    let udi = Udi::parse("PID:C9300-24T,VID:V02,SN:FOC1234X0AB").unwrap();
    let d = decide(&policy(), chain("C9300-24T", "FOC1234X0AB"), Some(&udi));
    let AuthVerdict::Authenticated(id) = &d.verdict else {
        panic!("{d:?}")
    };
    assert_eq!((id.pid(), id.sn()), ("C9300-24T", "FOC1234X0AB"));
    assert_eq!(d.rule.to_string(), "device_auth/authenticated");
}

#[test]
fn rejects_missing_certificate_when_required() {
    let d = policy().decide(&AuthEvidence {
        certificate: CertStatus::NotPresented,
        claimed_udi: None,
    });
    assert!(rejected(&d, "certificate-required"));
    assert_eq!(
        d.verdict,
        AuthVerdict::Reject(RejectReason::CertificateRequired)
    );
}

#[test]
fn leaves_device_unauthenticated_when_certificate_optional() {
    let p = DeviceAuthPolicy {
        require_certificate: false,
        ..policy()
    };
    let udi = Udi::parse("PID:X,SN:Y").unwrap();
    let d = p.decide(&AuthEvidence {
        certificate: CertStatus::NotPresented,
        claimed_udi: Some(&udi),
    });
    assert_eq!(d.verdict, AuthVerdict::Unauthenticated);
    assert_eq!(d.rule.name, "certificate-optional");
}

#[test]
fn rejects_failed_chain() {
    let d = policy().decide(&AuthEvidence {
        certificate: CertStatus::Failed(ChainFailure::UnknownIssuer),
        claimed_udi: None,
    });
    assert!(rejected(&d, "chain-verification"));
    assert!(d.reason.contains("issuer not trusted"));
}

#[test]
fn rejects_untrusted_anchor_set() {
    let mut c = chain("C9300-24T", "FOC1");
    c.anchor_set = "lab".into();
    let d = decide(&policy(), c, None);
    assert!(rejected(&d, "trust-anchors"));
}

#[test]
fn rejects_sha1_legacy_without_knob() {
    let mut c = chain("WS-C2960X-24", "FOC1");
    c.used_sha1_legacy = true;
    let d = decide(&policy(), c, None);
    assert!(rejected(&d, "danger-accept-sha1-legacy-sudi"));
    assert_eq!(
        d.verdict,
        AuthVerdict::Reject(RejectReason::Sha1LegacyNotAccepted)
    );
}

#[test]
fn accepts_sha1_legacy_only_under_pinned_root() {
    let p = DeviceAuthPolicy {
        danger_accept_sha1_legacy_sudi: vec![ROOT],
        ..policy()
    };
    let mut c = chain("WS-C2960X-24", "FOC1");
    c.used_sha1_legacy = true;
    let ok = decide(&p, c.clone(), None);
    assert!(matches!(ok.verdict, AuthVerdict::Authenticated(_)));
    c.root_sha256 = [8; 32];
    let d = decide(&p, c, None);
    assert!(rejected(&d, "danger-accept-sha1-legacy-sudi"));
    assert!(d.reason.contains(&"08".repeat(32)), "{}", d.reason);
}

#[test]
fn rejects_expired_idevid_without_knob() {
    let mut c = chain("C9300-24T", "FOC1");
    c.expired_idevid = true;
    let d = decide(&policy(), c.clone(), None);
    assert!(rejected(&d, "danger-ignore-idevid-not-after"));
    let p = DeviceAuthPolicy {
        danger_ignore_idevid_not_after: true,
        ..policy()
    };
    assert!(matches!(
        decide(&p, c, None).verdict,
        AuthVerdict::Authenticated(_)
    ));
}

#[test]
fn rejects_denied_serial_even_if_allowed() {
    let p = DeviceAuthPolicy {
        allow_serials: vec![pattern("FOC*")],
        deny_serials: vec![pattern("foc666*")],
        ..policy()
    };
    let d = decide(&p, chain("C9300-24T", "FOC6660001"), None);
    assert!(rejected(&d, "deny-serials"));
    assert!(d.reason.contains("FOC666*"), "{}", d.reason);
}

#[test]
fn rejects_denied_pid() {
    let p = DeviceAuthPolicy {
        deny_pids: vec![pattern("WS-C2960*")],
        ..policy()
    };
    assert!(rejected(
        &decide(&p, chain("WS-C2960X-24", "FOC1"), None),
        "deny-pids"
    ));
}

#[test]
fn rejects_serial_outside_allow_list() {
    let p = DeviceAuthPolicy {
        allow_serials: vec![pattern("FOC1234X0AB")],
        ..policy()
    };
    assert!(rejected(
        &decide(&p, chain("C9300-24T", "FOC9"), None),
        "allow-serials"
    ));
    let ok = decide(&p, chain("C9300-24T", "foc1234x0ab"), None);
    assert!(matches!(ok.verdict, AuthVerdict::Authenticated(_)));
}

#[test]
fn rejects_pid_outside_allow_list() {
    let p = DeviceAuthPolicy {
        allow_pids: vec![pattern("C9300-*")],
        ..policy()
    };
    assert!(rejected(
        &decide(&p, chain("ISR4321/K9", "FOC1"), None),
        "allow-pids"
    ));
}

#[test]
fn rejects_claimed_udi_that_differs_from_certificate() {
    let udi = Udi::parse("PID:C9300-24T,VID:V02,SN:OTHER").unwrap();
    let d = decide(&policy(), chain("C9300-24T", "FOC1"), Some(&udi));
    assert!(rejected(&d, "udi-mismatch"));
    let lax = DeviceAuthPolicy {
        udi_must_match_certificate: false,
        ..policy()
    };
    let d = decide(&lax, chain("C9300-24T", "FOC1"), Some(&udi));
    assert!(matches!(d.verdict, AuthVerdict::Authenticated(_)));
}

#[test]
fn audit_mode_is_reported() {
    let p = DeviceAuthPolicy {
        mode: Mode::Audit,
        ..policy()
    };
    let mut c = chain("C9300-24T", "FOC1");
    c.anchor_set = "lab".into();
    let d = decide(&p, c, None);
    assert!(d.is_audited());
}

#[test]
fn matches_id_patterns() {
    assert!(pattern("C9300-*").matches("c9300-24t"));
    assert!(!pattern("C9300-*").matches("C930"));
    assert!(pattern("*").matches(""));
    assert!(pattern("FOC1").matches("foc1"));
    assert!(!pattern("FOC1").matches("FOC12"));
}

#[test]
fn lists_enabled_dangers() {
    assert!(policy().dangers().is_empty());
    let p = DeviceAuthPolicy {
        danger_accept_sha1_legacy_sudi: vec![ROOT],
        danger_ignore_idevid_not_after: true,
        ..policy()
    };
    assert_eq!(
        p.dangers(),
        [
            "danger_accept_sha1_legacy_sudi",
            "danger_ignore_idevid_not_after"
        ]
    );
}

#[test]
fn serialises_verdicts_as_json() {
    let d = decide(&policy(), chain("C9300-24T", "FOC1"), None);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["verdict"]["authenticated"]["pid"], "C9300-24T");
    assert_eq!(json["rule"]["area"], "device_auth");
    let reject = serde_json::to_value(AuthVerdict::Reject(RejectReason::ChainFailed {
        failure: ChainFailure::Expired,
    }))
    .unwrap();
    assert_eq!(reject["reject"]["chain-failed"]["failure"], "expired");
}

fn proxy_policy() -> DeviceAuthPolicy {
    DeviceAuthPolicy {
        smi_proxies: vec![pattern("PROXY*")],
        ..policy()
    }
}

fn proxy_chain() -> VerifiedChain {
    chain("ZTPGATE-SMI-PROXY", "PROXY1")
}

#[test]
fn trusted_smi_proxy_may_claim_another_devices_udi() {
    let udi = Udi::parse("PID:WS-C2960X-48FPD-L,VID:V02,SN:FOC1111X0AA").unwrap();
    let d = decide(&proxy_policy(), proxy_chain(), Some(&udi));
    let AuthVerdict::Proxied { proxy, device } = &d.verdict else {
        panic!("{d:?}")
    };
    assert_eq!((proxy.pid(), proxy.sn()), ("ZTPGATE-SMI-PROXY", "PROXY1"));
    assert_eq!(
        (device.pid.as_str(), device.sn.as_str()),
        ("WS-C2960X-48FPD-L", "FOC1111X0AA")
    );
    assert_eq!(d.rule.to_string(), "device_auth/smi-proxy");
    assert!(
        d.reason.contains("PID:ZTPGATE-SMI-PROXY SN:PROXY1"),
        "{}",
        d.reason
    );
    assert!(d.reason.contains("SN:FOC1111X0AA"), "{}", d.reason);
    assert_eq!(
        d.verdict.to_string(),
        "PID:WS-C2960X-48FPD-L SN:FOC1111X0AA through SMI proxy PID:ZTPGATE-SMI-PROXY SN:PROXY1"
    );
}

#[test]
fn certificate_not_listed_as_smi_proxy_keeps_the_udi_mismatch() {
    let udi = Udi::parse("PID:WS-C2960X-48FPD-L,VID:V02,SN:FOC1111X0AA").unwrap();
    let d = decide(&policy(), proxy_chain(), Some(&udi));
    assert!(rejected(&d, "udi-mismatch"), "{d:?}");
    let other = DeviceAuthPolicy {
        smi_proxies: vec![pattern("OTHERPROXY")],
        ..policy()
    };
    assert!(rejected(
        &decide(&other, proxy_chain(), Some(&udi)),
        "udi-mismatch"
    ));
}

#[test]
fn smi_proxy_lists_apply_to_the_claimed_device_not_the_proxy() {
    let udi = Udi::parse("PID:WS-C2960X-48FPD-L,VID:V02,SN:FOC1111X0AA").unwrap();
    // The proxy's own PID is not allowed, the claimed one is: proxied.
    let p = DeviceAuthPolicy {
        allow_pids: vec![pattern("WS-C2960X-*")],
        ..proxy_policy()
    };
    let d = decide(&p, proxy_chain(), Some(&udi));
    assert!(matches!(d.verdict, AuthVerdict::Proxied { .. }), "{d:?}");
    // The claimed serial is denied: refused, naming the claimed serial.
    let p = DeviceAuthPolicy {
        deny_serials: vec![pattern("FOC1111*")],
        ..proxy_policy()
    };
    let d = decide(&p, proxy_chain(), Some(&udi));
    assert!(rejected(&d, "deny-serials"), "{d:?}");
    assert!(d.reason.contains("FOC1111X0AA"), "{}", d.reason);
    // The claimed PID is not allowed.
    let p = DeviceAuthPolicy {
        allow_pids: vec![pattern("C9300-*")],
        ..proxy_policy()
    };
    assert!(rejected(
        &decide(&p, proxy_chain(), Some(&udi)),
        "allow-pids"
    ));
}

#[test]
fn smi_proxy_certificate_still_passes_the_chain_checks() {
    let udi = Udi::parse("PID:WS-C2960X-48FPD-L,VID:V02,SN:FOC1111X0AA").unwrap();
    let mut c = proxy_chain();
    c.anchor_set = "someone-else".into();
    assert!(rejected(
        &decide(&proxy_policy(), c, Some(&udi)),
        "trust-anchors"
    ));
    let d = proxy_policy().decide(&AuthEvidence {
        certificate: CertStatus::Failed(ChainFailure::UnknownIssuer),
        claimed_udi: Some(&udi),
    });
    assert!(rejected(&d, "chain-verification"));
}

#[test]
fn smi_proxy_claiming_its_own_udi_is_simply_authenticated() {
    let own = Udi::parse("PID:ZTPGATE-SMI-PROXY,VID:,SN:PROXY1").unwrap();
    let d = decide(&proxy_policy(), proxy_chain(), Some(&own));
    assert!(matches!(d.verdict, AuthVerdict::Authenticated(_)), "{d:?}");
    assert_eq!(d.rule.name, "authenticated");
}

#[test]
fn proxied_verdict_serializes_with_both_identities() {
    let udi = Udi::parse("PID:WS-C2960X-48FPD-L,VID:V02,SN:FOC1111X0AA").unwrap();
    let d = decide(&proxy_policy(), proxy_chain(), Some(&udi));
    let json = serde_json::to_value(&d.verdict).unwrap();
    assert_eq!(json["proxied"]["device"]["sn"], "FOC1111X0AA");
    assert!(json["proxied"]["proxy"].is_object(), "{json}");
}
