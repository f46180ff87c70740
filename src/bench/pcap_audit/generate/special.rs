//! The provisioning sessions of the benchmark capture, started at an even byte interval in the
//! order of [`SPECIALS`]: Smart Install director probes and config pushes, every attack of the
//! [`crate::sim::attack`] corpus with the TFTP callbacks it triggers, TFTP reads and writes, FTP,
//! PnP over plain HTTP and an IOS image over HTTP.
//!
//! Inputs: the generator's own random choices; all trusted.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use crate::proto::packet::build::Side;
use crate::sim::attack::{self, Mode, Params};

use super::*;

/// The 24-byte probe reply of a Smart Install client (smart-install.md §3.2).
const PROBE_REPLY: [u8; 24] = [
    0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0,
];

impl<W: Write> Generator<W> {
    pub(super) fn special(&mut self) -> Result<Flow, GenerateError> {
        let kind = SPECIALS[(self.specials % SPECIALS.len() as u64) as usize];
        self.specials += 1;
        self.out.comp.special_sessions += 1;
        let v6 = self.rng.below(4) == 0;
        let mut f = match kind {
            Special::DirectorProbe => self.director_probe(v6)?,
            Special::DirectorConfigPush => self.director_config_push(v6)?,
            Special::Attack(mode) => self.attack(mode, v6)?,
            Special::Tftp => self.tftp(v6),
            Special::Ftp => self.ftp(v6),
            Special::Pnp => self.pnp(v6),
            Special::HttpImage => self.http_image(v6),
        };
        f.special = true;
        if f.traits.smart_install {
            self.out.comp.smart_install_sessions += 1;
        }
        if matches!(kind, Special::Attack(_)) {
            self.out.comp.attack_sessions += 1;
        }
        Ok(f)
    }

    fn smart_install_flow(&mut self, v6: bool, from: IpAddr) -> Flow {
        let client = SocketAddr::new(from, self.ephemeral());
        let switch = SocketAddr::new(self.host(v6, Net::Switches), 4786);
        let spec = self.spec();
        let mut f = Flow::new(spec, client, switch, &mut self.rng);
        f.script.push(Action::Handshake);
        f
    }

    fn director(v6: bool) -> IpAddr {
        if v6 {
            IpAddr::V6(DIRECTOR_V6)
        } else {
            IpAddr::V4(DIRECTOR_V4)
        }
    }

    fn director_probe(&mut self, v6: bool) -> Result<Flow, GenerateError> {
        let mut f = self.smart_install_flow(v6, Self::director(v6));
        let probe = corpus(Mode::Test, &url_host(Self::director(v6)), "")?;
        for segment in probe {
            f.send(Side::Client, segment, 0);
        }
        f.send(Side::Server, PROBE_REPLY.to_vec(), 0);
        f.script.push(Action::Close(Side::Client));
        Ok(f)
    }

    fn director_config_push(&mut self, v6: bool) -> Result<Flow, GenerateError> {
        let director = Self::director(v6);
        let mut f = self.smart_install_flow(v6, director);
        let switch = f.server().ip();
        let target = switch.to_string();
        for segment in corpus(Mode::ChangeConfig, &url_host(director), &target)? {
            f.send(Side::Client, segment, 0);
        }
        f.script.push(Action::Close(Side::Client));
        let from = SocketAddr::new(switch, self.ephemeral());
        f.script.push(Action::Udp {
            from,
            to: SocketAddr::new(director, 69),
            payload: tftp_request(1, &format!("{target}.conf")),
        });
        Ok(f)
    }

