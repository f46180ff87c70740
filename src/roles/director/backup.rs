//! Names of configuration backups in the repository, as the Cisco director writes them
//! (`show vstack status detail`: "Latest backup file: flash:/vstack/2960pd-47-001d.71ba.f780.REV2"):
//! `<hostname>-<mac>.REV2` for the latest, `.REV1` for the one before, and the name ztpgate asks
//! a client to upload under before it is rotated into place.
//!
//! Pure. The hostname comes from the client (DHCP, CDP): every byte outside `[A-Za-z0-9._-]`
//! becomes `_` and leading dots are dropped, so a name can never leave the repository.

use crate::roles::director::views::cisco_mac;

/// Longest hostname part of a backup name, in bytes.
pub const MAX_HOSTNAME_BYTES: usize = 63;

/// The latest and previous backup names of a client: (`….REV2`, `….REV1`).
pub fn revision_names(hostname: Option<&str>, mac: &[u8; 6]) -> (String, String) {
    let base = format!("{}-{}", safe_hostname(hostname), cisco_mac(mac));
    (format!("{base}.REV2"), format!("{base}.REV1"))
}

/// The file name a client is asked to upload its configuration as.
pub fn upload_name(mac: &[u8; 6]) -> String {
    format!("vstack-backup-{}.cfg", hex::encode(mac))
}

fn safe_hostname(hostname: Option<&str>) -> String {
    let cleaned: String = hostname
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_HOSTNAME_BYTES)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "Switch".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x00, 0x1d, 0x71, 0xba, 0xf7, 0x80];

    #[test]
    fn names_follow_the_reference_and_stay_in_the_repository() {
        assert_eq!(
            revision_names(Some("2960pd-47"), &MAC),
            (
                "2960pd-47-001d.71ba.f780.REV2".to_owned(),
                "2960pd-47-001d.71ba.f780.REV1".to_owned()
            )
        );
        assert_eq!(revision_names(None, &MAC).0, "Switch-001d.71ba.f780.REV2");
        assert_eq!(
            revision_names(Some("../../etc/x y"), &MAC).0,
            "_.._etc_x_y-001d.71ba.f780.REV2"
        );
        assert_eq!(
            revision_names(Some("..."), &MAC).0,
            "Switch-001d.71ba.f780.REV2"
        );
        let long = "a".repeat(500);
        assert!(revision_names(Some(&long), &MAC).0.len() < 90);
        assert_eq!(upload_name(&MAC), "vstack-backup-001d71baf780.cfg");
    }
}
