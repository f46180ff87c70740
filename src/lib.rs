//! ztpgate: a security gateway for Cisco zero-touch provisioning (Smart Install and Plug-and-Play).
//!
//! # Layout
//!
//! - [`config`]: `ztpgate.toml` and `policies/*.toml` into validated types.
//! - [`policy`]: pure decision functions — Smart Install access, join windows, device
//!   authentication, image delivery — each returning a named verdict and the deciding rule.
//! - [`proto`]: pure protocol codecs (PnP XML messages, Smart Install vstack), bounded and fuzzable.
//! - [`inspect`]: the capture auditor's pure core — flows, reassembly, protocol observers and
//!   the engine that turns them into rule findings.
//! - [`rules`]: detection rules (`rules/*.toml`) shared by the capture auditor, live capture and
//!   the inline relay.
//! - [`roles`]: role state machines on top of proto and policy (the PnP server plan engine, the
//!   Smart Install guard of the inspecting relay).
//! - [`identity`]: UDIs, SUDI subject identities and the verified [`identity::DeviceIdentity`].
//! - [`pki`]: lab PKI generation and certificate inspection.
//! - [`audit`]: the append-only, hash-chained JSONL audit log and its verifier.
//! - [`store`]: state behind a trait (SQLite, and in memory for tests).
//! - [`edge`]: sockets, TLS and HTTP — the only I/O adapters.
//! - [`app`]: wiring of `ztpgate serve`.
//! - [`bench`](mod@bench): the benchmarks behind `ztpgate bench`.
//! - [`cli`]: the command-line front end.
//! - [`clock`]: the only reader of the clock.
//! - [`sim`]: device emulators (the PnP agent, a legacy Smart Install switch) and the Smart Install
//!   attack corpus, for tests and benchmarks.
//!
//! Pure modules (`inspect`, `policy`, `proto`) never touch sockets, files, tokio or the clock;
//! `tests/architecture.rs` checks it.

pub mod app;
pub mod audit;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod config;
pub mod edge;
pub mod identity;
pub mod inspect;
pub mod pki;
pub mod policy;
pub mod proto;
pub mod roles;
pub mod rules;
pub mod sim;
pub mod store;