    fn attack(&mut self, mode: Mode, v6: bool) -> Result<Flow, GenerateError> {
        let attacker = self.host(v6, Net::Attackers);
        let mut f = self.smart_install_flow(v6, attacker);
        let switch = f.server().ip();
        let target = switch.to_string();
        for segment in corpus(mode, &url_host(attacker), &target)? {
            f.send(Side::Client, segment, 0);
        }
        if matches!(mode, Mode::Test | Mode::Talos | Mode::Pipelined) {
            f.send(Side::Server, PROBE_REPLY.to_vec(), 0);
        }
        f.script.push(Action::Close(Side::Client));
        let callback = match mode {
            Mode::LegacyTest => Some((1, "random_file".to_owned())),
            Mode::ChangeConfig => Some((1, format!("{target}.conf"))),
            Mode::UpdateIos => Some((1, "tar_imglist0.txt".to_owned())),
            Mode::Execute => Some((1, "execute.txt".to_owned())),
            Mode::GetConfig | Mode::Split | Mode::Pipelined => Some((2, format!("{target}.conf"))),
            Mode::MsfDownload => Some((2, "msfcfgdl".to_owned())),
            Mode::Test | Mode::Talos | Mode::Greenbone | Mode::Cve20180171 => None,
        };
        if let Some((opcode, name)) = callback {
            let from = SocketAddr::new(switch, self.ephemeral());
            f.script.push(Action::Udp {
                from,
                to: SocketAddr::new(attacker, 69),
                payload: tftp_request(opcode, &name),
            });
        }
        Ok(f)
    }

    /// An image read from the director's TFTP server and a configuration written to another
    /// server, each with its first data blocks.
    fn tftp(&mut self, v6: bool) -> Flow {
        let switch = SocketAddr::new(self.host(v6, Net::Switches), self.ephemeral());
        let director = SocketAddr::new(Self::director(v6), 69);
        let spec = self.spec();
        let mut f = Flow::new(spec, switch, director, &mut self.rng);
        let image = "c2960x-universalk9-mz.152-7.E8.bin";
        let transfer = SocketAddr::new(director.ip(), self.ephemeral());
        let udp = |from, to, payload| Action::Udp { from, to, payload };
        f.script.push(udp(switch, director, tftp_request(1, image)));
        for block in 1..=4u16 {
            let mut data = vec![0, 3];
            data.extend_from_slice(&block.to_be_bytes());
            let at = usize::from(block) * 512;
            data.extend_from_slice(&self.noise[at..at + 512]);
            f.script.push(udp(transfer, switch, data));
            let mut ack = vec![0, 4];
            ack.extend_from_slice(&block.to_be_bytes());
            f.script.push(udp(switch, transfer, ack));
        }
        let backup = SocketAddr::new(self.host(v6, Net::Servers), 69);
        let name = format!("{}-confg", switch.ip());
        f.script.push(udp(switch, backup, tftp_request(2, &name)));
        f
    }

    /// An FTP control connection fetching an image and storing a configuration.
    fn ftp(&mut self, v6: bool) -> Flow {
        let client = SocketAddr::new(self.host(v6, Net::Switches), self.ephemeral());
        let server = SocketAddr::new(self.host(v6, Net::Servers), 21);
        let spec = self.spec();
        let mut f = Flow::new(spec, client, server, &mut self.rng);
        f.script.push(Action::Handshake);
        f.send(Side::Server, b"220 (vsFTPd 3.0.3)\r\n".to_vec(), 0);
        f.send(Side::Client, b"USER anonymous\r\n".to_vec(), 0);
        f.send(
            Side::Server,
            b"331 Please specify the password.\r\n".to_vec(),
            0,
        );
        f.send(Side::Client, b"PASS switch@\r\n".to_vec(), 0);
        f.send(Side::Server, b"230 Login successful.\r\n".to_vec(), 0);
        f.send(Side::Client, b"TYPE I\r\nPASV\r\n".to_vec(), 0);
        f.send(
            Side::Server,
            b"200 Switching to Binary mode.\r\n227 Entering Passive Mode (198,18,0,21,195,80).\r\n"
                .to_vec(),
            0,
        );
        f.send(
            Side::Client,
            b"RETR /ios/c3750e-universalk9-mz.152-4.E10.bin\r\n".to_vec(),
            0,
        );
        f.send(
            Side::Server,
            b"150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n".to_vec(),
            0,
        );
        f.send(
            Side::Client,
            b"STOR backup/switch-confg\r\nQUIT\r\n".to_vec(),
            0,
        );
        f.send(
            Side::Server,
            b"226 Transfer complete.\r\n221 Goodbye.\r\n".to_vec(),
            0,
        );
        f.script.push(Action::Close(Side::Client));
        f
    }

