//! The PnP engine's [`Provisioner`] at the edge: per-device grant URLs on the HTTPS file server,
//! day-0 configurations rendered from templates under the file root, and SUDI attestation checked
//! against the policy's device trust anchors.
//!
//! Template names and file paths come from validated policy; serial numbers and PIDs from an
//! authenticated identity, and are still reduced to safe file-name characters before use.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use rustls_pki_types::CertificateDer;

use crate::edge::files::catalog::Catalog;
use crate::edge::files::grant::{FILE_KEY_BYTES, Grant};
use crate::identity::CertIdentity;
use crate::pki::files::{MODE_PUBLIC, write_atomic};
use crate::pki::sudi::ChainOptions;
use crate::pki::sudi::attest::attest;
use crate::pki::sudi::device_auth::verify_device_auth;
use crate::policy::auth::DeviceAuthPolicy;
use crate::policy::provision::Source;
use crate::proto::pnp::DeviceAuthAnswer;
use crate::roles::pnp_server::workflow::{FileRef, Provisioner};

/// Where grants point and how long they last.
#[derive(Clone, Debug)]
pub struct FileGrants {
    /// The file root.
    pub root: PathBuf,
    /// The grant key.
    pub key: [u8; FILE_KEY_BYTES],
    /// URL base of the file server, e.g. `https://10.0.0.1:8444`.
    pub base_url: String,
    /// Grant validity in seconds.
    pub ttl_secs: i64,
    /// Checksums of the files served, shared with the file server.
    pub catalog: Arc<Catalog>,
}

/// One exchange's provisioner: grants, templates and attestation for the device at hand.
pub struct EdgeProvisioner<'a> {
    /// File server grants.
    pub files: &'a FileGrants,
    /// Device trust anchors (for SUDI attestation).
    pub anchors: &'a [CertificateDer<'static>],
    /// Authentication policy (danger options for the chain).
    pub auth: &'a DeviceAuthPolicy,
    /// Now, for grants and chain validity.
    pub now: SystemTime,
    /// Now, seconds since the epoch.
    pub now_secs: i64,
}

impl EdgeProvisioner<'_> {
    fn grant(&self, serial: &str, path: &str) -> Result<String, String> {
        let grant = Grant::new(
            &file_safe(serial),
            path,
            self.now_secs + self.files.ttl_secs,
        )
        .map_err(|e| format!("{path}: {e}"))?;
        Ok(format!(
            "{}{}",
            self.files.base_url,
            grant.url_path(&self.files.key)
        ))
    }
}

impl Provisioner for EdgeProvisioner<'_> {
    fn file(&mut self, serial: &str, source: &Source) -> Result<FileRef, String> {
        match source {
            Source::Remote { url, .. } => Ok(FileRef {
                url: url.clone(),
                md5: None,
            }),
            Source::Local(path) => {
                let full = self.files.root.join(path);
                // Hashed once per file version (cached); the first hash of a large image takes a
                // while, so keep the runtime's other tasks going meanwhile.
                let info = tokio::task::block_in_place(|| self.files.catalog.info_blocking(&full))
                    .map_err(|e| format!("{path}: {e}"))?;
                Ok(FileRef {
                    url: self.grant(serial, path)?,
                    md5: Some(info.md5),
                })
            }
        }
    }

    fn config(&mut self, serial: &str, pid: &str, template_dir: &str) -> Result<FileRef, String> {
        let dir = self.files.root.join(template_dir);
        let candidates = [file_safe(serial), file_safe(pid), "default".to_owned()];
        let (template, text) = candidates
            .iter()
            .find_map(|name| {
                let path = dir.join(format!("{name}.cfg"));
                std::fs::read_to_string(&path).ok().map(|t| (path, t))
            })
            .ok_or_else(|| {
                format!(
                    "no template for {serial} in {template_dir} (tried <serial>.cfg, <pid>.cfg, default.cfg)"
                )
            })?;
        let rendered = render(&text, serial, pid);
        let relative = format!("rendered/{}.cfg", file_safe(serial));
        let out = self.files.root.join(&relative);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        write_atomic(&out, rendered.as_bytes(), MODE_PUBLIC)
            .map_err(|e| format!("{}: {e}", template.display()))?;
        let info = self
            .files
            .catalog
            .info_blocking(&out)
            .map_err(|e| format!("{relative}: {e}"))?;
        Ok(FileRef {
            url: self.grant(serial, &relative)?,
            md5: Some(info.md5),
        })
    }

    fn device_auth(
        &mut self,
        challenge: &str,
        answer: &DeviceAuthAnswer,
    ) -> Result<CertIdentity, String> {
        let opts = ChainOptions::from_policy(self.auth);
        verify_device_auth(challenge, answer, self.anchors, self.now, &opts)
            .map(|chain| chain.identity)
            .map_err(|e| e.to_string())
    }

    fn attest(&mut self, output: &str, nonce: u64) -> Result<CertIdentity, String> {
        let opts = ChainOptions::from_policy(self.auth);
        attest(output, Some(nonce), self.anchors, self.now, &opts)
            .map(|a| a.identity)
            .map_err(|e| e.to_string())
    }
}

/// Substitutes `{{serial}}` and `{{pid}}` in a configuration template.
pub fn render(template: &str, serial: &str, pid: &str) -> String {
    template
        .replace("{{serial}}", serial)
        .replace("{{pid}}", pid)
}

/// A serial number or PID as a file name: anything but letters, digits, `-`, `_` and `.`
/// becomes `_` (`ISR4321/K9` → `ISR4321_K9`).
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_safe_file_names_and_templates_render() {
        assert_eq!(file_safe("ISR4321/K9"), "ISR4321_K9");
        assert_eq!(file_safe("../x"), "_x");
        assert_eq!(
            render("hostname sw-{{serial}}\n! {{pid}}\n", "FOC1", "C9300-24T"),
            "hostname sw-FOC1\n! C9300-24T\n"
        );
    }
}
