//! Tests of the `[pnp]` schema: profiles, matchers, plan steps, and the image-delivery check of
//! every URL a plan names.

use super::*;

use crate::policy::provision::{Finish, InfoKind, ProfileMatch, Source, Step};

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn pnp(body: &str) -> String {
    format!(
        "name = \"x\"\n[image_delivery]\nallowed_hosts = [\"images.example.net\"]\n\
         [pnp]\n{body}"
    )
}

fn profile(steps: &str) -> String {
    pnp(&format!(
        "[[pnp.profiles]]\nname = \"p\"\npids = [\"C9300-*\"]\n{steps}"
    ))
}

#[test]
fn parses_a_complete_plan() {
    let p = valid(&pnp(&format!(
        r#"unclaimed_backoff = "10m"
refused_backoff = "2h"
[[pnp.profiles]]
name = "c9300"
pids = ["C9300-*", "c9200-24t"]
[[pnp.profiles.steps]]
type = "device-info"
info = "filesystem"
[[pnp.profiles.steps]]
type = "sudi-attest"
[[pnp.profiles.steps]]
type = "free-space"
min = "1200MB"
[[pnp.profiles.steps]]
type = "image"
file = "images/cat9k_iosxe.17.09.04a.SPA.bin"
version = "17.9.4a"
reload_delay = "30s"
[[pnp.profiles.steps]]
type = "file"
url = "https://images.example.net/guestshell.tar"
sha256 = "{SHA}"
destination = "flash:guestshell.tar"
[[pnp.profiles.steps]]
type = "config"
template_dir = "configs/c9300"
[[pnp.profiles.steps]]
type = "cli"
commands = ["config-register 0x2102", "write memory"]
[[pnp.profiles.steps]]
type = "finish"
action = "backoff"
backoff = "1h"
[[pnp.profiles]]
name = "claimed"
serials = ["FOC1234X0AB"]
[[pnp.profiles]]
name = "unknown"
unknown = true
"#
    )));
    let pnp = &p.pnp;
    assert_eq!(
        (pnp.unclaimed_backoff_minutes, pnp.refused_backoff_minutes),
        (10, 120)
    );
    let c9300 = &pnp.profiles[0];
    assert!(matches!(&c9300.matcher, ProfileMatch::Pids(p) if p[1].source == "C9200-24T"));
    assert_eq!(
        c9300.steps,
        vec![
            Step::DeviceInfo(InfoKind::Filesystem),
            Step::SudiAttest,
            Step::CheckFreeSpace {
                filesystem: "bootflash:".into(),
                min_bytes: 1_200_000_000,
            },
            Step::Image {
                source: Source::Local("images/cat9k_iosxe.17.09.04a.SPA.bin".into()),
                version: Some("17.9.4a".into()),
                destination: "bootflash:".into(),
                reload_delay_seconds: 30,
            },
            Step::File {
                source: Source::Remote {
                    url: "https://images.example.net/guestshell.tar".into(),
                    sha256: SHA.into(),
                },
                destination: "flash:guestshell.tar".into(),
            },
            Step::Config {
                template_dir: "configs/c9300".into(),
                persist: true,
            },
            Step::Cli(vec!["config-register 0x2102".into(), "write memory".into()]),
            Step::Finish(Finish::Backoff(60)),
        ]
    );
    // A plan without an explicit finish terminates.
    assert_eq!(pnp.profiles[1].steps, vec![Step::Finish(Finish::Terminate)]);
    assert_eq!(pnp.profiles[2].matcher, ProfileMatch::Unknown);
}

#[test]
fn refuses_clear_text_and_unlisted_image_urls() {
    for (url, rule) in [
        ("http://images.example.net/i.bin", "https-only"),
        ("tftp://images.example.net/i.bin", "https-only"),
        ("ftp://images.example.net/i.bin", "https-only"),
        ("https://evil.example.org/i.bin", "host-allowlist"),
    ] {
        assert_invalid(
            &profile(&format!(
                "[[pnp.profiles.steps]]\ntype = \"image\"\nurl = \"{url}\"\nsha256 = \"{SHA}\"\n"
            )),
            "pnp.profiles[0].steps[0].url",
            rule,
        );
    }
}

#[test]
fn validates_matchers_steps_and_paths() {
    assert_invalid(
        &pnp("[[pnp.profiles]]\nname = \"p\"\npids = [\"A\"]\nserials = [\"B\"]\n"),
        "pnp.profiles[0].serials",
        "exactly one of serials, pids or unknown",
    );
    assert_invalid(
        &pnp("[[pnp.profiles]]\nname = \"p\"\nunknown = false\n"),
        "pnp.profiles[0].unknown",
        "must be true",
    );
    assert_invalid(
        &profile("[[pnp.profiles.steps]]\ntype = \"reboot\"\n"),
        "pnp.profiles[0].steps[0].type",
        "unknown step type `reboot`",
    );
    assert_invalid(
        &profile("[[pnp.profiles.steps]]\ntype = \"image\"\nfile = \"../etc/shadow\"\n"),
        "pnp.profiles[0].steps[0].file",
        "relative path under the file root",
    );
    assert_invalid(
        &profile(&format!(
            "[[pnp.profiles.steps]]\ntype = \"image\"\nfile = \"i.bin\"\nsha256 = \"{SHA}\"\n"
        )),
        "pnp.profiles[0].steps[0].sha256",
        "computed by the gateway",
    );
    assert_invalid(
        &profile("[[pnp.profiles.steps]]\ntype = \"free-space\"\nmin = \"12 parsecs\"\n"),
        "pnp.profiles[0].steps[0].min",
        "must be bytes",
    );
    assert_invalid(
        &profile(
            "[[pnp.profiles.steps]]\ntype = \"finish\"\naction = \"terminate\"\n\
             [[pnp.profiles.steps]]\ntype = \"sudi-attest\"\n",
        ),
        "pnp.profiles[0].steps[1].type",
        "no step may follow the finish step",
    );
    assert_invalid(
        &profile("[[pnp.profiles.steps]]\ntype = \"cli\"\ncommands = []\n"),
        "pnp.profiles[0].steps[0].commands",
        "must not be empty",
    );
}

#[test]
fn reports_unknown_step_keys() {
    let e = errors(&profile(
        "[[pnp.profiles.steps]]\ntype = \"sudi-attest\"\nnonce = 5\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].key, "pnp.profiles[0].steps[0].nonce");
    assert_eq!(e[0].kind, ConfigErrorKind::UnknownKey);
}
