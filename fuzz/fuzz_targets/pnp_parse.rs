//! Fuzz target: the PnP parse entry points must never panic, whatever the bytes
//! (`proto::pnp`, pnp.md §2). Inputs are arbitrary, attacker-style bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ztpgate::proto::pnp;

fuzz_target!(|data: &[u8]| {
    let _ = pnp::parse_agent_message(data);
    let _ = pnp::parse_server_message(data);
});
