//! `ztpgate firewall plan|apply|remove --config FILE`: the nftables table `inet ztpgate` built
//! from the Smart Install policy (`crate::policy::firewall`), printed, applied or removed.
//!
//! Input: an operator-named policy file or gateway configuration, read through `crate::config`.
//! A gateway configuration also names the relay to steer to (`[firewall]`, from
//! `[smart_install_relay]`); `--relay-port`/`--relay-addr` override it. `apply`, `remove` and
//! `status` need CAP_NET_ADMIN and touch only table `inet ztpgate`; the rules stay after the
//! process exits (fail closed).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::CliError;
use crate::edge::netlink;
use crate::policy::Policy;
use crate::policy::firewall::{self, Current, RelayTarget, Ruleset};

/// `firewall` subcommands.
#[derive(Debug, Subcommand)]
pub enum FirewallCommand {
    /// Print the planned table as an `nft -f` script.
    Plan(FirewallArgs),
    /// Replace table inet ztpgate with the plan, atomically.
    Apply(FirewallArgs),
    /// Delete table inet ztpgate (and nothing else).
    Remove(RemoveArgs),
    /// Say whether table inet ztpgate is in place (exit status 1 when it is not).
    Status,
}

/// Arguments of `firewall plan` and `firewall apply`.
#[derive(Debug, Args)]
pub struct FirewallArgs {
    /// Policy file or gateway configuration (ztpgate.toml).
    #[arg(long)]
    pub config: PathBuf,
    /// TCP port of the inspecting relay on this gateway (director flows are DNATed to it);
    /// default: from the gateway configuration, else 4786.
    #[arg(long)]
    pub relay_port: Option<u16>,
    /// Gateway address the relay listens on; at most one IPv4 and one IPv6. A family without one
    /// drops director flows instead of steering them. Default: from the gateway configuration.
    #[arg(long = "relay-addr")]
    pub relay_addrs: Vec<IpAddr>,
}

/// Arguments of `firewall remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Policy file or gateway configuration; accepted for symmetry, not needed to remove.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs a `firewall` subcommand.
pub fn run(cmd: FirewallCommand) -> Result<ExitCode, CliError> {
    match cmd {
        FirewallCommand::Plan(args) => {
            let (policy, relay) = load(&args)?;
            print!("{}", preview(&policy, &relay));
        }
        FirewallCommand::Apply(args) => {
            let (policy, relay) = load(&args)?;
            let ruleset = firewall::plan(&policy.smart_install, &relay);
            netlink::apply(&firewall::diff(&Current::Unknown, &ruleset))
                .map_err(|e| CliError::new(e.to_string()))?;
            println!("{}", summary(&ruleset));
        }
        FirewallCommand::Remove(_) => {
            netlink::apply(&firewall::removal()).map_err(|e| CliError::new(e.to_string()))?;
            println!("removed table inet {}", firewall::TABLE_NAME);
        }
        FirewallCommand::Status => {
            let present = netlink::table_exists().map_err(|e| CliError::new(e.to_string()))?;
            let state = if present { "present" } else { "absent" };
            println!("table inet {}: {state}", firewall::TABLE_NAME);
            if !present {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `nft -f` script `firewall plan` prints for `policy` (also what `rules/*.nft` hold).
pub fn preview(policy: &Policy, relay: &RelayTarget) -> String {
    let ruleset = firewall::plan(&policy.smart_install, relay);
    firewall::render_script(&ruleset, &format!("policy `{}`", policy.name))
}

/// The relay target named by the arguments.
pub fn relay_target(port: u16, addrs: &[IpAddr]) -> Result<RelayTarget, CliError> {
    let mut relay = RelayTarget {
        port,
        ..RelayTarget::default()
    };
    for addr in addrs {
        relay
            .add(*addr)
            .map_err(|e| CliError::new(format!("--relay-addr {e}")))?;
    }
    Ok(relay)
}

fn load(args: &FirewallArgs) -> Result<(Policy, RelayTarget), CliError> {
    let (policy, gateway) =
        crate::config::load_policy_and_firewall(&args.config).map_err(|errors| {
            CliError::new(
                errors
                    .0
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
    let relay = match (gateway, args.relay_port, args.relay_addrs.is_empty()) {
        (Some(gateway), None, true) => gateway.relay,
        (_, port, _) => relay_target(
            port.unwrap_or(firewall::SMART_INSTALL_PORT),
            &args.relay_addrs,
        )?,
    };
    Ok((policy, relay))
}

fn summary(ruleset: &Ruleset) -> String {
    format!(
        "applied table inet {}: {} chains, {} rules",
        firewall::TABLE_NAME,
        ruleset.chains.len(),
        ruleset.rule_count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_target_takes_one_address_per_family() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let r = relay_target(14_786, &[v4, v6]).unwrap();
        assert_eq!(
            (r.port, r.v4.is_some(), r.v6.is_some()),
            (14_786, true, true)
        );
        assert!(relay_target(4786, &[v4, v4]).is_err());
    }

    #[test]
    fn preview_names_the_policy() {
        let policy = crate::config::lab_default().policy;
        let text = preview(&policy, &RelayTarget::default());
        assert!(text.starts_with("# Generated by `ztpgate firewall plan` from policy `lab`."));
        assert!(text.contains("table inet ztpgate {\n"));
    }
}
