//! `ztpgate bench pnp download`: GET one URL over HTTPS, `concurrency` copies at once, each on
//! its own connection, streaming the body and counting bytes (nothing is buffered beyond one
//! frame). Reports bytes, wall-clock seconds from the first connect to the last byte, and MiB/s
//! in total and per stream.
//!
//! Inputs: the URL and files are the operator's; the response is untrusted — a non-200 status,
//! a broken body or a stall longer than [`STALL_TIMEOUT`] fails that stream.

use std::path::PathBuf;
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::Method;
use hyper::body::Bytes;
use tokio::task::JoinSet;

use super::{PnpBenchError, rate};
use crate::clock::now_monotonic;
use crate::edge::client::{HttpClient, HttpError, ServerUrl, TlsSession, full};
use crate::pki::{load_certs_pem, load_key_pem};

/// The longest wait for the next part of the body.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

const MIB: f64 = 1024.0 * 1024.0;

/// Parameters of a download run.
#[derive(Clone, Debug)]
pub struct DownloadOptions {
    /// The server.
    pub server: ServerUrl,
    /// Path (and query) on the server.
    pub path: String,
    /// CA certificate that signs the server certificate.
    pub ca: PathBuf,
    /// Client certificate chain and key to present, if any.
    pub identity: Option<(PathBuf, PathBuf)>,
    /// Copies downloaded at once.
    pub concurrency: u32,
}

/// One stream's result.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StreamReport {
    /// HTTP status (0 when no answer arrived).
    pub status: u16,
    /// Body bytes received.
    pub bytes: u64,
    /// Seconds from connect to the last byte.
    pub seconds: f64,
    /// `bytes / seconds` in MiB/s.
    pub mib_per_second: f64,
    /// Why the stream failed, if it did.
    pub error: Option<String>,
}

/// The result of a download run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DownloadReport {
    /// The server, `https://host:port`.
    pub server: String,
    /// Streams at once.
    pub concurrency: u32,
    /// Body bytes received by all streams.
    pub bytes: u64,
    /// Seconds from the first connect to the end of the last stream.
    pub seconds: f64,
    /// `bytes / seconds` in MiB/s.
    pub mib_per_second: f64,
    /// Streams that failed.
    pub errors: u64,
    /// Each stream.
    pub streams: Vec<StreamReport>,
    /// What TLS negotiated (first stream that connected).
    pub tls: Option<TlsSession>,
}

/// Downloads the URL `concurrency` times at once and reports.
pub async fn run_download(opts: &DownloadOptions) -> Result<DownloadReport, PnpBenchError> {
    let roots = load_certs_pem(&opts.ca)?;
    let identity = match &opts.identity {
        Some((cert, key)) => Some((load_certs_pem(cert)?, load_key_pem(key)?)),
        None => None,
    };
    let client = HttpClient::new(&roots, identity)?;
    let started = now_monotonic();
    let mut tasks = JoinSet::new();
    for i in 0..opts.concurrency {
        let (client, server, path) = (client.clone(), opts.server.clone(), opts.path.clone());
        tasks.spawn(async move { (i, stream(&client, &server, &path).await) });
    }
    let mut streams = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        streams.push(joined.map_err(|e| PnpBenchError::Task {
            reason: e.to_string(),
        })?);
    }
    let seconds = now_monotonic().duration_since(started).as_secs_f64();
    streams.sort_by_key(|(i, _)| *i);
    let tls = streams.iter().find_map(|(_, (_, tls))| tls.clone());
    let streams: Vec<StreamReport> = streams.into_iter().map(|(_, (s, _))| s).collect();
    let bytes = streams.iter().map(|s| s.bytes).sum();
    Ok(DownloadReport {
        server: opts.server.to_string(),
        concurrency: opts.concurrency,
        bytes,
        seconds,
        mib_per_second: rate(bytes, seconds) / MIB,
        errors: streams.iter().filter(|s| s.error.is_some()).count() as u64,
        streams,
        tls,
    })
}

/// Renders a report as the text `bench pnp download` prints.
pub fn render_table(r: &DownloadReport) -> String {
    let tls = r.tls.as_ref().map_or_else(String::new, |t| {
        format!(" ({} {})", t.version, t.cipher_suite)
    });
    let mut out = format!(
        "ztpgate bench pnp download: {}{tls}, {} stream(s)\n\n",
        r.server, r.concurrency
    );
    out.push_str(&format!(
        "{:>8} {:>7} {:>14} {:>9} {:>9}  error\n",
        "stream", "status", "bytes", "seconds", "MiB/s"
    ));
    for (i, s) in r.streams.iter().enumerate() {
        out.push_str(&format!(
            "{:>8} {:>7} {:>14} {:>9.2} {:>9.1}  {}\n",
            i + 1,
            s.status,
            s.bytes,
            s.seconds,
            s.mib_per_second,
            s.error.as_deref().unwrap_or("-")
        ));
    }
    out.push_str(&format!(
        "{:>8} {:>7} {:>14} {:>9.2} {:>9.1}  {} failed\n",
        "total", "", r.bytes, r.seconds, r.mib_per_second, r.errors
    ));
    out
}

/// One copy: connect, GET, count the body.
async fn stream(
    client: &HttpClient,
    server: &ServerUrl,
    path: &str,
) -> (StreamReport, Option<TlsSession>) {
    let started = now_monotonic();
    let mut status = 0;
    let mut bytes = 0u64;
    let mut tls = None;
    let result = async {
        let mut conn = client.connect(server).await?;
        tls = Some(conn.session().clone());
        let response = conn.send(Method::GET, path, full(Bytes::new())).await?;
        status = response.status().as_u16();
        if status != 200 {
            return Err(StreamError::Status(status));
        }
        let mut body = response.into_body();
        loop {
            let next = tokio::time::timeout(STALL_TIMEOUT, body.frame())
                .await
                .map_err(|_| StreamError::Stalled)?;
            match next {
                None => return Ok(()),
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        bytes = bytes.saturating_add(data.len() as u64);
                    }
                }
                Some(Err(e)) => return Err(HttpError::from(e).into()),
            }
        }
    }
    .await;
    let seconds = now_monotonic().duration_since(started).as_secs_f64();
    let report = StreamReport {
        status,
        bytes,
        seconds,
        mib_per_second: rate(bytes, seconds) / MIB,
        error: result.err().map(|e| e.to_string()),
    };
    (report, tls)
}

/// Why one stream failed.
#[derive(Debug, thiserror::Error)]
enum StreamError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("status {0}, expected 200")]
    Status(u16),
    #[error("no data for {} s", STALL_TIMEOUT.as_secs())]
    Stalled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_stream_and_the_total() {
        let s = |error: Option<&str>| StreamReport {
            status: 200,
            bytes: 1 << 30,
            seconds: 2.0,
            mib_per_second: 512.0,
            error: error.map(str::to_owned),
        };
        let r = DownloadReport {
            server: "https://127.0.0.1:8444".into(),
            concurrency: 2,
            bytes: 2 << 30,
            seconds: 2.5,
            mib_per_second: 819.2,
            errors: 1,
            streams: vec![s(None), s(Some("status 403, expected 200"))],
            tls: None,
        };
        let text = render_table(&r);
        assert!(text.contains("819.2"), "{text}");
        assert!(text.contains("status 403"), "{text}");
        assert!(text.contains("1 failed"), "{text}");
    }
}
