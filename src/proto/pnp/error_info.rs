//! `errorInfo` of a failed work response and the named error codes of pnp.md §2.3.
//!
//! Inputs: the `errorInfo` element of an untrusted response. The wire code
//! (`"PnP Service Error NNNN"`, or a symbolic code) is always kept verbatim; the number is the
//! last space-separated token, as GS reads it; named codes come from the §2.3 tables and every
//! other code stays [`ErrorCode::Other`].

use super::envelope::Service;
use super::write::Node;
use super::xml::Element;

macro_rules! error_codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// The named code for a number, if the table names it.
            pub fn from_number(number: u16) -> Option<Self> {
                match number {
                    $($code => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The numeric wire code.
            pub fn number(self) -> u16 {
                match self {
                    $(Self::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// cli-config errors (1200–1202).
    CliConfigError {
        /// 1200 internal error.
        Internal = 1200,
        /// 1201 unsupported request.
        Unsupported = 1201,
        /// 1202 configExt unsupported.
        ExtUnsupported = 1202,
    }
}

error_codes! {
    /// cli-exec errors (1300–1309; the XSD gives 1300–1304 two names each).
    CliExecError {
        /// 1303, also named AUTHORIZATION_FAILED.
        AuthorizationFailed = 1303,
        /// 1304, also named INVALID_CLI.
        InvalidCli = 1304,
    }
}

error_codes! {
    /// config-upgrade errors (1400–1424).
    ConfigUpgradeError {
        /// 1402 apply-config request error.
        ApplyConfigRequest = 1402,
        /// 1403 hash check failed.
        HashFailed = 1403,
        /// 1404 copy failed.
        CopyFailed = 1404,
        /// 1405 wrong file type.
        FileType = 1405,
        /// 1406 config register is 0x0.
        ConfregZero = 1406,
        /// 1407 copy to startup failed.
        StartupCopyFailed = 1407,
        /// 1410 syntax error.
        SyntaxError = 1410,
        /// 1411 configuration locked.
        ConfigLocked = 1411,
        /// 1412 copy to running failed.
        RunningCopyFailed = 1412,
        /// 1413 invalid input detected (seen on real devices).
        InvalidInputDetected = 1413,
        /// 1414 boot manual.
        BootManual = 1414,
        /// 1415 cannot reload.
        CannotReload = 1415,
        /// 1416 invalid source file.
        InvalidSourceFile = 1416,
        /// 1417 invalid startup-config access.
        InvalidStartupAccess = 1417,
        /// 1418 invalid running-config access.
        InvalidRunningAccess = 1418,
        /// 1424 vty memory allocation failed.
        MallocVty = 1424,
    }
}

error_codes! {
    /// device-info errors (1600–1618).
    DeviceInfoError {
        /// 1607 image info retrieval failed.
        ImageInfoFailed = 1607,
        /// 1608 hardware info retrieval failed.
        HardwareInfoFailed = 1608,
        /// 1609 file system info retrieval failed.
        FilesystemInfoFailed = 1609,
        /// 1611 invalid request.
        InvalidRequest = 1611,
        /// 1618 profile info retrieval failed.
        ProfileInfoFailed = 1618,
    }
}

error_codes! {
    /// file-transfer errors (1700–1702).
    FileTransferError {
        /// 1702 file copy failed.
        FileCopyFailed = 1702,
    }
}

error_codes! {
    /// image-install errors (1800–1832).
    ImageInstallError {
        /// 1802 source not provided.
        SourceNotProvided = 1802,
        /// 1803 source not found.
        SourceNotFound = 1803,
        /// 1804 invalid executable.
        InvalidExecutable = 1804,
        /// 1805 config register is 0x0.
        ConfregZero = 1805,
        /// 1806 invalid image format (e.g. `packages.conf` offered).
        InvalidImageFormat = 1806,
        /// 1807 cannot parse path.
        CannotParsePath = 1807,
        /// 1812 image signature not present.
        SignatureNotPresent = 1812,
        /// 1813 image signature not valid.
        SignatureNotValid = 1813,
        /// 1814 signature algorithm not supported.
        SignatureAlgorithmUnsupported = 1814,
        /// 1815 signature generation failure.
        SignatureGenerationFailed = 1815,
        /// 1816 signature (checksum) verification failed.
        VerifyFailed = 1816,
        /// 1817 signature verified: running image already matches, no upgrade needed.
        SignatureVerified = 1817,
        /// 1818 destination stat failed.
        DestinationStatFailed = 1818,
        /// 1820 file open failed.
        FileOpenFailed = 1820,
        /// 1821 file write failed.
        FileWriteFailed = 1821,
        /// 1823 source open failed.
        SourceOpenFailed = 1823,
        /// 1824 invalid destination file system.
        InvalidDestinationFs = 1824,
        /// 1825 no space on the destination file system.
        NoSpace = 1825,
        /// 1826 installer API failed.
        InstallerFailed = 1826,
        /// 1827 installer API missing.
        InstallerMissing = 1827,
        /// 1829 image copy failed.
        ImageCopyFailed = 1829,
        /// 1830 copy to standby failed.
        StandbyCopyFailed = 1830,
        /// 1831 cannot run on standby.
        CannotRunOnStandby = 1831,
        /// 1832 not in VSS mode.
        NotVss = 1832,
    }
}

error_codes! {
    /// reload errors (2400–2406).
    ReloadError {
        /// 2405 saving the configuration failed.
        ConfigSaveFailed = 2405,
        /// 2406 the reload operation failed.
        ReloadFailed = 2406,
    }
}

error_codes! {
    /// script errors (2500–2522).
    ScriptError {
        /// 2502 execution failed.
        ExecFailed = 2502,
        /// 2517 maximum wait expired.
        MaxWaitExpired = 2517,
    }
}

error_codes! {
    /// certificate-install errors (3300–3337).
    CertificateInstallError {
        /// 3308 NTP not configured.
        NtpNotConfigured = 3308,
        /// 3309 clock not set.
        ClockNotSet = 3309,
        /// 3331 cannot import the CA certificate.
        CannotImportCaCert = 3331,
        /// 3333 failed to import the trustpool.
        TrustpoolImportFailed = 3333,
        /// 3337 no HELLO response after reconnecting.
        NoHelloResponse = 3337,
    }
}

error_codes! {
    /// device-auth errors (3400–3410).
    DeviceAuthError {
        /// 3401 encryption or hash method unavailable.
        MethodUnavailable = 3401,
        /// 3406 PKI signing failed.
        SignFailed = 3406,
        /// 3407 certificate retrieval failed.
        CertRetrievalFailed = 3407,
        /// 3409 invalid encryption method.
        InvalidEncryptionMethod = 3409,
        /// 3410 invalid hash method.
        InvalidHashMethod = 3410,
    }
}

/// A named error code of one service, or the wire text of any other code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// cli-config.
    CliConfig(CliConfigError),
    /// cli-exec.
    CliExec(CliExecError),
    /// config-upgrade.
    ConfigUpgrade(ConfigUpgradeError),
    /// device-info.
    DeviceInfo(DeviceInfoError),
    /// file-transfer.
    FileTransfer(FileTransferError),
    /// image-install.
    ImageInstall(ImageInstallError),
    /// reload.
    Reload(ReloadError),
    /// script.
    Script(ScriptError),
    /// certificate-install.
    CertificateInstall(CertificateInstallError),
    /// device-auth.
    DeviceAuth(DeviceAuthError),
    /// Any code the tables do not name, as sent.
    Other(String),
}

impl ErrorCode {
    /// Classifies a wire code of a response of `service`.
    pub fn classify(service: &Service, wire: &str) -> Self {
        let named = wire_number(wire).and_then(|n| match service {
            Service::CliConfig => CliConfigError::from_number(n).map(Self::CliConfig),
            Service::CliExec => CliExecError::from_number(n).map(Self::CliExec),
            Service::ConfigUpgrade => ConfigUpgradeError::from_number(n).map(Self::ConfigUpgrade),
            Service::DeviceInfo => DeviceInfoError::from_number(n).map(Self::DeviceInfo),
            Service::FileTransfer => FileTransferError::from_number(n).map(Self::FileTransfer),
            Service::ImageInstall => ImageInstallError::from_number(n).map(Self::ImageInstall),
            Service::Reload => ReloadError::from_number(n).map(Self::Reload),
            Service::Script => ScriptError::from_number(n).map(Self::Script),
            Service::CertificateInstall => {
                CertificateInstallError::from_number(n).map(Self::CertificateInstall)
            }
            Service::DeviceAuth => DeviceAuthError::from_number(n).map(Self::DeviceAuth),
            _ => None,
        });
        named.unwrap_or_else(|| Self::Other(wire.to_owned()))
    }

    /// The numeric code, when there is one.
    pub fn number(&self) -> Option<u16> {
        match self {
            Self::CliConfig(e) => Some(e.number()),
            Self::CliExec(e) => Some(e.number()),
            Self::ConfigUpgrade(e) => Some(e.number()),
            Self::DeviceInfo(e) => Some(e.number()),
            Self::FileTransfer(e) => Some(e.number()),
            Self::ImageInstall(e) => Some(e.number()),
            Self::Reload(e) => Some(e.number()),
            Self::Script(e) => Some(e.number()),
            Self::CertificateInstall(e) => Some(e.number()),
            Self::DeviceAuth(e) => Some(e.number()),
            Self::Other(wire) => wire_number(wire),
        }
    }

    /// The code as a device writes it: `PnP Service Error NNNN`, or the text of an unnamed code.
    pub fn wire(&self) -> String {
        match (self, self.number()) {
            (Self::Other(wire), _) => wire.clone(),
            (_, Some(n)) => format!("PnP Service Error {n}"),
            (_, None) => String::new(),
        }
    }
}

/// The number in `"PnP Service Error NNNN"` (the last space-separated token).
pub fn wire_number(wire: &str) -> Option<u16> {
    wire.split_whitespace().last()?.parse().ok()
}

/// The `errorInfo` of a failed response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    /// `errorSeverity` (`ERROR`, `WARNING`, `XSVC_ERROR`, …), as sent.
    pub severity: Option<String>,
    /// `errorCode` classified by service; the wire text is kept in [`ErrorCode::Other`] or
    /// reproducible with [`ErrorCode::wire`].
    pub code: Option<ErrorCode>,
    /// `errorCode` exactly as sent.
    pub code_text: Option<String>,
    /// `errorMessage`.
    pub message: Option<String>,
}

impl ErrorInfo {
    /// Reads the `errorInfo` child of a response, if any.
    pub fn of(response: &Element, service: &Service) -> Option<Self> {
        let info = response.child("errorInfo")?;
        let code_text = info.child_text("errorCode");
        Some(Self {
            severity: info.child_text("errorSeverity"),
            code: code_text
                .as_deref()
                .map(|c| ErrorCode::classify(service, c)),
            code_text,
            message: info.child_text("errorMessage"),
        })
    }

    /// The `errorInfo` element (used by agent emulators and tests).
    pub fn to_node(&self) -> Node {
        Node::new("errorInfo")
            .opt_text_child("errorSeverity", self.severity.as_ref())
            .opt_text_child("errorCode", self.code_text.as_ref())
            .opt_text_child("errorMessage", self.message.as_ref())
    }
}
