//! Tests for the `show version` parser: every fixture of `tests/fixtures/show_version/` against a
//! table of expected values, the fallbacks, and garbage (clear errors, never a panic).

use std::path::Path;

use proptest::prelude::*;

use super::*;

/// One fixture's expected values: (file, PID, VID, serial, hostname, version).
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

const EXPECTED: &[Row] = &[
    (
        "c2960s-15.0-2-se.txt",
        "WS-C2960S-48LPS-L",
        Some("V02"),
        "FOC1512W1QK",
        "floor2-idf",
        "15.0(2)SE",
    ),
    (
        "c2960x-15.2-7-e8.txt",
        "WS-C2960X-48FPD-L",
        Some("V05"),
        "FOC1933X0AB",
        "SW-LAB-2960X",
        "15.2(7)E8",
    ),
    (
        "c3560-12.2-25-see2.txt",
        "WS-C3560-24PS-S",
        None,
        "CAT1039ZA9K",
        "wh-3560",
        "12.2(25)SEE2",
    ),
    (
        "c3750e-12.2-55-se.txt",
        "WS-C3750E-48TD-S",
        Some("V01"),
        "FDO1152V10R",
        "access-sw3",
        "12.2(55)SE",
    ),
    (
        "c3850-iosxe-03.06.06e.txt",
        "WS-C3850-24P",
        None,
        "FOC1748X1ZZ",
        "dist-3850",
        "03.06.06E",
    ),
    (
        "c9300-iosxe-17.09.04a.txt",
        "C9300-48P",
        None,
        "FCW2231D0KP",
        "core-9300-1",
        "17.09.04a",
    ),
];

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/show_version")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap()
}

#[test]
fn parses_every_fixture_as_expected() {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(names, listed, "every fixture needs a row in EXPECTED");
    for &(name, pid, vid, serial, hostname, version) in EXPECTED {
        let parsed = parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.pid, pid, "{name}");
        assert_eq!(parsed.vid.as_deref(), vid, "{name}");
        assert_eq!(parsed.serial, serial, "{name}");
        assert_eq!(parsed.hostname.as_deref(), Some(hostname), "{name}");
        assert_eq!(parsed.version.as_deref(), Some(version), "{name}");
        assert!(parsed.image.is_some(), "{name}");
        assert!(parsed.base_mac.is_some(), "{name}");
    }
}

#[test]
fn reads_image_and_base_mac() {
    let parsed = parse(&fixture("c2960x-15.2-7-e8.txt")).unwrap();
    assert_eq!(
        parsed.image.as_deref(),
        Some("flash:/c2960x-universalk9-mz.152-7.E8.bin")
    );
    assert_eq!(parsed.base_mac, Some([0x70, 0x10, 0x5C, 0xAB, 0x12, 0x80]));
}

#[test]
fn renders_udi_with_and_without_vid() {
    let with = parse(&fixture("c3750e-12.2-55-se.txt")).unwrap();
    assert_eq!(
        with.udi().to_string(),
        "PID:WS-C3750E-48TD-S,VID:V01,SN:FDO1152V10R"
    );
    let without = parse(&fixture("c3850-iosxe-03.06.06e.txt")).unwrap();
    let text = without.udi().to_string();
    assert_eq!(text, "PID:WS-C3850-24P,VID:,SN:FOC1748X1ZZ");
    assert_eq!(Udi::parse(&text).unwrap(), without.udi());
}

#[test]
fn falls_back_to_processor_line_and_board_id() {
    let text = b"sw1 uptime is 5 minutes\r\n\
        cisco WS-C3750E-48TD (PowerPC405) processor (revision A0) with 262144K bytes of memory.\r\n\
        Processor board ID FDO1152V10R, with hardware revision 0000\r\n";
    let parsed = parse(text).unwrap();
    assert_eq!(parsed.pid, "WS-C3750E-48TD");
    assert_eq!(parsed.serial, "FDO1152V10R");
    assert_eq!(parsed.hostname.as_deref(), Some("sw1"));
    assert_eq!(parsed.vid, None);
}

#[test]
fn prefers_labelled_values_over_fallbacks() {
    let text = b"cisco WS-C2960X-48FPD-L (APM86XXX) processor with 524288K bytes of memory.\n\
        Processor board ID AAA1111\n\
        Model number : WS-C2960X-48FPD-L-X\n\
        System serial number : FOC1933X0AB\n";
    let parsed = parse(text).unwrap();
    assert_eq!(parsed.pid, "WS-C2960X-48FPD-L-X");
    assert_eq!(parsed.serial, "FOC1933X0AB");
}

