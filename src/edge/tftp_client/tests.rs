//! Client tests against scripted loopback servers: multi-block get, put with a final empty
//! block, retransmission after a lost packet, server errors, stray transfer IDs, timeouts and
//! the download limit. (The real tftpd-hpa is exercised in `tests/sim_switch.rs`.)

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

use super::*;

fn quick() -> Options {
    Options {
        timeout: Duration::from_millis(200),
        retries: 3,
        max_bytes: 4096,
        ..Options::default()
    }
}

async fn recv(socket: &UdpSocket) -> (Packet, SocketAddr) {
    let mut buf = vec![0u8; 70_000];
    let (len, from) = socket.recv_from(&mut buf).await.unwrap();
    (Packet::decode(&buf[..len]).unwrap(), from)
}

async fn send(socket: &UdpSocket, to: SocketAddr, p: Packet) {
    socket.send_to(&p.encode().unwrap(), to).await.unwrap();
}

async fn bind() -> (UdpSocket, SocketAddr) {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

/// Serves `file` for one RRQ from a new transfer port; drops the first ACK of block 1 when
/// `lose_ack` (so the client must retransmit it).
async fn serve_get(listen: UdpSocket, file: Vec<u8>, lose_ack: bool) -> String {
    let (req, client) = recv(&listen).await;
    let Packet::Rrq(req) = req else {
        panic!("{req:?}")
    };
    let (tid, _) = bind().await;
    let mut lost = !lose_ack;
    let blocks: Vec<&[u8]> = file
        .chunks(512)
        .chain(file.len().is_multiple_of(512).then_some(&[][..]))
        .collect();
    for (i, chunk) in blocks.iter().enumerate() {
        let block = u16::try_from(i + 1).unwrap();
        send(
            &tid,
            client,
            Packet::Data {
                block,
                data: chunk.to_vec(),
            },
        )
        .await;
        loop {
            let (ack, _) = recv(&tid).await;
            if !lost {
                lost = true;
                send(
                    &tid,
                    client,
                    Packet::Data {
                        block,
                        data: chunk.to_vec(),
                    },
                )
                .await;
                continue;
            }
            assert_eq!(ack, Packet::Ack { block });
            break;
        }
    }
    req.filename
}

#[tokio::test]
async fn gets_a_multi_block_file_with_a_lost_ack() {
    let (listen, addr) = bind().await;
    let file: Vec<u8> = (0..1300u32).map(|i| (i % 251) as u8).collect();
    let server = tokio::spawn(serve_get(listen, file.clone(), true));
    let got = get(addr, "cfg.txt", quick()).await.unwrap();
    assert_eq!(got, file);
    assert_eq!(server.await.unwrap(), "cfg.txt");
}

#[tokio::test]
async fn gets_a_block_aligned_file() {
    let (listen, addr) = bind().await;
    let file = vec![7u8; 1024];
    let server = tokio::spawn(serve_get(listen, file.clone(), false));
    assert_eq!(get(addr, "x", quick()).await.unwrap(), file);
    server.await.unwrap();
}

#[tokio::test]
async fn puts_a_block_aligned_file_with_a_final_empty_block() {
    let (listen, addr) = bind().await;
    let server = tokio::spawn(async move {
        let (req, client) = recv(&listen).await;
        let Packet::Wrq(req) = req else {
            panic!("{req:?}")
        };
        let (tid, _) = bind().await;
        send(&tid, client, Packet::Ack { block: 0 }).await;
        let mut file = Vec::new();
        loop {
            let (p, _) = recv(&tid).await;
            let Packet::Data { block, data } = p else {
                panic!("{p:?}")
            };
            file.extend_from_slice(&data);
            send(&tid, client, Packet::Ack { block }).await;
            if data.len() < 512 {
                return (req.filename, file);
            }
        }
    });
    let data = vec![b'c'; 1024];
    put(addr, "up.conf", &data, quick()).await.unwrap();
    let (name, file) = server.await.unwrap();
    assert_eq!(name, "up.conf");
    assert_eq!(file, data);
}

#[tokio::test]
async fn reports_the_server_error() {
    let (listen, addr) = bind().await;
    tokio::spawn(async move {
        let (_, client) = recv(&listen).await;
        let err = Packet::error(ErrorCode::FileNotFound, "File not found");
        send(&listen, client, err).await;
    });
    let err = get(addr, "missing", quick()).await.unwrap_err();
    assert!(
        matches!(
            err,
            TftpError::Server {
                code: ErrorCode::FileNotFound,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn answers_a_stray_transfer_id_with_error_5_and_carries_on() {
    let (listen, addr) = bind().await;
    let server = tokio::spawn(async move {
        let (_, client) = recv(&listen).await;
        let (tid, _) = bind().await;
        let (stray, _) = bind().await;
        send(
            &tid,
            client,
            Packet::Data {
                block: 1,
                data: vec![1; 512],
            },
        )
        .await;
        assert_eq!(recv(&tid).await.0, Packet::Ack { block: 1 });
        send(
            &stray,
            client,
            Packet::Data {
                block: 2,
                data: vec![9],
            },
        )
        .await;
        let (reply, _) = recv(&stray).await;
        assert!(matches!(
            reply,
            Packet::Error {
                code: ErrorCode::UnknownTid,
                ..
            }
        ));
        send(
            &tid,
            client,
            Packet::Data {
                block: 2,
                data: vec![2],
            },
        )
        .await;
        assert_eq!(recv(&tid).await.0, Packet::Ack { block: 2 });
    });
    let got = get(addr, "f", quick()).await.unwrap();
    assert_eq!(got.len(), 513);
    assert_eq!(got[512], 2);
    server.await.unwrap();
}

#[tokio::test]
async fn times_out_after_the_retries() {
    let (silent, addr) = bind().await;
    let err = get(addr, "f", quick()).await.unwrap_err();
    assert!(
        matches!(
            err,
            TftpError::Timeout {
                attempts: 4,
                block: 1
            }
        ),
        "{err:?}"
    );
    drop(silent);
}

#[tokio::test]
async fn refuses_a_file_above_the_limit() {
    let (listen, addr) = bind().await;
    tokio::spawn(serve_get(listen, vec![0; 8192], false));
    let err = get(addr, "big", quick()).await.unwrap_err();
    assert!(
        matches!(err, TftpError::TooLarge { limit: 4096 }),
        "{err:?}"
    );
}
