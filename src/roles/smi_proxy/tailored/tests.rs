//! Tests for the tailored configuration: the reference's shape, and refusal of every credential
//! IOS would misread.

use super::*;

fn credentials(form: PasswordForm) -> Credentials {
    Credentials::new("ztp-proxy", "S3cr3t!x", "En4ble#y", form).unwrap()
}

fn proxy() -> ProxyEndpoint {
    ProxyEndpoint::new(Ipv4Addr::new(5, 1, 1, 1), 19140).unwrap()
}

#[test]
fn renders_reference_shape_with_passwords() {
    let text = client_config(proxy(), &credentials(PasswordForm::Password));
    assert_eq!(
        text,
        "!\nversion 12.2\n!\nenable password En4ble#y\n!\n\
         username ztp-proxy privilege 15 password S3cr3t!x\n!\n\
         do telnet 5.1.1.1 19140\n!\nvstack director 5.1.1.1\n!\nend\n"
    );
}

#[test]
fn renders_secrets() {
    let text = client_config(proxy(), &credentials(PasswordForm::Secret));
    assert!(text.contains("\nenable secret En4ble#y\n"));
    assert!(text.contains("\nusername ztp-proxy privilege 15 secret S3cr3t!x\n"));
}

#[test]
fn refuses_empty_credentials() {
    let form = PasswordForm::Secret;
    assert_eq!(
        Credentials::new("", "p", "e", form),
        Err(TailoredError::EmptyCredential(CredentialField::Username))
    );
    assert_eq!(
        Credentials::new("u", "", "e", form),
        Err(TailoredError::EmptyCredential(CredentialField::Password))
    );
    assert_eq!(
        Credentials::new("u", "p", "", form),
        Err(TailoredError::EmptyCredential(CredentialField::Enable))
    );
}

#[test]
fn refuses_characters_ios_would_split_or_interpret() {
    for (bad, offset) in [
        ("a b", 1),
        ("ab\n!\nend", 2),
        ("x\r", 1),
        ("tab\t", 3),
        ("wh?", 2),
        ("é", 0),
    ] {
        assert_eq!(
            Credentials::new("u", bad, "e", PasswordForm::Secret),
            Err(TailoredError::BadCharacter {
                field: CredentialField::Password,
                offset
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn refuses_overlong_credentials() {
    let long = "a".repeat(MAX_CREDENTIAL_BYTES + 1);
    assert_eq!(
        Credentials::new(&long, "p", "e", PasswordForm::Secret),
        Err(TailoredError::CredentialTooLong {
            field: CredentialField::Username,
            len: MAX_CREDENTIAL_BYTES + 1,
            limit: MAX_CREDENTIAL_BYTES
        })
    );
}

#[test]
fn refuses_unusable_proxy_endpoints() {
    for address in [
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::BROADCAST,
        Ipv4Addr::new(224, 0, 0, 1),
    ] {
        assert_eq!(
            ProxyEndpoint::new(address, 19140),
            Err(TailoredError::BadProxyAddress(address))
        );
    }
    assert_eq!(
        ProxyEndpoint::new(Ipv4Addr::new(10, 0, 0, 1), 0),
        Err(TailoredError::ZeroPort)
    );
}

#[test]
fn keeps_passwords_out_of_debug_output() {
    let debug = format!("{:?}", credentials(PasswordForm::Secret));
    assert!(debug.contains("ztp-proxy"));
    assert!(!debug.contains("S3cr3t") && !debug.contains("En4ble"));
}
