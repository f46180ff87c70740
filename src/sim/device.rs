//! A simulated Cisco device: UDI, image, file systems, configurations and a SUDI signing key,
//! executing PnP service requests as a state machine ([`Device::handle`]).
//!
//! Pure: no sockets, files, tokio or clock. Files the server names are obtained through the
//! caller's `fetch` callback; the only non-deterministic step is an ECDSA signature (aws-lc-rs
//! draws its nonce from the system RNG), RSA keys sign deterministically (PKCS#1 v1.5).
//!
//! Inputs: requests come from a semi-trusted server and are already parsed by `proto::pnp`;
//! the key and certificates are the caller's. Spec: `../shared/protocols/pnp.md` §2.5 (one
//! handler per service), §2.3 (error codes), §2.4 (fault), §1.4 (what the agent does next).

mod exec;
mod info;
mod install;
mod respond;
#[cfg(test)]
mod tests;

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use rustls_pki_types::CertificateDer;

use crate::identity::Udi;
use crate::proto::pnp::common::ServerSpec;
use crate::proto::pnp::{Request, ServiceRequest};

#[cfg(test)]
use crate::proto::pnp::AfterOperation;
pub use install::{image_version, urls_to_fetch};

/// The default WORK-REQUEST retry interval of a real agent (pnp.md §2.5.3: 30 s).
pub const DEFAULT_RETRY: Duration = Duration::from_secs(30);
/// The wait when a `callbackAfter` has no hours, minutes or seconds (pnp.md §2.5.3).
pub const EMPTY_CALLBACK_WAIT: Duration = Duration::from_secs(15 * 60);

/// Why a file named in a request could not be fetched.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The location is not an `https://` URL or a server-relative `uri`.
    #[error("refusing to fetch {location}: only HTTPS is supported")]
    NotHttps {
        /// The location as sent.
        location: String,
    },
    /// The server answered with a non-200 status.
    #[error("{location}: HTTP status {status}")]
    Status {
        /// The location.
        location: String,
        /// The status code.
        status: u16,
    },
    /// Connection, TLS or transfer failure.
    #[error("{location}: {reason}")]
    Transfer {
        /// The location.
        location: String,
        /// What failed.
        reason: String,
    },
}

/// A device signing key (the lab SUDI key), from PKCS#8 DER.
pub enum SigningKey {
    /// RSA: PKCS#1 v1.5 with SHA-256 (deterministic).
    Rsa(RsaKeyPair),
    /// ECDSA P-256 with SHA-256, ASN.1 signatures.
    EcdsaP256(EcdsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Rsa(_) => "SigningKey::Rsa",
            Self::EcdsaP256(_) => "SigningKey::EcdsaP256",
        })
    }
}

/// Why a signing key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Neither an RSA nor a P-256 PKCS#8 key.
    #[error("unsupported or malformed PKCS#8 key (RSA or ECDSA P-256 expected)")]
    Unsupported,
}

impl SigningKey {
    /// Reads an RSA or ECDSA P-256 PKCS#8 DER key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
            return Ok(Self::Rsa(rsa));
        }
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
            .map(Self::EcdsaP256)
            .map_err(|_| KeyError::Unsupported)
    }

    /// `RSA` or `ECDSA`, as device-auth names the encryption method.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Rsa(_) => "RSA",
            Self::EcdsaP256(_) => "ECDSA",
        }
    }

    /// Signs `data` with SHA-256; `None` when the crypto library fails.
    pub fn sign(&self, data: &[u8]) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(key) => {
                let mut sig = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, data, &mut sig).ok()?;
                Some(sig)
            }
            Self::EcdsaP256(key) => key.sign(&rng, data).ok().map(|s| s.as_ref().to_vec()),
        }
    }
}

