//! Device emulators for tests and benchmarks: a simulated Cisco device that answers PnP service
//! requests ([`device`]), and the PnP agent loop that drives it against a server over HTTPS
//! ([`pnp_agent`], `ztpgate sim pnp-agent`).
//!
//! Trust: the emulators are test tools. Server messages are parsed with the bounded
//! `proto::pnp` codecs; fetched files are size-bounded. Spec: `../shared/protocols/pnp.md` §1
//! (transport and agent behaviour) and §2.5 (services).
//!
//! Split: [`device`] is pure (no sockets, files, tokio or clock); [`pnp_agent`] and [`fleet`]
//! are the async edge (over [`crate::edge::client`]).

pub mod device;
pub mod fleet;
pub mod pnp_agent;
