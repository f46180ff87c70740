//! The emulated switch's software identity: which IOS image it runs and how it names it in
//! `show version` and in its CDP software-version TLV. Pure: an image file name in, an
//! [`Software`] out.
//!
//! Cisco `.tar` image bundles are named `<platform>-<feature set>-<format>.<version>.tar`, e.g.
//! `c2960x-universalk9-mz.152-7.E8.tar` (IOS 15.2(7)E8) or `c3750e-universalk9-tar.122-55.SE12.tar`
//! (12.2(55)SE12). The running image then calls itself `C2960X-UNIVERSALK9-M`. The version part is
//! `<major><minor>-<maintenance>.<train+rebuild>`. Anything that does not follow the pattern is
//! taken as an image named after the file (upper-cased, without extension), version `unknown`.
//!
//! Inputs: file names from image list files served by a director (untrusted, but only used as
//! text); the CDP line built here must parse with `roles::director::database::image_and_version`.

use serde::Serialize;

/// The image the switch has before anything is installed (a Catalyst 2960-X on IOS 15.2).
pub const BUILTIN_IMAGE: &str = "C2960X-UNIVERSALK9-M";
/// The version of [`BUILTIN_IMAGE`].
pub const BUILTIN_VERSION: &str = "15.2(7)E8";
/// The version reported for an image whose name does not tell it.
pub const UNKNOWN_VERSION: &str = "unknown";

/// Which software a switch runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Software {
    /// The image name, e.g. `C2960X-UNIVERSALK9-M`.
    pub image: String,
    /// The version, e.g. `15.2(7)E8`.
    pub version: String,
}

impl Software {
    /// The built-in image.
    pub fn builtin() -> Self {
        Self {
            image: BUILTIN_IMAGE.to_owned(),
            version: BUILTIN_VERSION.to_owned(),
        }
    }

    /// The software an image file installs (see the module documentation). Directory parts of
    /// `file` (`/` or `:` separated) are ignored.
    pub fn from_file(file: &str) -> Self {
        let base = file.rsplit(['/', ':']).next().unwrap_or(file).trim();
        parse_bundle(base).unwrap_or_else(|| Self {
            image: strip_extension(base).to_ascii_uppercase(),
            version: UNKNOWN_VERSION.to_owned(),
        })
    }

    /// The product family: the image's first `-` component (`C2960X`).
    pub fn family(&self) -> &str {
        self.image.split('-').next().unwrap_or(&self.image)
    }

    /// The first line of `show version`, as advertised in CDP:
    /// `Cisco IOS Software, <FAMILY> Software (<IMAGE>), Version <VERSION>, RELEASE SOFTWARE (fc1)`.
    pub fn version_line(&self) -> String {
        format!(
            "Cisco IOS Software, {} Software ({}), Version {}, RELEASE SOFTWARE (fc1)",
            self.family(),
            self.image,
            self.version
        )
    }
}

/// `platform-feature-format.VVV-M.TRAIN.tar` → image `PLATFORM-FEATURE-M`, version `V.V(M)TRAIN`.
fn parse_bundle(base: &str) -> Option<Software> {
    let stem = base
        .strip_suffix(".tar")
        .or_else(|| base.strip_suffix(".bin"))?;
    let (name, version) = stem.split_once('.')?;
    let mut parts = name.split('-');
    let (platform, feature, _format) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || platform.is_empty() || feature.is_empty() {
        return None;
    }
    let version = parse_version(version)?;
    Some(Software {
        image: format!("{platform}-{feature}-m").to_ascii_uppercase(),
        version,
    })
}

/// `152-7.E8` → `15.2(7)E8`; `122-55.SE12` → `12.2(55)SE12`.
fn parse_version(text: &str) -> Option<String> {
    let (release, rest) = text.split_once('-')?;
    let (maintenance, train) = rest.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if release.len() < 2 || !digits(release) || !digits(maintenance) || !alnum(train) {
        return None;
    }
    let (major, minor) = release.split_at(release.len() - 1);
    Some(format!("{major}.{minor}({maintenance}){train}"))
}

fn strip_extension(base: &str) -> &str {
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::director::database::image_and_version;

    fn sw(image: &str, version: &str) -> Software {
        Software {
            image: image.to_owned(),
            version: version.to_owned(),
        }
    }

    #[test]
    fn reads_the_2960x_bundle_name() {
        assert_eq!(
            Software::from_file("c2960x-universalk9-mz.152-7.E8.tar"),
            sw("C2960X-UNIVERSALK9-M", "15.2(7)E8")
        );
    }

    #[test]
    fn reads_the_3750e_tar_bundle_name() {
        assert_eq!(
            Software::from_file("c3750e-universalk9-tar.122-55.SE12.tar"),
            sw("C3750E-UNIVERSALK9-M", "12.2(55)SE12")
        );
    }

    #[test]
    fn ignores_directories_in_the_name() {
        assert_eq!(
            Software::from_file("images/c2960x-universalk9-mz.152-7.E8.tar"),
            Software::from_file("flash:c2960x-universalk9-mz.152-7.E8.tar")
        );
    }

    #[test]
    fn other_names_become_an_unknown_version() {
        assert_eq!(
            Software::from_file("my-image.bin"),
            sw("MY-IMAGE", "unknown")
        );
        assert_eq!(Software::from_file("firmware"), sw("FIRMWARE", "unknown"));
        assert_eq!(
            Software::from_file("c2960x-universalk9-mz.15x-7.E8.tar"),
            sw("C2960X-UNIVERSALK9-MZ.15X-7.E8", "unknown")
        );
    }

    #[test]
    fn family_is_the_first_image_component() {
        assert_eq!(Software::builtin().family(), "C2960X");
        assert_eq!(sw("FIRMWARE", "unknown").family(), "FIRMWARE");
    }

    #[test]
    fn version_line_parses_back_with_the_director_database() {
        for s in [
            Software::builtin(),
            Software::from_file("c3750e-universalk9-tar.122-55.SE12.tar"),
        ] {
            assert_eq!(
                image_and_version(&s.version_line()),
                Some((s.image.clone(), s.version.clone()))
            );
        }
        assert_eq!(
            Software::builtin().version_line(),
            "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, \
             RELEASE SOFTWARE (fc1)"
        );
    }
}
