//! I/O adapters: TLS configuration and the HTTPS admin API. Everything that touches a socket lives
//! here; decisions are made by the pure modules and only carried out here.

pub mod admin;
pub mod tls;
