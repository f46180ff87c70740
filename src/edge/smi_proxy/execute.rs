//! What the SMI proxy does for one PnP service request on a legacy client's behalf
//! (`crate::roles::smi_proxy::services::action` decides which, this module carries it out):
//!
//! - **config-upgrade to startup**: the URL passes the image-delivery policy (HTTPS from an
//!   allowed host), the proxy fetches the file over its certificate-authenticated connection,
//!   verifies the checksum the server gave, stages it for that client only, checks that TFTP
//!   delivery to the client is covered by a `legacy_tftp` exception, sends the Smart Install
//!   configuration push (type 3: the client copies it to its **startup** configuration), and
//!   answers once the client has fetched it.
//! - **image-install**: the same for the image, plus a generated image list; the Smart Install
//!   image upgrade (type 2) makes the client fetch list and image and reload.
//! - **device-info**, **topology**, **capabilities**: answered from the proxy database and CDP.
//! - every refusal carries the reference's exact strings.
//!
//! Every operation is an audit record (area `smi_proxy`, rule `service`); every delivery
//! decision an `image_delivery` record.
//!
//! Inputs: requests from the authenticated server (parsed by `proto::pnp`); URLs and checksums in
//! them are checked before use; downloads are bounded by `max_file_bytes`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use http_body_util::BodyExt as _;
use hyper::Method;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use tokio::io::AsyncWriteExt as _;

use crate::audit::AuditEntry;
use crate::edge::client::{ServerUrl, full};
use crate::edge::director::wire::{self, Reload};
use crate::identity::Udi;
use crate::policy::Decision;
use crate::policy::delivery::{DeliveryEvent, DeliveryVerdict};
use crate::proto::pnp::error_info::{ConfigUpgradeError, ImageInstallError};
use crate::proto::pnp::{Correlator, ErrorCode, FileLocation, Service};
use crate::roles::director::views::cisco_mac;
use crate::roles::smi_proxy::respond::{self, Facts};
use crate::roles::smi_proxy::services::Action;

use super::SmiProxy;

/// The answer to one request and what followed on the client.
#[derive(Debug)]
pub struct Executed {
    /// The WORK-RESPONSE document.
    pub body: String,
    /// Whether the service succeeded.
    pub ok: bool,
    /// Whether the client was told to reload.
    pub reloading: bool,
}

/// Why an operation on the client failed (the response's `errorCode` comes from the kind).
#[derive(Debug, thiserror::Error)]
enum OpError {
    /// The URL did not pass the image-delivery policy.
    #[error("{0}")]
    Policy(String),
    /// The file could not be fetched.
    #[error("{0}")]
    Fetch(String),
    /// The checksum did not match (or could not be read).
    #[error("{0}")]
    Checksum(String),
    /// The client could not be told, or did not fetch the file.
    #[error("{0}")]
    Client(String),
}

impl OpError {
    fn code(&self, service: &Service) -> ErrorCode {
        match (service, self) {
            (Service::ImageInstall, Self::Checksum(_)) => {
                ErrorCode::ImageInstall(ImageInstallError::VerifyFailed)
            }
            (Service::ImageInstall, _) => {
                ErrorCode::ImageInstall(ImageInstallError::SourceNotFound)
            }
            (_, Self::Checksum(_)) => ErrorCode::ConfigUpgrade(ConfigUpgradeError::HashFailed),
            (_, Self::Policy(_) | Self::Fetch(_)) => {
                ErrorCode::ConfigUpgrade(ConfigUpgradeError::InvalidSourceFile)
            }
            (_, Self::Client(_)) => ErrorCode::ConfigUpgrade(ConfigUpgradeError::StartupCopyFailed),
        }
    }
}

/// A fetched file, staged for one client.
struct Staged {
    /// TFTP name under the files directory.
    name: String,
    /// Its bytes' MD5 (hex), for the audit record.
    md5: String,
    /// Its size.
    bytes: u64,
}

