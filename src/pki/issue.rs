//! Certificate templates of the lab PKI (rcgen 0.14) and re-creating an issuer from a CA
//! certificate and key on disk.
//!
//! Trust: the CA files are the gateway's own lab PKI; they are still checked (the key must match
//! the certificate) so a mixed-up directory fails loudly instead of issuing unverifiable chains.

use std::path::Path;

use rcgen::string::{Ia5String, PrintableString};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData,
    SanType,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};
use x509_parser::asn1_rs::Tag;
use x509_parser::extensions::ParsedExtension;
use x509_parser::x509::X509Name;

use crate::identity::CertIdentity;
use crate::pki::{KeyKind, PkiError};

/// OID of the X.520 serialNumber attribute (2.5.4.5), where Cisco SUDIs carry `PID:… SN:…`.
pub(crate) const OID_SERIAL_NUMBER: [u64; 4] = [2, 5, 4, 5];

/// Certificates start this long before "now", to tolerate clocks that lag a little.
const BACKDATE: Duration = Duration::hours(1);

/// Organisation name written into every lab certificate.
const LAB_ORG: &str = "ztpgate lab";

/// Generates a fresh key pair.
pub(crate) fn generate_key(kind: KeyKind, what: &'static str) -> Result<KeyPair, PkiError> {
    let alg = match kind {
        KeyKind::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyKind::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
    };
    KeyPair::generate_for(alg).map_err(PkiError::generate(what))
}

/// A CA certificate template: `CN=<cn>, O=ztpgate lab`, valid `days` from `now`.
pub(crate) fn ca_params(
    cn: &str,
    path_len: Option<u8>,
    days: i64,
    now: OffsetDateTime,
) -> Result<CertificateParams, PkiError> {
    let mut params = base_params(cn, days, now, "CA")?;
    params.is_ca = IsCa::Ca(path_len.map_or(BasicConstraints::Unconstrained, |n| {
        BasicConstraints::Constrained(n)
    }));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// The gateway's TLS server certificate: SANs `localhost`, `127.0.0.1`, `::1`, EKU serverAuth.
pub(crate) fn server_params(days: i64, now: OffsetDateTime) -> Result<CertificateParams, PkiError> {
    let mut params = leaf_params("ztpgate lab server", days, now, "server certificate")?;
    let localhost =
        Ia5String::try_from("localhost").map_err(PkiError::generate("server certificate"))?;
    params.subject_alt_names = vec![
        SanType::DnsName(localhost),
        SanType::IpAddress([127, 0, 0, 1].into()),
        SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}

/// A client certificate (EKU clientAuth) with the given common name.
pub(crate) fn client_params(
    cn: &str,
    days: i64,
    now: OffsetDateTime,
) -> Result<CertificateParams, PkiError> {
    let mut params = leaf_params(cn, days, now, "client certificate")?;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    Ok(params)
}

/// A SUDI-like device certificate: subject serialNumber `PID:<pid> SN:<sn>` as a PrintableString
/// (as in real Cisco SUDIs), `CN=<pid>-<sn>`, EKU clientAuth.
pub(crate) fn device_params(
    id: &CertIdentity,
    kind: KeyKind,
    days: i64,
    now: OffsetDateTime,
) -> Result<CertificateParams, PkiError> {
    let what = "device certificate";
    let mut params = CertificateParams::default();
    set_validity(&mut params, days, now);
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CustomDnType(OID_SERIAL_NUMBER.to_vec()),
        printable(&id.to_string(), what)?,
    );
    dn.push(DnType::OrganizationName, printable(LAB_ORG, what)?);
    dn.push(
        DnType::OrganizationalUnitName,
        printable("ztpgate lab SUDI", what)?,
    );
    dn.push(
        DnType::CommonName,
        printable(&format!("{}-{}", id.pid, id.sn), what)?,
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = match kind {
        KeyKind::P256 => vec![KeyUsagePurpose::DigitalSignature],
        KeyKind::Rsa2048 => vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ],
    };
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// Re-creates the issuer of a CA from its certificate and private key files: the subject name is
/// copied attribute by attribute with its string type, so issued certificates name their issuer
/// byte-for-byte as chain building requires.
pub(crate) fn issuer_from_files(
    cert_path: &Path,
    key_path: &Path,
) -> Result<(Issuer<'static, KeyPair>, CertificateDer<'static>), PkiError> {
    let cert = crate::pki::load_certs_file(cert_path)?.remove(0);
    let key_der = crate::pki::load_key_pem(key_path)?;
    let key = KeyPair::try_from(&key_der).map_err(PkiError::generate("issuer key"))?;
    let (_, x509) =
        x509_parser::parse_x509_certificate(&cert).map_err(|e| PkiError::BadCertificate {
            path: cert_path.to_owned(),
            reason: e.to_string(),
        })?;
    if x509.public_key().raw != key.subject_public_key_info().as_slice() {
        return Err(PkiError::KeyMismatch {
            cert: cert_path.to_owned(),
            key: key_path.to_owned(),
        });
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = dn_from_name(x509.subject(), cert_path)?;
    if let Some(ski) = subject_key_id(&x509) {
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    }
    Ok((Issuer::new(params, key), cert))
}

fn base_params(
    cn: &str,
    days: i64,
    now: OffsetDateTime,
    what: &'static str,
) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::default();
    set_validity(&mut params, days, now);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, printable(LAB_ORG, what)?);
    dn.push(DnType::CommonName, printable(cn, what)?);
    params.distinguished_name = dn;
    Ok(params)
}

fn leaf_params(
    cn: &str,
    days: i64,
    now: OffsetDateTime,
    what: &'static str,
) -> Result<CertificateParams, PkiError> {
    let mut params = base_params(cn, days, now, what)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

fn set_validity(params: &mut CertificateParams, days: i64, now: OffsetDateTime) {
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::days(days);
}

fn printable(s: &str, what: &'static str) -> Result<DnValue, PkiError> {
    PrintableString::try_from(s)
        .map(DnValue::PrintableString)
        .map_err(PkiError::generate(what))
}

fn dn_from_name(name: &X509Name<'_>, path: &Path) -> Result<DistinguishedName, PkiError> {
    let mut dn = DistinguishedName::new();
    for attr in name.iter_attributes() {
        let unsupported = || PkiError::UnsupportedName {
            path: path.to_owned(),
            oid: attr.attr_type().to_id_string(),
        };
        let oid: Vec<u64> = attr.attr_type().iter().ok_or_else(unsupported)?.collect();
        let text = attr.as_str().map_err(|_| unsupported())?;
        let value = match attr.attr_value().tag() {
            Tag::PrintableString => DnValue::PrintableString(
                PrintableString::try_from(text).map_err(|_| unsupported())?,
            ),
            Tag::Ia5String => {
                DnValue::Ia5String(Ia5String::try_from(text).map_err(|_| unsupported())?)
            }
            Tag::Utf8String => DnValue::Utf8String(text.to_owned()),
            _ => return Err(unsupported()),
        };
        dn.push(DnType::from_oid(&oid), value);
    }
    Ok(dn)
}

fn subject_key_id(x509: &x509_parser::certificate::X509Certificate<'_>) -> Option<Vec<u8>> {
    x509.iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
}
