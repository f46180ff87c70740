//! Zero-touch boot of the emulated switch (`sim switch --boot-dhcp IF`), the way a `write
//! erase`d Catalyst autoinstalls as a Smart Install client (smart-install-overview.txt: DHCP
//! options 125/5 image list, 67 config, 150/66 TFTP server; smart-install.md §3.9, §6):
//!
//! 1. DHCP on IF ([`dhcp_client`] over a UDP socket on port 68 bound to IF with
//!    `SO_BINDTODEVICE`, broadcasting to 255.255.255.255:67); the bound address is configured with
//!    `ip addr replace <ip>/<prefix> dev IF` and reported as [`Event::Dhcp`].
//! 2. Without a startup config and with zero-touch options in the ACK: the image list over TFTP,
//!    the image its first non-empty line names (a standalone switch; further lines are stack
//!    members), installed; the config file, stored as the startup config. Then a reload.
//! 3. No zero-touch options (outside the join window, held) or a failed transfer: the lease is
//!    kept and the whole exchange repeats every `--dhcp-retry-secs`, as IOS autoinstall keeps
//!    trying.
//! 4. After every reload (zero-touch or on demand over 4786), DHCP again with an INIT-REBOOT
//!    REQUEST for the same address; the switch has a startup config now and does not autoinstall.
//!
//! Inputs: DHCP replies and TFTP files from the link (untrusted; bounded decoders, bounded TFTP
//! client); the interface name from the operator. This is the async edge; the decisions are in
//! [`dhcp_client`], [`super::device`] and [`super::software`].

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;

use super::cdp::{CdpSendError, interface_mac};
use super::device::Remote;
use super::dhcp_client::{DhcpClient, Lease, Step, Timing};
use super::{Event, Switch};
use crate::proto::dhcp::MAX_DATAGRAM_BYTES;

/// DHCP client port.
pub const CLIENT_PORT: u16 = 68;
/// DHCP server port.
pub const SERVER_PORT: u16 = 67;

/// How the switch boots.
#[derive(Clone, Debug)]
pub struct BootConfig {
    /// The interface DHCP runs on.
    pub interface: String,
    /// Wait before the next DHCP round when the last one brought no zero-touch options or failed.
    pub retry: Duration,
    /// DHCP retransmissions.
    pub timing: Timing,
}

/// Why the boot loop cannot run at all.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The interface's MAC address could not be read.
    #[error(transparent)]
    Mac(#[from] CdpSendError),
    /// The DHCP client socket could not be set up.
    #[error("cannot {op} the DHCP client socket on {interface}: {source}")]
    Socket {
        /// What failed.
        op: &'static str,
        /// The interface.
        interface: String,
        /// The OS error.
        source: io::Error,
    },
}

/// How an exchange starts.
#[derive(Clone, Copy, Debug)]
enum Start {
    Discover,
    Reboot(Ipv4Addr),
}

/// The boot loop's I/O state.
struct Boot {
    switch: Arc<Switch>,
    config: BootConfig,
    socket: UdpSocket,
    client: DhcpClient,
    address: Option<(Ipv4Addr, u8)>,
}

/// Boots the switch on `config.interface` and keeps its lease across reloads; returns only when
/// the interface or the socket cannot be used.
pub async fn run(switch: Arc<Switch>, config: BootConfig) -> Result<Infallible, BootError> {
    let mac = interface_mac(&config.interface)?;
    let socket = client_socket(&config.interface)?;
    let client = DhcpClient::new(mac, xid_seed(mac), config.timing);
    let mut boot = Boot {
        switch,
        config,
        socket,
        client,
        address: None,
    };
    let mut ip = boot.autoinstall().await;
    loop {
        boot.switch.wait_reload().await;
        ip = boot.bind(Start::Reboot(ip)).await.ip;
    }
}

impl Boot {
    /// DHCP rounds until one brings zero-touch options and the downloads succeed (then the
    /// reload), or until the switch turns out to have a startup config. Returns the address.
    async fn autoinstall(&mut self) -> Ipv4Addr {
        let mut start = Start::Discover;
        loop {
            let lease = self.bind(start).await;
            start = Start::Discover;
            if self.switch.has_startup_config().await {
                return lease.ip;
            }
            if lease.boot.zero_touch() && self.zero_touch(&lease).await {
                self.switch.reload().await;
                return lease.ip;
            }
            tokio::time::sleep(self.config.retry).await;
        }
    }

    /// Fetches the image list, the image and the config the lease names.
    async fn zero_touch(&self, lease: &Lease) -> bool {
        let Some(tftp) = lease.boot.tftp_server else {
            self.failed("the reply names no TFTP server".to_owned());
            return false;
        };
        if let Some(list) = &lease.boot.image_list
            && !self.switch.fetch_image(&locate(list, tftp)).await
        {
            return false;
        }
        if let Some(file) = &lease.boot.config_file {
            let Some(config) = self.switch.get(&locate(file, tftp), "config").await else {
                return false;
            };
            self.switch.store_startup_config(&config).await;
        }
        true
    }

    /// Runs exchanges (the first as `start`, then DISCOVERs every retry interval) until one
    /// binds and the address is configured.
    async fn bind(&mut self, mut start: Start) -> Lease {
        loop {
            let result = match self.exchange(start).await {
                Ok(lease) => self.configure(&lease).await.map(|()| lease),
                Err(e) => Err(e),
            };
            match result {
                Ok(lease) => {
                    self.report(&lease);
                    return lease;
                }
                Err(error) => self.failed(error),
            }
            if matches!(start, Start::Discover) {
                tokio::time::sleep(self.config.retry).await;
            }
            start = Start::Discover;
        }
    }

