//! Device authentication (`urn:cisco:pnp:device-auth`, pnp.md §2.5.17): the server sends a
//! challenge it chose; the agent signs it with its SUDI key and returns the signature and its
//! SUDI certificate.
//!
//! Inputs: typed values for rendering (the nonce comes from the caller: this module has no
//! randomness); an untrusted `response` element for parsing. Nothing here verifies anything: the
//! signature and certificate are only extracted (wherever they are, with or without the `auth`
//! wrapper, as Cisco's validator tolerates) and must be checked by `pki`/`policy`.

use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// Shortest accepted challenge (Cisco's validator uses 32 characters).
pub const MIN_CHALLENGE_LEN: usize = 16;
/// Longest accepted challenge.
pub const MAX_CHALLENGE_LEN: usize = 128;

/// A device-auth request carrying a server-chosen challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuthRequest {
    /// `challenge-request`: ASCII letters and digits, [`MIN_CHALLENGE_LEN`]–[`MAX_CHALLENGE_LEN`].
    pub challenge: String,
    /// `encryption-method`, comma-separated, e.g. `RSA,ECDSA`.
    pub encryption_methods: String,
    /// `hash-method`, comma-separated, e.g. `SHA256,SHA512`.
    pub hash_methods: String,
}

impl DeviceAuthRequest {
    /// A challenge with the default methods (`RSA,ECDSA` / `SHA256,SHA512`); the nonce must be
    /// ASCII alphanumerics of an accepted length.
    pub fn new(challenge: &str) -> Result<Self, ParseError> {
        check_challenge(challenge)?;
        Ok(Self {
            challenge: challenge.to_owned(),
            encryption_methods: "RSA,ECDSA".to_owned(),
            hash_methods: "SHA256,SHA512".to_owned(),
        })
    }

    pub(crate) fn append_to(&self, request: Node) -> Node {
        let body = Node::new("deviceAuth")
            .text_child("challenge-request", &self.challenge)
            .text_child("encryption-method", &self.encryption_methods)
            .text_child("hash-method", &self.hash_methods);
        request.child(body)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let d = request.require("deviceAuth")?;
        let challenge = d.require("challenge-request")?.text.clone();
        check_challenge(&challenge)?;
        Ok(Self {
            challenge,
            encryption_methods: d.child_text("encryption-method").unwrap_or_default(),
            hash_methods: d.child_text("hash-method").unwrap_or_default(),
        })
    }
}

fn check_challenge(c: &str) -> Result<(), ParseError> {
    let ok = (MIN_CHALLENGE_LEN..=MAX_CHALLENGE_LEN).contains(&c.len())
        && c.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ParseError::InvalidValue {
            field: "challenge-request",
        })
    }
}

/// The signed answer of a device-auth response (unverified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuthAnswer {
    /// `challenge-response`: base64 signature over the raw challenge bytes.
    pub challenge_response: String,
    /// `sudi-cert`: base64 of the PEM SUDI certificate.
    pub sudi_cert: String,
    /// `encryption-method` used, e.g. `RSA`.
    pub encryption_method: Option<String>,
    /// `hashing-method` used (also read from `hash-method`), e.g. `SHA256`.
    pub hash_method: Option<String>,
}

impl DeviceAuthAnswer {
    /// Finds the four fields anywhere below the response; `None` when signature or certificate
    /// is missing (a failed response carries `errorInfo` instead).
    pub(crate) fn from_response(response: &Element) -> Option<Self> {
        let find = |name: &str| find_text(response, &response.ns, name);
        Some(Self {
            challenge_response: find("challenge-response")?,
            sudi_cert: find("sudi-cert")?,
            encryption_method: find("encryption-method"),
            hash_method: find("hashing-method").or_else(|| find("hash-method")),
        })
    }

    /// The `auth` element as an agent sends it (for emulators and tests).
    pub fn to_node(&self) -> Node {
        Node::new("auth")
            .text_child("challenge-response", &self.challenge_response)
            .text_child("sudi-cert", &self.sudi_cert)
            .opt_text_child("encryption-method", self.encryption_method.as_ref())
            .opt_text_child("hashing-method", self.hash_method.as_ref())
    }
}

/// Depth-first search for the text of the first `{ns}name` descendant (the tree depth is bounded
/// by the reader, so recursion is bounded too).
fn find_text(e: &Element, ns: &str, name: &str) -> Option<String> {
    e.children.iter().find_map(|c| {
        if c.is(ns, name) {
            Some(c.text.clone())
        } else {
            find_text(c, ns, name)
        }
    })
}
