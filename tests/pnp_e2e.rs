//! PnP onboarding end to end over real TLS: the gateway (`ztpgate serve`) and emulated devices
//! (`ztpgate sim pnp-agent`, each with its own lab SUDI) run as separate processes on loopback.
//! Devices with a trusted certificate go all the way to FINISHED — SUDI attested, image installed
//! from the HTTPS file server with its checksum checked, reload, day-0 configuration applied;
//! a device lying about its UDI is rejected and audited; a held device finishes after an operator
//! approves it; a gateway restart in the middle of a plan resumes where it was.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use common::{BIN, Gateway, have_curl, succeeded};

const E2E_PROFILE: &str = r#"
[[pnp.profiles]]
name = "e2e-c9300"
pids = ["C9300-*"]

[[pnp.profiles.steps]]
type = "device-info"

[[pnp.profiles.steps]]
type = "sudi-attest"

[[pnp.profiles.steps]]
type = "free-space"
min = "100MB"

[[pnp.profiles.steps]]
type = "image"
file = "images/cat9k_iosxe.17.09.04a.SPA.bin"
version = "17.09.04a"
reload_delay = "1s"

[[pnp.profiles.steps]]
type = "config"
template_dir = "configs"

[[pnp.profiles.steps]]
type = "cli"
commands = ["config-register 0x2102"]

[[pnp.profiles.steps]]
type = "finish"
action = "terminate"
"#;

fn start(manual: bool) -> Gateway {
    start_with(manual, |lab| lab)
}

fn start_with(manual: bool, edit: impl FnOnce(String) -> String) -> Gateway {
    let gw = Gateway::start_with(
        |lab| {
            let lab = if manual {
                lab.replace("mode = \"auto\"", "mode = \"manual\"")
            } else {
                lab
            };
            edit(lab) + E2E_PROFILE
        },
        "",
    );
    let files = gw.state().join("files");
    std::fs::create_dir_all(files.join("images")).unwrap();
    std::fs::create_dir_all(files.join("configs")).unwrap();
    let image: Vec<u8> = (0..256_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(files.join("images/cat9k_iosxe.17.09.04a.SPA.bin"), image).unwrap();
    std::fs::write(
        files.join("configs/default.cfg"),
        "hostname sw-{{serial}}\n! {{pid}}\n",
    )
    .unwrap();
    gw
}

fn agents(gw: &mut Gateway, extra: &[&str]) -> Output {
    let port = gw.port("PnP server");
    let pki = gw.state().join("pki");
    Command::new(BIN)
        .args(["sim", "pnp-agent", "--server"])
        .arg(format!("https://127.0.0.1:{port}"))
        .arg("--pki")
        .arg(&pki)
        .args(["--time-scale", "0.001", "--reload-secs", "1"])
        .args(extra)
        .output()
        .unwrap()
}

fn devices(gw: &mut Gateway) -> Vec<serde_json::Value> {
    let (code, list) = gw.admin("GET", "/pnp/devices");
    assert_eq!(code, 200, "{list}");
    list["devices"].as_array().unwrap().clone()
}

#[test]
fn devices_with_trusted_sudis_are_onboarded_to_finished() {
    if !have_curl() {
        return;
    }
    let mut gw = start(false);
    let out = agents(
        &mut gw,
        &["--count", "3", "--pid", "C9300-24P", "--max-rounds", "40"],
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let devices = devices(&mut gw);
    assert_eq!(devices.len(), 3, "{devices:?}");
    for d in &devices {
        let serial = d["serial"].as_str().unwrap().to_owned();
        assert_eq!(d["state"], "FINISHED", "{d}");
        assert_eq!(d["profile"], "e2e-c9300");
        let notes = gw.pnp_history(&serial).join("\n");
        for needle in [
            "SUDI attested for PID:C9300-24P SN:",
            "image installed; device reloading",
            "device back after reload, running 17.09.04a",
            "day-0 configuration in place",
            "plan complete",
        ] {
            assert!(
                notes.contains(needle),
                "{serial}: {needle} missing from\n{notes}"
            );
        }
        let rendered =
            std::fs::read_to_string(gw.state().join(format!("files/rendered/{serial}.cfg")))
                .unwrap();
        assert_eq!(rendered, format!("hostname sw-{serial}\n! C9300-24P\n"));
    }
    // The operator's view: `ztpgate show pnp devices [detail]` through the admin API.
    let admin_port = gw.port("admin API");
    let show = |extra: &[&str]| {
        let out = Command::new(BIN)
            .args(["show", "pnp", "devices"])
            .args(extra)
            .arg("--config")
            .arg(&gw.config)
            .arg("--server")
            .arg(format!("https://localhost:{admin_port}"))
            .output()
            .unwrap();
        succeeded(&out)
    };
    let table = show(&[]);
    assert_eq!(table.matches("FINISHED").count(), 3, "{table}");
    assert!(
        table.contains("e2e-c9300") && table.ends_with("3 device(s)\n"),
        "{table}"
    );
    let detail = show(&["detail"]);
    assert_eq!(detail.matches("plan complete").count(), 3, "{detail}");

    // The emulated devices report the new version after their reload.
    assert_eq!(report.matches("17.09.04a").count(), 3, "{report}");
    let audit = gw.audit();
    assert!(
        audit
            .iter()
            .filter(|(v, r, _)| v == "allow" && r == "file-grant")
            .count()
            >= 6,
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|(v, r, _)| v == "FINISHED" && r == "pnp-workflow")
    );
    assert!(gw.stop().success());
}

#[test]
fn a_device_lying_about_its_udi_is_rejected_and_audited() {
    if !have_curl() {
        return;
    }
    let mut gw = start(false);
    let out = agents(
        &mut gw,
        &[
            "--misbehave",
            "wrong-udi",
            "--max-rounds",
            "3",
            "--serial-prefix",
            "LIAR",
        ],
    );
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        devices(&mut gw).is_empty(),
        "a rejected device never reaches the workflow"
    );
    let audit = gw.audit();
    assert!(
        audit
            .iter()
            .any(|(v, r, _)| v == "deny" && r == "udi-mismatch"),
        "{audit:?}"
    );
    assert!(gw.stop().success());
}

