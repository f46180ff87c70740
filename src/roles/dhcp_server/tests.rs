use std::net::Ipv4Addr;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::relay::{self, RelayAction, RelayConfig};
use super::*;
use crate::proto::dhcp::options::{self, SmartInstallVendor};
use crate::proto::dhcp::{DhcpOption, FLAG_BROADCAST};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 1);
const TFTP: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 5);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn config() -> ServerConfig {
    ServerConfig {
        server_ip: SERVER,
        subnet_mask: Ipv4Addr::new(255, 255, 255, 0),
        pool: Pool {
            first: Ipv4Addr::new(10, 9, 0, 100),
            last: Ipv4Addr::new(10, 9, 0, 102),
        },
        routers: vec![SERVER],
        dns: vec![],
        lease_secs: 3600,
    }
}

fn mac(n: u8) -> Mac {
    Mac([0x00, 0x1b, 0x2c, 0, 0, n])
}

fn msg(n: u8, kind: MessageType, opts: &[(u8, Vec<u8>)]) -> Message {
    let mut chaddr = [0; 16];
    chaddr[..6].copy_from_slice(&mac(n).0);
    let mut m = Message {
        op: Op::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0x1234_0000 + u32::from(n),
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: vec![],
        file: vec![],
        options: vec![DhcpOption {
            code: options::MESSAGE_TYPE,
            data: vec![kind.code()],
        }],
    };
    for (code, data) in opts {
        m.set_option(*code, data.clone());
    }
    m
}

fn si() -> ClientDecision {
    ClientDecision {
        smart_install: Some(SmartInstallOptions {
            image_list: Some("c2960-imagelist.txt".into()),
            config_file: Some("sw1.cfg".into()),
            tftp_server: Some(TFTP),
            hostname: Some("sw1".into()),
            director: Some(SERVER),
        }),
        pnp_option43: Some(options::pnp_option43(SERVER, 8445)),
    }
}

/// Runs `request` and applies the changes to `table`.
fn run(
    table: &mut LeaseTable,
    request: &Message,
    d: &ClientDecision,
    at: DateTime<Utc>,
) -> Outcome {
    let out = handle(request, table, &config(), d, at);
    for c in &out.changes {
        table.apply(c);
    }
    out
}

/// DISCOVER then REQUEST (selecting); returns the ACK's address.
fn join(table: &mut LeaseTable, n: u8, d: &ClientDecision, at: DateTime<Utc>) -> Ipv4Addr {
    let offer = run(table, &msg(n, MessageType::Discover, &[]), d, at);
    let ip = offer.reply.unwrap().message.yiaddr;
    let req = msg(
        n,
        MessageType::Request,
        &[
            (options::SERVER_ID, SERVER.octets().to_vec()),
            (options::REQUESTED_IP, ip.octets().to_vec()),
        ],
    );
    let ack = run(table, &req, d, at);
    assert!(
        matches!(ack.event, Event::Granted { .. }),
        "{:?}",
        ack.event
    );
    ack.reply.unwrap().message.yiaddr
}

