//! The capture `bench pcap-audit` measures on: a deterministic mix of ordinary traffic and a
//! sprinkling of provisioning sessions, written record by record to any [`Write`].
//!
//! Traffic model. A pool of concurrent flows (up to [`MAX_CONCURRENT_FLOWS`], fewer for small
//! files) is kept full; each step picks a random flow and emits its next burst (one to three
//! full-size segments and the receiver's ACK), so thousands of connections interleave as on a
//! busy link. Ordinary flows are HTTPS-like sessions on 443, HTTP with keep-alive (images,
//! scripts, JSON), short request/response services, bulk transfers of up to 8 MiB in either
//! direction (SSH, SMB, rsync, NFS, iperf ports) and DNS over UDP. A fifth of the flows are
//! IPv6 and an eighth carry an 802.1Q tag; now and then a burst is sent out of order or a segment
//! is retransmitted. Special sessions start at an even byte interval, rotating through Smart
//! Install director probes and config pushes, every attack of the [`crate::sim::attack`]
//! corpus (with the TFTP callbacks the attacks trigger), TFTP reads and writes, FTP, PnP over
//! HTTP and an IOS image fetched over HTTP. When the size is reached, the special sessions in
//! flight are completed; ordinary flows are left as a capture cut mid-traffic leaves them.
//!
//! The provisioning sessions are in [`special`].
//!
//! Memory: the pool, one noise buffer and one record buffer; nothing grows with the file.
//! Inputs: the size, the format and the seed, all trusted.

mod special;

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use self::special::SPECIALS;
use crate::bench::XorShift;
use crate::proto::packet::build::{FrameSpec, Framing, Side, TcpConversation, udp_frame};
use crate::proto::pcap::LinkType;
use crate::proto::pcap::build::{
    enhanced_packet, interface_description, pcap_header, pcap_record, section_header,
};
use crate::proto::vstack::EncodeError;

/// Most flows in flight at once.
pub const MAX_CONCURRENT_FLOWS: usize = 2048;
/// The Smart Install director of the generated network (IPv4).
pub const DIRECTOR_V4: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 10);
/// The Smart Install director of the generated network (IPv6).
pub const DIRECTOR_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x20, 0, 0, 0, 0, 0, 0x10);

/// Capture time of the first record: 2026-09-21T12:00:00Z.
const START_NS: u64 = 1_790_000_000_000_000_000;
/// Bytes of the shared pseudo-random payload.
const NOISE_BYTES: usize = 1 << 20;
/// Slack after the noise so a burst never wraps.
const NOISE_SLACK: usize = 64 * 1024;
/// One burst in this many is sent with its first two segments swapped.
const OUT_OF_ORDER_ONE_IN: u64 = 300;
/// One burst in this many has its first segment sent twice.
const RETRANSMIT_ONE_IN: u64 = 250;
/// One ordinary TCP flow in this many ends with a reset instead of FINs.
const RESET_ONE_IN: u64 = 20;

/// The container written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CaptureFormat {
    /// Classic pcap, microsecond timestamps.
    Pcap,
    /// pcapng, one Ethernet interface, microsecond timestamps.
    Pcapng,
}

impl CaptureFormat {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::Pcapng => "pcapng",
        }
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Composition {
    /// Bytes of the file, headers included.
    pub file_bytes: u64,
    /// Packet records.
    pub packets: u64,
    /// Bytes of the frames (what a reader reports as frame bytes).
    pub frame_bytes: u64,
    /// TCP connections started.
    pub tcp_flows: u64,
    /// Most flows in flight at once.
    pub peak_concurrent_flows: u64,
    /// UDP datagrams.
    pub udp_datagrams: u64,
    /// IPv6 packets.
    pub ipv6_packets: u64,
    /// 802.1Q-tagged packets.
    pub vlan_packets: u64,
    /// Packets to or from TCP port 4786.
    pub smart_install_packets: u64,
    /// Frame bytes of those packets.
    pub smart_install_bytes: u64,
    /// Smart Install connections (director traffic and attacks).
    pub smart_install_sessions: u64,
    /// Attack connections from the corpus.
    pub attack_sessions: u64,
    /// Special sessions of every kind (Smart Install, TFTP, FTP, PnP, image over HTTP).
    pub special_sessions: u64,
    /// Bursts sent with two segments swapped.
    pub out_of_order: u64,
    /// Segments sent twice.
    pub retransmissions: u64,
}

