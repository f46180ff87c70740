//! The SMI PnP proxy role (`../shared/reference/smi-proxy.txt`): toward legacy Smart Install
//! clients ztpgate acts as their director, toward a PnP server as a PnP agent on each client's
//! behalf. Pure parts: the proxy database and its `show vstack proxy-db` views
//! ([`proxy_db`]), and what each PnP service request becomes ([`services`]).

pub mod proxy_db;
pub mod services;