#[test]
fn offers_smart_install_options_inside_the_window() {
    let table = LeaseTable::default();
    let out = handle(
        &msg(1, MessageType::Discover, &[]),
        &table,
        &config(),
        &si(),
        now(),
    );
    let reply = out.reply.unwrap();
    let m = &reply.message;
    assert_eq!(m.message_type(), Some(MessageType::Offer));
    assert_eq!(m.yiaddr, Ipv4Addr::new(10, 9, 0, 100));
    assert_eq!(m.option(options::BOOTFILE), Some(&b"sw1.cfg"[..]));
    assert_eq!(m.option(options::TFTP_SERVER_NAME), Some(&b"10.9.0.5"[..]));
    assert_eq!(
        m.option(options::TFTP_SERVER_ADDRESS),
        Some(&TFTP.octets()[..])
    );
    assert_eq!(m.hostname(), Some("sw1"));
    let vendor = SmartInstallVendor::from_blocks(&m.vendor_blocks().unwrap()).unwrap();
    assert_eq!(vendor.image_list.as_deref(), Some("c2960-imagelist.txt"));
    assert_eq!(vendor.director, Some(SERVER));
    // Not a PnP client: no option 43.
    assert_eq!(m.option(options::VENDOR_SPECIFIC), None);
    let codes: Vec<u8> = m.options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [53, 54, 51, 58, 59, 1, 3, 12, 66, 150, 67, 125]);
    assert_eq!(
        reply.destination,
        Destination::Hardware {
            ip: m.yiaddr,
            mac: mac(1)
        }
    );
    assert!(matches!(
        out.event,
        Event::Offered {
            smart_install: true,
            ..
        }
    ));
    assert!(m.encode().unwrap().len() >= crate::proto::dhcp::MIN_MESSAGE_BYTES);
}

#[test]
fn gives_plain_dhcp_outside_the_window() {
    let table = LeaseTable::default();
    let plain = ClientDecision::default();
    let out = handle(
        &msg(1, MessageType::Discover, &[]),
        &table,
        &config(),
        &plain,
        now(),
    );
    let m = out.reply.unwrap().message;
    for code in [12, 43, 66, 67, 125, 150] {
        assert_eq!(m.option(code), None, "option {code}");
    }
    assert!(matches!(
        out.event,
        Event::Offered {
            smart_install: false,
            ..
        }
    ));
}

#[test]
fn gives_option_43_to_ciscopnp_clients() {
    let table = LeaseTable::default();
    let req = msg(
        1,
        MessageType::Discover,
        &[(options::VENDOR_CLASS, b"ciscopnp".to_vec())],
    );
    let m = handle(&req, &table, &config(), &si(), now())
        .reply
        .unwrap()
        .message;
    assert_eq!(
        m.option(options::VENDOR_SPECIFIC),
        Some(&b"5A1N;B2;K5;I10.9.0.1;J8445"[..])
    );
}

#[test]
fn remembers_the_address_of_a_mac_after_expiry() {
    let mut table = LeaseTable::default();
    let first = join(&mut table, 1, &si(), now());
    join(&mut table, 2, &si(), now());
    let later = now() + Duration::days(3);
    let again = join(&mut table, 1, &si(), later);
    assert_eq!(again, first);
}

#[test]
fn an_expired_address_is_reused_only_when_the_pool_is_full() {
    let mut table = LeaseTable::default();
    let a = join(&mut table, 1, &si(), now());
    let later = now() + Duration::days(3);
    let b = join(&mut table, 2, &si(), later);
    let c = join(&mut table, 3, &si(), later);
    assert!(a != b && a != c && b != c);
    // Pool of three is full; client 4 gets client 1's expired address.
    assert_eq!(join(&mut table, 4, &si(), later), a);
    // Client 5 finds nothing: 2, 3, 4 are bound.
    let out = run(
        &mut table,
        &msg(5, MessageType::Discover, &[]),
        &si(),
        later,
    );
    assert!(out.reply.is_none());
    assert!(matches!(
        out.event,
        Event::Refused {
            reason: RefuseReason::PoolExhausted,
            ..
        }
    ));
}

#[test]
fn naks_a_request_for_another_subnet() {
    let mut table = LeaseTable::default();
    let req = msg(
        1,
        MessageType::Request,
        &[(options::REQUESTED_IP, vec![192, 168, 1, 9])],
    );
    let out = run(&mut table, &req, &si(), now());
    let reply = out.reply.unwrap();
    assert_eq!(reply.message.message_type(), Some(MessageType::Nak));
    assert_eq!(reply.destination, Destination::Broadcast);
    assert!(matches!(
        out.event,
        Event::Refused {
            reason: RefuseReason::WrongSubnet,
            ..
        }
    ));
}