impl SmiProxy {
    /// Carries out `action` for client `mac` (UDI `udi`), answering the request `correlator`
    /// of `service`.
    pub(super) async fn execute(
        &self,
        mac: [u8; 6],
        udi: &Udi,
        correlator: &Correlator,
        service: &Service,
        action: Action,
    ) -> Executed {
        let ok = |body| Executed {
            body,
            ok: true,
            reloading: false,
        };
        let actor = cisco_mac(&mac);
        match action {
            Action::Refuse(refusal) => {
                let detail = serde_json::json!({
                    "udi": udi.to_string(),
                    "service": service.namespace(),
                    "error_code": refusal.code,
                    "error_message": refusal.message,
                });
                self.record("refuse", "service", &actor, detail).await;
                Executed {
                    body: respond::refusal(udi, correlator, service, refusal),
                    ok: false,
                    reloading: false,
                }
            }
            Action::Capabilities => ok(respond::success(
                udi,
                correlator,
                service,
                respond::capabilities(),
            )),
            Action::DeviceInfo(kind) => {
                let known = self.known(&mac).await;
                match respond::device_info(
                    &kind,
                    &known.facts(udi, &self.settings.policy.pnp_profile),
                ) {
                    Ok(nodes) => ok(respond::success(udi, correlator, service, nodes)),
                    Err(code) => Executed {
                        body: respond::failure(
                            udi,
                            correlator,
                            service,
                            &code.wire(),
                            "invalid request type",
                        ),
                        ok: false,
                        reloading: false,
                    },
                }
            }
            Action::Topology => {
                let known = self.known(&mac).await;
                let facts = known.facts(udi, &self.settings.policy.pnp_profile);
                ok(respond::success(
                    udi,
                    correlator,
                    service,
                    respond::topology(&facts),
                ))
            }
            Action::Backoff(_) => ok(respond::success(udi, correlator, service, Vec::new())),
            Action::ConfigToStartup {
                source,
                checksum,
                reload,
            } => {
                let result = self
                    .config_to_startup(mac, &source, checksum.as_deref(), reload)
                    .await;
                self.finish(mac, udi, correlator, service, result, reload)
                    .await
            }
            Action::ImageInstall {
                source, checksum, ..
            } => {
                let result = self.image_install(mac, &source, checksum.as_deref()).await;
                self.finish(mac, udi, correlator, service, result, true)
                    .await
            }
        }
    }

    /// The response and audit record of a Smart Install operation.
    async fn finish(
        &self,
        mac: [u8; 6],
        udi: &Udi,
        correlator: &Correlator,
        service: &Service,
        result: Result<Staged, OpError>,
        reload: bool,
    ) -> Executed {
        let actor = cisco_mac(&mac);
        match result {
            Ok(staged) => {
                let detail = serde_json::json!({
                    "udi": udi.to_string(),
                    "service": service.namespace(),
                    "file": staged.name,
                    "md5": staged.md5,
                    "bytes": staged.bytes,
                    "reload": reload,
                });
                self.record("done", "service", &actor, detail).await;
                Executed {
                    body: respond::success(udi, correlator, service, Vec::new()),
                    ok: true,
                    reloading: reload,
                }
            }
            Err(err) => {
                let code = err.code(service).wire();
                let message = format!("SMI PROXY: {err}");
                let detail = serde_json::json!({
                    "udi": udi.to_string(),
                    "service": service.namespace(),
                    "error_code": code,
                    "error_message": message,
                });
                self.record("fail", "service", &actor, detail).await;
                Executed {
                    body: respond::failure(udi, correlator, service, &code, &message),
                    ok: false,
                    reloading: false,
                }
            }
        }
    }

    async fn config_to_startup(
        &self,
        mac: [u8; 6],
        source: &FileLocation,
        checksum: Option<&str>,
        reload: bool,
    ) -> Result<Staged, OpError> {
        let ip = self.client_ip(&mac).await?;
        let staged = self.fetch(mac, source.as_str(), checksum).await?;
        let url = self.tftp_url(&staged.name);
        self.check_tftp(&url, ip).await?;
        let message = wire::config_message(&url, reload.then_some(Reload::Now))
            .map_err(|e| OpError::Client(e.to_string()))?;
        self.push(ip, std::slice::from_ref(&staged.name), &message)
            .await
            .map_err(OpError::Client)?;
        Ok(staged)
    }

    async fn image_install(
        &self,
        mac: [u8; 6],
        source: &FileLocation,
        checksum: Option<&str>,
    ) -> Result<Staged, OpError> {
        let ip = self.client_ip(&mac).await?;
        let staged = self.fetch(mac, source.as_str(), checksum).await?;
        let image_url = self.tftp_url(&staged.name);
        self.check_tftp(&image_url, ip).await?;
        let base = staged.name.rsplit('/').next().unwrap_or(&staged.name);
        let list_name = format!("{}/imagelist.txt", client_dir(&mac));
        let list_path = self.settings.files_dir.join(&list_name);
        tokio::fs::write(&list_path, format!("{base}\n"))
            .await
            .map_err(|e| OpError::Client(format!("cannot write the image list: {e}")))?;
        let message = wire::image_message(&self.tftp_url(&list_name), Reload::Now)
            .map_err(|e| OpError::Client(e.to_string()))?;
        self.push(ip, &[list_name, staged.name.clone()], &message)
            .await
            .map_err(OpError::Client)?;
        self.set_image(&mac, &format!("flash:/{base}")).await;
        Ok(staged)
    }

