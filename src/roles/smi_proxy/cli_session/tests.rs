//! Tests for the reverse-telnet CLI driver: scripted device transcripts (with echo, banners and
//! split reads), refusals, timeouts, limits, and arbitrary device output (no panic).

use proptest::prelude::*;

use super::*;
use crate::roles::smi_proxy::tailored::PasswordForm;

const SHOW_VERSION: &str = "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), \
    Version 15.2(7)E8, RELEASE SOFTWARE (fc1)\r\n\
    sw-a uptime is 3 days, 1 hour\r\n\
    cisco WS-C2960X-48FPD-L (APM86XXX) processor (revision V05) with 524288K bytes of memory.\r\n\
    Processor board ID FOC1933X0AB\r\n\
    Model number                    : WS-C2960X-48FPD-L\r\n\
    System serial number            : FOC1933X0AB\r\n\
    Version ID                      : V05\r\n";

fn credentials() -> Credentials {
    Credentials::new("ztp", "login-pw", "enable-pw", PasswordForm::Secret).unwrap()
}

fn at(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// Feeds `text` and returns what the session sent back, as text.
fn exchange(session: &mut CliSession, text: &str) -> String {
    session.handle_input(at(1), text.as_bytes());
    String::from_utf8(session.poll_transmit().unwrap_or_default()).unwrap()
}

fn done(session: &mut CliSession) -> ShowVersion {
    match session.poll_event() {
        Some(CliEvent::Done(parsed)) => parsed,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn failed(session: &mut CliSession) -> CliSessionError {
    match session.poll_event() {
        Some(CliEvent::Failed(error)) => error,
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[test]
fn logs_in_enables_and_reads_show_version() {
    let mut s = CliSession::new(credentials(), at(0));
    assert_eq!(
        exchange(&mut s, "\r\n\r\nUser Access Verification\r\n\r\nUsername: "),
        "ztp\r\n"
    );
    assert_eq!(exchange(&mut s, "ztp\r\nPassword: "), "login-pw\r\n");
    assert_eq!(exchange(&mut s, "\r\n\r\nsw-a>"), "enable\r\n");
    assert_eq!(exchange(&mut s, "enable\r\nPassword: "), "enable-pw\r\n");
    assert_eq!(exchange(&mut s, "\r\nsw-a#"), "terminal length 0\r\n");
    assert_eq!(
        exchange(&mut s, "terminal length 0\r\nsw-a#"),
        "show version\r\n"
    );
    assert_eq!(s.phase(), Phase::ShowVersion);
    let output = format!("show version\r\n{SHOW_VERSION}\r\nsw-a#");
    assert_eq!(exchange(&mut s, &output), "exit\r\n");
    let parsed = done(&mut s);
    assert_eq!(
        parsed.udi().to_string(),
        "PID:WS-C2960X-48FPD-L,VID:V05,SN:FOC1933X0AB"
    );
    assert_eq!(parsed.hostname.as_deref(), Some("sw-a"));
    assert_eq!(s.phase(), Phase::Finished);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.poll_event(), None);
}

#[test]
fn skips_enable_at_a_privileged_prompt() {
    let mut s = CliSession::new(credentials(), at(0));
    assert_eq!(exchange(&mut s, "Password: "), "login-pw\r\n");
    assert_eq!(exchange(&mut s, "\r\nsw-a#"), "terminal length 0\r\n");
}

#[test]
fn same_result_when_output_arrives_byte_by_byte() {
    let mut s = CliSession::new(credentials(), at(0));
    let script = [
        ("Username: ", "ztp\r\n"),
        ("Password: ", "login-pw\r\n"),
        ("\r\nsw-a#", "terminal length 0\r\n"),
        ("\r\nsw-a#", "show version\r\n"),
    ];
    for (device, expected) in script {
        for byte in device.bytes() {
            s.handle_input(at(1), &[byte]);
        }
        assert_eq!(s.poll_transmit().unwrap(), expected.as_bytes());
    }
    let output = format!("show version\r\n{SHOW_VERSION}sw-a#");
    for byte in output.bytes() {
        s.handle_input(at(2), &[byte]);
    }
    assert_eq!(done(&mut s).serial, "FOC1933X0AB");
}

#[test]
fn pages_through_more_prompts() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "\r\nsw-a#");
    exchange(&mut s, "\r\nsw-a#");
    let (first, rest) = SHOW_VERSION.split_at(SHOW_VERSION.len() / 2);
    let cut = first.rfind('\n').unwrap() + 1;
    let (first, rest) = (&SHOW_VERSION[..cut], format!("{}{rest}", &first[cut..]));
    assert_eq!(exchange(&mut s, &format!("{first} --More-- ")), " ");
    let erase = "\u{8}".repeat(9);
    exchange(&mut s, &format!("{erase}         {erase}{rest}sw-a#"));
    assert_eq!(done(&mut s).pid, "WS-C2960X-48FPD-L");
}

#[test]
fn fails_on_refused_login() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Username: ");
    exchange(&mut s, "Password: ");
    assert_eq!(
        exchange(&mut s, "\r\n% Login invalid\r\n\r\nUsername: "),
        ""
    );
    assert_eq!(failed(&mut s), CliSessionError::LoginRefused);
}

#[test]
fn fails_when_password_is_asked_twice() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "\r\nPassword: ");
    assert_eq!(failed(&mut s), CliSessionError::LoginRefused);
}