#[test]
fn init_reboot_keeps_a_remembered_address_and_naks_a_taken_one() {
    let mut table = LeaseTable::default();
    let ip = join(&mut table, 1, &si(), now());
    let reboot = msg(
        1,
        MessageType::Request,
        &[(options::REQUESTED_IP, ip.octets().to_vec())],
    );
    assert!(matches!(
        run(&mut table, &reboot, &si(), now()).event,
        Event::Granted { .. }
    ));
    let thief = msg(
        2,
        MessageType::Request,
        &[(options::REQUESTED_IP, ip.octets().to_vec())],
    );
    let out = run(&mut table, &thief, &si(), now());
    assert!(matches!(
        out.event,
        Event::Refused {
            reason: RefuseReason::AddressTaken,
            ..
        }
    ));
}

#[test]
fn renewing_extends_the_lease_by_unicast() {
    let mut table = LeaseTable::default();
    let ip = join(&mut table, 1, &si(), now());
    let mut renew = msg(1, MessageType::Request, &[]);
    renew.ciaddr = ip;
    let later = now() + Duration::minutes(30);
    let out = run(&mut table, &renew, &si(), later);
    let reply = out.reply.unwrap();
    assert_eq!(reply.destination, Destination::Unicast(ip));
    assert_eq!(table.get(ip).unwrap().expires, later + Duration::hours(1));
}

#[test]
fn selecting_another_server_frees_our_offer() {
    let mut table = LeaseTable::default();
    run(
        &mut table,
        &msg(1, MessageType::Discover, &[]),
        &si(),
        now(),
    );
    assert_eq!(table.len(), 1);
    let req = msg(
        1,
        MessageType::Request,
        &[
            (options::SERVER_ID, vec![10, 9, 0, 99]),
            (options::REQUESTED_IP, vec![10, 9, 0, 100]),
        ],
    );
    let out = run(&mut table, &req, &si(), now());
    assert!(out.reply.is_none());
    assert!(table.is_empty());
}

#[test]
fn a_request_for_an_address_never_offered_is_nakked() {
    let mut table = LeaseTable::default();
    let req = msg(
        1,
        MessageType::Request,
        &[
            (options::SERVER_ID, SERVER.octets().to_vec()),
            (options::REQUESTED_IP, vec![10, 9, 0, 101]),
        ],
    );
    let out = run(&mut table, &req, &si(), now());
    assert!(matches!(
        out.event,
        Event::Refused {
            reason: RefuseReason::NotOffered,
            ..
        }
    ));
}

#[test]
fn decline_quarantines_and_release_keeps_the_memory() {
    let mut table = LeaseTable::default();
    let ip = join(&mut table, 1, &si(), now());
    let decline = msg(
        1,
        MessageType::Decline,
        &[
            (options::SERVER_ID, SERVER.octets().to_vec()),
            (options::REQUESTED_IP, ip.octets().to_vec()),
        ],
    );
    assert!(matches!(
        run(&mut table, &decline, &si(), now()).event,
        Event::Declined { .. }
    ));
    // Client 1 gets another address; the declined one stays out of the pool.
    let other = join(&mut table, 1, &si(), now());
    assert_ne!(other, ip);
    let mut release = msg(1, MessageType::Release, &[]);
    release.ciaddr = other;
    assert!(matches!(
        run(&mut table, &release, &si(), now()).event,
        Event::Released { .. }
    ));
    assert_eq!(table.get(other).unwrap().state, LeaseState::Released);
    assert_eq!(join(&mut table, 1, &si(), now()), other);
}

