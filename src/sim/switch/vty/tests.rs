//! The vty state machine byte by byte: login (right, wrong, three strikes), enable, terminal
//! length, `show version` with and without paging, refused commands, telnet options, `0xFF`
//! escaping and input split anywhere.

use super::*;
use crate::proto::telnet::SE;

fn view() -> VtyView {
    VtyView {
        hostname: "edge-1".into(),
        logins: Logins::from_config(
            "username smi privilege 15 password login-pw\nenable secret 0 enable-pw\n",
        ),
        show_version: (1..=30).map(|i| format!("line {i}\n")).collect(),
        running_config: "hostname edge-1\nend\n".into(),
    }
}

/// Feeds `input` and returns what was sent back, as text.
fn say(vty: &mut Vty, input: &str) -> String {
    vty.handle_input(input.as_bytes());
    String::from_utf8_lossy(&vty.poll_transmit().unwrap_or_default()).into_owned()
}

/// A session logged in at the `>` prompt.
fn logged_in() -> Vty {
    let mut vty = Vty::new(view());
    vty.poll_transmit();
    say(&mut vty, "smi\r\n");
    assert!(say(&mut vty, "login-pw\r\n").ends_with("\r\nedge-1>"));
    vty
}

#[test]
fn opens_with_ios_options_and_the_login_banner() {
    let mut vty = Vty::new(view());
    let out = vty.poll_transmit().unwrap();
    assert_eq!(
        out[..6],
        [IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SUPPRESS_GO_AHEAD]
    );
    assert_eq!(&out[6..], BANNER.as_bytes());
    // The proxy's answers to our offers need no reply; other options are refused.
    vty.handle_input(&[
        IAC,
        DO,
        OPT_ECHO,
        IAC,
        DO,
        OPT_SUPPRESS_GO_AHEAD,
        IAC,
        DO,
        24,
    ]);
    assert_eq!(vty.poll_transmit().unwrap(), [IAC, WONT, 24]);
    vty.handle_input(&[IAC, WILL, 31, IAC, SB, 24, 1, 2, IAC, SE]);
    assert_eq!(vty.poll_transmit().unwrap(), [IAC, DONT, 31]);
}

#[test]
fn logs_in_echoing_the_username_but_not_the_password() {
    let mut vty = Vty::new(view());
    vty.poll_transmit();
    assert_eq!(say(&mut vty, "smi\r\n"), "smi\r\nPassword: ");
    assert_eq!(say(&mut vty, "login-pw\r\n"), "\r\nedge-1>");
    assert!(vty.logged_in());
}

#[test]
fn a_wrong_login_asks_again_and_the_third_closes() {
    let mut vty = Vty::new(view());
    vty.poll_transmit();
    say(&mut vty, "smi\r\n");
    assert_eq!(
        say(&mut vty, "nope\r\n"),
        "\r\n% Login invalid\r\n\r\nUsername: "
    );
    say(&mut vty, "smi\r\nnope\r\n");
    assert!(!vty.is_closed());
    say(&mut vty, "smi\r\n");
    assert_eq!(
        say(&mut vty, "login-pw-not\r\n"),
        "\r\n% Login invalid\r\n\r\n"
    );
    assert!(vty.is_closed());
    assert_eq!(vty.outcome().error(), Some("login refused"));
}

#[test]
fn enable_asks_for_the_secret_and_gives_up_after_three() {
    let mut vty = logged_in();
    assert_eq!(say(&mut vty, "enable\r\n"), "enable\r\nPassword: ");
    assert_eq!(say(&mut vty, "enable-pw\r\n"), "\r\nedge-1#");
    assert_eq!(say(&mut vty, "disable\r\n"), "disable\r\nedge-1>");
    say(&mut vty, "en\r\n");
    assert_eq!(say(&mut vty, "x\r\n"), "\r\nPassword: ");
    say(&mut vty, "y\r\n");
    assert_eq!(say(&mut vty, "z\r\n"), "\r\n% Bad secrets\r\n\r\nedge-1>");
}

#[test]
fn show_version_pages_unless_the_terminal_length_is_0() {
    let mut vty = logged_in();
    let out = say(&mut vty, "show version\r\n");
    assert!(out.contains("line 23\r\n --More-- "), "{out}");
    assert!(!out.contains("line 24"));
    let out = say(&mut vty, " ");
    assert!(out.contains("line 30\r\nedge-1>"), "{out}");
    assert_eq!(say(&mut vty, "term len 0\r\n"), "term len 0\r\nedge-1>");
    let out = say(&mut vty, "sh ver\r\n");
    assert!(out.starts_with("sh ver\r\nline 1\r\n"));
    assert!(out.ends_with("line 30\r\nedge-1>"));
    assert!(vty.outcome().ok());
    say(&mut vty, "exit\r\n");
    assert!(vty.is_closed());
}

#[test]
fn refuses_unknown_ambiguous_and_incomplete_commands_like_ios() {
    let mut vty = logged_in();
    assert_eq!(
        say(&mut vty, "show flash\r\n"),
        "show flash\r\n            ^\r\n% Invalid input detected at '^' marker.\r\n\r\nedge-1>"
    );
    // `show running-config` needs privileges.
    assert!(say(&mut vty, "show run\r\n").contains("Invalid input"));
    assert_eq!(
        say(&mut vty, "e\r\n"),
        "e\r\n% Ambiguous command:  \"e\"\r\nedge-1>"
    );
    assert_eq!(
        say(&mut vty, "terminal length\r\n"),
        "terminal length\r\n% Incomplete command.\r\n\r\nedge-1>"
    );
    assert!(say(&mut vty, "terminal length 999\r\n").contains("Invalid input"));
    assert_eq!(say(&mut vty, "\r\n"), "\r\nedge-1>");
}

#[test]
fn escapes_0xff_in_what_it_sends() {
    let mut vty = Vty::new(view());
    vty.poll_transmit();
    vty.handle_input(&[b'a', IAC, IAC, b'b']);
    assert_eq!(vty.poll_transmit().unwrap(), [b'a', IAC, IAC, b'b']);
}

#[test]
fn input_split_anywhere_gives_the_same_session() {
    let script: &[u8] =
        b"smi\r\0login-pw\r\nenable\renable-pw\r\nterminal length 0\r\nshow version\r\n";
    let mut whole = Vty::new(view());
    whole.handle_input(script);
    let expected = whole.poll_transmit().unwrap();
    let mut split = Vty::new(view());
    let mut got = Vec::new();
    for byte in script {
        split.handle_input(std::slice::from_ref(byte));
        got.extend(split.poll_transmit().unwrap_or_default());
    }
    assert_eq!(got, expected);
    let text = String::from_utf8_lossy(&got);
    assert!(text.ends_with("line 30\r\nedge-1#"), "{text}");
    assert!(split.outcome().ok());
}

#[test]
fn backspace_edits_the_line() {
    let mut vty = logged_in();
    assert_eq!(say(&mut vty, "exix\x08"), "exix\x08 \x08");
    say(&mut vty, "t\r\n");
    assert!(vty.is_closed());
}
