//! The SMI proxy behind the TFTP server.
//!
//! - `client_cfg_pnp.txt`, the tailored configuration, is readable only from the policy's
//!   client networks: it carries the reverse-telnet credentials.
//! - Any other read is granted only for a file the proxy staged for the requesting address (the
//!   configuration, image list or image of an operation the PnP server asked for), or by the
//!   operator's static `[[tftp.assign]]` list.
//! - Uploads are refused: the proxy never asks a client for one.
//! - Transfer ends are reported to the operation waiting for them.
//!
//! Inputs: the client address and file name (attacker-controlled; checked as a safe relative
//! name first).

use std::net::IpAddr;
use std::path::PathBuf;

use crate::edge::tftp_server::access::{resolve_under, safe_relative};
use crate::edge::tftp_server::{Authorizer, Refusal, TransferEvent};
use crate::roles::smi_proxy::tailored::FILE_NAME;

use super::SmiProxy;

impl Authorizer for SmiProxy {
    fn authorize_read(&self, client: IpAddr, filename: &str) -> Result<PathBuf, Refusal> {
        let name = safe_relative(filename).map_err(Refusal::UnsafeName)?;
        if name == FILE_NAME {
            if !self.settings.client_networks.contains(client) {
                return Err(Refusal::NotAssigned);
            }
            return resolve_under(&self.settings.files_dir, name);
        }
        let staged = self
            .staged
            .read()
            .ok()
            .is_some_and(|s| s.get(&client).is_some_and(|files| files.contains(name)));
        if staged {
            resolve_under(&self.settings.files_dir, name)
        } else {
            self.settings.static_reads.authorize_read(client, filename)
        }
    }

    fn authorize_write(&self, _client: IpAddr, _filename: &str) -> Result<(), Refusal> {
        Err(Refusal::NotAssigned)
    }

    fn transfer_event(&self, event: TransferEvent) {
        self.on_transfer(&event);
    }
}