    async fn known(&self, mac: &[u8; 6]) -> Known {
        Known {
            entry: self.entry(mac).await,
            neighbors: self.neighbors(mac),
        }
    }

    async fn client_ip(&self, mac: &[u8; 6]) -> Result<IpAddr, OpError> {
        self.entry(mac)
            .await
            .and_then(|e| e.ip)
            .ok_or_else(|| OpError::Client("the client's address is not known".into()))
    }

    /// Checks that `url` passes the image-delivery policy for upstream URLs, then downloads it
    /// (bounded) into the client's directory, verifying `checksum`.
    async fn fetch(
        &self,
        mac: [u8; 6],
        url: &str,
        checksum: Option<&str>,
    ) -> Result<Staged, OpError> {
        let decision = self.settings.delivery.decide_upstream(url);
        self.delivery(decision, &cisco_mac(&mac), url).await?;
        let (server, path) = ServerUrl::parse(url).map_err(|e| OpError::Fetch(e.to_string()))?;
        let name = format!("{}/{}", client_dir(&mac), file_name(&path));
        let dest = self.settings.files_dir.join(&name);
        let dir = dest.parent().unwrap_or(&self.settings.files_dir).to_owned();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| OpError::Fetch(format!("cannot create {}: {e}", dir.display())))?;
        let (md5, sha256, bytes) = self.download(&server, &path, &dest).await?;
        if let Err(err) = verify(checksum, &md5, &sha256) {
            let _ = tokio::fs::remove_file(&dest).await;
            return Err(err);
        }
        Ok(Staged { name, md5, bytes })
    }

    /// Streams `path` from `server` into `dest` (through a temporary file), returning the MD5,
    /// the SHA-256 and the size.
    async fn download(
        &self,
        server: &ServerUrl,
        path: &str,
        dest: &Path,
    ) -> Result<(String, String, u64), OpError> {
        let fetch = |e: crate::edge::client::HttpError| OpError::Fetch(e.to_string());
        let client = &self.settings.client;
        let mut conn = client.connect(server).await.map_err(fetch)?;
        let response = conn
            .send(Method::GET, path, full(hyper::body::Bytes::new()))
            .await
            .map_err(fetch)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(OpError::Fetch(format!("{server}{path} answered {status}")));
        }
        let tmp = PathBuf::from(format!("{}.part", dest.display()));
        let io = |e: std::io::Error| OpError::Fetch(format!("cannot store the file: {e}"));
        let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
        let (mut md5, mut sha) = (Md5::new(), Sha256::new());
        let mut total = 0u64;
        let limit = self.settings.gateway.max_file_bytes;
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| OpError::Fetch(format!("body: {e}")))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total += data.len() as u64;
            if total > limit {
                drop(file);
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(OpError::Fetch(format!(
                    "{server}{path} is larger than max_file_bytes ({limit})"
                )));
            }
            md5.update(&data);
            sha.update(&data);
            file.write_all(&data).await.map_err(io)?;
        }
        file.sync_all().await.map_err(io)?;
        drop(file);
        tokio::fs::rename(&tmp, dest).await.map_err(io)?;
        Ok((
            hex::encode(md5.finalize()),
            hex::encode(sha.finalize()),
            total,
        ))
    }

    /// TFTP toward the client must be covered by a `legacy_tftp` exception.
    async fn check_tftp(&self, url: &str, client: IpAddr) -> Result<(), OpError> {
        let decision = self.settings.delivery.decide(&DeliveryEvent {
            url,
            checksum: None,
            device: Some(client),
            legacy_smart_install: true,
        });
        self.delivery(decision, &client.to_string(), url).await
    }

    /// Audits an image-delivery decision about `url` (area `image_delivery`) and turns a denial
    /// that is enforced into the operation's error.
    async fn delivery(
        &self,
        decision: Decision<DeliveryVerdict>,
        actor: &str,
        url: &str,
    ) -> Result<(), OpError> {
        match AuditEntry::decision(&decision, actor, serde_json::json!({ "url": url })) {
            Ok(entry) => {
                let now = crate::clock::now_utc();
                if let Err(err) = self.audit.lock().await.append(entry, now) {
                    tracing::error!(%err, "SMI proxy: cannot write the audit log");
                }
            }
            Err(err) => tracing::error!(%err, "SMI proxy: cannot encode a delivery decision"),
        }
        if decision.verdict == DeliveryVerdict::Allow || decision.is_audited() {
            Ok(())
        } else {
            Err(OpError::Policy(decision.reason))
        }
    }

    /// A TFTP URL on ztpgate's server for `file`.
    fn tftp_url(&self, file: &str) -> String {
        wire::tftp_url(self.settings.tftp, file)
    }
}

