//! The shipped rule files, embedded in the binary so that `ztpgate pcap audit` and `ztpgate
//! serve` have their rules without a `rules/` directory next to them. `--rules DIR` replaces
//! them. Parsed by `crate::config::rules::builtin`; `tests` there prove they load.
//!
//! Inputs: the repository's own files.

/// (file name, text) of every shipped rule file, in name order (as `--rules rules/` loads them).
pub const FILES: &[(&str, &str)] = &[
    (
        "rules/provisioning.toml",
        include_str!("../../rules/provisioning.toml"),
    ),
    (
        "rules/smart-install.toml",
        include_str!("../../rules/smart-install.toml"),
    ),
];