#[test]
fn inform_gets_options_without_a_lease() {
    let table = LeaseTable::default();
    let mut inform = msg(1, MessageType::Inform, &[]);
    inform.ciaddr = Ipv4Addr::new(10, 9, 0, 50);
    let out = handle(&inform, &table, &config(), &si(), now());
    let reply = out.reply.unwrap();
    assert_eq!(reply.message.yiaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(reply.message.option(options::LEASE_TIME), None);
    assert!(reply.message.option(options::VENDOR_IDENTIFYING).is_some());
    assert_eq!(reply.destination, Destination::Unicast(inform.ciaddr));
    assert!(out.changes.is_empty());
}

#[test]
fn ignores_bootp_replies_and_non_ethernet() {
    let table = LeaseTable::default();
    let mut m = msg(1, MessageType::Discover, &[]);
    m.options.clear();
    assert_eq!(
        handle(&m, &table, &config(), &si(), now()).event,
        Event::Ignored {
            reason: IgnoreReason::NoMessageType
        }
    );
    let mut m = msg(1, MessageType::Discover, &[]);
    m.htype = 6;
    assert_eq!(
        handle(&m, &table, &config(), &si(), now()).event,
        Event::Ignored {
            reason: IgnoreReason::NotEthernet
        }
    );
    let mut m = msg(1, MessageType::Discover, &[]);
    m.op = Op::Reply;
    assert_eq!(
        handle(&m, &table, &config(), &si(), now()).event,
        Event::Ignored {
            reason: IgnoreReason::NotRequest
        }
    );
}

#[test]
fn replies_through_a_relay_go_to_giaddr_with_option_82_echoed_last() {
    let table = LeaseTable::default();
    let mut m = msg(
        1,
        MessageType::Discover,
        &[(options::RELAY_AGENT_INFO, vec![1, 2, 0xaa, 0xbb])],
    );
    m.giaddr = Ipv4Addr::new(10, 9, 0, 2);
    m.flags = FLAG_BROADCAST;
    let reply = handle(&m, &table, &config(), &si(), now()).reply.unwrap();
    assert_eq!(reply.destination, Destination::Relay(m.giaddr));
    assert_eq!(
        reply.message.options.last().unwrap().code,
        options::RELAY_AGENT_INFO
    );
    assert_eq!(reply.message.option(82), Some(&[1, 2, 0xaa, 0xbb][..]));
}

const AGENT: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 1);
const UPSTREAM: Ipv4Addr = Ipv4Addr::new(10, 8, 0, 2);

fn relay_config() -> RelayConfig {
    RelayConfig {
        agent_ip: AGENT,
        server: UPSTREAM,
    }
}

#[test]
fn relay_forwards_requests_with_giaddr_and_hops() {
    let m = msg(1, MessageType::Discover, &[]);
    let RelayAction::ToServer { datagram, server } = relay::from_client(&m, &relay_config()) else {
        panic!("not forwarded");
    };
    assert_eq!(server, UPSTREAM);
    let fwd = Message::decode(&datagram).unwrap();
    assert_eq!((fwd.giaddr, fwd.hops), (AGENT, 1));
    let mut looped = m;
    looped.hops = relay::MAX_HOPS;
    assert!(matches!(
        relay::from_client(&looped, &relay_config()),
        RelayAction::Drop(_)
    ));
}

fn upstream_offer(existing_125: Option<Vec<u8>>) -> Message {
    let mut offer = msg(
        1,
        MessageType::Offer,
        &[
            (options::SERVER_ID, UPSTREAM.octets().to_vec()),
            (options::BOOTFILE, b"upstream.cfg".to_vec()),
        ],
    );
    if let Some(v) = existing_125 {
        offer.set_option(options::VENDOR_IDENTIFYING, v);
    }
    offer.op = Op::Reply;
    offer.giaddr = AGENT;
    offer.yiaddr = Ipv4Addr::new(10, 9, 0, 77);
    offer.flags = FLAG_BROADCAST;
    offer
}