/// What the proxy knows of a client: its entry and its CDP neighbors.
struct Known {
    entry: Option<crate::roles::smi_proxy::proxy_db::ProxyEntry>,
    neighbors: Vec<respond::Neighbor>,
}

impl Known {
    /// The facts of the client for its answers.
    fn facts<'a>(&'a self, udi: &'a Udi, profile: &'a str) -> Facts<'a> {
        let entry = self.entry.as_ref();
        Facts {
            udi,
            hostname: entry.and_then(|e| e.hostname.as_deref()),
            version: entry.and_then(|e| e.version.as_deref()),
            image: entry.and_then(|e| e.image.as_deref()),
            profile,
            neighbors: &self.neighbors,
        }
    }
}

/// The directory (under the files directory) of one client's staged files.
fn client_dir(mac: &[u8; 6]) -> String {
    format!("clients/{}", hex::encode(mac))
}

/// A safe file name from the last segment of a URL path: `[A-Za-z0-9._-]`, at most 100 bytes,
/// never empty or a dot name.
pub fn file_name(path: &str) -> String {
    let last = path
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(100)
        .collect();
    if clean.is_empty() || clean.starts_with('.') || clean == "imagelist.txt" {
        format!("file-{clean}")
    } else {
        clean
    }
}

/// Checks the server's checksum: `sha256:<hex>`, `sha512:` is not computed, otherwise MD5 hex
/// (what PnP agents check).
fn verify(checksum: Option<&str>, md5: &str, sha256: &str) -> Result<(), OpError> {
    let Some(text) = checksum.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let (algorithm, expected, actual) = match text.split_once(':') {
        Some((a, hex)) if a.eq_ignore_ascii_case("sha256") => ("sha256", hex, sha256),
        Some((a, hex)) if a.eq_ignore_ascii_case("md5") => ("md5", hex, md5),
        None if text.len() == 32 => ("md5", text, md5),
        _ => {
            return Err(OpError::Checksum(format!(
                "checksum {text:?} is neither MD5 nor sha256:<hex>"
            )));
        }
    };
    if expected.eq_ignore_ascii_case(actual) {
        Ok(())
    } else {
        Err(OpError::Checksum(format!(
            "{algorithm} checksum mismatch: expected {expected}, got {actual}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_single_segments() {
        assert_eq!(
            file_name("/files/c2960x-universalk9-mz.152-7.E8.bin"),
            "c2960x-universalk9-mz.152-7.E8.bin"
        );
        assert_eq!(file_name("/a/../../etc/passwd?x=1"), "passwd");
        assert_eq!(file_name("/a/.."), "file-..");
        assert_eq!(file_name("/"), "file-");
        assert_eq!(file_name("/x/imagelist.txt"), "file-imagelist.txt");
        assert_eq!(file_name(&format!("/{}", "a".repeat(300))).len(), 100);
    }

    #[test]
    fn checksums_are_md5_or_sha256_and_must_match() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(verify(None, md5, sha).is_ok());
        assert!(verify(Some(md5), md5, sha).is_ok());
        assert!(verify(Some(&md5.to_uppercase()), md5, sha).is_ok());
        assert!(verify(Some(&format!("sha256:{sha}")), md5, sha).is_ok());
        assert!(verify(Some(&format!("md5:{md5}")), md5, sha).is_ok());
        assert!(matches!(
            verify(Some(&"0".repeat(32)), md5, sha),
            Err(OpError::Checksum(_))
        ));
        assert!(matches!(
            verify(Some("sha1:abc"), md5, sha),
            Err(OpError::Checksum(_))
        ));
    }
}
