//! The PnP bodies of the load driver, the same work for every server under test: WORK-REQUESTs
//! rendered by `proto::pnp` as an agent sends them (fresh correlator each), a cheap scan of the
//! server's answer for the service request and its correlator, and a successful cli-exec
//! WORK-RESPONSE echoing that correlator with a few hundred bytes of command output. Also the
//! fixed cli-exec request the reference web server answers with ([`fixed_request_body`]).
//!
//! Inputs: server answers are untrusted bytes; the scan never panics and bounds the correlator
//! ([`MAX_CORRELATOR_BYTES`]). Pure: no I/O, no clock. Spec: `../shared/protocols/pnp.md` §1.4
//! (exchange), §1.5 (correlator echo), §2.5.1 (work request), §2.5.5 (cli-exec).

use crate::identity::Udi;
use crate::proto::pnp::envelope::MAX_CORRELATOR_BYTES;
use crate::proto::pnp::write::Node;
use crate::proto::pnp::xml::unescape;
use crate::proto::pnp::{
    CliExec, Correlator, Header, ParseError, Request, Service, ServiceRequest, WorkRequest,
};

/// The command the benchmark plans run, and the fixed reply asks for.
pub const BENCH_COMMAND: &str = "show inventory";

/// Why an answer is not a service request the driver can respond to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The body is not UTF-8.
    #[error("answer is not UTF-8")]
    NotUtf8,
    /// No `<request …>` element (a bye, a backoff in a `request` still counts as a request).
    #[error("answer holds no <request> element")]
    NoRequest,
    /// The request has no `correlator` attribute.
    #[error("request without a correlator")]
    NoCorrelator,
    /// The correlator is empty, longer than [`MAX_CORRELATOR_BYTES`], or cannot be echoed inside
    /// double quotes.
    #[error("unusable correlator")]
    BadCorrelator,
}

/// What the scan found in a server answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScannedRequest<'a> {
    /// The `xmlns` of `<request>` (the service), empty when absent.
    pub namespace: &'a str,
    /// The correlator attribute text exactly as sent (still escaped).
    pub correlator: &'a str,
    /// The text of the first `<cmd>` after the request tag, still escaped.
    pub cmd: Option<&'a str>,
}

impl ScannedRequest<'_> {
    /// Whether this is a cli-exec request.
    pub fn is_cli_exec(&self) -> bool {
        self.namespace == Service::CliExec.namespace()
    }
}

/// The correlator of an agent's `n`-th work request, in the IOS-XE 17 format
/// (`CiscoPnP-1.0-R33.200930-I1-P<agent>-T<n>-2`, pnp.md §1.5).
pub fn correlator(agent: u32, n: u64) -> Result<Correlator, ParseError> {
    Correlator::new(&format!("CiscoPnP-1.0-R33.200930-I1-P{agent}-T{n}-2"))
}

/// A WORK-REQUEST body as the agent of `udi` sends it (SUDI serial and hostname included).
pub fn work_request(udi: &Udi, correlator: Correlator) -> String {
    WorkRequest::from_agent(
        udi.clone(),
        correlator,
        Some(udi.sn.clone()),
        "Switch".to_owned(),
        None,
    )
    .render()
}

/// Finds the `<request>` element of an answer, its namespace, correlator and command.
pub fn scan_request(body: &[u8]) -> Result<ScannedRequest<'_>, ScanError> {
    let text = std::str::from_utf8(body).map_err(|_| ScanError::NotUtf8)?;
    let (tag, rest) = element_tag(text, "request").ok_or(ScanError::NoRequest)?;
    let correlator = attribute(tag, "correlator").ok_or(ScanError::NoCorrelator)?;
    if correlator.is_empty()
        || correlator.len() > MAX_CORRELATOR_BYTES
        || correlator.contains(['"', '<'])
    {
        return Err(ScanError::BadCorrelator);
    }
    let cmd = rest
        .split_once("<cmd>")
        .and_then(|(_, after)| after.split_once("</cmd>"))
        .map(|(cmd, _)| cmd);
    Ok(ScannedRequest {
        namespace: attribute(tag, "xmlns").unwrap_or(""),
        correlator,
        cmd,
    })
}

