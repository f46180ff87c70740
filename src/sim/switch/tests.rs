//! The switch's reload without sockets: what a reload changes, what it reports, how the CDP
//! advertisement follows, and that the boot loop is woken.

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
