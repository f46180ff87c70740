//! What a certificate says: subject, issuer, the SUDI serialNumber attribute and the identity in
//! it, validity, signature algorithm, key and SHA-256 fingerprint (`ztpgate certs inspect`).
//!
//! Trust: the certificate is attacker-controlled DER; it is parsed by x509-parser and nothing in it
//! is trusted (the chain verdict comes from [`crate::pki::verify`]). Pure: DER in, values out.

use chrono::{DateTime, Utc};
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use x509_parser::asn1_rs::Tag;
use x509_parser::certificate::X509Certificate;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384, OID_X509_SERIALNUMBER};
use x509_parser::public_key::PublicKey;

use crate::identity::{CertIdentity, IdentityError};

/// The facts read from one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name (RFC 4514 style).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// The subject serialNumber attribute (2.5.4.5), if present.
    pub serial_number: Option<SerialNumberAttr>,
    /// notBefore.
    pub not_before: DateTime<Utc>,
    /// notAfter.
    pub not_after: DateTime<Utc>,
    /// Signature algorithm name (or dotted OID).
    pub signature_algorithm: String,
    /// Public key, e.g. `RSA 2048` or `EC P-256`.
    pub key: String,
    /// SHA-256 of the DER, upper-case hex pairs joined by `:` (as `openssl x509 -fingerprint`).
    pub sha256_fingerprint: String,
    /// Whether basicConstraints marks it as a CA.
    pub is_ca: bool,
}

/// The subject serialNumber attribute and the SUDI identity parsed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialNumberAttr {
    /// The attribute's text.
    pub value: String,
    /// Its ASN.1 string type, e.g. `PrintableString` (real SUDIs) or `UTF8String`.
    pub string_type: &'static str,
    /// `PID:<pid> SN:<sn>` parsed, or why it is not a SUDI identity.
    pub identity: Result<CertIdentity, IdentityError>,
}

/// Why a certificate could not be inspected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an X.509 certificate: {reason}")]
pub struct InspectError {
    /// The parser's complaint.
    pub reason: String,
}

impl CertInfo {
    /// Reads the facts of a DER certificate.
    pub fn from_der(der: &CertificateDer<'_>) -> Result<Self, InspectError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| InspectError {
            reason: e.to_string(),
        })?;
        let validity = cert.validity();
        Ok(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial_number: serial_number(&cert),
            not_before: datetime(validity.not_before.timestamp()),
            not_after: datetime(validity.not_after.timestamp()),
            signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
            key: key_description(&cert),
            sha256_fingerprint: fingerprint(der),
            is_ca: cert.is_ca(),
        })
    }

    /// The SUDI identity, when the serialNumber attribute holds one.
    pub fn identity(&self) -> Option<&CertIdentity> {
        self.serial_number
            .as_ref()
            .and_then(|s| s.identity.as_ref().ok())
    }
}

fn serial_number(cert: &X509Certificate<'_>) -> Option<SerialNumberAttr> {
    let attr = cert.subject().iter_by_oid(&OID_X509_SERIALNUMBER).next()?;
    let value = match attr.as_str() {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(attr.as_slice()).into_owned(),
    };
    let string_type = match attr.attr_value().tag() {
        Tag::PrintableString => "PrintableString",
        Tag::Utf8String => "UTF8String",
        Tag::Ia5String => "IA5String",
        Tag::NumericString => "NumericString",
        Tag::BmpString => "BMPString",
        Tag::TeletexString => "TeletexString",
        _ => "other",
    };
    let identity = CertIdentity::parse_serial_number(&value);
    Some(SerialNumberAttr {
        value,
        string_type,
        identity,
    })
}

fn key_description(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(c) if c == OID_EC_P256 => "EC P-256".to_owned(),
                Some(c) if c == OID_NIST_EC_P384 => "EC P-384".to_owned(),
                Some(c) => format!("EC {}", oid_name(&c)),
                None => "EC (unnamed curve)".to_owned(),
            }
        }
        _ => oid_name(&spki.algorithm.algorithm),
    }
}

fn oid_name(oid: &x509_parser::oid_registry::Oid<'_>) -> String {
    oid2sn(oid, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn datetime(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{KeyKind, lab, load_certs_pem};

    #[test]
    fn reads_sudi_identity_from_printable_serial_number() {
        let dir = tempfile::tempdir().unwrap();
        lab::init(dir.path(), false).unwrap();
        let files =
            lab::issue_device(dir.path(), "C9300-24P", "FOC1234X0AB", KeyKind::P256, 30).unwrap();
        let der = load_certs_pem(&files.cert).unwrap().remove(0);
        let info = CertInfo::from_der(&der).unwrap();
        let serial = info.serial_number.as_ref().unwrap();
        assert_eq!(serial.value, "PID:C9300-24P SN:FOC1234X0AB");
        assert_eq!(serial.string_type, "PrintableString");
        assert_eq!(info.identity().unwrap().pid, "C9300-24P");
        assert_eq!(info.key, "EC P-256");
        assert_eq!(info.signature_algorithm, "sha256WithRSAEncryption");
        assert!(info.issuer.contains("ztpgate lab device CA"));
        assert!(!info.is_ca);
        assert_eq!(info.sha256_fingerprint.len(), 32 * 3 - 1);
        assert_eq!((info.not_after - info.not_before).num_days(), 30);
    }

    #[test]
    fn describes_rsa_key_and_ca_without_serial_number() {
        let dir = tempfile::tempdir().unwrap();
        let pki = lab::init(dir.path(), false).unwrap();
        let der = load_certs_pem(&pki.device_root_cert).unwrap().remove(0);
        let info = CertInfo::from_der(&der).unwrap();
        assert_eq!(info.key, "RSA 2048");
        assert!(info.is_ca);
        assert!(info.serial_number.is_none());
        assert!(info.identity().is_none());
    }

    #[test]
    fn rejects_garbage() {
        let der = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
        assert!(CertInfo::from_der(&der).is_err());
    }
}
