//! Device info (`urn:cisco:pnp:device-info`, pnp.md §2.5.4): the server asks for one group or
//! `all`; the agent answers with UDI, image, hardware, file-system and profile groups.
//!
//! Inputs: an untrusted `response` element. Every field is kept as a string (real devices put
//! serial numbers in `boardId` and negative sizes in `mainMemSize`, §2.6 rule 1); sections the
//! XSD does not define (`stackInfo`, `deviceModeInfo`, …) are kept as re-rendered XML text.

use super::common::ServerSpec;
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// The group a device-info request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceInfoType {
    /// `all`.
    All,
    /// `image`.
    Image,
    /// `hardware`.
    Hardware,
    /// `filesystem`.
    Filesystem,
    /// `udi`.
    Udi,
    /// `profile`.
    Profile,
    /// Any other type string.
    Other(String),
}

impl DeviceInfoType {
    fn as_str(&self) -> &str {
        match self {
            Self::All => "all",
            Self::Image => "image",
            Self::Hardware => "hardware",
            Self::Filesystem => "filesystem",
            Self::Udi => "udi",
            Self::Profile => "profile",
            Self::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "all" => Self::All,
            "image" => Self::Image,
            "hardware" => Self::Hardware,
            "filesystem" => Self::Filesystem,
            "udi" => Self::Udi,
            "profile" => Self::Profile,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A device-info request: `<deviceInfo type="…"/>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfoRequest {
    /// The requested group.
    pub kind: DeviceInfoType,
}

impl DeviceInfoRequest {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        request.child(Node::new("deviceInfo").attr("type", self.kind.as_str()))
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let d = request.require("deviceInfo")?;
        let kind = d.attr("type").ok_or(ParseError::MissingAttribute {
            element: "deviceInfo",
            attribute: "type",
        })?;
        Ok(Self {
            kind: DeviceInfoType::parse(kind),
        })
    }
}

/// The `udi` group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdiInfo {
    /// `primary-chassis`.
    pub primary_chassis: Option<String>,
    /// `stacked-switch/member-udi` as (slot, UDI text).
    pub members: Vec<(Option<String>, String)>,
    /// `ha-device/standby-udi`.
    pub standby: Vec<String>,
}

/// One `fileSystemList/fileSystem` (all attributes as sent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSystem {
    /// `name`, e.g. `bootflash`, `flash0`.
    pub name: Option<String>,
    /// `type`, e.g. `disk`, `flash`, `nvram`.
    pub kind: Option<String>,
    /// `size` in bytes.
    pub size: Option<String>,
    /// `freespace` in bytes.
    pub freespace: Option<String>,
    /// `readable`.
    pub readable: Option<String>,
    /// `writable`.
    pub writable: Option<String>,
}

/// One `profileInfo/profile`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// `profile-name`.
    pub name: Option<String>,
    /// `discovery-created`.
    pub discovery_created: Option<String>,
    /// `created-by` (`DHCP`, `PnP-DHCP`, `user`, …).
    pub created_by: Option<String>,
    /// `primary-server`, when it could be read.
    pub primary: Option<ServerSpec>,
    /// `backup-server`, when it could be read.
    pub backup: Option<ServerSpec>,
}

/// A group this parser does not model, kept as XML text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSection {
    /// Local name of the element.
    pub name: String,
    /// The element re-rendered as XML.
    pub xml: String,
}

/// Text fields of `imageInfo` and `hardwareInfo`, by local name, in document order.
pub type Fields = Vec<(String, String)>;

/// A device-info response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `thisProfileName` (IOS-XE 17.x).
    pub this_profile_name: Option<String>,
    /// The `udi` group.
    pub udi: Option<UdiInfo>,
    /// `imageInfo` fields (`versionString`, `imageFile`, `imageHash`, `bootVariable`, …).
    pub image: Option<Fields>,
    /// `hardwareInfo` fields (`hostname`, `platformName`, `boardId`, …).
    pub hardware: Option<Fields>,
    /// `fileSystemList`.
    pub file_systems: Vec<FileSystem>,
    /// `profileInfo`.
    pub profiles: Vec<Profile>,
    /// Groups not modelled above.
    pub other: Vec<RawSection>,
}

impl DeviceInfo {
    /// One field of `imageInfo`.
    pub fn image_field(&self, name: &str) -> Option<&str> {
        field(self.image.as_ref()?, name)
    }

    /// One field of `hardwareInfo`.
    pub fn hardware_field(&self, name: &str) -> Option<&str> {
        field(self.hardware.as_ref()?, name)
    }

    pub(crate) fn from_response(response: &Element) -> Self {
        let mut info = Self::default();
        for section in response.children.iter().filter(|c| c.ns == response.ns) {
            match section.name.as_str() {
                "thisProfileName" => info.this_profile_name = Some(section.text.clone()),
                "udi" => info.udi = Some(udi_info(section)),
                "imageInfo" => info.image = Some(fields(section)),
                "hardwareInfo" => info.hardware = Some(fields(section)),
                "fileSystemList" => {
                    info.file_systems = section
                        .children_named("fileSystem")
                        .map(file_system)
                        .collect()
                }
                "profileInfo" => {
                    info.profiles = section.children_named("profile").map(profile).collect()
                }
                "errorInfo" => {}
                _ => info.other.push(RawSection {
                    name: section.name.clone(),
                    xml: section.to_xml(),
                }),
            }
        }
        info
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn fields(section: &Element) -> Fields {
    section
        .children
        .iter()
        .map(|c| (c.name.clone(), c.text.clone()))
        .collect()
}

fn udi_info(section: &Element) -> UdiInfo {
    let members = section
        .child("stacked-switch")
        .map(|s| {
            s.children_named("member-udi")
                .map(|m| (m.attr("slot").map(str::to_owned), m.text.clone()))
                .collect()
        })
        .unwrap_or_default();
    let standby = section
        .child("ha-device")
        .map(|h| {
            h.children_named("standby-udi")
                .map(|s| s.text.clone())
                .collect()
        })
        .unwrap_or_default();
    UdiInfo {
        primary_chassis: section.child_text("primary-chassis"),
        members,
        standby,
    }
}

fn file_system(e: &Element) -> FileSystem {
    let a = |name: &str| e.attr(name).map(str::to_owned);
    FileSystem {
        name: a("name"),
        kind: a("type"),
        size: a("size"),
        freespace: a("freespace"),
        readable: a("readable"),
        writable: a("writable"),
    }
}

fn profile(e: &Element) -> Profile {
    Profile {
        name: e.attr("profile-name").map(str::to_owned),
        discovery_created: e.attr("discovery-created").map(str::to_owned),
        created_by: e.attr("created-by").map(str::to_owned),
        primary: e
            .child("primary-server")
            .and_then(|s| ServerSpec::of(s).ok()),
        backup: e
            .child("backup-server")
            .and_then(|s| ServerSpec::of(s).ok()),
    }
}
