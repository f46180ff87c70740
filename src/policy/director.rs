//! The Smart Install director's group policy: which image(s), seed configuration and post-install
//! script each client gets, following "Smart Install Groups" of the Smart Install guide
//! (`../shared/reference/smart-install-overview.txt`).
//!
//! Pure. Inputs: the validated `[director]` policy section (operator input) and what the director
//! database knows about a client (PID, MAC, upstream neighbor, stack members), which clients
//! report and which is therefore untrusted: it only selects among operator-defined artifacts.
//!
//! # Priority ([`DirectorPolicy::assign`])
//! Custom groups beat built-in groups, which beat the default; among custom groups the guide's
//! order is stack > MAC address > connectivity > product ID. Within one kind the first group in
//! the file wins. Stack groups apply only to stacks, connectivity and PID groups only to
//! standalone switches (as documented). A client that matches nothing and has no default gets no
//! assignment, so no zero-touch update.
//!
//! # Hardening
//! `harden_after_zero_touch` asks for the seed configuration to close 4786 behind the client:
//! an access list permitting only the director (the guide's `SMI_HARDENING_LIST` pattern) and/or
//! `no vstack`. [`hardening_lines`] renders those lines for one client.

use std::fmt;
use std::net::IpAddr;

use crate::policy::join::Mac;

/// The `[director]` policy section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectorPolicy {
    /// What a client gets when no group matches (`vstack image` / `vstack config` / `vstack
    /// script`); `None` fields are not assigned.
    pub default: Artifacts,
    /// Custom groups, in file order.
    pub groups: Vec<Group>,
    /// Built-in groups by product family, in file order.
    pub builtin: Vec<BuiltIn>,
    /// Close Smart Install behind a client after its zero-touch update.
    pub harden: Hardening,
}

/// The files assigned to a client or a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Artifacts {
    /// Image (tar) file name, served over TFTP.
    pub image: Option<String>,
    /// Seed configuration file name.
    pub config: Option<String>,
    /// Post-install script file name.
    pub script: Option<String>,
}

impl Artifacts {
    /// Whether nothing is assigned.
    pub fn is_empty(&self) -> bool {
        self.image.is_none() && self.config.is_none() && self.script.is_none()
    }
}

/// A custom group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Unique name.
    pub name: String,
    /// Which clients belong to it.
    pub matcher: GroupMatch,
    /// What they get. For a stack group, `image` is the fallback for members without their own.
    pub artifacts: Artifacts,
}

/// How a custom group selects its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupMatch {
    /// Stacks whose members, by stack number, have these PIDs (each member may name its image).
    Stack(Vec<StackSlot>),
    /// Clients with one of these MAC addresses.
    Mac(Vec<Mac>),
    /// Standalone clients whose upstream neighbor is this MAC address.
    Connectivity(Mac),
    /// Standalone clients with one of these PIDs (compared case-insensitively).
    Pid(Vec<String>),
}

/// One member of a stack group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackSlot {
    /// Stack member number (1-9).
    pub number: u8,
    /// Its PID.
    pub pid: String,
    /// Its image, if not the group's.
    pub image: Option<String>,
}

/// A built-in group: every standalone client of one product family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltIn {
    /// Product family as [`product_family`] derives it, e.g. `2960x`, `3750e`, `3850`.
    pub family: String,
    /// What its clients get.
    pub artifacts: Artifacts,
}

/// `harden_after_zero_touch`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Hardening {
    /// Add an access list that lets only the director reach TCP 4786.
    pub acl: bool,
    /// Add `no vstack`.
    pub no_vstack: bool,
}

/// What the director knows about a client, as far as group matching needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientFacts<'a> {
    /// Base MAC address.
    pub mac: Option<Mac>,
    /// PID (of the stack master for a stack).
    pub pid: Option<&'a str>,
    /// Upstream neighbor's MAC.
    pub upstream: Option<Mac>,
    /// Stack members as (number, PID); empty or one entry: a standalone switch.
    pub stack: &'a [(u8, String)],
}

impl ClientFacts<'_> {
    fn is_stack(&self) -> bool {
        self.stack.len() > 1
    }
}

/// Which rule gave a client its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignedBy {
    /// A stack group.
    Stack,
    /// A MAC-address group.
    Mac,
    /// A connectivity group.
    Connectivity,
    /// A PID group.
    Pid,
    /// A built-in (product family) group.
    BuiltIn,
    /// The default image and configuration.
    Default,
    /// A zero-touch replacement: the replaced client's image and last backup.
    Replacement,
}

