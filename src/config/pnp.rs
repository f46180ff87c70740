//! The `[pnp]` section of a policy file: device profiles and their ordered plans
//! (`crate::policy::provision`). Every image or file URL a plan names must pass the policy's
//! `[image_delivery]` rules at load time, so a plan can never send an `http://`, `tftp://` or
//! `ftp://` URL to a device.
//!
//! Operator input, trusted but validated.

use std::time::Duration;

use crate::config::doc::{Ctx, Node, Table, UniqueNames, one_of};
use crate::config::gateway::positive_duration;
use crate::config::policy_file::{non_empty, required_list, unique_name};
use crate::policy::auth::IdPattern;
use crate::policy::delivery::{DeliveryEvent, DeliveryVerdict, ImageDeliveryPolicy};
use crate::policy::provision::{
    Finish, InfoKind, PnpPolicy, Profile, ProfileMatch, Source, Step, is_safe_relative_path,
};

/// Parses the section (already taken from the document; the caller finishes it).
pub(super) fn parse(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    delivery: &ImageDeliveryPolicy,
) -> PnpPolicy {
    let mut policy = PnpPolicy::default();
    if let Some(m) = t.parse(cx, "unclaimed_backoff", backoff_minutes) {
        policy.unclaimed_backoff_minutes = m;
    }
    if let Some(m) = t.parse(cx, "refused_backoff", backoff_minutes) {
        policy.refused_backoff_minutes = m;
    }
    let mut names = UniqueNames::default();
    for mut entry in t.tables(cx, "profiles") {
        policy
            .profiles
            .extend(profile(cx, &mut entry, &mut names, delivery));
        entry.finish(cx);
    }
    policy
}

/// One `[[pnp.profiles]]` entry.
fn profile(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    names: &mut UniqueNames,
    delivery: &ImageDeliveryPolicy,
) -> Option<Profile> {
    let name = unique_name(cx, t, names);
    let matcher = matcher(cx, t);
    let mut steps = Vec::new();
    let mut finish_seen = false;
    for mut entry in t.tables(cx, "steps") {
        if let Some((node, step)) = step(cx, &mut entry, delivery) {
            if finish_seen {
                node.invalid(cx, "no step may follow the finish step");
            }
            finish_seen |= matches!(step, Step::Finish(_));
            steps.push(step);
        }
        entry.finish(cx);
    }
    if !finish_seen {
        // A plan without an explicit end stops the agent once it is done.
        steps.push(Step::Finish(Finish::Terminate));
    }
    Some(Profile {
        name: name?,
        matcher: matcher?,
        steps,
    })
}

