//! `bench pcap-audit`: `ztpgate pcap audit` against tshark and tcpdump on one large capture.
//!
//! [`generate`] writes a realistic mixed capture of a chosen size (streaming, bounded memory);
//! [`run`] then reads it once to warm the page cache and runs, `runs` times each and in turn,
//! - `ztpgate pcap audit FILE --format json --no-progress` with the generated network's
//!   director and TFTP server named (the full audit: every rule on every reassembled flow),
//! - `tshark -r FILE -Y tcp.port==4786` (full dissection, display filter),
//! - `tcpdump -n -r FILE 'tcp port 4786'` (BPF filter),
//!
//! as child processes with standard output collected. Each run gives the wall time, MB/s (file
//! bytes / wall time, MB = 10^6 bytes) and the child's peak RSS; ztpgate's JSON report gives the
//! findings and the records and frame bytes it processed, which are checked against what was
//! written. A tool that is not installed, or that fails, is skipped with the reason.
//!
//! Inputs: the options (validated by the CLI); the capture is the generator's own.

mod generate;
mod measure;
mod render;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use generate::{
    CaptureFormat, Composition, DIRECTOR_V4, DIRECTOR_V6, GenerateError, MAX_CONCURRENT_FLOWS,
    generate,
};
pub use render::render;

use measure::{Program, RssProbe, find_on_path, measure, warm_up};

/// Default capture size: 1 GiB.
pub const DEFAULT_SIZE: u64 = 1 << 30;
/// Default seed of the generator.
pub const DEFAULT_SEED: u64 = 0x5eed_0000_4786;

/// What to measure.
#[derive(Clone, Debug)]
pub struct MeasureOptions {
    /// The ztpgate executable to run.
    pub ztpgate: PathBuf,
    /// Runs per tool.
    pub runs: u32,
    /// Directory for the probe's scratch files.
    pub scratch: PathBuf,
}

/// The capture measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaptureInfo {
    /// Its path.
    pub path: PathBuf,
    /// Its format.
    pub format: CaptureFormat,
    /// The generator's seed.
    pub seed: u64,
    /// What it holds.
    pub composition: Composition,
    /// Seconds the generator took.
    pub generate_seconds: f64,
}

/// One run of one tool.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Run {
    /// Spawn to exit, in seconds.
    pub wall_seconds: f64,
    /// File bytes / wall time, in 10^6 bytes per second.
    pub mb_per_s: f64,
    /// Peak resident set of the child, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Lines of standard output (tshark, tcpdump: one per matching packet).
    pub output_lines: u64,
}

/// All runs of one tool.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ToolReport {
    /// `ztpgate`, `tshark` or `tcpdump`.
    pub name: String,
    /// The command line.
    pub command: String,
    /// Why the tool was not measured (or stopped being measured).
    pub skipped: Option<String>,
    /// The runs, in order.
    pub runs: Vec<Run>,
    /// The run with the median wall time.
    pub median: Option<Run>,
    /// Fastest wall time.
    pub min_wall_seconds: Option<f64>,
    /// Slowest wall time.
    pub max_wall_seconds: Option<f64>,
}

/// What ztpgate's own report says (from its last run).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct AuditCheck {
    /// Findings reported.
    pub findings: u64,
    /// Findings per rule.
    pub rules: BTreeMap<String, u64>,
    /// Records the audit read.
    pub records: u64,
    /// Frame bytes the audit read.
    pub frame_bytes: u64,
    /// TCP flows the audit tracked.
    pub tcp_flows: u64,
    /// Smart Install messages decoded.
    pub smart_install_messages: u64,
    /// Records and frame bytes equal what was written.
    pub complete: bool,
}

/// The result of `bench pcap-audit`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PcapAuditReport {
    /// The capture.
    pub capture: CaptureInfo,
    /// Runs per tool.
    pub runs: u32,
    /// The file was read once before the first run.
    pub warm_cache: bool,
    /// How peak RSS was measured.
    pub rss_method: String,
    /// One entry per tool: ztpgate, tshark, tcpdump.
    pub tools: Vec<ToolReport>,
    /// ztpgate's findings and counters.
    pub audit: Option<AuditCheck>,
    /// ztpgate's median MB/s over tshark's (target ≥ 10).
    pub ratio_tshark: Option<f64>,
    /// ztpgate's median MB/s over tcpdump's (target ≥ 1).
    pub ratio_tcpdump: Option<f64>,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The capture could not be read for the warm-up.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The capture.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// ztpgate itself failed (it is the subject: no report without it).
    #[error("ztpgate pcap audit failed: {0}")]
    Audit(String),
}

/// The director and TFTP server arguments naming the generated network's director.
pub fn knowledge_args() -> Vec<String> {
    let mut args = Vec::new();
    for d in [DIRECTOR_V4.to_string(), DIRECTOR_V6.to_string()] {
        args.extend([
            "--director".to_owned(),
            d.clone(),
            "--tftp-server".to_owned(),
            d,
        ]);
    }
    args
}

