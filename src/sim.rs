//! Device emulators for tests and benchmarks: a simulated Cisco device that answers PnP service
//! requests ([`device`]), and the PnP agent loop that drives it against a server over HTTPS
//! ([`pnp_agent`], `ztpgate sim pnp-agent`); an emulated legacy switch with Smart Install client
//! enabled ([`switch`], `ztpgate sim switch`) and the Smart Install attack corpus ([`attack`],
//! `ztpgate sim attack`, smart-install.md §3).
//!
//! Trust: the emulators are test tools. Server messages are parsed with the bounded
//! `proto::pnp` codecs; fetched files are size-bounded. Spec: `../shared/protocols/pnp.md` §1
//! (transport and agent behaviour) and §2.5 (services).
//!
//! Split: [`device`], `switch::device` and the corpus builder in [`attack`] are pure (no
//! sockets, files, tokio or clock); [`pnp_agent`], [`fleet`], [`switch`] and `attack::send` are
//! the async edge (over [`crate::edge::client`] and [`crate::edge::tftp_client`]).

pub mod attack;
pub mod device;
pub mod fleet;
pub mod pnp_agent;
pub mod switch;
