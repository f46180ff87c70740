//! The HTTP request parser: split at every byte, pipelined requests with bodies, PnP bodies
//! captured, chunked and oversized heads stopping the parse, non-HTTP streams given up at once.

use super::*;

const PNP: &str = "POST /pnp/WORK-REQUEST HTTP/1.1\r\nHost: 192.0.2.10\r\nUser-Agent: cisco-IOS\r\n\
Content-Length: 5\r\n\r\n<pnp>GET /images/c2960x.bin HTTP/1.0\r\nHost: files\r\n\r\n";

fn all(chunks: &[&[u8]]) -> (Vec<HttpRequest>, Progress) {
    let mut p = HttpRequests::new();
    let mut out = Vec::new();
    let mut progress = Progress::More;
    for c in chunks {
        progress = p.feed(c, &mut out);
    }
    p.finish(&mut out);
    (out, progress)
}

#[test]
fn pipelined_requests_with_a_pnp_body_at_every_split() {
    let bytes = PNP.as_bytes();
    for cut in 0..=bytes.len() {
        let (a, b) = bytes.split_at(cut);
        let (reqs, _) = all(&[a, b]);
        assert_eq!(reqs.len(), 2, "cut at {cut}");
        assert_eq!(reqs[0].method, "POST");
        assert_eq!(reqs[0].pnp_service(), Some("WORK-REQUEST"));
        assert_eq!(reqs[0].host.as_deref(), Some("192.0.2.10"));
        assert_eq!(reqs[0].user_agent.as_deref(), Some("cisco-IOS"));
        assert_eq!(reqs[0].body.as_deref(), Some(&b"<pnp>"[..]));
        assert_eq!(reqs[1].path(), "/images/c2960x.bin");
        assert!(!reqs[1].is_pnp());
    }
    // One byte at a time.
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(all(&singles).0.len(), 2);
}

#[test]
fn absolute_targets_have_their_path() {
    let (reqs, _) = all(&[b"GET http://proxy.example/pnp/HELLO HTTP/1.1\r\n\r\n"]);
    assert_eq!(reqs[0].path(), "/pnp/HELLO");
    assert_eq!(reqs[0].pnp_service(), Some("HELLO"));
}

#[test]
fn non_http_streams_are_given_up_at_once() {
    let mut p = HttpRequests::new();
    let mut out = Vec::new();
    assert_eq!(
        p.feed(b"\x00\x00\x00\x01\x00\x00\x00\x01", &mut out),
        Progress::Stop
    );
    assert_eq!(p.feed(b"GET / HTTP/1.1\r\n\r\n", &mut out), Progress::Stop);
    assert!(out.is_empty());
    assert!(HttpRequests::looks_like_request(b"PO"));
    assert!(!HttpRequests::looks_like_request(b"SSH-2.0"));
    assert!(!HttpRequests::looks_like_request(b"get / HTTP/1.1"));
}

#[test]
fn chunked_bodies_and_huge_heads_stop_the_parse() {
    let (reqs, progress) = all(&[
        b"POST /pnp/WORK-REQUEST HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ]);
    assert_eq!(reqs.len(), 1);
    assert_eq!(progress, Progress::Stop);
    let huge = format!(
        "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(MAX_HEAD_BYTES)
    );
    let (reqs, progress) = all(&[huge.as_bytes()]);
    assert!(reqs.is_empty());
    assert_eq!(progress, Progress::Stop);
}

#[test]
fn a_large_pnp_body_is_reported_without_it_and_skipped() {
    let big = MAX_BODY_BYTES + 1;
    let head = format!("POST /pnp/WORK-REQUEST HTTP/1.1\r\nContent-Length: {big}\r\n\r\n");
    let body = vec![b'x'; big];
    let (reqs, _) = all(&[head.as_bytes(), &body, b"GET /a.cfg HTTP/1.1\r\n\r\n"]);
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].body.is_none());
    assert_eq!(reqs[1].path(), "/a.cfg");
}

#[test]
fn a_body_cut_by_the_end_of_the_stream_still_reports_its_request() {
    let (reqs, _) = all(&[b"POST /pnp/WORK-REQUEST HTTP/1.1\r\nContent-Length: 100\r\n\r\n<pnp"]);
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].body.is_none());
}

#[test]
fn a_bad_content_length_stops_the_parse() {
    let (reqs, progress) = all(&[b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"]);
    assert!(reqs.is_empty());
    assert_eq!(progress, Progress::Stop);
}