/// The device's SUDI: the printed chain (root, sub-CA, device) and the device key.
#[derive(Debug)]
pub struct Sudi {
    /// Root CA, SUDI sub-CA and device certificate, in the order the device prints them.
    pub chain: [CertificateDer<'static>; 3],
    /// The device key.
    pub key: SigningKey,
}

/// A file system of the device; files are kept as name → (size, MD5 hex), not contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSystem {
    /// Name without the colon, e.g. `bootflash`.
    pub name: String,
    /// `disk`, `flash` or `nvram`.
    pub kind: String,
    /// Total bytes.
    pub size: u64,
    /// Files: name, size, MD5 hex.
    pub files: Vec<StoredFile>,
}

/// A file on a simulated file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    /// Name (may contain `/`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MD5 of the contents, lower-case hex.
    pub md5: String,
}

impl FileSystem {
    /// An empty file system.
    pub fn new(name: &str, kind: &str, size: u64) -> Self {
        Self {
            name: name.to_owned(),
            kind: kind.to_owned(),
            size,
            files: Vec::new(),
        }
    }

    /// Bytes not used by files.
    pub fn free(&self) -> u64 {
        let used: u64 = self.files.iter().map(|f| f.size).sum();
        self.size.saturating_sub(used)
    }

    /// Stores or replaces a file; `false` when it does not fit.
    pub fn store(&mut self, name: &str, data: &[u8], md5: String) -> bool {
        let old = self
            .files
            .iter()
            .find(|f| f.name == name)
            .map_or(0, |f| f.size);
        if data.len() as u64 > self.free() + old {
            return false;
        }
        self.files.retain(|f| f.name != name);
        self.files.push(StoredFile {
            name: name.to_owned(),
            size: data.len() as u64,
            md5,
        });
        true
    }
}

/// What the agent loop does after a request (pnp.md §1.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// Post the response (if any) and ask for more work.
    Continue,
    /// Backoff `callbackAfter`: wait this long before the next work request.
    Wait(Duration),
    /// Backoff `defaultMinutes`: the new retry interval.
    SetRetry(Duration),
    /// Backoff `terminate`: remove the profile and stop.
    Terminate,
    /// Certificate-install reconnect or redirection: continue with this server, from HELLO.
    Reconnect(ServerSpec),
}

/// The result of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceOutcome {
    /// The WORK-RESPONSE body to post (every service has one, backoff included, §1.4).
    pub response: Option<String>,
    /// `success="1"` in the response.
    pub success: bool,
    /// Reload after posting the response.
    pub reload: bool,
    /// `delayIn` of the reload, seconds.
    pub reload_delay: u32,
    /// What to do next.
    pub directive: Directive,
}

/// The initial state of a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSpec {
    /// The UDI.
    pub udi: Udi,
    /// Hostname before any configuration.
    pub hostname: String,
    /// Running image, e.g. `bootflash:cat9k_iosxe.17.03.04a.SPA.bin`.
    pub image: String,
    /// Running version, e.g. `17.03.04a`.
    pub version: String,
    /// File systems; the first one is the default destination.
    pub file_systems: Vec<FileSystem>,
    /// Startup configuration lines (usually empty: PnP runs on factory-fresh devices).
    pub startup_config: Vec<String>,
}

impl DeviceSpec {
    /// A factory-fresh Catalyst-like device with a 1 GiB bootflash holding its image.
    pub fn lab(pid: &str, sn: &str) -> Self {
        let image = "cat9k_iosxe.17.03.04a.SPA.bin";
        let mut bootflash = FileSystem::new("bootflash", "disk", 1 << 30);
        bootflash.files.push(StoredFile {
            name: image.to_owned(),
            size: 400 << 20,
            md5: "00000000000000000000000000000000".to_owned(),
        });
        Self {
            udi: Udi {
                pid: pid.to_owned(),
                vid: "V01".to_owned(),
                sn: sn.to_owned(),
            },
            hostname: "Switch".to_owned(),
            image: format!("bootflash:{image}"),
            version: "17.03.04a".to_owned(),
            file_systems: vec![bootflash, FileSystem::new("nvram", "nvram", 2 << 20)],
            startup_config: Vec::new(),
        }
    }
}

