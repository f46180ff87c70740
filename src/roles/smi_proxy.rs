//! The SMI PnP proxy role (`../shared/reference/smi-proxy.txt`): toward legacy Smart Install
//! clients ztpgate acts as their director, toward a PnP server as a PnP agent on each client's
//! behalf. Pure parts: what each PnP service request becomes ([`services`]).

pub mod services;
