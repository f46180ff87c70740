//! Tests of the gateway configuration schema, the embedded lab defaults and the file-level entry
//! points (`load`, `check_file`, `load_policy_file`).

use super::*;

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{
    FileKind, FsyncPolicy, GatewayConfig, RelayUpstream, check_file, from_toml, lab_default,
    lab_default_in, load, load_policy, load_policy_file,
};

const POLICY: &str =
    "name = \"p\"\n[[trust_anchors]]\nname = \"d\"\npaths = [\"{data_dir}/anchors\"]\n";

/// A temporary directory holding `policies/p.toml`.
fn dir_with_policy(policy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("policies")).unwrap();
    fs::write(dir.path().join("policies/p.toml"), policy).unwrap();
    dir
}

fn gateway(text: &str, base: &Path) -> Result<GatewayConfig, ConfigErrors> {
    from_toml("gw.toml", text, base)
}

#[test]
fn embedded_lab_defaults_are_valid() {
    let config = match lab_default_in(Path::new("/srv/lab")) {
        Ok(c) => c,
        Err(e) => panic!("embedded defaults invalid:\n{e}"),
    };
    assert_eq!(config.source, None);
    assert_eq!(config.policy_source, None);
    assert_eq!(config.policy.name, "lab");
    assert_eq!(config.data_dir, Path::new("/srv/lab/var"));
    assert_eq!(
        config.admin.listen,
        vec!["127.0.0.1:8443".parse::<SocketAddr>().unwrap()]
    );
    assert_eq!(config.admin.max_connections, 64);
    assert_eq!(config.admin.request_timeout, Duration::from_secs(10));
    assert_eq!(config.pnp_server.max_connections, 4096);
    assert_eq!(config.files.max_connections, 256);
    assert_eq!(config.files.request_timeout, Duration::from_secs(10));
    assert_eq!(config.audit.path, Path::new("/srv/lab/var/audit.jsonl"));
    assert_eq!(config.audit.fsync, FsyncPolicy::Always);
    assert_eq!(config.store.path, Path::new("/srv/lab/var/ztpgate.db"));
    assert_eq!(config.pki.dir, Path::new("/srv/lab/var/pki"));
    assert!(config.pki.generate_lab);
    assert_eq!(
        config.pki.server_cert,
        Path::new("/srv/lab/var/pki/server.crt")
    );
    assert_eq!(
        config.pki.server_key,
        Path::new("/srv/lab/var/pki/server.key")
    );
    assert_eq!(config.pki.admin_ca, Path::new("/srv/lab/var/pki/ca.crt"));
    let anchors = &config.policy.device_auth.anchor_sets[0];
    assert_eq!(anchors.name, "lab-devices");
    assert_eq!(
        anchors.paths,
        vec![
            PathBuf::from("/srv/lab/var/pki/device-root.crt"),
            PathBuf::from("/srv/lab/var/pki/device-ca.crt")
        ]
    );

    let cwd = lab_default();
    assert_eq!(cwd.data_dir, Path::new("var"));
    assert_eq!(cwd.audit.path, Path::new("var/audit.jsonl"));
}

#[test]
fn empty_configuration_takes_the_documented_defaults() {
    let dir = dir_with_policy(POLICY);
    let text = "[gateway]\npolicy = \"policies/p.toml\"\n";
    let config = gateway(text, dir.path()).unwrap();
    let base = dir.path();
    assert_eq!(config.source, Some(PathBuf::from("gw.toml")));
    assert_eq!(config.data_dir, base.join("var"));
    assert_eq!(config.policy_source, Some(base.join("policies/p.toml")));
    assert_eq!(config.admin.max_connections, 64);
    assert_eq!(config.store.path, base.join("var/ztpgate.db"));
    assert_eq!(config.pki.server_cert, base.join("var/pki/server.crt"));
    // `{data_dir}` in the policy resolves against the gateway's data directory.
    assert_eq!(
        config.policy.device_auth.anchor_sets[0].paths,
        vec![base.join("var/anchors")]
    );
}

