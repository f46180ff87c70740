//! The table `ztpgate bench pcap-audit` prints: the capture's composition, one line per tool
//! (median wall time with min and max, MB/s, peak RSS, output), the ratios against the targets
//! and ztpgate's findings. Pure.

use std::fmt::Write as _;

use super::{PcapAuditReport, ToolReport};
use crate::bench::group_digits;

/// Renders a report as text.
pub fn render(r: &PcapAuditReport) -> String {
    let c = &r.capture.composition;
    let mut out = String::new();
    let share = |part: u64| 100.0 * part as f64 / c.frame_bytes.max(1) as f64;
    let _ = writeln!(
        out,
        "ztpgate bench pcap-audit: {} ({:?}, {} bytes, generated in {:.1} s)",
        r.capture.path.display(),
        r.capture.format,
        group_digits(c.file_bytes),
        r.capture.generate_seconds
    );
    let _ = writeln!(
        out,
        "  {} packets, {} TCP flows (peak {} concurrent), {} UDP datagrams; IPv6 {:.1} %, VLAN {:.1} % of packets",
        group_digits(c.packets),
        group_digits(c.tcp_flows),
        group_digits(c.peak_concurrent_flows),
        group_digits(c.udp_datagrams),
        100.0 * c.ipv6_packets as f64 / c.packets.max(1) as f64,
        100.0 * c.vlan_packets as f64 / c.packets.max(1) as f64,
    );
    let _ = writeln!(
        out,
        "  TCP 4786: {} packets, {:.3} % of frame bytes, {} sessions ({} attacks); {} special sessions; {} bursts out of order, {} retransmissions",
        group_digits(c.smart_install_packets),
        share(c.smart_install_bytes),
        c.smart_install_sessions,
        c.attack_sessions,
        c.special_sessions,
        c.out_of_order,
        c.retransmissions,
    );
    let _ = writeln!(
        out,
        "  {} run(s) per tool, warm page cache; peak RSS by {}\n",
        r.runs, r.rss_method
    );
    let _ = writeln!(
        out,
        "{:<8} {:>9} {:>9} {:>9} {:>9} {:>13} {:>9}  command",
        "tool", "wall s", "min s", "max s", "MB/s", "peak RSS MiB", "lines"
    );
    for t in &r.tools {
        out.push_str(&tool_line(t));
    }
    out.push('\n');
    for (name, ratio, target) in [
        ("tshark", r.ratio_tshark, 10.0),
        ("tcpdump", r.ratio_tcpdump, 1.0),
    ] {
        match ratio {
            Some(x) => {
                let verdict = if x >= target { "met" } else { "missed" };
                let _ = writeln!(
                    out,
                    "ztpgate / {name}: {x:.2}x MB/s (target >= {target}x: {verdict})"
                );
            }
            None => {
                let _ = writeln!(out, "ztpgate / {name}: not measured");
            }
        }
    }
    if let Some(a) = &r.audit {
        let rules: Vec<String> = a.rules.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            out,
            "ztpgate: {} findings ({}); {} records, {} frame bytes, {} TCP flows, {} Smart Install messages; whole capture read: {}",
            group_digits(a.findings),
            rules.join(", "),
            group_digits(a.records),
            group_digits(a.frame_bytes),
            group_digits(a.tcp_flows),
            group_digits(a.smart_install_messages),
            if a.complete { "yes" } else { "NO" },
        );
    }
    out
}

fn tool_line(t: &ToolReport) -> String {
    if let Some(reason) = &t.skipped {
        return format!("{:<8} skipped: {reason}\n", t.name);
    }
    let Some(m) = &t.median else {
        return format!("{:<8} no run\n", t.name);
    };
    let rss = m
        .peak_rss_kib
        .map_or_else(|| "-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
    format!(
        "{:<8} {:>9.3} {:>9.3} {:>9.3} {:>9.1} {:>13} {:>9}  {}\n",
        t.name,
        m.wall_seconds,
        t.min_wall_seconds.unwrap_or(m.wall_seconds),
        t.max_wall_seconds.unwrap_or(m.wall_seconds),
        m.mb_per_s,
        rss,
        m.output_lines,
        t.command
    )
}