/// Measures the three readers on `capture`.
///
/// # Errors
/// [`BenchError`] when the capture cannot be read or ztpgate fails; a failing tshark or tcpdump
/// is reported as skipped instead.
pub fn run(capture: CaptureInfo, opts: &MeasureOptions) -> Result<PcapAuditReport, BenchError> {
    let path = capture.path.clone();
    warm_up(&path).map_err(|source| BenchError::Read {
        path: path.clone(),
        source,
    })?;
    let probe = RssProbe::detect(&opts.scratch);
    let mut ztpgate_args: Vec<OsString> =
        vec!["pcap".into(), "audit".into(), path.clone().into_os_string()];
    ztpgate_args.extend(
        ["--format", "json", "--no-progress"]
            .into_iter()
            .map(OsString::from),
    );
    ztpgate_args.extend(knowledge_args().into_iter().map(OsString::from));
    let file: OsString = path.into_os_string();
    let mut tools = vec![
        Slot::new(
            "ztpgate",
            Some(Program {
                path: opts.ztpgate.clone(),
                args: ztpgate_args,
            }),
        ),
        Slot::new(
            "tshark",
            find_on_path("tshark").map(|p| Program {
                path: p,
                args: vec![
                    "-r".into(),
                    file.clone(),
                    "-Y".into(),
                    "tcp.port==4786".into(),
                ],
            }),
        ),
        Slot::new(
            "tcpdump",
            find_on_path("tcpdump").map(|p| Program {
                path: p,
                args: vec!["-n".into(), "-r".into(), file, "tcp port 4786".into()],
            }),
        ),
    ];
    let file_bytes = capture.composition.file_bytes;
    let mut audit = None;
    for _ in 0..opts.runs {
        for slot in &mut tools {
            let Some(program) = slot.program.clone() else {
                continue;
            };
            let m = measure(&program, &probe);
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    slot.fail(format!("cannot run {}: {e}", program.path.display()))?;
                    continue;
                }
            };
            let code = m.output.status.code();
            // ztpgate exits 1 when a finding reaches --fail-on (high): expected here.
            let ok = code == Some(0) || (slot.name == "ztpgate" && code == Some(1));
            if !ok {
                let stderr = String::from_utf8_lossy(&m.output.stderr);
                let last = stderr.lines().last().unwrap_or("").trim().to_owned();
                slot.fail(format!("exited with {:?}: {last}", code))?;
                continue;
            }
            if slot.name == "ztpgate" {
                audit = Some(audit_check(&m.output.stdout, &capture.composition)?);
            }
            slot.runs.push(Run {
                wall_seconds: m.wall_seconds,
                mb_per_s: file_bytes as f64 / 1e6 / m.wall_seconds.max(1e-9),
                peak_rss_kib: m.peak_rss_kib,
                output_lines: m.output.stdout.iter().filter(|&&b| b == b'\n').count() as u64,
            });
        }
    }
    let tools: Vec<ToolReport> = tools.into_iter().map(Slot::report).collect();
    let rate = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.median.as_ref())
            .map(|r| r.mb_per_s)
    };
    let ratio = |other: &str| Some(rate("ztpgate")? / rate(other)?);
    Ok(PcapAuditReport {
        ratio_tshark: ratio("tshark"),
        ratio_tcpdump: ratio("tcpdump"),
        capture,
        runs: opts.runs,
        warm_cache: true,
        rss_method: probe.describe().to_owned(),
        tools,
        audit,
    })
}

/// A tool being measured.
struct Slot {
    name: &'static str,
    program: Option<Program>,
    command: String,
    skipped: Option<String>,
    runs: Vec<Run>,
}

impl Slot {
    fn new(name: &'static str, program: Option<Program>) -> Self {
        let (command, skipped) = match &program {
            Some(p) => (p.display(), None),
            None => (
                String::new(),
                Some(format!("{name} is not installed (not on PATH)")),
            ),
        };
        Self {
            name,
            program,
            command,
            skipped,
            runs: Vec::new(),
        }
    }

    /// Stops measuring this tool; a failing ztpgate ends the benchmark.
    fn fail(&mut self, reason: String) -> Result<(), BenchError> {
        if self.name == "ztpgate" {
            return Err(BenchError::Audit(reason));
        }
        self.skipped = Some(reason);
        self.program = None;
        self.runs.clear();
        Ok(())
    }

    fn report(self) -> ToolReport {
        let mut by_wall = self.runs.clone();
        by_wall.sort_by(|a, b| a.wall_seconds.total_cmp(&b.wall_seconds));
        let median = by_wall.get(by_wall.len().saturating_sub(1) / 2).cloned();
        ToolReport {
            name: self.name.to_owned(),
            command: self.command,
            skipped: self.skipped,
            median,
            min_wall_seconds: by_wall.first().map(|r| r.wall_seconds),
            max_wall_seconds: by_wall.last().map(|r| r.wall_seconds),
            runs: self.runs,
        }
    }
}

/// Reads ztpgate's JSON report and compares its counters with the composition.
fn audit_check(stdout: &[u8], comp: &Composition) -> Result<AuditCheck, BenchError> {
    let report: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|e| BenchError::Audit(format!("its report is not JSON: {e}")))?;
    let mut rules = BTreeMap::new();
    let findings = report["findings"].as_array().map_or(&[][..], Vec::as_slice);
    for f in findings {
        if let Some(rule) = f["rule"].as_str() {
            *rules.entry(rule.to_owned()).or_insert(0) += 1;
        }
    }
    let stat = |name: &str| report["stats"][name].as_u64().unwrap_or(0);
    let (records, frame_bytes) = (stat("records"), stat("frame_bytes"));
    Ok(AuditCheck {
        findings: findings.len() as u64,
        rules,
        records,
        frame_bytes,
        tcp_flows: stat("tcp_flows"),
        smart_install_messages: stat("smart_install_messages"),
        complete: records == comp.packets && frame_bytes == comp.frame_bytes,
    })
}

/// The default capture path in `dir` for `format`.
pub fn default_capture_path(dir: &Path, format: CaptureFormat) -> PathBuf {
    dir.join(format!("pcap-audit-bench.{}", format.extension()))
}
