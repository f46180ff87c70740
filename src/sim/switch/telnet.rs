//! The async driver of the emulated switch's outgoing telnet session: a `do telnet HOST PORT`
//! line reaching its running config (at reload, or applied by an execute file or a copy) makes
//! it connect to HOST:PORT and present its CLI there ([`super::vty`]), the way a legacy client
//! calls back the SMI proxy (`../shared/reference/smi-proxy.txt`). The end of the session is an
//! [`Event::Telnet`].
//!
//! Inputs: the peer's bytes (untrusted, handled by the sans-IO [`Vty`]); the target from the
//! switch's configuration. Bounded in time: [`CONNECT_TIMEOUT`], [`LOGIN_TIMEOUT`] while nobody
//! is logged in, [`EXEC_TIMEOUT`] of silence after that.

use std::time::Duration;

use std::net::{IpAddr, SocketAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

use super::Event;
use super::vty::{Vty, VtyView};

/// How long the connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the login may stay silent (IOS: 30 s).
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a logged-in session may stay silent (IOS `exec-timeout` default: 10 minutes).
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(600);

/// Calls `host:port` in the background and reports the session's end to `events`.
/// The connection leaves from `source` when given (a switch emulated on a loopback alias).
pub fn spawn(
    host: String,
    port: u16,
    source: Option<IpAddr>,
    view: VtyView,
    events: mpsc::UnboundedSender<Event>,
) {
    tokio::spawn(async move {
        let server = format!("{host}:{port}");
        let event = match call_from(source, &host, port, view).await {
            Ok(outcome) => Event::Telnet {
                server,
                ok: outcome.ok(),
                error: outcome.error().map(str::to_owned),
            },
            Err(e) => Event::Telnet {
                server,
                ok: false,
                error: Some(e.to_string()),
            },
        };
        let _ = events.send(event);
    });
}

/// Connects to `host:port` and serves the CLI until the session ends; how it went.
pub async fn call(host: &str, port: u16, view: VtyView) -> std::io::Result<super::vty::Outcome> {
    call_from(None, host, port, view).await
}

/// [`call`], the connection leaving from `source` when given.
pub async fn call_from(
    source: Option<IpAddr>,
    host: &str,
    port: u16,
    view: VtyView,
) -> std::io::Result<super::vty::Outcome> {
    let connect = connect(source, host, port);
    let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    let mut vty = Vty::new(view);
    let mut buf = vec![0u8; 4096];
    loop {
        while let Some(out) = vty.poll_transmit() {
            stream.write_all(&out).await?;
        }
        if vty.is_closed() {
            // The peer may already be gone; the session is over either way.
            let _ = stream.shutdown().await;
            return Ok(vty.outcome());
        }
        let idle = if vty.logged_in() {
            EXEC_TIMEOUT
        } else {
            LOGIN_TIMEOUT
        };
        match tokio::time::timeout(idle, stream.read(&mut buf)).await {
            Err(_) => vty.handle_timeout(),
            Ok(Ok(0)) => vty.handle_close(),
            Ok(Ok(n)) => vty.handle_input(buf.get(..n).unwrap_or_default()),
            Ok(Err(e)) if vty.outcome().ok() => {
                // A reset after the work was done (the proxy hung up after `exit`).
                tracing::debug!(%e, "telnet peer reset after show version");
                return Ok(vty.outcome());
            }
            Ok(Err(e)) => return Err(e),
        }
    }
}

/// Connects to `host:port`, bound to `source` when given.
async fn connect(source: Option<IpAddr>, host: &str, port: u16) -> std::io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect((host, port)).await;
    };
    let target = tokio::net::lookup_host((host, port))
        .await?
        .find(|a| a.is_ipv4() == source.is_ipv4())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))?;
    let socket = if source.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(target).await
}
