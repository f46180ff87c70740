//! Applies a firewall batch planned by `crate::policy::firewall` to the kernel over netlink
//! (nf_tables), as one transaction.
//!
//! Trusts the plan (pure, built from validated policy) and the kernel. Touches only table
//! `inet ztpgate`: every message names it. The kernel interface (libnftnl through `nftnl`/`mnl`)
//! can write rules but read back only the names of the tables, so [`table_exists`] is the one
//! question asked; tests use `nft list` to look at rules and counters. Needs CAP_NET_ADMIN in the
//! network namespace. Rules outlive the process (fail closed).

mod expr;

use std::collections::HashSet;
use std::ffi::CString;

use nftnl::{Batch, FinalizedBatch, MsgType, ProtoFamily, Table};

use crate::policy::firewall::{BaseHook, Op, TABLE_NAME};

/// Why a batch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The netlink socket could not be opened (no nf_tables support?).
    #[error("opening the netfilter netlink socket: {0}")]
    Socket(#[source] std::io::Error),
    /// Sending the batch failed.
    #[error("sending the nftables batch: {0}")]
    Send(#[source] std::io::Error),
    /// The kernel rejected the batch or its reply could not be read; nothing was changed.
    #[error("the kernel rejected the nftables batch (message {seq}): {source}")]
    Rejected {
        /// Sequence number of the message the error refers to (0 if unknown).
        seq: u32,
        /// The error the kernel reported, e.g. permission denied without CAP_NET_ADMIN.
        #[source]
        source: std::io::Error,
    },
    /// A chain name or comment contained a NUL byte (never for planned names).
    #[error("`{name}` cannot be sent over netlink: {reason}")]
    Name {
        /// The offending name or comment.
        name: String,
        /// What was wrong with it.
        reason: &'static str,
    },
}

/// Sends `ops` as one atomic netlink batch. An empty batch sends nothing.
pub fn apply(ops: &[Op]) -> Result<(), ApplyError> {
    if ops.is_empty() {
        return Ok(());
    }
    let batch = build(ops)?;
    send(&batch)
}

/// Builds the netlink batch for `ops`.
fn build(ops: &[Op]) -> Result<FinalizedBatch, ApplyError> {
    let table = Table::new(cstring(TABLE_NAME)?, ProtoFamily::Inet);
    let mut batch = Batch::new();
    for op in ops {
        match op {
            Op::EnsureTable => batch.add(&table, MsgType::Add),
            Op::DeleteTable => batch.add(&table, MsgType::Del),
            Op::AddChain { name, hook } => {
                let mut chain = nftnl::Chain::new(cstring(name)?, &table);
                if let Some(hook) = hook {
                    chain.set_type(match hook {
                        BaseHook::Filter => nftnl::ChainType::Filter,
                        BaseHook::Nat => nftnl::ChainType::Nat,
                    });
                    chain.set_hook(nftnl::Hook::PreRouting, hook.priority());
                    chain.set_policy(nftnl::Policy::Accept);
                }
                batch.add(&chain, MsgType::Add);
            }
            Op::AddRule { chain, rule } => {
                let chain = nftnl::Chain::new(cstring(chain)?, &table);
                let rule = expr::rule(&chain, rule)?;
                batch.add(&rule, MsgType::Add);
            }
        }
    }
    Ok(batch.finalize())
}

/// Whether a table named `ztpgate` exists. The kernel's table listing, as the netlink library
/// parses it, carries names only, so a table of that name in another family would also count.
pub fn table_exists() -> Result<bool, ApplyError> {
    const SEQ: u32 = 1;
    let socket = mnl::Socket::new(mnl::Bus::Netfilter).map_err(ApplyError::Socket)?;
    let portid = socket.portid();
    let mut request = nftnl::table::get_tables_nlmsg(SEQ);
    // The builder hands back a whole page; send just the message (its length is the first word).
    let len = request
        .first_chunk::<4>()
        .map_or(request.len(), |w| u32::from_ne_bytes(*w) as usize);
    request.truncate(len);
    socket.send(&request).map_err(ApplyError::Send)?;
    let mut tables = HashSet::new();
    let mut buffer = vec![0; nftnl::nft_nlmsg_maxsize() as usize];
    loop {
        let n = socket
            .recv_raw(&mut buffer)
            .map_err(|source| ApplyError::Rejected { seq: SEQ, source })?;
        if n == 0 {
            break;
        }
        let more = mnl::cb_run2(
            &buffer[..n],
            SEQ,
            portid,
            nftnl::table::get_tables_cb,
            &mut tables,
        )
        .map_err(|source| ApplyError::Rejected { seq: SEQ, source })?;
        if matches!(more, mnl::CbResult::Stop) {
            break;
        }
    }
    Ok(tables.iter().any(|t| t.as_bytes() == TABLE_NAME.as_bytes()))
}

fn send(batch: &FinalizedBatch) -> Result<(), ApplyError> {
    let socket = mnl::Socket::new(mnl::Bus::Netfilter).map_err(ApplyError::Socket)?;
    let portid = socket.portid();
    socket.send_all(batch).map_err(ApplyError::Send)?;
    let mut buffer = vec![0; nftnl::nft_nlmsg_maxsize() as usize];
    let mut expected = batch.sequence_numbers();
    while !expected.is_empty() {
        let messages = socket
            .recv(&mut buffer[..])
            .map_err(|source| ApplyError::Rejected { seq: 0, source })?;
        for message in messages {
            let message = message.map_err(|source| ApplyError::Rejected { seq: 0, source })?;
            // The kernel acknowledges every message in order; an error reply ends the batch.
            let Some(seq) = expected.next() else {
                break;
            };
            mnl::cb_run(message, seq, portid)
                .map_err(|source| ApplyError::Rejected { seq, source })?;
        }
    }
    Ok(())
}

fn cstring(name: &str) -> Result<CString, ApplyError> {
    CString::new(name).map_err(|_| ApplyError::Name {
        name: name.to_owned(),
        reason: "contains a NUL byte",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::firewall::{self, Current, RelayTarget};

    #[test]
    fn builds_one_message_per_op_inside_begin_and_end() {
        let policy = crate::config::lab_default().policy;
        let relay = RelayTarget {
            v4: Some(std::net::Ipv4Addr::LOCALHOST),
            ..RelayTarget::default()
        };
        let ops = firewall::diff(
            &Current::Unknown,
            &firewall::plan(&policy.smart_install, &relay),
        );
        let batch = build(&ops).unwrap();
        // Plus the batch begin and end messages.
        assert_eq!(batch.sequence_numbers().len(), ops.len() + 2);
    }

    #[test]
    fn rejects_names_with_nul() {
        assert!(matches!(cstring("a\0b"), Err(ApplyError::Name { .. })));
    }
}