#[test]
fn resolves_paths_against_config_dir_and_data_dir() {
    let dir = dir_with_policy(POLICY);
    let text = r#"[gateway]
data_dir = "state"
policy = "./policies/p.toml"
[audit]
path = "/var/log/ztpgate/audit.jsonl"
fsync = "interval"
fsync_interval = "250ms"
[store]
path = "db/ztpgate.db"
[pki]
dir = "tls"
generate_lab = false
server_key = "/etc/ztpgate/key.pem"
admin_ca = "admin/ca.pem"
"#;
    let config = gateway(text, dir.path()).unwrap();
    let data = dir.path().join("state");
    assert_eq!(config.data_dir, data);
    assert_eq!(config.audit.path, Path::new("/var/log/ztpgate/audit.jsonl"));
    assert_eq!(
        config.audit.fsync,
        FsyncPolicy::Interval(Duration::from_millis(250))
    );
    assert_eq!(config.store.path, data.join("db/ztpgate.db"));
    assert_eq!(config.pki.dir, data.join("tls"));
    assert!(!config.pki.generate_lab);
    assert_eq!(config.pki.server_cert, data.join("tls/server.crt"));
    assert_eq!(config.pki.server_key, Path::new("/etc/ztpgate/key.pem"));
    assert_eq!(config.pki.admin_ca, data.join("admin/ca.pem"));
}

#[test]
fn fsync_interval_defaults_to_one_second() {
    let dir = dir_with_policy(POLICY);
    let text = "[gateway]\npolicy = \"policies/p.toml\"\n[audit]\nfsync = \"interval\"\n";
    let config = gateway(text, dir.path()).unwrap();
    assert_eq!(
        config.audit.fsync,
        FsyncPolicy::Interval(Duration::from_secs(1))
    );
}

#[test]
fn reports_every_gateway_error_in_order() {
    let dir = dir_with_policy(POLICY);
    let text = r#"[gateway]
policy = "policies/p.toml"
[admin]
listen = ["127.0.0.1", "[::1]:8443"]
max_connections = 0
request_timeout = "0s"
[audit]
fsync = "sometimes"
fsync_interval = "1s"
[pki]
generate_lab = "yes"
[store]
path = ""
[extra]
"#;
    let e = gateway(text, dir.path()).unwrap_err().0;
    let summary: Vec<_> = e.iter().map(|e| (e.line, e.col, e.key.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (4, 11, "admin.listen[0]"),
            (5, 19, "admin.max_connections"),
            (6, 19, "admin.request_timeout"),
            (8, 9, "audit.fsync"),
            (9, 18, "audit.fsync_interval"),
            (11, 16, "pki.generate_lab"),
            (13, 8, "store.path"),
            (14, 2, "extra"),
        ]
    );
    assert!(e.iter().all(|e| e.file == "gw.toml"));
    assert_eq!(
        e[5].kind,
        ConfigErrorKind::WrongType {
            expected: "a boolean"
        }
    );
    assert_eq!(e[7].kind, ConfigErrorKind::UnknownKey);
}

#[test]
fn rejects_bad_admin_values() {
    let dir = dir_with_policy(POLICY);
    let check = |body: &str, key: &str| {
        let text = format!("[gateway]\npolicy = \"policies/p.toml\"\n[admin]\n{body}");
        let e = gateway(&text, dir.path()).unwrap_err().0;
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].key, key);
    };
    check("listen = []\n", "admin.listen");
    check("max_connections = 65537\n", "admin.max_connections");
    check("max_connections = -1\n", "admin.max_connections");
    check("max_connections = \"64\"\n", "admin.max_connections");
    check("request_timeout = \"10\"\n", "admin.request_timeout");
    let text = "[gateway]\npolicy = \"policies/p.toml\"\n[admin]\nmax_connections = 65536\n\
                request_timeout = \"1m30s\"\nlisten = [\"0.0.0.0:1\", \"[::1]:2\"]\n";
    let config = gateway(text, dir.path()).unwrap();
    assert_eq!(config.admin.max_connections, 65_536);
    assert_eq!(config.admin.request_timeout, Duration::from_secs(90));
    assert_eq!(config.admin.listen.len(), 2);
}

#[test]
fn every_listener_has_its_own_limits() {
    let dir = dir_with_policy(POLICY);
    let text = "[gateway]\npolicy = \"policies/p.toml\"\n[pnp_server]\nmax_connections = 10000\n\
                request_timeout = \"30s\"\n[files]\nmax_connections = 8\n";
    let config = gateway(text, dir.path()).unwrap();
    assert_eq!(config.pnp_server.max_connections, 10_000);
    assert_eq!(config.pnp_server.request_timeout, Duration::from_secs(30));
    assert_eq!(config.files.max_connections, 8);
    assert_eq!(config.admin.max_connections, 64);
    let bad = "[gateway]\npolicy = \"policies/p.toml\"\n[pnp_server]\nmax_connections = 0\n\
               [files]\nrequest_timeout = \"0s\"\n";
    let e = gateway(bad, dir.path()).unwrap_err().0;
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["pnp_server.max_connections", "files.request_timeout"]
    );
}