    /// A PnP agent over plain HTTP: HELLO, then two work requests.
    fn pnp(&mut self, v6: bool) -> Flow {
        let client = SocketAddr::new(self.host(v6, Net::Switches), self.ephemeral());
        let server = SocketAddr::new(Self::director(v6), 80);
        let spec = self.spec();
        let mut f = Flow::new(spec, client, server, &mut self.rng);
        let serial = format!("FOC{:08X}", self.rng.next_u64() as u32);
        f.script.push(Action::Handshake);
        f.send(
            Side::Client,
            format!("GET /pnp/HELLO HTTP/1.1\r\nHost: {}\r\n\r\n", server.ip()),
            0,
        );
        f.send(
            Side::Server,
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
            0,
        );
        for correlator in 1..=2 {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                 <pnp xmlns=\"urn:cisco:pnp\" version=\"1.0\" udi=\"PID:WS-C3850-24P,VID:V01,SN:{serial}\">\
                 <info xmlns=\"urn:cisco:pnp:work-info\" correlator=\"CiscoPnP-1.0-{correlator}\">\
                 <deviceId><udi>PID:WS-C3850-24P,VID:V01,SN:{serial}</udi><hostname>Switch</hostname>\
                 <authRequired>false</authRequired></deviceId></info></pnp>"
            );
            f.send(
                Side::Client,
                format!(
                    "POST /pnp/WORK-REQUEST HTTP/1.1\r\nHost: {}\r\nContent-Type: application/xml\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    server.ip(),
                    body.len()
                ),
                0,
            );
            f.send(
                Side::Server,
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
                0,
            );
        }
        f.script.push(Action::Close(Side::Client));
        f
    }

    /// An IOS image fetched over plain HTTP.
    fn http_image(&mut self, v6: bool) -> Flow {
        let client = SocketAddr::new(self.host(v6, Net::Switches), self.ephemeral());
        let server = SocketAddr::new(self.host(v6, Net::Servers), 80);
        let spec = self.spec();
        let mut f = Flow::new(spec, client, server, &mut self.rng);
        let length = 256 * 1024 + self.rng.below(768 * 1024);
        f.script.push(Action::Handshake);
        f.send(
            Side::Client,
            format!(
                "GET /images/cat9k_iosxe.17.09.04a.SPA.bin HTTP/1.1\r\nHost: {}\r\n\
                 User-Agent: cisco-IOS\r\n\r\n",
                server.ip()
            ),
            0,
        );
        f.send(
            Side::Server,
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {length}\r\n\r\n"
            ),
            length,
        );
        f.script.push(Action::Close(Side::Client));
        f
    }
}

/// The kinds of special session, started in this order round after round.
#[derive(Clone, Copy, Debug)]
pub(super) enum Special {
    DirectorProbe,
    DirectorConfigPush,
    Attack(Mode),
    Tftp,
    Ftp,
    Pnp,
    HttpImage,
}

pub(super) const SPECIALS: [Special; 18] = [
    Special::DirectorProbe,
    Special::Attack(Mode::Test),
    Special::DirectorConfigPush,
    Special::Attack(Mode::Talos),
    Special::Tftp,
    Special::Attack(Mode::Greenbone),
    Special::Pnp,
    Special::Attack(Mode::LegacyTest),
    Special::Ftp,
    Special::Attack(Mode::GetConfig),
    Special::HttpImage,
    Special::Attack(Mode::MsfDownload),
    Special::Attack(Mode::ChangeConfig),
    Special::Attack(Mode::UpdateIos),
    Special::Attack(Mode::Execute),
    Special::Attack(Mode::Cve20180171),
    Special::Attack(Mode::Split),
    Special::Attack(Mode::Pipelined),
];

/// The segments of an attack of the corpus, naming `tftp_host` and the target.
fn corpus(mode: Mode, tftp_host: &str, target: &str) -> Result<Vec<Vec<u8>>, EncodeError> {
    let params = Params {
        tftp_host: tftp_host.to_owned(),
        target_name: target.to_owned(),
        file: None,
    };
    Ok(attack::build(mode, &params)?.segments)
}

/// An address as the host part of a URL (IPv6 in brackets).
fn url_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// A TFTP read (1) or write (2) request in octet mode.
fn tftp_request(opcode: u8, name: &str) -> Vec<u8> {
    let mut p = vec![0, opcode];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(b"\0octet\0");
    p
}