impl AssignedBy {
    /// Lower-case name for views and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stack => "stack",
            Self::Mac => "mac",
            Self::Connectivity => "connectivity",
            Self::Pid => "pid",
            Self::BuiltIn => "built-in",
            Self::Default => "default",
            Self::Replacement => "replacement",
        }
    }
}

impl fmt::Display for AssignedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client's assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The deciding rule kind.
    pub by: AssignedBy,
    /// The group's name (`None` for the default).
    pub group: Option<String>,
    /// Images in image-list order: one for a standalone switch, one per member for a stack.
    pub images: Vec<String>,
    /// Seed configuration.
    pub config: Option<String>,
    /// Post-install script.
    pub script: Option<String>,
}

impl Assignment {
    /// The image list file's content: one image name per line.
    pub fn image_list(&self) -> String {
        let mut text = String::new();
        for image in &self.images {
            text.push_str(image);
            text.push('\n');
        }
        text
    }
}

impl DirectorPolicy {
    /// The files `client` gets, by the documented priority; `None` when nothing applies.
    pub fn assign(&self, client: &ClientFacts<'_>) -> Option<Assignment> {
        let by_kind = [
            AssignedBy::Stack,
            AssignedBy::Mac,
            AssignedBy::Connectivity,
            AssignedBy::Pid,
        ];
        for kind in by_kind {
            if let Some(a) = self.groups.iter().find_map(|g| g.assign(kind, client)) {
                return Some(a);
            }
        }
        if !client.is_stack()
            && let Some(family) = client.pid.and_then(product_family)
            && let Some(b) = self.builtin.iter().find(|b| b.family == family)
        {
            return Some(standalone(
                AssignedBy::BuiltIn,
                Some(&b.family),
                &b.artifacts,
            ));
        }
        if self.default.is_empty() {
            return None;
        }
        Some(self.default_assignment(client))
    }

    /// The default, with one image per stack member for a stack.
    fn default_assignment(&self, client: &ClientFacts<'_>) -> Assignment {
        let mut a = standalone(AssignedBy::Default, None, &self.default);
        if client.is_stack()
            && let Some(image) = &self.default.image
        {
            a.images = vec![image.clone(); client.stack.len()];
        }
        a
    }
}

impl Group {
    fn assign(&self, kind: AssignedBy, client: &ClientFacts<'_>) -> Option<Assignment> {
        match (&self.matcher, kind) {
            (GroupMatch::Stack(slots), AssignedBy::Stack) if client.is_stack() => {
                self.assign_stack(slots, client)
            }
            (GroupMatch::Mac(macs), AssignedBy::Mac) => client
                .mac
                .filter(|m| macs.contains(m))
                .map(|_| self.standalone_or_stack(kind, client)),
            (GroupMatch::Connectivity(up), AssignedBy::Connectivity) => (!client.is_stack()
                && client.upstream == Some(*up))
            .then(|| standalone(kind, Some(&self.name), &self.artifacts)),
            (GroupMatch::Pid(pids), AssignedBy::Pid) => (!client.is_stack()
                && client
                    .pid
                    .is_some_and(|p| pids.iter().any(|q| q.eq_ignore_ascii_case(p))))
            .then(|| standalone(kind, Some(&self.name), &self.artifacts)),
            _ => None,
        }
    }

    /// A stack matches when every slot's member is present with that PID; images follow the
    /// members in stack-number order.
    fn assign_stack(&self, slots: &[StackSlot], client: &ClientFacts<'_>) -> Option<Assignment> {
        let all_present = slots.iter().all(|slot| {
            client
                .stack
                .iter()
                .any(|(n, pid)| *n == slot.number && pid.eq_ignore_ascii_case(&slot.pid))
        });
        if !all_present || slots.len() != client.stack.len() {
            return None;
        }
        let mut members: Vec<&(u8, String)> = client.stack.iter().collect();
        members.sort_by_key(|(n, _)| *n);
        let images = members
            .iter()
            .map(|(n, _)| {
                let slot = slots.iter().find(|s| s.number == *n);
                slot.and_then(|s| s.image.clone())
                    .or_else(|| self.artifacts.image.clone())
            })
            .collect::<Option<Vec<String>>>()
            .unwrap_or_default();
        Some(Assignment {
            by: AssignedBy::Stack,
            group: Some(self.name.clone()),
            images,
            config: self.artifacts.config.clone(),
            script: self.artifacts.script.clone(),
        })
    }

