//! URL parsing for policy checks: `scheme://[userinfo@]host[:port][/path]` for the schemes of
//! [`Scheme`], plus the IOS local file-system references (`flash:/config.text`) that Smart Install
//! `copy` commands and config slots use.
//!
//! Inputs are attacker-controlled bytes (URLs decoded from Smart Install messages) or semi-trusted
//! URLs from directors and upstream servers. The parser is bounded ([`MAX_URL_LEN_BYTES`]), never
//! allocates and never panics. It is deliberately stricter than RFC 3986 and the WHATWG URL
//! standard: anything two parsers could read differently (backslashes, percent-encoded or numeric
//! shorthand hosts, control characters, empty ports) is rejected, because a policy that reads a
//! different host than the device would be bypassed.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::policy::delivery::Scheme;

/// The longest URL accepted. Smart Install URL fields hold at most 415 bytes (smart-install.md
/// §3.6); PnP image URLs are far shorter.
pub const MAX_URL_LEN_BYTES: usize = 2048;

/// A network URL with a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    /// The scheme (matched case-insensitively).
    pub scheme: Scheme,
    /// The host as written: a DNS name, an IPv4 literal or a bracketed IPv6 literal.
    pub host: &'a str,
    /// The port, if given.
    pub port: Option<u16>,
    /// Everything after the authority (path, query, fragment); empty or starting with `/`, `?`
    /// or `#`.
    pub path: &'a str,
}

/// What a URL slot or `copy` argument refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    /// A file on a network server.
    Remote(Url<'a>),
    /// A file on one of the device's own file systems (`flash:`, `nvram:`, `system:` …); no host
    /// is contacted.
    Local {
        /// The file-system name, without the colon.
        filesystem: &'a str,
        /// The rest of the reference.
        path: &'a str,
    },
}

/// Why a URL was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN_BYTES`].
    #[error("URL longer than {MAX_URL_LEN_BYTES} bytes ({len})")]
    TooLong {
        /// Actual length in bytes.
        len: usize,
    },
    /// Empty input.
    #[error("empty URL")]
    Empty,
    /// A byte outside printable ASCII, or a backslash, at `offset`.
    #[error("forbidden character at byte {offset}")]
    BadCharacter {
        /// Byte offset of the character.
        offset: usize,
    },
    /// No `scheme:` prefix.
    #[error("no scheme")]
    MissingScheme,
    /// A scheme that is neither a known network scheme nor a local IOS file system.
    #[error("unknown scheme or file system")]
    UnknownScheme,
    /// A network scheme not followed by `//`.
    #[error("network scheme without //host")]
    MissingAuthority,
    /// No host after `//`.
    #[error("empty host")]
    EmptyHost,
    /// A host that is not a DNS name, an IPv4 literal or a bracketed IPv6 literal.
    #[error("malformed host")]
    BadHost,
    /// A port that is empty, not a number or above 65535.
    #[error("malformed port")]
    BadPort,
}

/// Parses a network URL (`scheme://host…`). Local file-system references are an error here.
pub fn parse(s: &str) -> Result<Url<'_>, UrlError> {
    match parse_reference(s)? {
        Reference::Remote(url) => Ok(url),
        Reference::Local { .. } => Err(UrlError::UnknownScheme),
    }
}

/// Parses a network URL or a local IOS file-system reference.
///
/// A name before the first `:` that is a known local file system (see [`LOCAL_FILESYSTEMS`])
/// yields [`Reference::Local`] whatever follows. A network scheme must be followed by `//host`;
/// IOS's interactive forms (`tftp:` alone) and rcp-style `host:/path` are rejected.
pub fn parse_reference(s: &str) -> Result<Reference<'_>, UrlError> {
    check_characters(s)?;
    let (name, rest) = s.split_once(':').ok_or(UrlError::MissingScheme)?;
    if let Some(filesystem) = LOCAL_FILESYSTEMS
        .iter()
        .find(|fs| fs.eq_ignore_ascii_case(name))
    {
        return Ok(Reference::Local {
            filesystem,
            path: rest,
        });
    }
    let scheme = scheme_from_name(name).ok_or(UrlError::UnknownScheme)?;
    let rest = rest.strip_prefix("//").ok_or(UrlError::MissingAuthority)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    // Userinfo ends at the last `@`; it is not checked, only skipped.
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = split_port(hostport)?;
    check_host(host)?;
    Ok(Reference::Remote(Url {
        scheme,
        host,
        port,
        path,
    }))
}

/// The scheme named `name` (case-insensitive), if it is one the policy knows.
pub fn scheme_from_name(name: &str) -> Option<Scheme> {
    const ALL: [Scheme; 6] = [
        Scheme::Ftp,
        Scheme::Http,
        Scheme::Https,
        Scheme::Scp,
        Scheme::Sftp,
        Scheme::Tftp,
    ];
    ALL.into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(name))
}

/// IOS file systems that name storage on the device itself (lower case).
pub const LOCAL_FILESYSTEMS: [&str; 16] = [
    "bootflash",
    "crashinfo",
    "disk0",
    "disk1",
    "flash",
    "flash0",
    "flash1",
    "flash2",
    "nvram",
    "sdflash",
    "slot0",
    "slot1",
    "system",
    "tmpsys",
    "usbflash0",
    "usbflash1",
];

/// At most [`MAX_ECHO_BYTES`] of attacker-supplied text, for explanations and audit records.
pub(crate) fn shorten(text: &str) -> &str {
    let mut end = text.len().min(MAX_ECHO_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// How much of a rejected URL, command or checksum a reason echoes.
pub const MAX_ECHO_BYTES: usize = 160;

impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(self.path)
    }
}