/// Why the capture could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Writing failed.
    #[error("cannot write the capture: {0}")]
    Io(#[from] io::Error),
    /// A Smart Install message of the corpus could not be encoded.
    #[error("cannot encode a Smart Install message: {0}")]
    Encode(#[from] EncodeError),
}

/// Writes a capture of about `size` bytes (slightly more: the special sessions in flight are
/// completed) to `out`.
///
/// # Errors
/// [`GenerateError`] when writing fails.
pub fn generate(
    out: impl Write,
    size: u64,
    format: CaptureFormat,
    seed: u64,
) -> Result<Composition, GenerateError> {
    let mut g = Generator::new(out, format, seed, size)?;
    g.run(size)?;
    g.out.w.flush()?;
    Ok(g.out.comp)
}

// === the record writer ===

/// Properties of a flow counted per packet.
#[derive(Clone, Copy, Debug, Default)]
struct Traits {
    v6: bool,
    vlan: bool,
    smart_install: bool,
}

struct Out<W> {
    w: W,
    format: CaptureFormat,
    buf: Vec<u8>,
    ts_ns: u64,
    comp: Composition,
}

impl<W: Write> Out<W> {
    fn header(&mut self) -> io::Result<()> {
        self.buf.clear();
        match self.format {
            CaptureFormat::Pcap => {
                self.buf
                    .extend_from_slice(&pcap_header(LinkType::Ethernet, 65_535, false))
            }
            CaptureFormat::Pcapng => {
                section_header(&mut self.buf);
                interface_description(LinkType::Ethernet, 65_535, None, &mut self.buf);
            }
        }
        self.flush_buf()
    }

    fn frame(&mut self, frame: &[u8], traits: Traits, rng: &mut XorShift) -> io::Result<()> {
        self.ts_ns += 1_000 + rng.below(6_000);
        self.buf.clear();
        match self.format {
            CaptureFormat::Pcap => pcap_record(self.ts_ns, frame, false, &mut self.buf),
            CaptureFormat::Pcapng => enhanced_packet(0, self.ts_ns / 1_000, frame, &mut self.buf),
        }
        let c = &mut self.comp;
        c.packets += 1;
        c.frame_bytes += frame.len() as u64;
        c.ipv6_packets += u64::from(traits.v6);
        c.vlan_packets += u64::from(traits.vlan);
        if traits.smart_install {
            c.smart_install_packets += 1;
            c.smart_install_bytes += frame.len() as u64;
        }
        self.flush_buf()
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.comp.file_bytes += self.buf.len() as u64;
        Ok(())
    }
}

// === flows ===

/// One step of a flow's script.
#[derive(Debug)]
enum Action {
    Handshake,
    /// `head` then `noise` pseudo-random bytes from one side, in full-size segments.
    Send {
        from: Side,
        head: Vec<u8>,
        noise: u64,
    },
    /// A datagram from one end of the flow to the other (or to a third party).
    Udp {
        from: SocketAddr,
        to: SocketAddr,
        payload: Vec<u8>,
    },
    Close(Side),
    Reset(Side),
}

struct Flow {
    conv: TcpConversation,
    spec: FrameSpec,
    traits: Traits,
    script: Vec<Action>,
    at: usize,
    /// Bytes of the current `Send` already sent.
    sent: u64,
    mss: usize,
    noise_at: usize,
    special: bool,
}

impl Flow {
    fn new(spec: FrameSpec, client: SocketAddr, server: SocketAddr, rng: &mut XorShift) -> Self {
        let v6 = client.is_ipv6();
        let conv = TcpConversation::with_isn(
            spec,
            client,
            server,
            rng.next_u64() as u32,
            rng.next_u64() as u32,
        );
        Self {
            conv,
            spec,
            traits: Traits {
                v6,
                vlan: matches!(spec.framing, Framing::Vlan(_)),
                smart_install: client.port() == 4786 || server.port() == 4786,
            },
            script: Vec::new(),
            at: 0,
            sent: 0,
            mss: if v6 { 1440 } else { 1460 },
            noise_at: rng.below(NOISE_BYTES as u64) as usize,
            special: false,
        }
    }

    fn client(&self) -> SocketAddr {
        self.conv.addr(Side::Client)
    }

    fn server(&self) -> SocketAddr {
        self.conv.addr(Side::Server)
    }

    fn send(&mut self, from: Side, head: impl Into<Vec<u8>>, noise: u64) {
        self.script.push(Action::Send {
            from,
            head: head.into(),
            noise,
        });
    }

    fn done(&self) -> bool {
        self.at >= self.script.len()
    }
}

struct Generator<W> {
    out: Out<W>,
    rng: XorShift,
    noise: Vec<u8>,
    pool: Vec<Flow>,
    concurrency: usize,
    special_every: u64,
    next_special_at: u64,
    specials: u64,
    scratch: Vec<u8>,
    burst: Vec<Vec<u8>>,
}

impl<W: Write> Generator<W> {
    fn new(w: W, format: CaptureFormat, seed: u64, size: u64) -> io::Result<Self> {
        let mut rng = XorShift::new(seed);
        let mut noise = vec![0u8; NOISE_BYTES + NOISE_SLACK];
        for chunk in noise.chunks_mut(8) {
            let bytes = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let concurrency = usize::try_from(size / (512 * 1024))
            .unwrap_or(usize::MAX)
            .clamp(16, MAX_CONCURRENT_FLOWS);
        // About one special session per 1.75 MiB, and at least two rounds of the rotation.
        let target = (size / (1_835_008)).max(2 * SPECIALS.len() as u64);
        let special_every = (size / target).max(1);
        let mut out = Out {
            w,
            format,
            buf: Vec::with_capacity(2048),
            ts_ns: START_NS,
            comp: Composition::default(),
        };
        out.header()?;
        Ok(Self {
            out,
            rng,
            noise,
            pool: Vec::with_capacity(concurrency + 16),
            concurrency,
            special_every,
            next_special_at: special_every / 2,
            specials: 0,
            scratch: Vec::with_capacity(8 * 1024),
            burst: Vec::new(),
        })
    }

    fn run(&mut self, size: u64) -> Result<(), GenerateError> {
        while self.out.comp.file_bytes < size {
            if self.out.comp.file_bytes >= self.next_special_at {
                self.next_special_at += self.special_every;
                let flow = self.special()?;
                self.start(flow);
            }
            while self.pool.len() < self.concurrency {
                let flow = self.ordinary();
                self.start(flow);
            }
            let i = self.rng.below(self.pool.len() as u64) as usize;
            self.step(i)?;
        }
        // Complete the special sessions in flight; ordinary flows stay cut.
        self.pool.retain(|f| f.special);
        while !self.pool.is_empty() {
            let i = self.rng.below(self.pool.len() as u64) as usize;
            self.step(i)?;
        }
        Ok(())
    }

    fn start(&mut self, flow: Flow) {
        if flow.script.iter().any(|a| matches!(a, Action::Handshake)) {
            self.out.comp.tcp_flows += 1;
        }
        self.pool.push(flow);
        self.out.comp.peak_concurrent_flows = self
            .out
            .comp
            .peak_concurrent_flows
            .max(self.pool.len() as u64);
    }

    /// Emits the next burst of flow `i`; removes the flow when its script is over.
    fn step(&mut self, i: usize) -> io::Result<()> {
        let Some(flow) = self.pool.get_mut(i) else {
            return Ok(());
        };
        let mut traits = flow.traits;
        self.burst.clear();
        match flow.script.get_mut(flow.at) {
            None => {}
            Some(Action::Handshake) => {
                self.burst.extend(flow.conv.handshake());
                flow.at += 1;
            }
            Some(Action::Send { from, head, noise }) => {
                let from = *from;
                let total = head.len() as u64 + *noise;
                let segments = 1 + self.rng.below(3) as usize;
                let take = (total - flow.sent).min((segments * flow.mss) as u64) as usize;
                self.scratch.clear();
                let head_from = usize::try_from(flow.sent).unwrap_or(usize::MAX);
                let from_head = head.get(head_from..).unwrap_or_default();
                let from_head = &from_head[..from_head.len().min(take)];
                self.scratch.extend_from_slice(from_head);
                let rest = take - from_head.len();
                let at = (flow.noise_at + flow.sent as usize) % NOISE_BYTES;
                self.scratch.extend_from_slice(&self.noise[at..at + rest]);
                let burst = &mut self.burst;
                flow.conv
                    .send_each(from, &self.scratch, flow.mss, |f| burst.push(f.to_vec()));
                if self.burst.len() >= 2 && self.rng.below(OUT_OF_ORDER_ONE_IN) == 0 {
                    self.burst.swap(0, 1);
                    self.out.comp.out_of_order += 1;
                }
                if self.rng.below(RETRANSMIT_ONE_IN) == 0
                    && let Some(first) = self.burst.first().cloned()
                {
                    self.burst.push(first);
                    self.out.comp.retransmissions += 1;
                }
                self.burst.push(flow.conv.ack(from.peer()));
                flow.sent += take as u64;
                if flow.sent >= total {
                    flow.sent = 0;
                    flow.at += 1;
                }
            }
            Some(Action::Udp { from, to, payload }) => {
                self.burst.push(udp_frame(&flow.spec, *from, *to, payload));
                // A TFTP callback of a Smart Install session is not TCP 4786 traffic.
                traits.smart_install = false;
                self.out.comp.udp_datagrams += 1;
                flow.at += 1;
            }
            Some(Action::Close(side)) => {
                self.burst.extend(flow.conv.close(*side));
                flow.at += 1;
            }
            Some(Action::Reset(side)) => {
                self.burst.push(flow.conv.reset(*side));
                flow.at += 1;
            }
        }
        let done = flow.done();
        for frame in &self.burst {
            self.out.frame(frame, traits, &mut self.rng)?;
        }
        if done {
            self.pool.swap_remove(i);
        }
        Ok(())
    }

    // === ordinary traffic ===

    fn ordinary(&mut self) -> Flow {
        match self.rng.below(100) {
            0..48 => self.tls(),
            48..70 => self.http(),
            70..85 => self.service(),
            85..90 => self.bulk(),
            _ => self.dns(),
        }
    }

    /// A TLS-like session: hello records, then request/response records.
    fn tls(&mut self) -> Flow {
        let port = if self.rng.below(10) == 0 { 8443 } else { 443 };
        let mut f = self.ordinary_flow(port);
        f.script.push(Action::Handshake);
        let mut hello = vec![
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];
        hello.extend((0..32).map(|_| self.rng.next_u64() as u8));
        f.send(Side::Client, hello, 470);
        f.send(
            Side::Server,
            vec![0x16, 0x03, 0x03, 0x00, 0x7a, 0x02],
            2_500 + self.rng.below(2_500),
        );
        f.send(Side::Client, vec![0x14, 0x03, 0x03, 0x00, 0x01, 0x01], 80);
        for _ in 0..1 + self.rng.below(6) {
            let request = 100 + self.rng.below(1_400);
            let response = self.log_uniform(300, 64 * 1024);
            f.send(Side::Client, vec![0x17, 0x03, 0x03], request);
            f.send(Side::Server, vec![0x17, 0x03, 0x03], response);
        }
        self.end(&mut f);
        f
    }

    /// HTTP/1.1 with keep-alive: images, scripts, pages and JSON, now and then a POST.
    fn http(&mut self) -> Flow {
        let port = if self.rng.below(4) == 0 { 8080 } else { 80 };
        let mut f = self.ordinary_flow(port);
        let host = format!("www{}.example.net", self.rng.below(500));
        f.script.push(Action::Handshake);
        for _ in 0..1 + self.rng.below(4) {
            let n = self.rng.below(100_000);
            let (path, kind, length) = match self.rng.below(10) {
                0..4 => (
                    format!("/img/photo-{n}.jpg"),
                    "image/jpeg",
                    self.log_uniform(2 * 1024, 512 * 1024),
                ),
                4..5 => (
                    format!("/static/icons/{n}.png"),
                    "image/png",
                    self.log_uniform(500, 32 * 1024),
                ),
                5..7 => (
                    format!("/static/app-{n}.js"),
                    "application/javascript",
                    self.log_uniform(1024, 256 * 1024),
                ),
                7..8 => (
                    format!("/news/{n}.html"),
                    "text/html",
                    self.log_uniform(2048, 64 * 1024),
                ),
                _ => (
                    format!("/api/v1/items/{n}"),
                    "application/json",
                    self.log_uniform(200, 16 * 1024),
                ),
            };
            if kind == "application/json" && self.rng.below(3) == 0 {
                let body = 100 + self.rng.below(2_000);
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0\r\n\
                     Content-Type: application/json\r\nContent-Length: {body}\r\n\r\n"
                );
                f.send(Side::Client, head, body);
            } else {
                let head = format!(
                    "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0\r\n\
                     Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n\r\n"
                );
                f.send(Side::Client, head, 0);
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: {kind}\r\n\
                 Content-Length: {length}\r\nCache-Control: max-age=3600\r\n\r\n"
            );
            f.send(Side::Server, head, length);
        }
        self.end(&mut f);
        f
    }

    /// A short binary request/response service (LDAP, SQL, Redis, mail, Kafka ports).
    fn service(&mut self) -> Flow {
        const PORTS: [u16; 8] = [389, 3306, 5432, 6379, 25, 143, 9092, 1433];
        let port = PORTS[self.rng.below(PORTS.len() as u64) as usize];
        let mut f = self.ordinary_flow(port);
        f.script.push(Action::Handshake);
        for _ in 0..1 + self.rng.below(3) {
            let request = 50 + self.rng.below(450);
            let response = 100 + self.rng.below(3_900);
            f.send(Side::Client, vec![0x30, 0x84], request);
            f.send(Side::Server, vec![0x30, 0x84], response);
        }
        self.end(&mut f);
        f
    }

    /// A bulk transfer of 128 KiB to 8 MiB, upload or download.
    fn bulk(&mut self) -> Flow {
        const PORTS: [u16; 6] = [22, 445, 873, 2049, 5201, 50_000];
        let port = PORTS[self.rng.below(PORTS.len() as u64) as usize];
        let mut f = self.ordinary_flow(port);
        // A few transfers began before the capture: no handshake.
        if self.rng.below(50) != 0 {
            f.script.push(Action::Handshake);
        }
        let size = self.log_uniform(128 * 1024, 8 * 1024 * 1024);
        if port == 22 {
            f.send(
                Side::Server,
                b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".to_vec(),
                0,
            );
            f.send(Side::Client, b"SSH-2.0-OpenSSH_9.6\r\n".to_vec(), 1_200);
        } else {
            f.send(Side::Client, Vec::new(), 100 + self.rng.below(400));
        }
        let from = if self.rng.below(2) == 0 {
            Side::Client
        } else {
            Side::Server
        };
        f.send(from, Vec::new(), size);
        self.end(&mut f);
        f
    }

    /// A DNS query and its answer over UDP.
    fn dns(&mut self) -> Flow {
        let mut f = self.ordinary_flow(53);
        let id = self.rng.next_u64() as u16;
        let mut query = id.to_be_bytes().to_vec();
        query.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        let name = format!("host{}", self.rng.below(10_000));
        for label in [name.as_str(), "example", "net"] {
            query.push(label.len() as u8);
            query.extend_from_slice(label.as_bytes());
        }
        query.extend_from_slice(&[0, 0, 1, 0, 1]);
        let mut answer = query.clone();
        answer[2] = 0x81;
        answer[3] = 0x80;
        answer[7] = 1;
        answer.extend_from_slice(&[
            0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 18, 7, 9,
        ]);
        let (client, server) = (f.client(), f.server());
        f.script.push(Action::Udp {
            from: client,
            to: server,
            payload: query,
        });
        f.script.push(Action::Udp {
            from: server,
            to: client,
            payload: answer,
        });
        f
    }

    fn end(&mut self, f: &mut Flow) {
        let side = if self.rng.below(2) == 0 {
            Side::Client
        } else {
            Side::Server
        };
        if self.rng.below(RESET_ONE_IN) == 0 {
            f.script.push(Action::Reset(side));
        } else {
            f.script.push(Action::Close(side));
        }
    }

    /// A flow from a random client to a random server on `port`.
    fn ordinary_flow(&mut self, port: u16) -> Flow {
        let v6 = self.rng.below(5) == 0;
        let client = SocketAddr::new(self.host(v6, Net::Clients), self.ephemeral());
        let server = SocketAddr::new(self.host(v6, Net::Servers), port);
        let spec = self.spec();
        Flow::new(spec, client, server, &mut self.rng)
    }

    fn spec(&mut self) -> FrameSpec {
        let framing = if self.rng.below(8) == 0 {
            Framing::Vlan(10 + self.rng.below(4_000) as u16)
        } else {
            Framing::Ethernet
        };
        let mut spec = FrameSpec::new(framing);
        let mac = self.rng.next_u64().to_be_bytes();
        spec.src_mac[2..6].copy_from_slice(&mac[..4]);
        spec.dst_mac[2..6].copy_from_slice(&mac[4..]);
        spec
    }

    fn ephemeral(&mut self) -> u16 {
        32_768 + self.rng.below(28_000) as u16
    }

    fn host(&mut self, v6: bool, net: Net) -> IpAddr {
        let r = self.rng.next_u64();
        let (a, b, c) = ((r >> 8) as u8, (r >> 16) as u8, (r >> 24) as u8);
        let c = c.max(1);
        match (v6, net) {
            (false, Net::Clients) => IpAddr::V4(Ipv4Addr::new(10, a % 200 + 1, b, c)),
            (false, Net::Servers) => IpAddr::V4(Ipv4Addr::new(198, 18 + a % 2, b, c)),
            (false, Net::Switches) => IpAddr::V4(Ipv4Addr::new(10, 30, b % 16, c)),
            (false, Net::Attackers) => IpAddr::V4(Ipv4Addr::new(203, 0, 113, c % 200 + 10)),
            (true, Net::Clients) => IpAddr::V6(Ipv6Addr::new(
                0xfd00,
                0x10,
                0,
                u16::from(a),
                0,
                0,
                u16::from(b),
                u16::from(c),
            )),
            (true, Net::Servers) => IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                1,
                u16::from(a),
                0,
                0,
                u16::from(b),
                u16::from(c),
            )),
            (true, Net::Switches) => IpAddr::V6(Ipv6Addr::new(
                0xfd00,
                0x30,
                0,
                0,
                0,
                0,
                u16::from(b % 16),
                u16::from(c),
            )),
            (true, Net::Attackers) => {
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0x66, 0, 0, 0, 0, u16::from(c)))
            }
        }
    }

    /// A number between `low` and `high`, uniform in its logarithm.
    fn log_uniform(&mut self, low: u64, high: u64) -> u64 {
        let unit = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let (l, h) = ((low as f64).ln(), (high as f64).ln());
        (l + unit * (h - l)).exp() as u64
    }
}

#[derive(Clone, Copy, Debug)]
enum Net {
    Clients,
    Servers,
    Switches,
    Attackers,
}