/// Exactly one of `serials`, `pids` or `unknown = true`.
fn matcher(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Option<ProfileMatch> {
    let serials = t.take("serials");
    let pids = t.take("pids");
    let unknown = t.take("unknown");
    let given = [&serials, &pids, &unknown]
        .iter()
        .filter(|n| n.is_some())
        .count();
    if given != 1 {
        let at = serials.as_ref().or(pids.as_ref()).or(unknown.as_ref());
        match at {
            Some(node) => node.invalid(cx, "give exactly one of serials, pids or unknown"),
            None => t.missing(cx, "serials"),
        }
        return None;
    }
    if let Some(n) = serials {
        return required_list(cx, &n, id_pattern).map(ProfileMatch::Serials);
    }
    if let Some(n) = pids {
        return required_list(cx, &n, id_pattern).map(ProfileMatch::Pids);
    }
    let node = unknown?;
    match node.bool(cx)? {
        true => Some(ProfileMatch::Unknown),
        false => {
            node.invalid(cx, "must be true (leave it out otherwise)");
            None
        }
    }
}

/// One `[[pnp.profiles.steps]]` entry, with the node of its `type` for later complaints.
fn step<'a, 'i>(
    cx: &mut Ctx<'_>,
    t: &mut Table<'a, 'i>,
    delivery: &ImageDeliveryPolicy,
) -> Option<(Node<'a, 'i>, Step)> {
    let node = t.require(cx, "type")?;
    let kind = node.str(cx)?;
    let step = match kind {
        "device-info" => Step::DeviceInfo(t.parse(cx, "info", info_kind).unwrap_or(InfoKind::All)),
        "sudi-attest" => Step::SudiAttest,
        "device-auth" => Step::DeviceAuth,
        "cli" => Step::Cli(
            t.require(cx, "commands")
                .and_then(|n| required_list(cx, &n, non_empty))?,
        ),
        "free-space" => Step::CheckFreeSpace {
            filesystem: t
                .parse(cx, "filesystem", filesystem)
                .unwrap_or_else(|| "bootflash:".into()),
            min_bytes: t.require(cx, "min").and_then(|n| size(cx, &n))?,
        },
        "image" => {
            let source = source(cx, t, delivery);
            Step::Image {
                version: t.parse(cx, "version", non_empty),
                destination: t
                    .parse(cx, "destination", filesystem)
                    .unwrap_or_else(|| "bootflash:".into()),
                reload_delay_seconds: t
                    .parse(cx, "reload_delay", reload_delay)
                    .unwrap_or_default(),
                source: source?,
            }
        }
        "file" => {
            let source = source(cx, t, delivery);
            Step::File {
                destination: t
                    .require(cx, "destination")
                    .and_then(|n| n.parse(cx, non_empty))?,
                source: source?,
            }
        }
        "config" => Step::Config {
            template_dir: t
                .require(cx, "template_dir")
                .and_then(|n| n.parse(cx, relative_path))?,
            persist: t.bool(cx, "persist").unwrap_or(true),
        },
        "finish" => Step::Finish(finish(cx, t)?),
        _ => {
            node.invalid(
                cx,
                format!(
                    "unknown step type `{kind}` (expected device-info, sudi-attest, device-auth, \
                     cli, free-space, image, file, config or finish)"
                ),
            );
            return None;
        }
    };
    Some((node, step))
}

/// `file = "path under the file root"`, or `url = "https://…"` with `sha256`.
fn source(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    delivery: &ImageDeliveryPolicy,
) -> Option<Source> {
    let file = t.take("file");
    let url = t.take("url");
    let sha256 = t.take("sha256");
    match (file, url) {
        (Some(f), None) => {
            if let Some(n) = sha256 {
                n.invalid(
                    cx,
                    "a local file's checksum is computed by the gateway: remove sha256",
                );
            }
            f.parse(cx, relative_path).map(Source::Local)
        }
        (None, Some(u)) => {
            let Some(sum) = sha256 else {
                t.missing(cx, "sha256");
                return None;
            };
            let sha256 = sum.parse(cx, sha256_hex)?;
            let url = u.str(cx)?.to_owned();
            let checksum = format!("sha256:{sha256}");
            let verdict = delivery.decide(&DeliveryEvent {
                url: &url,
                checksum: Some(&checksum),
                device: None,
                legacy_smart_install: false,
            });
            if verdict.verdict != DeliveryVerdict::Allow {
                u.invalid(
                    cx,
                    format!(
                        "refused by the image delivery policy ({}): {}",
                        verdict.rule, verdict.reason
                    ),
                );
                return None;
            }
            Some(Source::Remote { url, sha256 })
        }
        (Some(f), Some(_)) => {
            f.invalid(cx, "give either file or url, not both");
            None
        }
        (None, None) => {
            t.missing(cx, "file");
            None
        }
    }
}

fn finish(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Option<Finish> {
    let action = t.require(cx, "action")?.parse(cx, |s| {
        one_of(s, &[("terminate", false), ("backoff", true)])
    })?;
    let backoff = t.take("backoff");
    match (action, backoff) {
        (false, None) => Some(Finish::Terminate),
        (false, Some(n)) => {
            n.invalid(cx, "only with action = \"backoff\"");
            None
        }
        (true, Some(n)) => n.parse(cx, backoff_minutes).map(Finish::Backoff),
        (true, None) => Some(Finish::Backoff(60)),
    }
}

fn info_kind(s: &str) -> Result<InfoKind, String> {
    one_of(
        s,
        &[
            ("all", InfoKind::All),
            ("image", InfoKind::Image),
            ("hardware", InfoKind::Hardware),
            ("filesystem", InfoKind::Filesystem),
            ("udi", InfoKind::Udi),
        ],
    )
}

fn id_pattern(s: &str) -> Result<IdPattern, &'static str> {
    let body = s.strip_suffix('*').unwrap_or(s);
    if s.is_empty()
        || s.len() > 64
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'))
    {
        return Err(
            "must be a serial number or PID (letters, digits, / . _ -), optionally ending in *",
        );
    }
    Ok(IdPattern {
        source: s.to_ascii_uppercase(),
    })
}

fn relative_path(s: &str) -> Result<String, &'static str> {
    if is_safe_relative_path(s) {
        Ok(s.to_owned())
    } else {
        Err(
            "must be a relative path under the file root (no empty, `.` or `..` components; letters, digits and . - _ + only)",
        )
    }
}

fn filesystem(s: &str) -> Result<String, &'static str> {
    let ok = s.ends_with(':')
        && s.len() > 1
        && s.len() <= 32
        && s[..s.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be a device file system such as `bootflash:`")
    }
}

fn sha256_hex(s: &str) -> Result<String, &'static str> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err("must be 64 hexadecimal digits")
    }
}

fn backoff_minutes(s: &str) -> Result<u32, String> {
    let d = positive_duration(s)?;
    minutes(d)
        .filter(|m| *m >= 1)
        .ok_or_else(|| "must be at least 1m and at most 366 days".into())
}

fn reload_delay(s: &str) -> Result<u32, String> {
    let d = crate::config::duration::parse_duration(s).map_err(|e| e.to_string())?;
    u32::try_from(d.as_secs())
        .ok()
        .filter(|s| *s <= 86_400)
        .ok_or_else(|| "must be at most 24h".into())
}

fn minutes(d: Duration) -> Option<u32> {
    u32::try_from(d.as_secs() / 60)
        .ok()
        .filter(|m| *m <= 366 * 24 * 60)
}

/// A size: an integer number of bytes, or a string with a unit (`KB`, `MB`, `GB` decimal;
/// `KiB`, `MiB`, `GiB` binary).
fn size(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<u64> {
    if node.value().as_integer().is_some() {
        let bytes = u64::try_from(node.integer(cx)?).ok();
        if bytes.is_none() {
            node.invalid(cx, "must not be negative");
        }
        return bytes;
    }
    node.parse(cx, parse_size)
}

fn parse_size(s: &str) -> Result<u64, &'static str> {
    const UNITS: [(&str, u64); 7] = [
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("GiB", 1 << 30),
        ("KB", 1_000),
        ("MB", 1_000_000),
        ("GB", 1_000_000_000),
        ("B", 1),
    ];
    let err = "must be bytes, or a number with KB, MB, GB, KiB, MiB or GiB";
    let (number, scale) = UNITS
        .iter()
        .find_map(|(unit, scale)| s.strip_suffix(unit).map(|n| (n.trim(), *scale)))
        .ok_or(err)?;
    let n: u64 = number.parse().map_err(|_| err)?;
    n.checked_mul(scale).ok_or("too large")
}