#[test]
fn a_held_device_finishes_after_approval_and_a_restart_resumes_the_plan() {
    if !have_curl() {
        return;
    }
    let mut gw = start(true);
    // Manual join window: the device is parked as unclaimed and keeps backing off.
    let out = agents(&mut gw, &["--max-rounds", "2", "--serial-prefix", "HOLD"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("HOLD0001"));
    let list = devices(&mut gw);
    assert_eq!(list[0]["state"], "UNCLAIMED", "{list:?}");
    assert_eq!(gw.admin("POST", "/pnp/devices/HOLD0001/approve").0, 200);

    // Released: it gets its plan, but stops after two exchanges (mid-plan, before the image).
    agents(&mut gw, &["--max-rounds", "2", "--serial-prefix", "HOLD"]);
    let mid = devices(&mut gw)[0]["state"].as_str().unwrap().to_owned();
    assert!(
        !["UNCLAIMED", "FINISHED", "NEW"].contains(&mid.as_str()),
        "mid-plan: {mid}"
    );

    // The gateway restarts; the device comes back and finishes from where it was.
    let dir_config = gw.config.clone();
    let dir = std::mem::replace(&mut gw.dir, tempfile::tempdir().unwrap());
    assert!(gw.stop().success());
    let mut gw = Gateway::spawn(dir, dir_config);
    assert_eq!(
        devices(&mut gw)[0]["state"],
        mid.as_str(),
        "state survived the restart"
    );
    let out = agents(&mut gw, &["--max-rounds", "40", "--serial-prefix", "HOLD"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let d = &devices(&mut gw)[0];
    assert_eq!(d["state"], "FINISHED", "{d}");
    let notes = gw.pnp_history("HOLD0001").join("\n");
    assert!(notes.contains("approved by an operator"), "{notes}");
    assert!(gw.stop().success());
}

#[test]
fn policy_can_demand_every_identity_proof_through_pnp_services() {
    if !have_curl() {
        return;
    }
    let mut gw = start_with(false, |lab| {
        let edited = lab.replace(
            "require_certificate = true",
            "require_certificate = false\nmethods = [\"device-auth\", \"sudi-cli\"]\n\
             methods_required = \"all\"",
        );
        assert_ne!(edited, lab);
        edited
    });
    let out = agents(&mut gw, &["--max-rounds", "40", "--serial-prefix", "PROOF"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(devices(&mut gw)[0]["state"], "FINISHED");
    let notes = gw.pnp_history("PROOF0001").join("\n");
    let auth = notes
        .find("device-auth verified for PID:C9300-24P SN:PROOF0001")
        .unwrap();
    let sudi = notes.find("SUDI attested").unwrap();
    let image = notes.find("image installed").unwrap();
    assert!(
        auth < sudi && sudi < image,
        "proofs come before the plan:\n{notes}"
    );
    assert!(gw.stop().success());
}