#[test]
fn reports_policy_errors_under_the_policy_file_name() {
    let dir = dir_with_policy("name = \"p\"\nbogus = 1\n");
    let text = "[gateway]\npolicy = \"policies/p.toml\"\n[admin]\nbad = 1\n";
    let e = gateway(text, dir.path()).unwrap_err().0;
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(
        (e[0].file.as_str(), e[0].key.as_str()),
        ("gw.toml", "admin.bad")
    );
    let policy_file = dir.path().join("policies/p.toml").display().to_string();
    assert_eq!(
        (e[1].file.as_str(), e[1].line, e[1].key.as_str()),
        (policy_file.as_str(), 2, "bogus")
    );
}

#[test]
fn reports_an_unreadable_policy_file_at_the_policy_key() {
    let dir = tempfile::tempdir().unwrap();
    let e = gateway("[gateway]\npolicy = \"nope.toml\"\n", dir.path())
        .unwrap_err()
        .0;
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].line, e[0].col, e[0].key.as_str()),
        (2, 10, "gateway.policy")
    );
    assert!(matches!(&e[0].kind, ConfigErrorKind::Io(m) if m.contains("nope.toml")));
    // Without the key, the default policies/lab.toml is looked for.
    let e = gateway("[gateway]\n", dir.path()).unwrap_err().0;
    assert_eq!((e[0].line, e[0].key.as_str()), (0, "gateway.policy"));
    assert!(matches!(&e[0].kind, ConfigErrorKind::Io(m) if m.contains("lab.toml")));
}

#[test]
fn loads_files_and_tells_their_kind() {
    let dir = dir_with_policy(POLICY);
    let config_path = dir.path().join("gw.toml");
    fs::write(&config_path, "[gateway]\npolicy = \"policies/p.toml\"\n").unwrap();
    let policy_path = dir.path().join("policies/p.toml");

    let config = load(&config_path).unwrap();
    assert_eq!(config.source, Some(config_path.clone()));
    assert_eq!(config.data_dir, dir.path().join("var"));
    assert_eq!(check_file(&config_path), Ok(FileKind::Gateway));
    assert_eq!(check_file(&policy_path), Ok(FileKind::Policy));
    assert_eq!(load_policy_file(&config_path).unwrap().name, "p");
    assert_eq!(load_policy_file(&policy_path).unwrap().name, "p");
    // A policy loaded on its own keeps `{data_dir}` literal.
    let alone = load_policy(&policy_path).unwrap();
    assert_eq!(
        alone.device_auth.anchor_sets[0].paths,
        vec![PathBuf::from("{data_dir}/anchors")]
    );
}

#[test]
fn reports_unreadable_files_as_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    for result in [
        check_file(&missing).map(|_| ()),
        load(&missing).map(|_| ()),
        load_policy(&missing).map(|_| ()),
        load_policy_file(&missing).map(|_| ()),
    ] {
        let e = result.unwrap_err().0;
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file, missing.display().to_string());
        assert_eq!(e[0].line, 0);
        assert!(matches!(e[0].kind, ConfigErrorKind::Io(_)));
    }
}

