//! Roles behind the policy layer: state machines that do the provisioning job on top of the
//! protocol codecs (`crate::proto`) and the policy decisions (`crate::policy`).

pub mod dhcp_server;
pub mod director;
pub mod pnp_server;
pub mod smi_proxy;
pub mod vstack_guard;
