//! Protocol codecs. Everything under `proto` is pure: bytes and typed values in, typed values
//! and bytes out — no sockets, no files, no async runtime, no clock (STYLE.md §2,
//! `tests/architecture.rs`). Every input is treated as attacker-controlled and bounded.
//!
//! - [`pnp`]: Cisco Plug-and-Play XML messages (`../shared/protocols/pnp.md`).
//! - [`vstack`]: Cisco Smart Install binary messages on TCP 4786
//!   (`../shared/protocols/smart-install.md`).

pub mod pnp;
pub mod vstack;
