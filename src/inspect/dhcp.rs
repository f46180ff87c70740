//! DHCP replies as rule events (`dhcp.reply`): what a DHCP server told a client about where to
//! provision from — the TFTP servers (option 150, option 66, `siaddr`, the `sname` field), the
//! boot file (option 67 or the `file` field), and for Smart Install the director and the image
//! list of option 125 (enterprise 9). A rogue DHCP server that answers first sends joining
//! switches to its own TFTP server or director; the rules compare what is named with the
//! allowed TFTP servers and the directors.
//!
//! Decoding goes through the gateway's own DHCP codec (`crate::proto::dhcp`).
//!
//! Inputs: UDP payloads from the wire (attacker-controlled); only the bounded codec reads them,
//! and values are kept as data. Pure.

use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::proto::dhcp::options::{
    self, BOOTFILE, MessageType, SmartInstallVendor, TFTP_SERVER_ADDRESS, TFTP_SERVER_NAME,
};
use crate::proto::dhcp::{Message, Op};
use crate::rules::{Event, EventKind};

use super::classify::classify;
use super::events;
use super::knowledge::Knowledge;

/// The DHCP server port.
pub const SERVER_PORT: u16 = 67;
/// The DHCP client port.
pub const CLIENT_PORT: u16 = 68;

/// The event of a server reply (OFFER, ACK or a plain BOOTP reply) in `payload`; `None` for
/// requests, other message types and datagrams that do not decode.
pub fn reply_event(
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
    k: &Knowledge,
) -> Option<Event> {
    let m = Message::decode(payload).ok()?;
    if m.op != Op::Reply {
        return None;
    }
    let message_type = match m.message_type() {
        Some(MessageType::Offer) => "offer",
        Some(MessageType::Ack) => "ack",
        None if m.option(options::MESSAGE_TYPE).is_none() => "bootp",
        _ => return None,
    };
    let servers = tftp_servers(&m);
    let bootfile = m
        .option(BOOTFILE)
        .or_else(|| Some(m.file.as_slice()).filter(|f| !f.is_empty()))
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let vendor = m
        .vendor_blocks()
        .ok()
        .and_then(|blocks| SmartInstallVendor::from_blocks(&blocks))
        .unwrap_or_default();
    let director = vendor.director.map(|d| d.to_string()).unwrap_or_default();
    let director_role = vendor
        .director
        .map_or("none", |d| k.role(IpAddr::V4(d)).as_str());
    let image_list = vendor.image_list.unwrap_or_default();
    Some(
        events::base(EventKind::DhcpReply, src, dst)
            .with("message_type", message_type)
            .with(
                "client_mac",
                m.mac().map(|mac| mac.to_string()).unwrap_or_default(),
            )
            .with("assigned", ip_text(m.yiaddr))
            .with(
                "tftp_servers_allowed",
                k.hosts_allowed(servers.iter().map(String::as_str)),
            )
            .with("tftp_servers", servers)
            .with("file_class", classify(&bootfile).as_str())
            .with("bootfile", bootfile)
            .with("si_director", director)
            .with("si_director_role", director_role)
            .with("si_image_list", image_list),
    )
}

/// Every TFTP server the reply names, in order, without repeats: option 150, option 66, the
/// `siaddr` field and the `sname` field.
fn tftp_servers(m: &Message) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(list) = m
        .option(TFTP_SERVER_ADDRESS)
        .and_then(|v| options::ipv4_list(TFTP_SERVER_ADDRESS, v).ok())
    {
        list.into_iter().for_each(|ip| add(ip.to_string()));
    }
    if let Some(name) = m.option(TFTP_SERVER_NAME) {
        add(text(name));
    }
    add(ip_text(m.siaddr));
    add(text(&m.sname));
    out
}

/// An address as text, empty for 0.0.0.0.
fn ip_text(ip: Ipv4Addr) -> String {
    if ip.is_unspecified() {
        String::new()
    } else {
        ip.to_string()
    }
}

