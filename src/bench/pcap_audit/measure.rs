//! Running one capture reader as a child process and measuring it: wall time from spawn to
//! exit on the monotonic clock, peak resident set of the child, and its standard output.
//!
//! Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the kernel's `ru_maxrss` of the
//! child) when it is installed; otherwise `VmHWM` in `/proc/<pid>/status` is polled every
//! millisecond while the child runs, which can miss the last millisecond of growth and reports
//! nothing for a child that exits first.
//!
//! Inputs: program paths found on `PATH`, the capture path; the children's output is only
//! counted or parsed as JSON by the caller.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::clock::now_monotonic;

/// A command to measure.
#[derive(Clone, Debug)]
pub(super) struct Program {
    pub(super) path: PathBuf,
    pub(super) args: Vec<OsString>,
}

impl Program {
    /// The command line as a shell would show it.
    pub(super) fn display(&self) -> String {
        let mut parts = vec![self.path.display().to_string()];
        parts.extend(self.args.iter().map(|a| {
            let a = a.to_string_lossy();
            if a.contains([' ', '=', '\'']) {
                format!("'{a}'")
            } else {
                a.into_owned()
            }
        }));
        parts.join(" ")
    }
}

/// One measured run.
#[derive(Debug)]
pub(super) struct Measured {
    pub(super) wall_seconds: f64,
    pub(super) peak_rss_kib: Option<u64>,
    pub(super) output: Output,
}

/// How peak RSS is obtained.
#[derive(Clone, Debug)]
pub(super) enum RssProbe {
    /// GNU time, writing `%M` to a file in this directory.
    GnuTime { time: PathBuf, dir: PathBuf },
    /// Polling `/proc/<pid>/status`.
    Poll,
}

impl RssProbe {
    /// GNU time when `/usr/bin/time` (or `time` on `PATH`) is GNU time, else polling.
    pub(super) fn detect(dir: &Path) -> Self {
        let candidates = [Some(PathBuf::from("/usr/bin/time")), find_on_path("time")];
        for time in candidates.into_iter().flatten() {
            let gnu = Command::new(&time)
                .arg("--version")
                .stdin(Stdio::null())
                .output()
                .is_ok_and(|o| {
                    let text = [o.stdout, o.stderr].concat();
                    String::from_utf8_lossy(&text).contains("GNU")
                });
            if gnu {
                return Self::GnuTime {
                    time,
                    dir: dir.to_owned(),
                };
            }
        }
        Self::Poll
    }

    /// A short name for reports.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Self::GnuTime { .. } => "GNU time %M (ru_maxrss)",
            Self::Poll => "VmHWM polled every 1 ms",
        }
    }
}

/// Runs `program` to completion with stdin closed and stdout and stderr collected.
pub(super) fn measure(program: &Program, probe: &RssProbe) -> std::io::Result<Measured> {
    match probe {
        RssProbe::GnuTime { time, dir } => {
            let file = dir.join("rss");
            let mut cmd = Command::new(time);
            cmd.arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&file)
                .arg(&program.path)
                .args(&program.args);
            let (wall_seconds, output) = timed(&mut cmd)?;
            // GNU time may write "Command exited with non-zero status N" before the figure.
            let peak_rss_kib = std::fs::read_to_string(&file).ok().and_then(|text| {
                text.lines()
                    .filter_map(|l| l.trim().parse::<u64>().ok())
                    .next_back()
            });
            let _ = std::fs::remove_file(&file);
            Ok(Measured {
                wall_seconds,
                peak_rss_kib,
                output,
            })
        }
        RssProbe::Poll => {
            let mut cmd = Command::new(&program.path);
            cmd.args(&program.args);
            polled(&mut cmd)
        }
    }
}

/// Spawns and waits, timing spawn to exit.
fn timed(cmd: &mut Command) -> std::io::Result<(f64, Output)> {
    let start = now_monotonic();
    let output = spawn(cmd)?.wait_with_output()?;
    Ok((start.elapsed().as_secs_f64(), output))
}

/// Starts `cmd` without input, its output captured.
fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Spawns and waits while a second thread samples the child's `VmHWM`.
fn polled(cmd: &mut Command) -> std::io::Result<Measured> {
    let start = now_monotonic();
    let child = spawn(cmd)?;
    let status_path = PathBuf::from(format!("/proc/{}/status", child.id()));
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut peak = None;
            while !stop.load(Ordering::Relaxed) {
                if let Some(kib) = std::fs::read_to_string(&status_path)
                    .ok()
                    .and_then(|t| vm_hwm_kib(&t))
                {
                    peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            peak
        });
        let output = child.wait_with_output();
        let wall_seconds = start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let peak_rss_kib = sampler.join().unwrap_or(None);
        Ok(Measured {
            wall_seconds,
            peak_rss_kib,
            output: output?,
        })
    })
}

/// The `VmHWM` line of a `/proc/<pid>/status` text, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The first executable file called `name` in a `PATH` directory.
pub(super) fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Reads the whole file once so that every tool starts from a warm page cache.
pub(super) fn warm_up(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_hwm() {
        let status = "Name:\tx\nVmPeak:\t  2000 kB\nVmHWM:\t  1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(1234));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }

    #[test]
    fn polling_measures_a_child() {
        let program = Program {
            path: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), "echo one; echo two".into()],
        };
        let m = measure(&program, &RssProbe::Poll).unwrap();
        assert!(m.output.status.success());
        assert_eq!(m.output.stdout, b"one\ntwo\n");
        assert!(m.wall_seconds > 0.0);
        assert!(program.display().ends_with("'echo one; echo two'"));
    }
}
