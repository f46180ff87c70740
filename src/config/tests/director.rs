//! Tests of the `[director]` schema.

use super::*;

use crate::policy::director::{ClientFacts, GroupMatch, Hardening};
use crate::policy::join::Mac;

#[test]
fn parses_defaults_groups_builtins_and_hardening() {
    let p = valid(
        r#"name = "x"
[director]
default_image = "c2960x-universalk9-tar.152-7.E3.tar"
default_config = "seed/default.cfg"
harden_after_zero_touch = ["acl", "no-vstack"]

[[director.groups]]
name = "pharmacy"
macs = ["001d.71ba.f780"]
config = "pharmacy.cfg"

[[director.groups]]
name = "closet-a"
upstream = "00:23:5e:32:37:80"
image = "a.tar"

[[director.groups]]
name = "stack-1"
stack = [{ number = 1, pid = "WS-C3750E-24TD", image = "3750e.tar" }, { number = 2, pid = "WS-C3750G-24TS" }]
image = "3750g.tar"

[[director.groups]]
name = "old-2960"
pids = ["WS-C2960-48TC-S"]

[[director.builtin]]
family = "WS-C3850-24T"
config = "3850.cfg"
"#,
    );
    let d = &p.director;
    assert_eq!(d.default.config.as_deref(), Some("seed/default.cfg"));
    assert_eq!(
        d.harden,
        Hardening {
            acl: true,
            no_vstack: true
        }
    );
    assert_eq!(d.groups.len(), 4);
    assert!(matches!(&d.groups[2].matcher, GroupMatch::Stack(s) if s.len() == 2));
    assert_eq!(d.builtin[0].family, "3850");
    let mac = Mac::parse("001d.71ba.f780").unwrap();
    let a = d
        .assign(&ClientFacts {
            mac: Some(mac),
            ..ClientFacts::default()
        })
        .unwrap();
    assert_eq!(a.group.as_deref(), Some("pharmacy"));
}

#[test]
fn rejects_groups_without_exactly_one_matcher_and_bad_names() {
    let e = errors(
        r#"name = "x"
[director]
default_image = "../etc/passwd"
harden_after_zero_touch = ["firewall"]

[[director.groups]]
name = "none"
image = "a.tar"

[[director.groups]]
name = "two"
macs = ["001d.71ba.f780"]
pids = ["WS-C2960-48TC-S"]

[[director.groups]]
name = "badstack"
stack = [{ number = 0, pid = "X" }, { number = 3, pid = "" }]

[[director.groups]]
name = "two"
upstream = "not-a-mac"

[[director.builtin]]
family = "router"
"#,
    );
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "director.default_image",
            "director.harden_after_zero_touch[0]",
            "director.groups[0]",
            "director.groups[1]",
            "director.groups[2].stack[0].number",
            "director.groups[2].stack[1].pid",
            "director.groups[3].name",
            "director.groups[3].upstream",
            "director.builtin[0].family",
        ],
        "{e:#?}"
    );
    assert!(e[2].to_string().contains("exactly one of"), "{}", e[2]);
}