#[test]
fn fails_on_refused_enable() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "sw-a>");
    exchange(&mut s, "Password: ");
    exchange(&mut s, "\r\n% Access denied\r\n\r\nsw-a>");
    assert_eq!(failed(&mut s), CliSessionError::EnableRefused);

    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "sw-a>");
    exchange(&mut s, "Password: ");
    exchange(&mut s, "\r\nPassword: ");
    assert_eq!(failed(&mut s), CliSessionError::EnableRefused);
}

#[test]
fn times_out_with_the_phase() {
    let mut s = CliSession::new(credentials(), at(10));
    assert_eq!(s.poll_timeout(), Some(at(10) + SESSION_TIMEOUT));
    s.handle_timeout(at(69));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(at(70));
    assert_eq!(
        failed(&mut s),
        CliSessionError::Timeout {
            phase: Phase::Login
        }
    );
    s.handle_input(at(71), b"Username: ");
    assert_eq!(s.poll_transmit(), None);
}

#[test]
fn input_after_the_deadline_times_out() {
    let mut s = CliSession::new(credentials(), at(0));
    s.handle_input(at(61), b"Username: ");
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(
        failed(&mut s),
        CliSessionError::Timeout {
            phase: Phase::Login
        }
    );
}

#[test]
fn reports_close_before_the_end() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "sw-a#");
    s.handle_close();
    assert_eq!(
        failed(&mut s),
        CliSessionError::Closed {
            phase: Phase::TerminalLength
        }
    );
}

#[test]
fn fails_on_output_over_limit() {
    let mut s = CliSession::new(credentials(), at(0));
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..5 {
        s.handle_input(at(1), &chunk);
    }
    assert_eq!(
        failed(&mut s),
        CliSessionError::OutputTooLarge {
            limit: MAX_BUFFER_BYTES
        }
    );
}

#[test]
fn reports_unparsable_output() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "sw-a#");
    exchange(&mut s, "sw-a#");
    exchange(
        &mut s,
        "show version\r\n% Invalid input detected at '^' marker.\r\nsw-a#",
    );
    assert_eq!(
        failed(&mut s),
        CliSessionError::ShowVersion(ShowVersionError::Missing(show_version::Field::Pid))
    );
}

#[test]
fn ignores_other_hosts_prompt_inside_output() {
    let mut s = CliSession::new(credentials(), at(0));
    exchange(&mut s, "Password: ");
    exchange(&mut s, "sw-a#");
    exchange(&mut s, "sw-a#");
    assert_eq!(exchange(&mut s, "show version\r\nother#"), "");
    exchange(&mut s, &format!("\r\n{SHOW_VERSION}sw-a#"));
    assert_eq!(done(&mut s).pid, "WS-C2960X-48FPD-L");
}

proptest! {
    #[test]
    fn never_panics_on_device_output(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20),
        prefixes in proptest::collection::vec(
            prop_oneof![
                Just("Username: "), Just("Password: "), Just("sw>"), Just("sw#"),
                Just(" --More-- "), Just("% Access denied\r\n"), Just(""),
            ],
            20,
        ),
    ) {
        let mut s = CliSession::new(credentials(), at(0));
        for (i, chunk) in chunks.iter().enumerate() {
            let mut input = prefixes[i].as_bytes().to_vec();
            input.extend_from_slice(chunk);
            s.handle_input(at(1), &input);
            let _ = s.poll_transmit();
        }
        s.handle_close();
        prop_assert!(s.poll_event().is_some());
    }
}
