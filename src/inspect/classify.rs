//! What a transferred file is, from its name alone: an IOS image, an image list, a configuration,
//! or something else. The rules on clear-text delivery (`rules/provisioning.toml`) key on it.
//!
//! | Class | Names |
//! |---|---|
//! | `image` | `*.bin`, `*.tar`, `*.pkg`, `*.SPA`, `*.img`, `*.iso` |
//! | `image_list` | `*imagelist*.txt`, `*imglist*.txt` (Smart Install image lists) |
//! | `config` | `*-confg`, `*.cfg`, `*.conf`, `*.config`, `config.text`, `startup-config`, `running-config`, `*.txt` whose name mentions `cfg`/`conf`/`config` |
//! | `other` | everything else |
//!
//! Only the last path segment counts; case is ignored; a query string or fragment is cut off.
//!
//! Inputs: attacker-controlled names (any bytes, any length); pure.

/// The class of a file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileClass {
    /// An IOS image or package.
    Image,
    /// A Smart Install image list.
    ImageList,
    /// A configuration.
    Config,
    /// Anything else.
    Other,
}

impl FileClass {
    /// The name rules use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::ImageList => "image_list",
            Self::Config => "config",
            Self::Other => "other",
        }
    }
}

/// Longest name looked at (longer names are judged by their last 255 bytes).
const MAX_NAME_BYTES: usize = 255;

/// The class of `path` (a TFTP file name, an HTTP path, an FTP argument).
pub fn classify(path: &str) -> FileClass {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let name = path.rsplit(['/', '\\', ':']).next().unwrap_or(path);
    let name = tail(name, MAX_NAME_BYTES).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if name.is_empty() {
        return FileClass::Other;
    }
    if matches!(ext, "bin" | "tar" | "pkg" | "spa" | "img" | "iso") {
        return FileClass::Image;
    }
    if ext == "txt" && (name.contains("imagelist") || name.contains("imglist")) {
        return FileClass::ImageList;
    }
    let config_name = name.ends_with("-confg")
        || matches!(ext, "cfg" | "conf" | "config" | "confg")
        || matches!(
            name.as_str(),
            "config.text" | "startup-config" | "running-config"
        );
    let config_text = ext == "txt" && (name.contains("cfg") || name.contains("conf"));
    if config_name || config_text {
        return FileClass::Config;
    }
    FileClass::Other
}

/// The last `max` bytes of `s`, cut at a character boundary.
fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_lists_and_configs_are_told_apart() {
        for (name, class) in [
            ("c2960-lanbasek9-mz.150-2.SE11.bin", FileClass::Image),
            (
                "/images/c2960x-universalk9-tar.152-7.E8.tar",
                FileClass::Image,
            ),
            ("cat9k_iosxe.17.09.04a.SPA.bin", FileClass::Image),
            ("tar_imglist0.txt", FileClass::ImageList),
            ("clients/0c1d2e3f4a5b/imagelist.txt", FileClass::ImageList),
            ("Router-confg", FileClass::Config),
            ("network-confg", FileClass::Config),
            ("192.0.2.2.conf", FileClass::Config),
            ("client_cfg_pnp.txt", FileClass::Config),
            ("flash:/config.text", FileClass::Config),
            ("nvram:startup-config", FileClass::Config),
            ("day0.cfg?token=abc", FileClass::Config),
            ("random_file", FileClass::Other),
            ("execute.txt", FileClass::Other),
            ("/pnp/WORK-REQUEST", FileClass::Other),
            ("", FileClass::Other),
            ("/", FileClass::Other),
        ] {
            assert_eq!(classify(name), class, "{name}");
        }
    }

    #[test]
    fn long_and_odd_names_do_not_panic() {
        let long = format!("{}é.bin", "x".repeat(10_000));
        assert_eq!(classify(&long), FileClass::Image);
        assert_eq!(classify("ééé"), FileClass::Other);
        assert_eq!(classify("a.BIN"), FileClass::Image);
    }
}