/// A name field as text, trailing NULs and spaces removed.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches(['\0', ' '])
        .to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::net::{AddrSet, HostSet};
    use crate::proto::dhcp::DhcpOption;

    fn knowledge() -> Knowledge {
        let mut k = Knowledge::none();
        k.add_directors(&AddrSet(vec!["192.0.2.1/32".parse().unwrap()]));
        let mut servers = HostSet::default();
        servers.push_entry("192.0.2.5").unwrap();
        k.add_tftp_servers(&servers);
        k
    }

    /// A DHCP reply of `kind` to 00:1b:54:01:02:03 assigning 192.0.2.50, with `options`.
    pub(crate) fn reply(kind: MessageType, options: Vec<DhcpOption>) -> Vec<u8> {
        let mut chaddr = [0; 16];
        chaddr[..6].copy_from_slice(&[0, 0x1b, 0x54, 1, 2, 3]);
        let mut all = vec![DhcpOption {
            code: options::MESSAGE_TYPE,
            data: vec![kind.code()],
        }];
        all.extend(options);
        Message {
            op: Op::Reply,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: 7,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: "192.0.2.50".parse().unwrap(),
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: Vec::new(),
            file: Vec::new(),
            options: all,
        }
        .encode()
        .unwrap()
    }

    fn ends() -> (SocketAddr, SocketAddr) {
        (
            "198.51.100.9:67".parse().unwrap(),
            "255.255.255.255:68".parse().unwrap(),
        )
    }

    #[test]
    fn a_reply_names_its_tftp_servers_boot_file_and_director() {
        let vendor = SmartInstallVendor {
            image_list: Some("tftp://198.51.100.9/imagelist.txt".into()),
            director: Some("198.51.100.9".parse().unwrap()),
        };
        let mut v125 = Vec::new();
        let block = vendor.block();
        v125.extend_from_slice(&block.enterprise.to_be_bytes());
        let mut data = Vec::new();
        for (code, value) in &block.suboptions {
            data.push(*code);
            data.push(u8::try_from(value.len()).unwrap());
            data.extend_from_slice(value);
        }
        v125.push(u8::try_from(data.len()).unwrap());
        v125.extend(data);
        let payload = reply(
            MessageType::Offer,
            vec![
                DhcpOption {
                    code: TFTP_SERVER_ADDRESS,
                    data: vec![198, 51, 100, 9, 192, 0, 2, 5],
                },
                DhcpOption {
                    code: BOOTFILE,
                    data: b"network-confg".to_vec(),
                },
                DhcpOption {
                    code: options::VENDOR_IDENTIFYING,
                    data: v125,
                },
            ],
        );
        let (src, dst) = ends();
        let e = reply_event(src, dst, &payload, &knowledge()).unwrap();
        assert_eq!(e.text("message_type"), Some("offer"));
        assert_eq!(e.text("tftp_servers_allowed"), Some("not_all"));
        assert_eq!(e.text("bootfile"), Some("network-confg"));
        assert_eq!(e.text("file_class"), Some("config"));
        assert_eq!(e.text("si_director"), Some("198.51.100.9"));
        assert_eq!(e.text("si_director_role"), Some("non_director"));
        assert_eq!(e.text("client_mac"), Some("00:1b:54:01:02:03"));
        assert_eq!(e.text("assigned"), Some("192.0.2.50"));
    }

    #[test]
    fn only_server_replies_count() {
        let (src, dst) = ends();
        let k = knowledge();
        let allowed = reply(
            MessageType::Ack,
            vec![DhcpOption {
                code: TFTP_SERVER_ADDRESS,
                data: vec![192, 0, 2, 5],
            }],
        );
        let e = reply_event(src, dst, &allowed, &k).unwrap();
        assert_eq!(e.text("tftp_servers_allowed"), Some("all"));
        assert_eq!(e.text("si_director_role"), Some("none"));
        assert!(reply_event(src, dst, &reply(MessageType::Nak, vec![]), &k).is_none());
        let mut request = allowed.clone();
        request[0] = 1;
        assert!(reply_event(src, dst, &request, &k).is_none());
        assert!(reply_event(src, dst, b"not dhcp", &k).is_none());
        // Without lists, nothing can be judged.
        let e = reply_event(src, dst, &allowed, &Knowledge::none()).unwrap();
        assert_eq!(e.text("tftp_servers_allowed"), Some("unknown"));
    }
}
