//! The switch's reload without sockets: what a reload changes, what it reports, how the CDP
//! advertisement follows, and that the boot loop is woken. Then, on loopback, the telnet call-out
//! of a `do telnet` line against the SMI proxy's real reverse-telnet session.

use super::*;

fn switch() -> (Arc<Switch>, mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let opts = SwitchOptions {
        tftp_port: TFTP_PORT,
        tftp: tftp_client::Options::default(),
        limits: Limits::default(),
    };
    (Switch::new(Device::erased("Switch"), opts, tx), rx)
}

#[tokio::test]
async fn reload_runs_the_fetched_config_and_image_and_reports_it() {
    let (sw, mut rx) = switch();
    let advert = sw.advert();
    assert_eq!(advert.borrow().hostname, "Switch");
    assert!(!sw.has_startup_config().await);
    sw.store_startup_config(b"hostname edge-1\nend\n").await;
    sw.install("c3750e-universalk9-tar.122-55.SE12.tar").await;
    assert_eq!(
        rx.recv().await,
        Some(Event::StartupConfig {
            bytes: 20,
            md5: "4c98cc1ac471ef7c7144845585d58933".into(),
            hostname: Some("edge-1".into()),
        })
    );
    sw.reload().await;
    assert_eq!(
        rx.recv().await,
        Some(Event::Reloaded {
            hostname: "edge-1".into(),
            image: "C3750E-UNIVERSALK9-M".into(),
            version: "12.2(55)SE12".into(),
        })
    );
    let now = advert.borrow().clone();
    assert_eq!(now.hostname, "edge-1");
    assert_eq!(now.software.version, "12.2(55)SE12");
    // The boot loop, waiting for the next reload, is woken by this one.
    tokio::time::timeout(std::time::Duration::from_secs(1), sw.wait_reload())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_00_00_schedule_reloads_at_once() {
    let (sw, mut rx) = switch();
    sw.schedule_reload((0, 0)).await;
    assert_eq!(
        rx.recv().await,
        Some(Event::ReloadScheduled { at: "00:00".into() })
    );
    assert!(matches!(rx.recv().await, Some(Event::Reloaded { .. })));
}

#[tokio::test]
async fn the_dhcp_address_is_advertised() {
    let (sw, _rx) = switch();
    let advert = sw.advert();
    sw.set_address(Some("10.67.1.100".parse().unwrap()));
    assert_eq!(
        advert.borrow().addresses,
        vec![IpAddr::from([10, 67, 1, 100])]
    );
}

mod telnet_call_out {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use tokio::net::TcpListener;

    use super::*;
    use crate::edge::reverse_telnet::session;
    use crate::roles::smi_proxy::show_version::ShowVersion;
    use crate::roles::smi_proxy::tailored::{
        Credentials, PasswordForm, ProxyEndpoint, client_config,
    };
    use crate::sim::switch::identity::Identity;

    fn credentials(form: PasswordForm) -> Credentials {
        Credentials::new("smi", "login-pw", "enable-pw", form).unwrap()
    }

    fn identified_switch() -> (Arc<Switch>, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let identity = Identity {
            pid: "WS-C2960X-24PS-L".into(),
            vid: "V02".into(),
            serial: "FOC2040X1AB".into(),
            base_mac: [0x70, 0x10, 0x5C, 0x12, 0x34, 0x56],
        };
        let device = Device::erased("Switch").with_identity(identity);
        let opts = SwitchOptions {
            tftp_port: TFTP_PORT,
            tftp: tftp_client::Options::default(),
            limits: Limits::default(),
        };
        (Switch::new(device, opts, tx), rx)
    }

    /// The proxy's listener for one session with `credentials`.
    async fn proxy(
        credentials: Credentials,
    ) -> (
        u16,
        tokio::task::JoinHandle<Result<ShowVersion, crate::edge::reverse_telnet::SessionError>>,
    ) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            session(stream, credentials).await
        });
        (port, task)
    }

    async fn telnet_event(rx: &mut mpsc::UnboundedReceiver<Event>) -> Event {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match rx.recv().await {
                    Some(e @ Event::Telnet { .. }) => return e,
                    Some(_) => {}
                    None => panic!("events closed"),
                }
            }
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_reload_into_the_tailored_config_calls_the_proxy_and_reports_its_udi() {
        for form in [PasswordForm::Password, PasswordForm::Secret] {
            let (sw, mut rx) = identified_switch();
            let (port, proxy) = proxy(credentials(form)).await;
            let endpoint = ProxyEndpoint::new(Ipv4Addr::LOCALHOST, port).unwrap();
            let config = client_config(endpoint, &credentials(form));
            sw.store_startup_config(format!("hostname edge-9\n{config}").as_bytes())
                .await;
            sw.reload().await;
            let learned = tokio::time::timeout(Duration::from_secs(10), proxy)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert_eq!(
                learned.udi().to_string(),
                "PID:WS-C2960X-24PS-L,VID:V02,SN:FOC2040X1AB"
            );
            assert_eq!(learned.hostname.as_deref(), Some("edge-9"));
            assert_eq!(learned.version.as_deref(), Some("15.2(7)E8"));
            assert_eq!(learned.base_mac, Some([0x70, 0x10, 0x5C, 0x12, 0x34, 0x56]));
            assert_eq!(
                telnet_event(&mut rx).await,
                Event::Telnet {
                    server: format!("127.0.0.1:{port}"),
                    ok: true,
                    error: None,
                }
            );
            // The exec line ran; it is not kept in the running config.
            let running = sw.device.lock().await.running_config.clone();
            assert!(!running.contains("do telnet"), "{running}");
            assert!(running.contains("vstack director 127.0.0.1"));
        }
    }

    #[tokio::test]
    async fn wrong_proxy_credentials_are_refused_and_reported() {
        let (sw, mut rx) = identified_switch();
        let (port, proxy) = proxy(credentials(PasswordForm::Secret)).await;
        let wrong = Credentials::new("smi", "other-pw", "enable-pw", PasswordForm::Secret).unwrap();
        let endpoint = ProxyEndpoint::new(Ipv4Addr::LOCALHOST, port).unwrap();
        sw.store_startup_config(client_config(endpoint, &wrong).as_bytes())
            .await;
        sw.reload().await;
        let result = tokio::time::timeout(Duration::from_secs(10), proxy)
            .await
            .unwrap()
            .unwrap();
        assert!(result.unwrap_err().to_string().contains("login refused"));
        let Event::Telnet { ok, error, .. } = telnet_event(&mut rx).await else {
            unreachable!()
        };
        assert!(!ok);
        assert!(error.is_some());
    }

    #[tokio::test]
    async fn a_refused_connection_is_reported() {
        let (sw, mut rx) = identified_switch();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        sw.store_startup_config(format!("do telnet 127.0.0.1 {port}\n").as_bytes())
            .await;
        sw.reload().await;
        let Event::Telnet { server, ok, error } = telnet_event(&mut rx).await else {
            unreachable!()
        };
        assert_eq!(server, format!("127.0.0.1:{port}"));
        assert!(!ok);
        assert!(error.is_some());
    }
}
