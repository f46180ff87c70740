//! Running N simulated devices concurrently (`ztpgate sim pnp-agent --count N`): serials
//! `<prefix>0001…`, each with its own lab SUDI issued on the fly from `--pki DIR`, or one device
//! with a given certificate and key. Reads the lab PKI files (edge code).
//!
//! Trust: the PKI directory and CA file are the operator's. Spec: `../shared/protocols/pnp.md`
//! §1 for the agent, §4.4 for SUDI use.

use std::path::{Path, PathBuf};

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::device::{Device, DeviceSpec, KeyError, SigningKey, Sudi};
use super::pnp_agent::{AgentOptions, AgentReport, FinalState, run_agent};
use crate::edge::client::{HttpClient, HttpError};
use crate::pki::lab::{DeviceRequest, issue};
use crate::pki::{KeyKind, PkiError, load_certs_pem, load_key_pem};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct FleetOptions {
    /// Number of devices.
    pub count: u32,
    /// Product ID of every device.
    pub pid: String,
    /// Serial prefix; device `i` has serial `<prefix><i:04>`.
    pub serial_prefix: String,
    /// Gateway CA (trust root for the server certificate).
    pub ca: PathBuf,
    /// Lab PKI directory: issue a SUDI per device and print the lab chain.
    pub pki: Option<PathBuf>,
    /// A given client certificate and key (one device only).
    pub cert_key: Option<(PathBuf, PathBuf)>,
    /// Key type of issued SUDIs.
    pub key_kind: KeyKind,
    /// Agent behaviour.
    pub agent: AgentOptions,
}

/// Why the fleet could not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// Reading or issuing certificates failed.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The device key is not usable for signing.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The TLS client could not be built.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// `--cert/--key` with more than one device.
    #[error("--cert/--key serve one device; use --pki to issue one per device")]
    SharedCertificate,
}

/// A device with its TLS client.
struct Prepared {
    device: Device,
    client: HttpClient,
}

/// Prepares every device (certificates first, so failures happen before any traffic), then
/// runs them concurrently and returns their reports in device order.
pub async fn run_fleet(opts: &FleetOptions) -> Result<Vec<AgentReport>, FleetError> {
    if opts.cert_key.is_some() && opts.count > 1 {
        return Err(FleetError::SharedCertificate);
    }
    let roots = load_certs_pem(&opts.ca)?;
    let mut prepared = Vec::new();
    for i in 1..=opts.count {
        prepared.push(prepare(opts, i, &roots)?);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, p) in prepared.into_iter().enumerate() {
        let agent = opts.agent.clone();
        tasks.spawn(async move { (i, run_agent(p.device, &p.client, &agent).await) });
    }
    let mut reports = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(report) => reports.push(report),
            Err(e) => reports.push((usize::MAX, crashed(&e.to_string()))),
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

fn crashed(reason: &str) -> AgentReport {
    AgentReport {
        udi: "?".to_owned(),
        state: FinalState::Error(format!("agent task failed: {reason}")),
        rounds: 0,
        services: Vec::new(),
        reloads: 0,
        version: String::new(),
        hostname: String::new(),
    }
}

fn prepare(
    opts: &FleetOptions,
    index: u32,
    roots: &[CertificateDer<'static>],
) -> Result<Prepared, FleetError> {
    let sn = format!("{}{index:04}", opts.serial_prefix);
    let spec = DeviceSpec::lab(&opts.pid, &sn);
    let files = match (&opts.cert_key, &opts.pki) {
        (Some((cert, key)), _) => Some((cert.clone(), key.clone())),
        (None, Some(dir)) => {
            let req = DeviceRequest {
                pid: &opts.pid,
                sn: &sn,
                key: opts.key_kind,
                days: crate::pki::lab::DEFAULT_DEVICE_DAYS,
                out_name: None,
                force: true,
            };
            let issued = issue(dir, &req)?;
            Some((issued.cert, issued.key))
        }
        (None, None) => None,
    };
    let Some((cert_path, key_path)) = files else {
        return Ok(Prepared {
            device: Device::new(spec, None),
            client: HttpClient::new(roots, None)?,
        });
    };
    let chain = load_certs_pem(&cert_path)?;
    let key = load_key_pem(&key_path)?;
    let sudi = match &opts.pki {
        Some(dir) => Some(lab_sudi(dir, &chain, &key)?),
        None => None,
    };
    let mut tls_chain = chain;
    if let Some(dir) = &opts.pki {
        tls_chain.truncate(1);
        tls_chain.extend(load_certs_pem(&dir.join("device-ca.crt"))?);
    }
    Ok(Prepared {
        device: Device::new(spec, sudi),
        client: HttpClient::new(roots, Some((tls_chain, key)))?,
    })
}

/// The SUDI of a lab device: device root, device CA (from the PKI directory) and the leaf.
fn lab_sudi(
    dir: &Path,
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
) -> Result<Sudi, FleetError> {
    let first = |p: PathBuf| -> Result<CertificateDer<'static>, FleetError> {
        load_certs_pem(&p)?
            .into_iter()
            .next()
            .ok_or(FleetError::Pki(PkiError::Missing { path: p }))
    };
    let leaf = chain.first().cloned().ok_or_else(|| {
        FleetError::Pki(PkiError::Missing {
            path: dir.join("devices"),
        })
    })?;
    Ok(Sudi {
        chain: [
            first(dir.join("device-root.crt"))?,
            first(dir.join("device-ca.crt"))?,
            leaf,
        ],
        key: SigningKey::from_pkcs8(key.secret_der())?,
    })
}

/// The totals line: devices, finished, terminated, errors.
pub fn totals(reports: &[AgentReport]) -> (String, bool) {
    let count = |f: fn(&FinalState) -> bool| reports.iter().filter(|r| f(&r.state)).count();
    let finished = count(|s| *s == FinalState::Finished);
    let terminated = count(|s| *s == FinalState::Terminated);
    let errors = count(|s| matches!(s, FinalState::Error(_)));
    let line = format!(
        "totals: devices={} finished={finished} terminated={terminated} errors={errors}",
        reports.len()
    );
    (line, errors == 0)
}
