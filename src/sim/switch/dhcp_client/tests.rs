//! The DHCP client state machine with a scripted server: what each request carries, which
//! replies it takes or ignores, retransmission and giving up, with time as an input.

use super::*;
use crate::proto::dhcp::options::{SmartInstallVendor, encode_vendor_blocks};

const MAC: [u8; 6] = [0x02, 0, 0, 0x5a, 0, 1];
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 66, 1, 1);
const OFFERED: Ipv4Addr = Ipv4Addr::new(10, 66, 1, 100);

fn t0() -> Instant {
    crate::clock::now_monotonic()
}

fn client() -> DhcpClient {
    DhcpClient::new(MAC, 41, Timing::default())
}

fn decode(datagram: &[u8]) -> Message {
    Message::decode(datagram).unwrap()
}

/// A server reply of `kind` to `request`, with the Smart Install options.
fn reply(request: &Message, kind: MessageType) -> Message {
    let mut m = request.clone();
    m.op = Op::Reply;
    m.yiaddr = OFFERED;
    m.options.clear();
    m.set_option(options::MESSAGE_TYPE, vec![kind.code()]);
    m.set_option(options::SERVER_ID, SERVER.octets().to_vec());
    m.set_option(options::SUBNET_MASK, vec![255, 255, 255, 0]);
    m.set_option(options::HOSTNAME, b"edge-1".to_vec());
    m.set_option(options::TFTP_SERVER_NAME, b"10.66.1.1".to_vec());
    m.set_option(options::BOOTFILE, b"edge-1.cfg".to_vec());
    let vendor = SmartInstallVendor {
        image_list: Some("imagelist.txt".into()),
        director: Some(SERVER),
    };
    let value = encode_vendor_blocks(&[vendor.block()]).unwrap();
    m.set_option(options::VENDOR_IDENTIFYING, value);
    m
}

fn encode(m: &Message) -> Vec<u8> {
    m.encode().unwrap()
}

fn sent(step: Step) -> Message {
    match step {
        Step::Send(d) => decode(&d),
        other => panic!("expected a send, got {other:?}"),
    }
}

#[test]
fn discover_is_a_broadcast_request_asking_for_the_smart_install_options() {
    let mut c = client();
    let d = decode(&c.discover(t0()));
    assert_eq!(d.op, Op::Request);
    assert_eq!(d.message_type(), Some(MessageType::Discover));
    assert_eq!(d.xid, c.xid());
    assert_eq!(d.mac().unwrap().0, MAC);
    assert!(d.broadcast());
    assert_eq!(
        d.option(options::PARAMETER_REQUEST_LIST),
        Some(&[1, 3, 6, 12, 66, 67, 125, 150][..])
    );
    assert_eq!(
        d.option(options::CLIENT_ID),
        Some(&[1, 2, 0, 0, 0x5a, 0, 1][..])
    );
    assert!(d.requested_ip().is_none());
}

#[test]
fn accepts_an_offer_and_requests_it_from_that_server() {
    let mut c = client();
    let now = t0();
    let d = decode(&c.discover(now));
    let r = sent(c.handle(now, &encode(&reply(&d, MessageType::Offer))));
    assert_eq!(r.message_type(), Some(MessageType::Request));
    assert_eq!(r.xid, d.xid);
    assert_eq!(r.requested_ip(), Some(OFFERED));
    assert_eq!(r.server_id(), Some(SERVER));
    assert!(r.ciaddr.is_unspecified());
}

#[test]
fn ack_binds_with_the_director_options() {
    let mut c = client();
    let now = t0();
    let d = decode(&c.discover(now));
    let r = sent(c.handle(now, &encode(&reply(&d, MessageType::Offer))));
    let Step::Bound(lease) = c.handle(now, &encode(&reply(&r, MessageType::Ack))) else {
        panic!("not bound");
    };
    assert_eq!(lease.ip, OFFERED);
    assert_eq!(lease.prefix, 24);
    assert_eq!(lease.server, SERVER);
    assert_eq!(
        lease.boot,
        BootOptions {
            image_list: Some("imagelist.txt".into()),
            config_file: Some("edge-1.cfg".into()),
            tftp_server: Some(SERVER),
            hostname: Some("edge-1".into()),
            director: Some(SERVER),
        }
    );
    assert!(lease.boot.zero_touch());
    assert_eq!(c.next_timeout(), None);
}

#[test]
fn ignores_replies_with_another_xid_or_chaddr() {
    let mut c = client();
    let now = t0();
    let d = decode(&c.discover(now));
    let mut other_xid = reply(&d, MessageType::Offer);
    other_xid.xid ^= 1;
    assert_eq!(c.handle(now, &encode(&other_xid)), Step::Wait);
    let mut other_mac = reply(&d, MessageType::Offer);
    other_mac.chaddr[5] ^= 1;
    assert_eq!(c.handle(now, &encode(&other_mac)), Step::Wait);
    // A request echoed back (another client's broadcast) is not a reply.
    assert_eq!(c.handle(now, &encode(&d)), Step::Wait);
    assert_eq!(c.handle(now, b"garbage"), Step::Wait);
    // An ACK while selecting is not what the client waits for.
    assert_eq!(
        c.handle(now, &encode(&reply(&d, MessageType::Ack))),
        Step::Wait
    );
    assert!(matches!(
        c.handle(now, &encode(&reply(&d, MessageType::Offer))),
        Step::Send(_)
    ));
}