#[test]
fn smart_install_relay_is_off_by_default_and_validated() {
    let dir = dir_with_policy(POLICY);
    let head = "[gateway]\npolicy = \"policies/p.toml\"\n";
    let config = gateway(head, dir.path()).unwrap();
    let relay = &config.smart_install_relay;
    assert!(relay.listen.is_empty());
    assert_eq!(
        (relay.max_connections, relay.max_message_bytes),
        (256, 2048)
    );
    assert_eq!(relay.idle_timeout, Duration::from_secs(300));
    assert_eq!(relay.upstream, RelayUpstream::OriginalDestination);
    let text = format!(
        "{head}[smart_install_relay]\nlisten = [\"0.0.0.0:4786\"]\nupstream = \"10.0.0.9:4786\"\n\
         max_message_bytes = 4096\nidle_timeout = \"30s\"\nmax_connections = 5\n"
    );
    let relay = gateway(&text, dir.path()).unwrap().smart_install_relay;
    assert_eq!(relay.listen.len(), 1);
    assert_eq!(
        relay.upstream,
        RelayUpstream::Fixed("10.0.0.9:4786".parse().unwrap())
    );
    assert_eq!((relay.max_connections, relay.max_message_bytes), (5, 4096));
    let bad = format!(
        "{head}[smart_install_relay]\nupstream = \"somewhere\"\nmax_message_bytes = 8\n\
         idle_timeout = \"0s\"\nbogus = 1\n"
    );
    let e = gateway(&bad, dir.path()).unwrap_err().0;
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "smart_install_relay.upstream",
            "smart_install_relay.max_message_bytes",
            "smart_install_relay.idle_timeout",
            "smart_install_relay.bogus"
        ]
    );
}

#[test]
fn firewall_is_unmanaged_by_default_and_steers_to_the_relay_listen_address() {
    let dir = dir_with_policy(POLICY);
    let head = "[gateway]\npolicy = \"policies/p.toml\"\n";
    let config = gateway(head, dir.path()).unwrap();
    assert!(!config.firewall.manage);
    assert_eq!(config.firewall.check_interval, Duration::from_secs(10));
    assert_eq!(
        (config.firewall.relay.v4, config.firewall.relay.port),
        (None, 4786)
    );
    let text = format!(
        "{head}[smart_install_relay]\nlisten = [\"10.0.0.1:14786\", \"[2001:db8::1]:14786\"]\n\
         [firewall]\nmanage = true\ncheck_interval = \"2s\"\n"
    );
    let fw = gateway(&text, dir.path()).unwrap().firewall;
    assert!(fw.manage);
    assert_eq!(fw.check_interval, Duration::from_secs(2));
    assert_eq!(fw.relay.port, 14_786);
    assert_eq!(fw.relay.v4, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(fw.relay.v6, Some("2001:db8::1".parse().unwrap()));
}

#[test]
fn firewall_relay_address_names_the_target_of_an_unspecified_listener() {
    let dir = dir_with_policy(POLICY);
    let head = "[gateway]\npolicy = \"policies/p.toml\"\n[smart_install_relay]\n\
                listen = [\"0.0.0.0:14786\"]\n";
    let text = format!("{head}[firewall]\nmanage = true\nrelay_address = [\"10.0.0.1\"]\n");
    let fw = gateway(&text, dir.path()).unwrap().firewall;
    assert_eq!(fw.relay.v4, Some("10.0.0.1".parse().unwrap()));
    // Without it a managed firewall could not steer: an error on `manage`.
    let e = gateway(&format!("{head}[firewall]\nmanage = true\n"), dir.path())
        .unwrap_err()
        .0;
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].key, "firewall.manage");
    assert!(
        e[0].to_string().contains("firewall.relay_address"),
        "{}",
        e[0]
    );
    // Unmanaged, the plan simply steers nothing.
    assert_eq!(gateway(head, dir.path()).unwrap().firewall.relay.v4, None);
}

#[test]
fn firewall_rejects_targets_it_cannot_steer_to() {
    let dir = dir_with_policy(POLICY);
    let head = "[gateway]\npolicy = \"policies/p.toml\"\n";
    let loopback = format!(
        "{head}[smart_install_relay]\nlisten = [\"127.0.0.1:14786\"]\n[firewall]\nmanage = true\n"
    );
    let e = gateway(&loopback, dir.path()).unwrap_err().0;
    assert_eq!(e[0].key, "firewall.manage");
    assert!(e[0].to_string().contains("loopback"), "{}", e[0]);
    let ports = format!(
        "{head}[smart_install_relay]\nlisten = [\"10.0.0.1:14786\", \"10.0.0.2:4786\"]\n\
         [firewall]\nmanage = true\n"
    );
    let e = gateway(&ports, dir.path()).unwrap_err().0;
    assert!(e[0].to_string().contains("several"), "{}", e[0]);
    let twice = format!(
        "{head}[smart_install_relay]\nlisten = [\"0.0.0.0:14786\"]\n[firewall]\n\
         relay_address = [\"10.0.0.1\", \"10.0.0.2\", \"0.0.0.0\"]\n"
    );
    let e = gateway(&twice, dir.path()).unwrap_err().0;
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["firewall.relay_address", "firewall.relay_address"]);
    let no_relay = format!("{head}[firewall]\nrelay_address = [\"10.0.0.1\"]\n");
    let e = gateway(&no_relay, dir.path()).unwrap_err().0;
    assert!(e[0].to_string().contains("listen is empty"), "{}", e[0]);
}

