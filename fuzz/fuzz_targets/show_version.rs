//! Fuzz target: the `show version` parser must never panic, whatever the bytes, and a parsed
//! output must give a UDI that parses back (`roles::smi_proxy::show_version`,
//! smi-proxy.txt "SMI Proxy and Tailored Configuration Files"). Inputs are device output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ztpgate::identity::Udi;
use ztpgate::roles::smi_proxy::show_version;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = show_version::parse(data) {
        assert!(Udi::parse(&parsed.udi().to_string()).is_ok());
    }
});
