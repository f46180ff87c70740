//! HTTP/1.x requests in one direction of a TCP stream (client → server), for the auditor's
//! clear-text rules: request line, `Host`, `User-Agent`, and — for PnP paths (`/pnp/…`) — the
//! body, so the PnP envelope's UDI can be read. Pipelined and keep-alive requests are followed by
//! `Content-Length`; a chunked body ends the parse (the requests before it were reported).
//!
//! Bounded: a request head is at most [`MAX_HEAD_BYTES`], a captured body at most
//! [`MAX_BODY_BYTES`] (a longer PnP body is reported without its body); a stream whose first
//! bytes are not an HTTP request line is given up at once, so non-HTTP flows cost one look.
//!
//! Inputs: attacker-controlled bytes in pieces of any size; pure.

/// Largest request head (request line and headers).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Largest PnP body captured.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Methods recognised at the start of a stream.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// One request.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HttpRequest {
    /// Method.
    pub method: String,
    /// Request target as sent (path, or absolute URI for a proxy).
    pub target: String,
    /// `Host` header.
    pub host: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
    /// The body, for PnP requests whose body fit in [`MAX_BODY_BYTES`].
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The path of the target (an absolute URI's scheme and authority removed, query kept).
    pub fn path(&self) -> &str {
        let t = self.target.as_str();
        match t.split_once("://") {
            Some((_, rest)) => rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/"),
            None => t,
        }
    }

    /// Whether the path is a PnP service path (`/pnp/…`).
    pub fn is_pnp(&self) -> bool {
        self.path().starts_with("/pnp/")
    }

    /// The PnP service named by the path (`WORK-REQUEST`, `HELLO`, …), if any.
    pub fn pnp_service(&self) -> Option<&str> {
        let rest = self.path().strip_prefix("/pnp/")?;
        let name = rest.split(['/', '?']).next().unwrap_or("");
        (!name.is_empty()).then_some(name)
    }
}

/// Whether the parser wants more bytes of this stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Keep feeding.
    More,
    /// Done with this stream: not HTTP, a chunked body, or a head too large.
    Stop,
}

#[derive(Debug)]
enum State {
    Head,
    Body {
        remaining: u64,
        request: Option<HttpRequest>,
        capture: Option<Vec<u8>>,
    },
    Stopped,
}

/// The request parser of one stream direction.
#[derive(Debug)]
pub struct HttpRequests {
    head: Vec<u8>,
    state: State,
    seen: u64,
}

impl Default for HttpRequests {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpRequests {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self {
            head: Vec::new(),
            state: State::Head,
            seen: 0,
        }
    }

    /// Whether `first` (the first bytes of a stream) can start an HTTP request.
    pub fn looks_like_request(first: &[u8]) -> bool {
        let token_len = first.iter().position(|&b| b == b' ').unwrap_or(first.len());
        let Some(token) = first.get(..token_len) else {
            return false;
        };
        if token_len == first.len() {
            // No space yet: a prefix of a method is still possible.
            return !token.is_empty()
                && token.len() < 8
                && METHODS.iter().any(|m| m.as_bytes().starts_with(token));
        }
        METHODS.iter().any(|m| m.as_bytes() == token)
    }

    /// Feeds the next bytes; complete requests are appended to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<HttpRequest>) -> Progress {
        while !data.is_empty() {
            match &mut self.state {
                State::Stopped => return Progress::Stop,
                State::Head => {
                    if self.seen == 0 && self.head.is_empty() && !Self::looks_like_request(data) {
                        self.state = State::Stopped;
                        return Progress::Stop;
                    }
                    data = self.head_bytes(data, out);
                }
                State::Body {
                    remaining,
                    request,
                    capture,
                } => {
                    let take = usize::try_from(*remaining)
                        .unwrap_or(usize::MAX)
                        .min(data.len());
                    let (chunk, rest) = data.split_at(take);
                    if let Some(buf) = capture.as_mut() {
                        buf.extend_from_slice(chunk);
                    }
                    *remaining -= take as u64;
                    data = rest;
                    if *remaining == 0 {
                        if let Some(mut r) = request.take() {
                            r.body = capture.take();
                            out.push(r);
                        }
                        self.state = State::Head;
                    }
                }
            }
        }
        match self.state {
            State::Stopped => Progress::Stop,
            _ => Progress::More,
        }
    }

    /// The stream ended: a request whose body was cut short is still reported (without body).
    pub fn finish(&mut self, out: &mut Vec<HttpRequest>) {
        if let State::Body {
            request: Some(r), ..
        } = std::mem::replace(&mut self.state, State::Stopped)
        {
            out.push(r);
        }
    }

    /// Takes head bytes from `data`; returns what follows the head once it is complete.
    fn head_bytes<'d>(&mut self, data: &'d [u8], out: &mut Vec<HttpRequest>) -> &'d [u8] {
        // Only the new bytes plus the last three old ones can complete the terminator.
        let from = self.head.len().saturating_sub(3);
        let room = MAX_HEAD_BYTES.saturating_sub(self.head.len());
        let take = data.len().min(room);
        self.head
            .extend_from_slice(data.get(..take).unwrap_or_default());
        let end = self
            .head
            .get(from..)
            .and_then(|tail| find(tail, b"\r\n\r\n"))
            .map(|i| from + i + 4);
        let Some(end) = end else {
            if self.head.len() >= MAX_HEAD_BYTES {
                self.state = State::Stopped;
            }
            return &[];
        };
        let consumed_from_data = end.saturating_sub(self.head.len() - take);
        let rest = data.get(consumed_from_data..).unwrap_or_default();
        let head = std::mem::take(&mut self.head);
        self.seen += 1;
        match parse_head(head.get(..end).unwrap_or_default()) {
            Some(Head {
                request,
                length,
                chunked,
            }) => {
                if chunked {
                    out.push(request);
                    self.state = State::Stopped;
                    return &[];
                }
                if length == 0 {
                    out.push(request);
                    return rest;
                }
                let capture = (request.is_pnp()
                    && usize::try_from(length).is_ok_and(|l| l <= MAX_BODY_BYTES))
                .then(Vec::new);
                if capture.is_none() {
                    out.push(request);
                    self.state = State::Body {
                        remaining: length,
                        request: None,
                        capture: None,
                    };
                } else {
                    self.state = State::Body {
                        remaining: length,
                        request: Some(request),
                        capture,
                    };
                }
                rest
            }
            None => {
                self.state = State::Stopped;
                &[]
            }
        }
    }
}

struct Head {
    request: HttpRequest,
    length: u64,
    chunked: bool,
}

fn parse_head(head: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    if !METHODS.contains(&method) || !version.starts_with("HTTP/1.") || target.is_empty() {
        return None;
    }
    let mut request = HttpRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        ..HttpRequest::default()
    };
    let mut length = 0u64;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "host" => request.host = Some(value.to_owned()),
            "user-agent" => request.user_agent = Some(value.to_owned()),
            "content-length" => length = value.parse().ok()?,
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    Some(Head {
        request,
        length,
        chunked,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests;