    /// MAC groups may hold stacks too: then every member gets the group's image.
    fn standalone_or_stack(&self, kind: AssignedBy, client: &ClientFacts<'_>) -> Assignment {
        let mut a = standalone(kind, Some(&self.name), &self.artifacts);
        if client.is_stack()
            && let Some(image) = &self.artifacts.image
        {
            a.images = vec![image.clone(); client.stack.len()];
        }
        a
    }
}

fn standalone(by: AssignedBy, group: Option<&str>, artifacts: &Artifacts) -> Assignment {
    Assignment {
        by,
        group: group.map(str::to_owned),
        images: artifacts.image.iter().cloned().collect(),
        config: artifacts.config.clone(),
        script: artifacts.script.clone(),
    }
}

/// The product family of a Catalyst PID, as built-in groups name it: the model number and its
/// letter suffix, lower case (`WS-C2960X-48FPD-L` → `2960x`, `WS-C3750E-24TD` → `3750e`,
/// `WS-C3850-24T` → `3850`, `C9300-24P` → `9300`). `None` when the PID has no model number.
pub fn product_family(pid: &str) -> Option<String> {
    let upper = pid.trim().to_ascii_uppercase();
    let rest = upper
        .strip_prefix("WS-C")
        .or_else(|| upper.strip_prefix("C"))
        .unwrap_or(&upper);
    let model = rest.split('-').next().unwrap_or_default();
    let digits = model.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 3 || !model.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(model.to_ascii_lowercase())
}

/// The configuration lines `harden` adds to a client's seed configuration so that only the
/// director can reach the client's TCP 4786 afterwards: the guide's `SMI_HARDENING_LIST` ("Security
/// Best Practices": permit the director to the client on 4786, deny 4786 from anyone else, permit
/// the rest), applied inbound on each of the client's IP `interfaces`, and/or `no vstack`. The
/// client's own address narrows the permit when it is known.
pub fn hardening_lines(
    harden: Hardening,
    director: IpAddr,
    client: Option<IpAddr>,
    interfaces: &[&str],
) -> Vec<String> {
    let mut lines = Vec::new();
    if harden.acl {
        let (header, any_proto, apply) = match director {
            IpAddr::V4(_) => (
                "ip access-list extended SMI_HARDENING_LIST",
                "ip",
                " ip access-group SMI_HARDENING_LIST in",
            ),
            IpAddr::V6(_) => (
                "ipv6 access-list SMI_HARDENING_LIST",
                "ipv6",
                " ipv6 traffic-filter SMI_HARDENING_LIST in",
            ),
        };
        let to = client
            .filter(|c| c.is_ipv4() == director.is_ipv4())
            .map_or_else(|| "any".to_owned(), |c| format!("host {c}"));
        lines.push(header.to_owned());
        lines.push(format!("  permit tcp host {director} {to} eq 4786"));
        lines.push("  deny tcp any any eq 4786".to_owned());
        lines.push(format!("  permit {any_proto} any any"));
        for interface in interfaces {
            lines.push(format!("interface {interface}"));
            lines.push(apply.to_owned());
        }
    }
    if harden.no_vstack {
        lines.push("no vstack".to_owned());
    }
    lines
}

/// `seed` with the hardening lines for one client inserted before its final `end`: the access
/// list applied inbound on every interface of the seed that has an address of the director's
/// family (`ip address` / `ipv6 address` under `interface …`), and/or `no vstack`.
pub fn harden_config(
    seed: &str,
    harden: Hardening,
    director: IpAddr,
    client: Option<IpAddr>,
) -> String {
    let marker = if director.is_ipv4() {
        "ip address"
    } else {
        "ipv6 address"
    };
    let mut interfaces = Vec::new();
    let mut current: Option<&str> = None;
    for line in seed.lines() {
        if let Some(name) = line.strip_prefix("interface ") {
            current = Some(name.trim());
        } else if !line.starts_with(' ') {
            current = None;
        } else if line.trim_start().starts_with(marker)
            && let Some(name) = current.take()
        {
            interfaces.push(name);
        }
    }
    let lines = hardening_lines(harden, director, client, &interfaces);
    let body = seed.trim_end();
    let (head, tail) = match body.strip_suffix("end") {
        Some(head) if head.is_empty() || head.ends_with('\n') => (head, "end\n"),
        _ => (body, ""),
    };
    let mut out = head.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests;