/// A successful cli-exec WORK-RESPONSE: the command sent (`cmd` as scanned, still escaped) and
/// the device's output, echoing `correlator` byte for byte.
pub fn cli_exec_response(udi: &Udi, correlator: &str, cmd: &str, output: &str) -> String {
    let sent = unescape(cmd).unwrap_or_else(|_| cmd.to_owned());
    let log = Node::new("execLog").child(
        Node::new("dialogueLog")
            .text_child("sent", sent)
            .child(Node::new("received").text_child("text", output)),
    );
    let response = Node::new("response")
        .attr("xmlns", Service::CliExec.namespace())
        .raw_attr("correlator", correlator)
        .attr("success", "1")
        .child(log);
    Header::new(udi).render(response)
}

/// What `show inventory` prints on a one-switch stack (about 350 bytes).
pub fn command_output(udi: &Udi) -> String {
    format!(
        "NAME: \"c93xx Stack\", DESCR: \"c93xx Stack\"\n\
         PID: {pid:<18}, VID: {vid:<4} , SN: {sn}\n\n\
         NAME: \"Switch 1\", DESCR: \"{pid}\"\n\
         PID: {pid:<18}, VID: {vid:<4} , SN: {sn}\n\n\
         NAME: \"Switch 1 - Power Supply A\", DESCR: \"Switch 1 - Power Supply A\"\n\
         PID: PWR-C1-715WAC     , VID: V02  , SN: LIT2127A0BC\n\n\
         NAME: \"Switch 1 FRU Uplink Module 1\", DESCR: \"4x10G Uplink Module\"\n\
         PID: C9300-NM-4G       , VID: V01  , SN: FOC2140X1YZ\n",
        pid = udi.pid,
        vid = udi.vid,
        sn = udi.sn,
    )
}

/// Why a fixed reply body cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixedBodyError {
    /// The request does not fit in the requested size.
    #[error("the cli-exec request needs at least {needed} bytes, {requested} requested")]
    TooSmall {
        /// Bytes the rendered request takes.
        needed: usize,
        /// Bytes requested.
        requested: usize,
    },
}

/// A cli-exec request for [`BENCH_COMMAND`] as a PnP server sends it, padded with trailing
/// spaces and a newline to exactly `len` bytes: what the reference web server answers to every
/// POST, so the driver does the same work against it as against the gateway.
pub fn fixed_request_body(len: usize) -> Result<String, FixedBodyError> {
    let udi = Udi {
        pid: "C9300-24P".to_owned(),
        vid: "V01".to_owned(),
        sn: "FOC2231X0NG".to_owned(),
    };
    let mut body = match correlator(1, 1) {
        Ok(c) => Request::new(c, ServiceRequest::CliExec(CliExec::new(BENCH_COMMAND)))
            .render(&Header::new(&udi)),
        Err(_) => String::new(),
    };
    let needed = body.len() + 1;
    if body.is_empty() || len < needed {
        return Err(FixedBodyError::TooSmall {
            needed,
            requested: len,
        });
    }
    body.push_str(&" ".repeat(len - needed));
    body.push('\n');
    Ok(body)
}

/// The start tag of the first `<name …>` element (without `<` and `>`) and the text after it.
fn element_tag<'a>(text: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(found) = text.get(from..)?.find(&open) {
        let start = from + found + open.len();
        let rest = text.get(start..)?;
        if rest.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
            let end = rest.find('>')?;
            return Some((rest.get(..end)?, rest.get(end + 1..)?));
        }
        from = start;
    }
    None
}

