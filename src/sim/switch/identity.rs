//! The emulated switch's hardware identity (PID, VID, serial number, base MAC address) and the
//! `show version` it prints from it, laid out as a Catalyst 2960-X on IOS 15.2 prints it
//! (fixture `tests/fixtures/show_version/c2960x-15.2-7-e8.txt`), so that
//! `roles::smi_proxy::show_version::parse` reads back the same PID, VID, serial, hostname,
//! version, image and base MAC.
//!
//! Pure: the identity, hostname, software and uptime come in as arguments. Inputs: operator
//! options (trusted) and the running config's hostname.

use std::fmt::Write as _;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::software::Software;

/// The product ID when none is given (matches the default CDP platform).
pub const DEFAULT_PID: &str = "WS-C2960X-48FPD-L";
/// The version ID when none is given.
pub const DEFAULT_VID: &str = "V01";
/// The OUI of derived base MAC addresses (a Cisco one, as in the fixture).
const CISCO_OUI: [u8; 3] = [0x70, 0x10, 0x5C];

/// Who the switch is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Product ID, e.g. `WS-C2960X-48FPD-L`.
    pub pid: String,
    /// Version ID, e.g. `V01`.
    pub vid: String,
    /// System serial number, e.g. `FOC5CAB1280`.
    pub serial: String,
    /// Base Ethernet MAC address.
    pub base_mac: [u8; 6],
}

impl Identity {
    /// The default PID and VID, `base_mac` and the serial derived from it ([`derived_serial`]).
    pub fn for_mac(base_mac: [u8; 6]) -> Self {
        Self {
            pid: DEFAULT_PID.to_owned(),
            vid: DEFAULT_VID.to_owned(),
            serial: derived_serial(base_mac),
            base_mac,
        }
    }

    /// A stable identity for a switch named `hostname` when nothing else is known: a base MAC
    /// in the Cisco OUI whose tail is a hash of the name.
    pub fn for_hostname(hostname: &str) -> Self {
        Self::for_mac(derived_mac(hostname))
    }
}

/// `FOC` and the last four bytes of the MAC in upper-case hex (11 characters, like real serials).
pub fn derived_serial(mac: [u8; 6]) -> String {
    let [_, _, a, b, c, d] = mac;
    format!("FOC{a:02X}{b:02X}{c:02X}{d:02X}")
}

/// A base MAC in [`CISCO_OUI`] with the first three bytes of SHA-256(`seed`) as its tail.
pub fn derived_mac(seed: &str) -> [u8; 6] {
    let hash = Sha256::digest(seed.as_bytes());
    let tail = |i: usize| hash.get(i).copied().unwrap_or_default();
    let [o1, o2, o3] = CISCO_OUI;
    [o1, o2, o3, tail(0), tail(1), tail(2)]
}

/// Everything `show version` prints.
#[derive(Clone, Copy, Debug)]
pub struct VersionView<'a> {
    /// The hardware identity.
    pub identity: &'a Identity,
    /// The running config's hostname.
    pub hostname: &'a str,
    /// The running software.
    pub software: &'a Software,
    /// Time since the last reload.
    pub uptime: Duration,
}

/// The `show version` output, lines ending in `\n`, the last line followed by an empty one.
pub fn show_version(v: &VersionView<'_>) -> String {
    let family = v.software.family();
    let id = v.identity;
    let mut out = format!(
        "{}\nTechnical Support: http://www.cisco.com/techsupport\n\
         Copyright (c) 1986-2023 by Cisco Systems, Inc.\n\
         Compiled Fri 26-May-23 09:56 by mcpre\n\n\
         ROM: Bootstrap program is {family} boot loader\n\
         BOOTLDR: {family} Boot Loader ({family}-HBOOT-M) Version 15.2(7r)E, RELEASE SOFTWARE \
         (fc1)\n\n",
        v.software.version_line(),
    );
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{} uptime is {}\nSystem returned to ROM by power-on\n\
         System image file is \"flash:/{}\"\nLast reload reason: power-on\n\n\n\n",
        v.hostname,
        uptime(v.uptime),
        image_file(v.software),
    );
    out.push_str(
        "This product contains cryptographic features and is subject to United\n\
         States and local country laws governing import, export, transfer and\n\
         use. Delivery of Cisco cryptographic products does not imply\n\
         third-party authority to import, export, distribute or use encryption.\n\n\
         License Level: lanbase\nLicense Type: Permanent Right-To-Use\n\
         Next reload license Level: lanbase\n\n",
    );
    let ports = port_count(&id.pid);
    let [m0, m1, m2, m3, m4, m5] = id.base_mac;
    let _ = write!(
        out,
        "cisco {pid} (APM86XXX) processor (revision B0) with 524288K bytes of memory.\n\
         Processor board ID {sn}\nLast reset from power-on\n1 Virtual Ethernet interface\n\
         1 FastEthernet interface\n{ports} Gigabit Ethernet interfaces\n\
         The password-recovery mechanism is enabled.\n\n\
         512K bytes of flash-simulated non-volatile configuration memory.\n\
         Base ethernet MAC Address       : {m0:02X}:{m1:02X}:{m2:02X}:{m3:02X}:{m4:02X}:{m5:02X}\n\
         Motherboard assembly number     : 73-15275-09\n\
         Power supply part number        : 341-0528-03\n\
         Motherboard serial number       : {sn}\n\
         Model revision number           : E0\n\
         Motherboard revision number     : B0\n\
         Model number                    : {pid}\n\
         System serial number            : {sn}\n\
         Top Assembly Part Number        : 800-40855-04\n\
         Top Assembly Revision Number    : E0\n\
         Version ID                      : {vid}\n\
         CLEI Code Number                : CMM1S00DRA\n\
         Hardware Board Revision Number  : 0x14\n\n\n\
         Switch Ports Model                     SW Version            SW Image\n\
         ------ ----- -----                     ----------            ----------\n\
         *    1 {ports:<5} {pid:<25} {version:<21} {image}\n\n\n\
         Configuration register is 0xF\n\n",
        pid = id.pid,
        sn = id.serial,
        vid = id.vid,
        version = v.software.version,
        image = v.software.image,
    );
    out
}

