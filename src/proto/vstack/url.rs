//! What a Smart Install message names: URLs (with their TFTP or other hosts) and CLI commands,
//! as borrowed views for the relay, the capture auditor and the CLI.
//!
//! URL sources (smart-install.md §9(c) item 6): the type-3 config URL (offset 180), the type-2
//! image-list URL (offset 52), the type-5 command-file URL (offset 412), every `scheme://` token
//! inside a type-8 command, and — fail closed — any non-empty slot whose meaning is unknown
//! (type-3 offset 48, type-5 offsets 20 and 148). The spec shows no bare `host:file` form, so
//! none is recognised; IOS local references such as `flash:/config.text` name no host and are
//! not URLs.
//!
//! Inputs: attacker-controlled bytes. [`ParsedUrl`] is a lenient, informational split
//! (scheme / userinfo-free host / port / path) for display and reports. Policy decisions must
//! re-parse [`UrlRef::text`] with the strict `policy::url` parser, which refuses everything two
//! parsers could read differently.

use std::borrow::Cow;

/// A URL named by a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlRef<'a> {
    /// Where it was found (`config_url`, `image_list_url`, `command_file_url`, `command_2`, …).
    pub field: &'static str,
    /// The URL bytes as received (a slot value, or a whitespace-separated command token).
    pub bytes: &'a [u8],
    /// The lenient split, when the bytes are UTF-8 and look like `scheme://host…`.
    pub parsed: Option<ParsedUrl<'a>>,
}

impl<'a> UrlRef<'a> {
    /// A URL found in `field`.
    pub fn new(field: &'static str, bytes: &'a [u8]) -> Self {
        let parsed = std::str::from_utf8(bytes).ok().and_then(ParsedUrl::parse);
        Self {
            field,
            bytes,
            parsed,
        }
    }

    /// The URL as text; non-UTF-8 bytes are shown as U+FFFD.
    pub fn text(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.bytes)
    }

    /// The host, when the URL parsed.
    pub fn host(&self) -> Option<&'a str> {
        self.parsed.map(|p| p.host)
    }
}

/// A `scheme://[userinfo@]host[:port][path]` URL, split without normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedUrl<'a> {
    /// The scheme as written (e.g. `tftp`).
    pub scheme: &'a str,
    /// The host as written: a name, an IPv4 literal or a bracketed IPv6 literal.
    pub host: &'a str,
    /// The port, if given.
    pub port: Option<u16>,
    /// Everything after the authority, starting with `/`, `?` or `#` (or empty).
    pub path: &'a str,
}

impl<'a> ParsedUrl<'a> {
    /// Splits `text`; `None` without `://`, with an empty or non-alphanumeric scheme, an empty
    /// host or a port that is not a u16.
    pub fn parse(text: &'a str) -> Option<Self> {
        let (scheme, rest) = text.split_once("://")?;
        let scheme_ok = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return None;
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at_checked(end)?;
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = split_port(hostport)?;
        if host.is_empty() {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port,
            path,
        })
    }
}

/// `host[:port]`, with a bracketed IPv6 host kept in brackets.
fn split_port(hostport: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        let (host, rest) = hostport.split_at_checked(close.checked_add(1)?)?;
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// A CLI command carried by a message (a type-8 slot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRef<'a> {
    /// The slot (`command_1` …).
    pub field: &'static str,
    /// The command bytes (the slot value, up to the first NUL).
    pub bytes: &'a [u8],
}

impl<'a> CommandRef<'a> {
    /// The command as text; non-UTF-8 bytes are shown as U+FFFD.
    pub fn text(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.bytes)
    }

    /// The `scheme://` tokens of the command (split at ASCII whitespace).
    pub fn urls(&self) -> impl Iterator<Item = UrlRef<'a>> + use<'a> {
        let field = self.field;
        self.bytes
            .split(u8::is_ascii_whitespace)
            .filter(|token| token.windows(3).any(|w| w == b"://"))
            .map(move |token| UrlRef::new(field, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_tftp_url_into_scheme_host_and_path() {
        let url = ParsedUrl::parse("tftp://10.0.0.1/file").unwrap();
        assert_eq!(
            (url.scheme, url.host, url.port, url.path),
            ("tftp", "10.0.0.1", None, "/file")
        );
        let url = ParsedUrl::parse("tftp://user@[2001:db8::1]:69/a?b").unwrap();
        assert_eq!(
            (url.host, url.port, url.path),
            ("[2001:db8::1]", Some(69), "/a?b")
        );
        let url = ParsedUrl::parse("http://h:8080").unwrap();
        assert_eq!((url.host, url.port, url.path), ("h", Some(8080), ""));
    }

    #[test]
    fn refuses_what_does_not_look_like_a_url() {
        for text in [
            "flash:/config.text",
            "://h/x",
            "1tftp://h/x",
            "tftp:///x",
            "tftp://h:99999/x",
            "tftp://h:/x",
            "tftp://[::1/x",
            "tftp://[::1]x/y",
        ] {
            assert_eq!(ParsedUrl::parse(text), None, "{text}");
        }
    }

    #[test]
    fn command_tokens_with_scheme_are_urls() {
        let cmd = CommandRef {
            field: "command_2",
            bytes: b"copy flash:/config.text  tftp://192.0.2.1/192.0.2.2.conf",
        };
        let urls: Vec<_> = cmd.urls().collect();
        assert_eq!(urls.len(), 1);
        assert_eq!(urls[0].field, "command_2");
        assert_eq!(urls[0].text(), "tftp://192.0.2.1/192.0.2.2.conf");
        assert_eq!(urls[0].host(), Some("192.0.2.1"));
    }

    #[test]
    fn non_utf8_url_is_kept_but_not_parsed() {
        let url = UrlRef::new("config_url", b"tftp://h\xff/x");
        assert_eq!(url.parsed, None);
        assert_eq!(url.text(), "tftp://h\u{fffd}/x");
    }
}