/// The raw value of attribute `name` in a start tag (either quote style).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = tag.get(from..)?.find(name) {
        let at = from + found;
        from = at + name.len();
        let preceded = tag.get(..at)?.ends_with(|c: char| c.is_ascii_whitespace());
        let after = tag.get(from..)?.trim_start();
        let Some(value) = after.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        if !preceded {
            continue;
        }
        let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        let inner = value.get(1..)?;
        return inner.find(quote).and_then(|end| inner.get(..end));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::proto::pnp::{AgentMessage, ResponseBody, parse_agent_message};

    fn udi() -> Udi {
        Udi {
            pid: "C9300-24P".into(),
            vid: "V01".into(),
            sn: "BENCH0001".into(),
        }
    }

    #[test]
    fn work_request_parses_with_a_fresh_correlator() {
        let body = work_request(&udi(), correlator(7, 42).unwrap());
        let Ok(AgentMessage::WorkRequest(wr)) = parse_agent_message(body.as_bytes()) else {
            panic!("not a work request: {body}");
        };
        assert_eq!(
            wr.correlator.as_str(),
            "CiscoPnP-1.0-R33.200930-I1-P7-T42-2"
        );
        assert_eq!(wr.device_id.udi, udi());
        assert_eq!(wr.device_id.sudi.as_deref(), Some("BENCH0001"));
        assert_ne!(correlator(7, 43).unwrap(), wr.correlator);
    }

    #[test]
    fn scans_a_rendered_cli_exec_request() {
        let corr = correlator(1, 9).unwrap();
        let req = Request::new(
            corr.clone(),
            ServiceRequest::CliExec(CliExec::new("show a & b")),
        );
        let body = req.render(&Header::new(&udi()));
        let scan = scan_request(body.as_bytes()).unwrap();
        assert!(scan.is_cli_exec(), "{scan:?}");
        assert_eq!(scan.correlator, corr.raw());
        assert_eq!(scan.cmd, Some("show a &amp; b"));
    }

    #[test]
    fn response_echoes_the_correlator_and_parses_as_cli_exec() {
        let body = cli_exec_response(&udi(), "C-1&amp;2", "show a &amp; b", "out <1>");
        let Ok(AgentMessage::Response(resp)) = parse_agent_message(body.as_bytes()) else {
            panic!("not a response: {body}");
        };
        assert!(resp.success);
        assert_eq!(resp.correlator.unwrap().raw(), "C-1&amp;2");
        let ResponseBody::CliExec(result) = resp.body else {
            panic!("not cli-exec");
        };
        assert_eq!(result.logs[0].sent.as_deref(), Some("show a & b"));
        assert_eq!(result.output(), "out <1>");
    }

    #[test]
    fn command_output_is_a_few_hundred_bytes() {
        let out = command_output(&udi());
        assert!((300..600).contains(&out.len()), "{}", out.len());
        assert!(out.contains("SN: BENCH0001"));
    }

    #[test]
    fn scan_finds_single_quoted_attributes_and_skips_lookalikes() {
        let body =
            b"<pnp><requests/><request  data-correlator=\"x\" xmlns='urn:cisco:pnp:backoff' \
                     correlator = 'abc'><backoff/></request></pnp>";
        let scan = scan_request(body).unwrap();
        assert_eq!(scan.correlator, "abc");
        assert_eq!(scan.namespace, "urn:cisco:pnp:backoff");
        assert!(!scan.is_cli_exec());
        assert_eq!(scan.cmd, None);
    }

    #[test]
    fn scan_rejects_answers_without_a_usable_request() {
        assert_eq!(scan_request(b"\xff\xfe"), Err(ScanError::NotUtf8));
        assert_eq!(scan_request(b""), Err(ScanError::NoRequest));
        assert_eq!(
            scan_request(b"<info correlator=\"a\"><bye/></info>"),
            Err(ScanError::NoRequest)
        );
        assert_eq!(
            scan_request(b"<request xmlns=\"x\">"),
            Err(ScanError::NoCorrelator)
        );
        assert_eq!(
            scan_request(b"<request correlator=''>"),
            Err(ScanError::BadCorrelator)
        );
        assert_eq!(
            scan_request(b"<request correlator='a\"b'>"),
            Err(ScanError::BadCorrelator)
        );
        let long = format!("<request correlator=\"{}\">", "c".repeat(300));
        assert_eq!(scan_request(long.as_bytes()), Err(ScanError::BadCorrelator));
        // Truncated input never panics.
        let whole = b"<request correlator=\"abc\"><cmd>x</cmd>";
        for cut in 0..=whole.len() {
            let _ = scan_request(&whole[..cut]);
        }
    }

    #[test]
    fn fixed_body_has_the_exact_size_and_scans_as_cli_exec() {
        let body = fixed_request_body(600).unwrap();
        assert_eq!(body.len(), 600);
        assert!(
            !body.contains(['\'', '$', '\\']),
            "must fit a quoted nginx string"
        );
        let scan = scan_request(body.as_bytes()).unwrap();
        assert!(scan.is_cli_exec());
        assert_eq!(scan.cmd, Some(BENCH_COMMAND));
        assert!(matches!(
            fixed_request_body(100),
            Err(FixedBodyError::TooSmall { requested: 100, .. })
        ));
    }
}