#[test]
fn keeps_the_first_switch_of_a_stack() {
    let text = b"Model number : WS-C3750E-48TD-S\nSystem serial number : FDO1\nVersion ID : V01\n\
        Switch 02\n---------\nModel number : WS-C3750E-24TD-S\nSystem serial number : FDO2\n\
        Version ID : V03\n";
    let parsed = parse(text).unwrap();
    assert_eq!(
        (parsed.pid.as_str(), parsed.serial.as_str()),
        ("WS-C3750E-48TD-S", "FDO1")
    );
    assert_eq!(parsed.vid.as_deref(), Some("V01"));
}

#[test]
fn rejects_empty_output() {
    assert_eq!(parse(b""), Err(ShowVersionError::Empty));
    assert_eq!(parse(b" \r\n\t\n"), Err(ShowVersionError::Empty));
}

#[test]
fn names_missing_pid_and_serial() {
    assert_eq!(
        parse(b"% Invalid input detected at '^' marker.\r\n"),
        Err(ShowVersionError::Missing(Field::Pid))
    );
    assert_eq!(
        parse(b"Model number : WS-C2960X-48FPD-L\n"),
        Err(ShowVersionError::Missing(Field::Serial))
    );
}

#[test]
fn rejects_truncated_output() {
    let full = fixture("c2960x-15.2-7-e8.txt");
    let cut = full.len() / 3;
    assert_eq!(
        parse(&full[..cut]),
        Err(ShowVersionError::Missing(Field::Pid))
    );
}

#[test]
fn rejects_output_over_limit() {
    let noise = vec![b'x'; 1024 * 1024];
    assert_eq!(
        parse(&noise),
        Err(ShowVersionError::TooLarge {
            len: 1024 * 1024,
            limit: MAX_OUTPUT_BYTES
        })
    );
}

#[test]
fn rejects_unprintable_or_overlong_values() {
    let control = b"Model number : WS\x07C2960\nSystem serial number : FOC1\n";
    assert_eq!(
        parse(control),
        Err(ShowVersionError::BadValue {
            field: Field::Pid,
            line: 1
        })
    );
    let comma = b"Model number : WS-C2960\nSystem serial number : FOC1,VID:X\n";
    assert_eq!(
        parse(comma),
        Err(ShowVersionError::BadValue {
            field: Field::Serial,
            line: 2
        })
    );
    let long = format!(
        "Model number : {}\nSystem serial number : FOC1\n",
        "W".repeat(65)
    );
    assert_eq!(
        parse(long.as_bytes()),
        Err(ShowVersionError::BadValue {
            field: Field::Pid,
            line: 1
        })
    );
    let utf8 = "Model number : WS-C2960é\nSystem serial number : FOC1\n";
    assert!(matches!(
        parse(utf8.as_bytes()),
        Err(ShowVersionError::BadValue { .. })
    ));
}

#[test]
fn rejects_malformed_base_mac() {
    let text = b"Model number : X\nSystem serial number : Y\nBase ethernet MAC Address : zz\n";
    assert_eq!(
        parse(text),
        Err(ShowVersionError::BadValue {
            field: Field::BaseMac,
            line: 3
        })
    );
}

#[test]
fn reads_binary_garbage_as_missing_pid() {
    let garbage: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    assert!(matches!(
        parse(&garbage),
        Err(ShowVersionError::Missing(_) | ShowVersionError::BadValue { .. })
    ));
}

proptest! {
    #[test]
    fn never_panics_on_bytes(input in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_line_soup(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("Model number : ".to_owned()),
                Just("System serial number : ".to_owned()),
                Just("cisco ".to_owned()),
                Just("Processor board ID".to_owned()),
                Just("Base ethernet MAC Address : ".to_owned()),
                Just("System image file is \"".to_owned()),
                Just("Cisco IOS Software, Version ".to_owned()),
                "[ -~]{0,40}",
            ],
            0..40,
        )
    ) {
        let text = lines.join("\n");
        if let Ok(parsed) = parse(text.as_bytes()) {
            prop_assert!(!parsed.pid.is_empty() && !parsed.serial.is_empty());
            prop_assert!(Udi::parse(&parsed.udi().to_string()).is_ok());
        }
    }
}