#[test]
fn ignores_an_offer_without_a_server_identifier() {
    let mut c = client();
    let d = decode(&c.discover(t0()));
    let mut offer = reply(&d, MessageType::Offer);
    offer.remove_option(options::SERVER_ID);
    assert_eq!(c.handle(t0(), &encode(&offer)), Step::Wait);
}

#[test]
fn retransmits_with_a_doubling_timeout_then_gives_up() {
    let timing = Timing {
        retransmit: Duration::from_secs(1),
        max_retransmit: Duration::from_secs(3),
        attempts: 3,
    };
    let mut c = DhcpClient::new(MAC, 7, timing);
    let start = t0();
    let first = c.discover(start);
    assert_eq!(c.next_timeout(), Some(start + Duration::from_secs(1)));
    assert_eq!(c.handle_timeout(start), Step::Wait, "not due yet");
    let at = start + Duration::from_secs(1);
    assert_eq!(c.handle_timeout(at), Step::Send(first.clone()));
    assert_eq!(c.next_timeout(), Some(at + Duration::from_secs(2)));
    let at = at + Duration::from_secs(2);
    assert_eq!(c.handle_timeout(at), Step::Send(first));
    assert_eq!(
        c.next_timeout(),
        Some(at + Duration::from_secs(3)),
        "capped"
    );
    assert_eq!(c.handle_timeout(at + Duration::from_secs(3)), Step::GaveUp);
    assert_eq!(c.next_timeout(), None);
}

#[test]
fn each_exchange_has_a_new_xid() {
    let mut c = client();
    let a = decode(&c.discover(t0())).xid;
    let b = decode(&c.discover(t0())).xid;
    assert_ne!(a, b);
}

#[test]
fn reboot_requests_the_remembered_address_without_a_server_id() {
    let mut c = client();
    let now = t0();
    let r = decode(&c.reboot(now, OFFERED));
    assert_eq!(r.message_type(), Some(MessageType::Request));
    assert_eq!(r.requested_ip(), Some(OFFERED));
    assert_eq!(r.server_id(), None);
    let Step::Bound(lease) = c.handle(now, &encode(&reply(&r, MessageType::Ack))) else {
        panic!("not bound");
    };
    assert_eq!(lease.server, SERVER);
}

#[test]
fn nak_ends_the_exchange() {
    let mut c = client();
    let now = t0();
    let r = decode(&c.reboot(now, OFFERED));
    assert_eq!(
        c.handle(now, &encode(&reply(&r, MessageType::Nak))),
        Step::Nak
    );
    assert_eq!(c.next_timeout(), None);
}

#[test]
fn plain_replies_carry_no_zero_touch_options() {
    let mut c = client();
    let now = t0();
    let d = decode(&c.discover(now));
    let r = sent(c.handle(now, &encode(&reply(&d, MessageType::Offer))));
    let mut ack = reply(&r, MessageType::Ack);
    for code in [125, 67, 66, 12] {
        ack.remove_option(code);
    }
    let Step::Bound(lease) = c.handle(now, &encode(&ack)) else {
        panic!("not bound");
    };
    assert_eq!(lease.boot, BootOptions::default());
    assert!(!lease.boot.zero_touch());
}

#[test]
fn tftp_server_prefers_option_150_then_66_then_siaddr() {
    let mut m = reply(&decode(&client().discover(t0())), MessageType::Ack);
    m.siaddr = Ipv4Addr::new(10, 0, 0, 3);
    m.set_option(options::TFTP_SERVER_ADDRESS, vec![10, 0, 0, 1, 10, 0, 0, 9]);
    m.set_option(options::TFTP_SERVER_NAME, b"10.0.0.2".to_vec());
    let tftp = |m: &Message| BootOptions::from_message(m).tftp_server;
    assert_eq!(tftp(&m), Some(Ipv4Addr::new(10, 0, 0, 1)));
    m.remove_option(options::TFTP_SERVER_ADDRESS);
    assert_eq!(tftp(&m), Some(Ipv4Addr::new(10, 0, 0, 2)));
    m.set_option(options::TFTP_SERVER_NAME, b"tftp.example".to_vec());
    assert_eq!(tftp(&m), Some(Ipv4Addr::new(10, 0, 0, 3)));
}

#[test]
fn prefix_comes_from_contiguous_masks_only() {
    assert_eq!(prefix_len(Ipv4Addr::new(255, 255, 255, 0)), Some(24));
    assert_eq!(prefix_len(Ipv4Addr::new(255, 255, 255, 255)), Some(32));
    assert_eq!(prefix_len(Ipv4Addr::new(0, 0, 0, 0)), Some(0));
    assert_eq!(prefix_len(Ipv4Addr::new(255, 0, 255, 0)), None);
}