#[test]
fn the_director_cannot_run_with_a_proxy_policy() {
    let dir = dir_with_policy(
        "name = \"p\"\n[smart_install]\nrole = \"proxy\"\n[smart_install.proxy]\n\
         address = \"10.1.1.1\"\nusername = \"u\"\npassword = \"p\"\n",
    );
    let base = "[gateway]\npolicy = \"policies/p.toml\"\n";
    assert!(
        gateway(base, dir.path())
            .unwrap()
            .policy
            .smi_proxy
            .is_some()
    );
    let text = format!("{base}[smart_install_director]\nenable = true\n");
    let errors = gateway(&text, dir.path()).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].key, "smart_install_director.enable");
    let message = errors[0].to_string();
    assert!(
        message.contains("smart_install.role = \"proxy\""),
        "{message}"
    );
    assert!(message.contains("mutually exclusive"), "{message}");
}

#[test]
fn inspect_uses_the_embedded_rules_in_the_relay_and_watches_nothing_by_default() {
    let dir = dir_with_policy(POLICY);
    let head = "[gateway]\npolicy = \"policies/p.toml\"\n";
    let inspect = gateway(head, dir.path()).unwrap().inspect;
    assert!(inspect.relay && inspect.interfaces.is_empty() && inspect.promiscuous);
    assert_eq!(inspect.rules_dir, None);
    assert!(inspect.rule_set().unwrap().get("si-get-config").is_some());
    assert_eq!(inspect.filter, crate::config::inspect::DEFAULT_FILTER);
    assert_eq!(
        (
            inspect.snaplen,
            inspect.record_burst,
            inspect.records_per_second
        ),
        (65_535, 20, 1)
    );
    assert_eq!(inspect.record_min_severity, crate::rules::Severity::Low);

    fs::create_dir(dir.path().join("rules")).unwrap();
    fs::write(
        dir.path().join("rules/one.toml"),
        "[[rule]]\nid = \"only\"\ntitle = \"t\"\nseverity = \"high\"\nevent = \"tftp.request\"\n\
         references = [\"r\"]\ndescription = \"d\"\n[rule.match]\nopcode = \"wrq\"\n",
    )
    .unwrap();
    let text = format!(
        "{head}[inspect]\nrules = \"rules\"\ninterfaces = [\"eth0\", \"br-clients.20\"]\n\
         filter = \"udp port 69\"\nrecord_min_severity = \"medium\"\nrelay = false\n"
    );
    let inspect = gateway(&text, dir.path()).unwrap().inspect;
    assert_eq!(
        inspect.rules_dir.as_deref(),
        Some(dir.path().join("rules").as_path())
    );
    let ids: Vec<String> = inspect
        .rule_set()
        .unwrap()
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids, ["only"]);
    assert_eq!(inspect.interfaces, ["eth0", "br-clients.20"]);
    assert!(!inspect.relay);
}

#[test]
fn inspect_reports_bad_values_and_rule_file_errors_under_their_files() {
    let dir = dir_with_policy(POLICY);
    fs::create_dir(dir.path().join("rules")).unwrap();
    fs::write(dir.path().join("rules/bad.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    let text = "[gateway]\npolicy = \"policies/p.toml\"\n[inspect]\nrules = \"rules\"\n\
                interfaces = [\"eth0/1\", \"\"]\nfilter = \" \"\nsnaplen = 10\n\
                record_min_severity = \"loud\"\n";
    let e = gateway(text, dir.path()).unwrap_err().0;
    let gw: Vec<&str> = e
        .iter()
        .filter(|e| e.file == "gw.toml")
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(
        gw,
        [
            "inspect.interfaces[0]",
            "inspect.interfaces[1]",
            "inspect.filter",
            "inspect.snaplen",
            "inspect.record_min_severity"
        ]
    );
    let rule_file = dir.path().join("rules/bad.toml").display().to_string();
    assert!(e.iter().any(|e| e.file == rule_file), "{e:#?}");
}