    /// One DHCP exchange.
    async fn exchange(&mut self, start: Start) -> Result<Lease, String> {
        let now = crate::clock::now_monotonic();
        let first = match start {
            Start::Discover => self.client.discover(now),
            Start::Reboot(ip) => self.client.reboot(now, ip),
        };
        self.send(&first).await?;
        let mut buf = vec![0u8; MAX_DATAGRAM_BYTES + 1];
        loop {
            let Some(deadline) = self.client.next_timeout() else {
                return Err("the exchange stopped".to_owned());
            };
            let step = tokio::select! {
                received = self.socket.recv_from(&mut buf) => {
                    let (n, _) = received.map_err(|e| format!("receive: {e}"))?;
                    let datagram = buf.get(..n).unwrap_or_default();
                    self.client.handle(crate::clock::now_monotonic(), datagram)
                }
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                    self.client.handle_timeout(crate::clock::now_monotonic())
                }
            };
            match step {
                Step::Wait => {}
                Step::Send(datagram) => self.send(&datagram).await?,
                Step::Bound(lease) => return Ok(lease),
                Step::Nak => return Err("the server refused the address (DHCPNAK)".to_owned()),
                Step::GaveUp => return Err("no reply from a DHCP server".to_owned()),
            }
        }
    }

    async fn send(&self, datagram: &[u8]) -> Result<(), String> {
        let to = SocketAddrV4::new(Ipv4Addr::BROADCAST, SERVER_PORT);
        self.socket
            .send_to(datagram, to)
            .await
            .map(drop)
            .map_err(|e| format!("send: {e}"))
    }

    /// Puts the leased address on the interface (replacing an earlier, different one).
    async fn configure(&mut self, lease: &Lease) -> Result<(), String> {
        let new = (lease.ip, lease.prefix);
        if let Some(old) = self.address.filter(|old| *old != new) {
            // The old address may already be gone; the new one is what matters.
            let _ = ip_addr("del", old, &self.config.interface).await;
        }
        ip_addr("replace", new, &self.config.interface).await?;
        self.address = Some(new);
        self.switch.set_address(Some(lease.ip.into()));
        Ok(())
    }

    fn report(&self, lease: &Lease) {
        let b = lease.boot.clone();
        self.switch.emit(Event::Dhcp {
            ip: lease.ip,
            prefix: lease.prefix,
            server: lease.server,
            image_list: b.image_list,
            config_file: b.config_file,
            tftp_server: b.tftp_server,
            hostname: b.hostname,
            director: b.director,
        });
    }

    fn failed(&self, error: String) {
        self.switch.emit(Event::DhcpFailed {
            interface: self.config.interface.clone(),
            error,
        });
    }
}

/// Where a file named in a DHCP option lives: a `tftp://` URL as written, else a file name on
/// the TFTP server (a leading `flash:` or `/` is dropped).
pub fn locate(name: &str, tftp: Ipv4Addr) -> Remote {
    Remote::parse(name).unwrap_or_else(|| {
        let file = name.trim();
        let file = file.strip_prefix("flash:").unwrap_or(file);
        Remote {
            host: tftp.to_string(),
            port: None,
            file: file.trim_start_matches('/').to_owned(),
        }
    })
}

/// `ip addr <verb> <ip>/<prefix> dev <interface>` (iproute2).
async fn ip_addr(
    verb: &'static str,
    (ip, prefix): (Ipv4Addr, u8),
    interface: &str,
) -> Result<(), String> {
    let address = format!("{ip}/{prefix}");
    let interface = interface.to_owned();
    let run = move || {
        std::process::Command::new("ip")
            .args(["addr", verb, &address, "dev", &interface])
            .output()
    };
    let output = tokio::task::spawn_blocking(run)
        .await
        .map_err(|e| format!("ip addr {verb}: {e}"))?
        .map_err(|e| format!("ip addr {verb}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip addr {verb} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The client socket: UDP 0.0.0.0:68 bound to `interface`, broadcast allowed.
fn client_socket(interface: &str) -> Result<UdpSocket, BootError> {
    let addr = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, CLIENT_PORT);
    crate::edge::udp::broadcast_socket(addr, Some(interface)).map_err(|(op, source)| {
        BootError::Socket {
            op,
            interface: interface.to_owned(),
            source,
        }
    })
}

/// A transaction ID seed that differs between switches and between runs.
fn xid_seed(mac: [u8; 6]) -> u32 {
    let nanos = crate::clock::now_utc().timestamp_subsec_nanos();
    u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]) ^ nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_plain_names_on_the_tftp_server_and_keeps_urls() {
        let tftp = Ipv4Addr::new(10, 66, 1, 1);
        let plain = locate("imagelist-020000.txt", tftp);
        assert_eq!(plain.host, "10.66.1.1");
        assert_eq!(plain.port, None);
        assert_eq!(plain.file, "imagelist-020000.txt");
        assert_eq!(locate("flash:/cfg/edge.cfg", tftp).file, "cfg/edge.cfg");
        let url = locate("tftp://10.9.9.9:6969/dir/list.txt", tftp);
        assert_eq!(
            (url.host.as_str(), url.port, url.file.as_str()),
            ("10.9.9.9", Some(6969), "dir/list.txt")
        );
    }
}
