//! The broadcast-capable UDP sockets of the DHCP service and the emulated switch's DHCP client:
//! `SO_REUSEADDR`, `SO_BROADCAST`, optionally `SO_BINDTODEVICE`, non-blocking, registered with
//! tokio.
//!
//! Inputs: addresses and interface names from the configuration or the command line.

use std::io;
use std::net::SocketAddrV4;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// A UDP socket on `addr` allowed to broadcast, bound to `device` when given. On failure, the
/// step that failed (`"bind"`, `"set SO_BROADCAST on"`, …) and the OS error.
pub fn broadcast_socket(
    addr: SocketAddrV4,
    device: Option<&str>,
) -> Result<UdpSocket, (&'static str, io::Error)> {
    let step = |op| move |e| (op, e);
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(step("create a socket for"))?;
    socket
        .set_reuse_address(true)
        .map_err(step("set SO_REUSEADDR on"))?;
    socket
        .set_broadcast(true)
        .map_err(step("set SO_BROADCAST on"))?;
    if let Some(device) = device {
        socket
            .bind_device(Some(device.as_bytes()))
            .map_err(step("bind to the interface"))?;
    }
    socket.bind(&addr.into()).map_err(step("bind"))?;
    socket
        .set_nonblocking(true)
        .map_err(step("set non-blocking"))?;
    UdpSocket::from_std(socket.into()).map_err(step("register"))
}
