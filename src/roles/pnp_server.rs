//! The PnP server role: for each device, the named workflow state and the plan engine that turns
//! its profile's steps into PnP service requests and its answers into progress
//! (`../shared/protocols/pnp.md` §1.4, §2.5; `../shared/reference/isr1k-pnp-server-readme.md`).
//!
//! The engine ([`workflow`]) is deterministic: it takes the device's stored context, the parsed
//! message, `now` and a fresh nonce, and returns the reply to send plus the state change to record.
//! File URLs, rendered configurations and SUDI checks come through the [`workflow::Provisioner`]
//! trait, implemented at the edge.

pub mod operator;
pub mod state;
pub mod workflow;