/// The simulated device.
#[derive(Debug)]
pub struct Device {
    spec_hostname: String,
    udi: Udi,
    hostname: String,
    image: String,
    version: String,
    boot_image: String,
    boot_version: String,
    file_systems: Vec<FileSystem>,
    startup: Vec<String>,
    running: Vec<String>,
    config_register: u16,
    config_register_next: u16,
    reloads: u32,
    sudi: Option<Sudi>,
}

impl Device {
    /// A device in the state `spec` describes, with an optional SUDI.
    pub fn new(spec: DeviceSpec, sudi: Option<Sudi>) -> Self {
        let mut device = Self {
            spec_hostname: spec.hostname.clone(),
            udi: spec.udi,
            hostname: spec.hostname,
            boot_image: spec.image.clone(),
            boot_version: spec.version.clone(),
            image: spec.image,
            version: spec.version,
            file_systems: spec.file_systems,
            running: spec.startup_config.clone(),
            startup: spec.startup_config,
            config_register: 0x2102,
            config_register_next: 0x2102,
            reloads: 0,
            sudi,
        };
        device.hostname = device.configured_hostname();
        device
    }

    /// Executes one service request; `fetch` returns the bytes of a location the request names.
    pub fn handle(
        &mut self,
        request: &Request,
        fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, FetchError>,
    ) -> DeviceOutcome {
        let c = request.correlator.as_ref();
        match &request.body {
            ServiceRequest::Backoff(b) => self.backoff(c, &b.action),
            ServiceRequest::DeviceInfo(d) => self.device_info(c, &d.kind),
            ServiceRequest::CliExec(e) => self.cli_exec(c, &e.cmd),
            ServiceRequest::CliConfig(cfg) => self.cli_config(c, cfg),
            ServiceRequest::ConfigUpgrade(u) => self.config_upgrade(c, u, fetch),
            ServiceRequest::ImageInstall(i) => self.image_install(c, i, fetch),
            ServiceRequest::FileTransfer(t) => self.file_transfer(c, t, fetch),
            ServiceRequest::Licensing(l) => self.licensing(c, l),
            ServiceRequest::Reload(r) => self.reload_request(c, r),
            ServiceRequest::Script(_) => self.script(c),
            ServiceRequest::Topology => self.topology(c),
            ServiceRequest::Capability => self.capability(c),
            ServiceRequest::CertificateInstall(ci) => self.certificate_install(c, ci),
            ServiceRequest::Redirection(r) => self.redirection(c, r),
            ServiceRequest::DeviceAuth(a) => self.device_auth(c, a),
        }
    }

    /// Reloads: boots the boot image, running config := startup config, next config-register.
    pub fn reload(&mut self) {
        self.reloads += 1;
        self.image = self.boot_image.clone();
        self.version = self.boot_version.clone();
        self.running = self.startup.clone();
        self.config_register = self.config_register_next;
        self.hostname = self.configured_hostname();
    }

    /// The UDI.
    pub fn udi(&self) -> &Udi {
        &self.udi
    }

    /// The hostname (from `hostname` in the running config, else the factory name).
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The running version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The running image file, `fs:name`.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// The image and version the next reload boots.
    pub fn boot(&self) -> (&str, &str) {
        (&self.boot_image, &self.boot_version)
    }

    /// Running configuration lines.
    pub fn running_config(&self) -> &[String] {
        &self.running
    }

    /// Startup configuration lines.
    pub fn startup_config(&self) -> &[String] {
        &self.startup
    }

    /// Current and next config-register.
    pub fn config_register(&self) -> (u16, u16) {
        (self.config_register, self.config_register_next)
    }

    /// How many times the device reloaded.
    pub fn reloads(&self) -> u32 {
        self.reloads
    }

    /// The file systems.
    pub fn file_systems(&self) -> &[FileSystem] {
        &self.file_systems
    }

    /// The SUDI serial number (the SN of the UDI) when the device has a SUDI.
    pub fn sudi_serial(&self) -> Option<&str> {
        self.sudi.as_ref().map(|_| self.udi.sn.as_str())
    }

    fn configured_hostname(&self) -> String {
        self.running
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("hostname "))
            .map_or_else(|| self.spec_hostname.clone(), |h| h.trim().to_owned())
    }
}
