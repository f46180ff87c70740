//! Tests of `smart_install.role` / `[smart_install.proxy]` and the director–proxy exclusion.

use super::*;

use crate::policy::smi_proxy::{ProxyAddress, ProxySettings};

const PROXY: &str = r#"name = "x"
[smart_install]
role = "proxy"
[smart_install.proxy]
address = "10.1.1.1"
username = "smi"
password = "s3cret!"
"#;

#[test]
fn proxy_role_takes_the_guide_defaults_and_policy_credentials() {
    let p = valid(PROXY);
    assert_eq!(
        p.smi_proxy,
        Some(ProxySettings {
            address: ProxyAddress::Ip("10.1.1.1".parse().unwrap()),
            startup_vlan: 1,
            pnp_profile: "pnp-zero-touch".into(),
            telnet_port: 19140,
            username: "smi".into(),
            password: "s3cret!".into(),
            enable_password: "s3cret!".into(),
            pnp_server: None,
        })
    );
    let p = valid(&format!(
        "{}startup_vlan = 20\npnp_profile = \"legacy\"\ntelnet_port = 2323\n\
         enable_password = \"en\"\npnp_server = \"https://dnac.example.net\"\n",
        PROXY.replace("address = \"10.1.1.1\"", "interface = \"eth1\"")
    ));
    let s = p.smi_proxy.unwrap();
    assert_eq!(s.address, ProxyAddress::Interface("eth1".into()));
    assert_eq!((s.startup_vlan, s.telnet_port), (20, 2323));
    assert_eq!(
        (s.pnp_profile.as_str(), s.enable_password.as_str()),
        ("legacy", "en")
    );
    assert_eq!(s.pnp_server.as_deref(), Some("https://dnac.example.net"));
    // The director role is the default and has no proxy settings.
    assert!(valid("name = \"x\"\n").smi_proxy.is_none());
}

#[test]
fn proxy_settings_are_validated() {
    let no_credentials = PROXY.replace("username = \"smi\"\npassword = \"s3cret!\"\n", "");
    let keys: Vec<String> = errors(&no_credentials).into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        [
            "smart_install.proxy.username",
            "smart_install.proxy.password"
        ]
    );
    assert_invalid(
        &PROXY.replace("s3cret!", "two words"),
        "smart_install.proxy.password",
        "without spaces",
    );
    assert_invalid(
        &format!("{PROXY}interface = \"eth1\"\n"),
        "smart_install.proxy",
        "not both",
    );
    assert_invalid(
        &PROXY.replace("address = \"10.1.1.1\"\n", ""),
        "smart_install.proxy",
        "needs `address` or `interface`",
    );
    assert_invalid(
        &format!("{PROXY}startup_vlan = 4095\n"),
        "smart_install.proxy.startup_vlan",
        "1 to 4094",
    );
    assert_invalid(
        &format!("{PROXY}pnp_server = \"http://pnp.example.net\"\n"),
        "smart_install.proxy.pnp_server",
        "https://",
    );
    let e = only_error("name = \"x\"\n[smart_install]\nrole = \"proxy\"\n");
    assert_eq!(
        (e.key.as_str(), &e.kind),
        ("smart_install.proxy", &ConfigErrorKind::MissingKey)
    );
    assert_invalid(
        &PROXY.replace("role = \"proxy\"\n", ""),
        "smart_install.proxy",
        "role is not \"proxy\"",
    );
}

#[test]
fn director_settings_are_refused_in_proxy_mode_naming_both_keys() {
    for section in [
        "[join_window]\nmode = \"manual\"\n",
        "[director]\ndefault_config = \"a.cfg\"\n",
    ] {
        let e = only_error(&format!("{PROXY}{section}"));
        let key = section.trim_start_matches('[').split(']').next().unwrap();
        assert_eq!(e.key, key, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("smart_install.role") && text.contains("mutually exclusive"),
            "{text}"
        );
    }
}