fn check_characters(s: &str) -> Result<(), UrlError> {
    if s.is_empty() {
        return Err(UrlError::Empty);
    }
    if s.len() > MAX_URL_LEN_BYTES {
        return Err(UrlError::TooLong { len: s.len() });
    }
    match s.bytes().position(|b| !b.is_ascii_graphic() || b == b'\\') {
        Some(offset) => Err(UrlError::BadCharacter { offset }),
        None => Ok(()),
    }
}

/// Splits `host[:port]`, where an IPv6 host is bracketed.
fn split_port(hostport: &str) -> Result<(&str, Option<u16>), UrlError> {
    let (host, port) = if hostport.starts_with('[') {
        let close = hostport.find(']').ok_or(UrlError::BadHost)?;
        let (host, after) = hostport.split_at(close + 1);
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or(UrlError::BadHost)?),
            ),
        }
    } else {
        match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(UrlError::BadPort);
        }
        Some(p) => Some(p.parse::<u16>().map_err(|_| UrlError::BadPort)?),
    };
    Ok((host, port))
}

fn check_host(host: &str) -> Result<(), UrlError> {
    if host.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(UrlError::BadHost)?;
        return Ipv6Addr::from_str(inner)
            .map(drop)
            .map_err(|_| UrlError::BadHost);
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(UrlError::BadHost);
    }
    // A host whose last label looks numeric must be a canonical dotted quad: `10.1`,
    // `0x0a.0.0.1`, `010.0.0.1` or `167772161` mean 10.0.0.1 to some resolvers and not to others.
    let last = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x")));
    if numeric && Ipv4Addr::from_str(host).is_err() {
        return Err(UrlError::BadHost);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    #[test]
    fn parses_tftp_url_with_port_and_path() {
        let url = parse("TFTP://192.0.2.1:69/dir/file.conf").unwrap();
        assert_eq!(url.scheme, Scheme::Tftp);
        assert_eq!(url.host, "192.0.2.1");
        assert_eq!(url.port, Some(69));
        assert_eq!(url.path, "/dir/file.conf");
        assert_eq!(url.to_string(), "tftp://192.0.2.1:69/dir/file.conf");
    }

    #[test]
    fn skips_userinfo_and_keeps_last_at() {
        let url = parse("ftp://user:p@ss@files.example.net/img.bin").unwrap();
        assert_eq!(url.host, "files.example.net");
    }

    #[test]
    fn parses_bracketed_ipv6_and_pathless_urls() {
        let url = parse("https://[2001:db8::1]:8443").unwrap();
        assert_eq!(url.host, "[2001:db8::1]");
        assert_eq!(url.port, Some(8443));
        assert_eq!(url.path, "");
        assert_eq!(parse("http://h?x=1").unwrap().path, "?x=1");
    }

    #[test]
    fn classifies_local_filesystems() {
        assert_eq!(
            parse_reference("flash:/config.text").unwrap(),
            Reference::Local {
                filesystem: "flash",
                path: "/config.text"
            }
        );
        assert!(matches!(
            parse_reference("NVRAM:startup-config"),
            Ok(Reference::Local { .. })
        ));
        assert_eq!(parse("flash:/x"), Err(UrlError::UnknownScheme));
    }

    #[test]
    fn rejects_ambiguous_forms() {
        assert_eq!(parse("tftp:"), Err(UrlError::MissingAuthority));
        assert_eq!(parse("tftp:/x"), Err(UrlError::MissingAuthority));
        assert_eq!(parse("192.0.2.1:/x"), Err(UrlError::UnknownScheme));
        assert_eq!(parse("gopher://h/"), Err(UrlError::UnknownScheme));
        assert_eq!(parse("no-scheme"), Err(UrlError::MissingScheme));
        assert_eq!(parse("tftp:///x"), Err(UrlError::EmptyHost));
        assert_eq!(parse("tftp://h:/x"), Err(UrlError::BadPort));
        assert_eq!(parse("tftp://h:70000/x"), Err(UrlError::BadPort));
        assert_eq!(parse("tftp://h%2e/x"), Err(UrlError::BadHost));
        assert_eq!(parse("tftp://10.1/x"), Err(UrlError::BadHost));
        assert_eq!(parse("tftp://0x0a.0.0.1/x"), Err(UrlError::BadHost));
        assert_eq!(parse("tftp://010.0.0.1/x"), Err(UrlError::BadHost));
        assert_eq!(parse("tftp://[::1/x"), Err(UrlError::BadHost));
        assert_eq!(parse("tftp://[::1]x/"), Err(UrlError::BadHost));
        assert_eq!(
            parse("tftp://h\\@evil/x"),
            Err(UrlError::BadCharacter { offset: 8 })
        );
        assert_eq!(
            parse("tftp://h /x"),
            Err(UrlError::BadCharacter { offset: 8 })
        );
        assert_eq!(parse(""), Err(UrlError::Empty));
        let long = format!("tftp://h/{}", "a".repeat(MAX_URL_LEN_BYTES));
        assert!(matches!(parse(&long), Err(UrlError::TooLong { .. })));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_input(s in "\\PC{0,80}") {
            let _ = parse_reference(&s);
        }

        #[test]
        fn round_trips_generated_urls(host in "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5}){0,2}",
                                      port in proptest::option::of(1u16..),
                                      path in "(/[a-zA-Z0-9._-]{0,8}){0,3}") {
            let text = match port {
                Some(p) => format!("tftp://{host}:{p}{path}"),
                None => format!("tftp://{host}{path}"),
            };
            let url = parse(&text).unwrap();
            prop_assert_eq!(url.host, host.as_str());
            prop_assert_eq!(url.port, port);
            prop_assert_eq!(url.to_string(), text);
        }
    }
}