/// IOS's uptime phrase: `3 days, 1 hour, 7 minutes` (weeks and years left out: a simulator does
/// not run that long); `0 minutes` right after a reload.
pub fn uptime(d: Duration) -> String {
    let minutes = d.as_secs() / 60;
    let parts = [
        (minutes / 1440, "day"),
        (minutes / 60 % 24, "hour"),
        (minutes % 60, "minute"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() {
        "0 minutes".to_owned()
    } else {
        words.join(", ")
    }
}

/// The image file the running software was loaded from: `C2960X-UNIVERSALK9-M` 15.2(7)E8 →
/// `c2960x-universalk9-mz.152-7.E8.bin` (the inverse of [`Software::from_file`]'s reading).
pub fn image_file(software: &Software) -> String {
    let image = software.image.to_ascii_lowercase();
    let stem = image
        .strip_suffix("-m")
        .map_or_else(|| image.clone(), |s| format!("{s}-mz"));
    // 15.2(7)E8 → 152-7.E8
    let compact = software
        .version
        .split_once('(')
        .and_then(|(release, rest)| {
            let (maintenance, train) = rest.split_once(')')?;
            Some(format!(
                "{}-{maintenance}.{train}",
                release.replace('.', "")
            ))
        });
    match compact {
        Some(version) => format!("{stem}.{version}.bin"),
        None => format!("{image}.bin"),
    }
}

/// Front ports + 4 uplinks, from the PID's second component (`WS-C2960X-48FPD-L` → 52); 28 when
/// the PID does not tell.
fn port_count(pid: &str) -> u32 {
    let digits: String = pid
        .split('-')
        .nth(2)
        .unwrap_or_default()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<u32>().map_or(28, |n| n.saturating_add(4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::smi_proxy::show_version::parse;

    #[test]
    fn derives_the_serial_from_the_mac_tail() {
        assert_eq!(
            derived_serial([0x70, 0x10, 0x5C, 0xAB, 0x12, 0x80]),
            "FOC5CAB1280"
        );
        assert_eq!(Identity::for_hostname("a"), Identity::for_hostname("a"));
        assert_ne!(
            Identity::for_hostname("a").serial,
            Identity::for_hostname("b").serial
        );
    }

    #[test]
    fn show_version_parses_back_to_the_identity() {
        let identity = Identity {
            pid: "WS-C2960X-24PS-L".into(),
            vid: "V03".into(),
            serial: "FOC2222X1AB".into(),
            base_mac: [0x70, 0x10, 0x5C, 1, 2, 3],
        };
        let software = Software::from_file("c3750e-universalk9-tar.122-55.SE12.tar");
        let text = show_version(&VersionView {
            identity: &identity,
            hostname: "edge-7",
            software: &software,
            uptime: Duration::from_secs(3 * 86400 + 3600 + 7 * 60),
        });
        assert!(text.contains("edge-7 uptime is 3 days, 1 hour, 7 minutes\n"));
        assert!(text.contains("*    1 28    WS-C2960X-24PS-L          12.2(55)SE12          "));
        let sv = parse(text.as_bytes()).unwrap();
        assert_eq!(
            sv.udi().to_string(),
            "PID:WS-C2960X-24PS-L,VID:V03,SN:FOC2222X1AB"
        );
        assert_eq!(sv.hostname.as_deref(), Some("edge-7"));
        assert_eq!(sv.version.as_deref(), Some("12.2(55)SE12"));
        assert_eq!(
            sv.image.as_deref(),
            Some("flash:/c3750e-universalk9-mz.122-55.SE12.bin")
        );
        assert_eq!(sv.base_mac, Some([0x70, 0x10, 0x5C, 1, 2, 3]));
    }

    #[test]
    fn the_builtin_image_file_reads_back_as_the_builtin_software() {
        let file = image_file(&Software::builtin());
        assert_eq!(file, "c2960x-universalk9-mz.152-7.E8.bin");
        assert_eq!(Software::from_file(&file), Software::builtin());
    }

    #[test]
    fn uptime_reads_like_ios() {
        assert_eq!(uptime(Duration::from_secs(5)), "0 minutes");
        assert_eq!(uptime(Duration::from_secs(60)), "1 minute");
        assert_eq!(uptime(Duration::from_secs(2 * 3600)), "2 hours");
    }
}