#[test]
fn relay_inserts_smart_install_options_into_the_servers_offer() {
    let other = options::VendorBlock {
        enterprise: 4491,
        suboptions: vec![(2, vec![7])],
    };
    let offer = upstream_offer(Some(
        options::encode_vendor_blocks(std::slice::from_ref(&other)).unwrap(),
    ));
    let action = relay::from_server(&offer, &relay_config(), &si());
    let RelayAction::ToClient {
        datagram,
        destination,
        smart_install: true,
        kind: MessageType::Offer,
    } = action
    else {
        panic!("unexpected {action:?}");
    };
    assert_eq!(destination, Destination::Broadcast);
    let m = Message::decode(&datagram).unwrap();
    assert_eq!(m.option(options::BOOTFILE), Some(&b"sw1.cfg"[..]));
    assert_eq!(m.option(options::SERVER_ID), Some(&UPSTREAM.octets()[..]));
    let blocks = m.vendor_blocks().unwrap();
    assert_eq!(blocks[0], other);
    assert!(SmartInstallVendor::from_blocks(&blocks).is_some());
}

#[test]
fn relay_passes_replies_unchanged_outside_the_window() {
    let offer = upstream_offer(None);
    let action = relay::from_server(&offer, &relay_config(), &ClientDecision::default());
    let RelayAction::ToClient {
        datagram,
        smart_install: false,
        ..
    } = action
    else {
        panic!("unexpected {action:?}");
    };
    let m = Message::decode(&datagram).unwrap();
    assert_eq!(m.option(options::BOOTFILE), Some(&b"upstream.cfg"[..]));
    assert_eq!(m.option(options::VENDOR_IDENTIFYING), None);
}

#[test]
fn relay_drops_replies_for_another_agent() {
    let mut offer = upstream_offer(None);
    offer.giaddr = Ipv4Addr::new(10, 99, 0, 1);
    assert!(matches!(
        relay::from_server(&offer, &relay_config(), &si()),
        RelayAction::Drop(_)
    ));
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn step(n: u8, kind: u8, table: &LeaseTable) -> Message {
        let mine = table.of_mac(&mac(n)).map(|l| l.ip);
        let ip = mine.unwrap_or_else(|| Ipv4Addr::new(10, 9, 0, 100 + n % 3));
        let server = (options::SERVER_ID, SERVER.octets().to_vec());
        let wanted = (options::REQUESTED_IP, ip.octets().to_vec());
        match kind % 5 {
            0 => msg(n, MessageType::Discover, &[]),
            1 => msg(n, MessageType::Request, &[server, wanted]),
            2 => msg(n, MessageType::Request, &[wanted]),
            3 => {
                let mut m = msg(n, MessageType::Release, &[]);
                m.ciaddr = ip;
                m
            }
            _ => msg(n, MessageType::Decline, &[server, wanted]),
        }
    }

    proptest! {
        #[test]
        fn never_grants_an_address_another_client_holds(
            ops in proptest::collection::vec((0u8..5, any::<u8>(), 0i64..7200), 1..60)
        ) {
            let mut table = LeaseTable::default();
            let mut at = now();
            for (n, kind, advance) in ops {
                at += Duration::seconds(advance);
                let request = step(n, kind, &table);
                let before = table.clone();
                let out = run(&mut table, &request, &si(), at);
                if let Event::Granted { mac: who, ip, .. } | Event::Offered { mac: who, ip, .. } = out.event {
                    prop_assert!(before.free_for(ip, &who, at), "{ip} given to {who} while held");
                    prop_assert!(config().pool.contains(ip) || before.get(ip).is_some());
                }
                // The MAC index matches the records.
                let rebuilt = LeaseTable::new(table.iter().cloned());
                prop_assert_eq!(&rebuilt, &table);
                let granted = table.iter().filter(|l| l.state == LeaseState::Bound && l.is_active(at));
                let mut macs: Vec<Mac> = granted.map(|l| l.mac).collect();
                let len = macs.len();
                macs.sort();
                macs.dedup();
                prop_assert_eq!(macs.len(), len, "a MAC holds two bound addresses");
            }
        }
    }
}
