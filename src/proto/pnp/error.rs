//! [`ParseError`]: every way an agent's PnP XML body can be refused.
//!
//! Inputs: bytes from the device, untrusted. Each variant carries structured data (limits, byte
//! offsets, element names) so callers can log and count without comparing message text
//! (STYLE.md §2.2).

use crate::identity::IdentityError;

/// Why a PnP message could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is larger than the limit (see [`super::MAX_BODY_BYTES`]).
    #[error("body of {actual} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The size of the body.
        actual: usize,
    },
    /// The body is empty or holds only whitespace.
    #[error("empty body")]
    Empty,
    /// The body is not UTF-8.
    #[error("body is not UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A document type declaration (`<!DOCTYPE`), which PnP never uses.
    #[error("document type declarations are refused")]
    Dtd,
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("entity reference `&{name};` is refused")]
    Entity {
        /// The entity name (truncated to 64 bytes).
        name: String,
    },
    /// A character reference that names no valid character.
    #[error("invalid character reference `&{reference};`")]
    BadCharRef {
        /// The reference text, e.g. `#xD800` (truncated to 64 bytes).
        reference: String,
    },
    /// Elements nest deeper than the limit.
    #[error("elements nest deeper than {limit}")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// More elements than the limit.
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The element limit.
        limit: usize,
    },
    /// More attributes than the limit.
    #[error("more than {limit} attributes")]
    TooManyAttributes {
        /// The attribute limit.
        limit: usize,
    },
    /// The XML is not well-formed.
    #[error("malformed XML at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset where the problem was detected.
        offset: u64,
        /// What the XML reader reported.
        reason: String,
    },
    /// A namespace prefix that was never declared.
    #[error("undeclared namespace prefix `{prefix}`")]
    UnboundPrefix {
        /// The prefix.
        prefix: String,
    },
    /// The root is not `{urn:cisco:pnp}pnp`.
    #[error("root element is not {{urn:cisco:pnp}}pnp")]
    UnexpectedRoot,
    /// `<pnp>` holds no `info`, `request` or `response` child, or one of the wrong kind.
    #[error("expected a `{expected}` under <pnp>")]
    UnexpectedBody {
        /// The local name that was expected.
        expected: &'static str,
    },
    /// The body element is in a namespace that is not a known PnP service.
    #[error("unknown service namespace `{namespace}`")]
    UnknownService {
        /// The namespace URI (truncated to 64 bytes).
        namespace: String,
    },
    /// A required element is absent.
    #[error("missing element <{name}>")]
    MissingElement {
        /// Local name of the missing element.
        name: &'static str,
    },
    /// A required attribute is absent.
    #[error("missing attribute `{attribute}` on <{element}>")]
    MissingAttribute {
        /// Local name of the element.
        element: &'static str,
        /// Name of the attribute.
        attribute: &'static str,
    },
    /// A value that does not have the expected form.
    #[error("invalid value for `{field}`")]
    InvalidValue {
        /// The element or attribute name.
        field: &'static str,
    },
    /// The UDI is not `PID:…,VID:…,SN:…`.
    #[error("bad UDI: {0}")]
    BadUdi(#[from] IdentityError),
}

/// Cuts peer-provided text to at most 64 bytes (on a character boundary) for error values.
pub(crate) fn truncated(s: &str) -> String {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_owned()
}
