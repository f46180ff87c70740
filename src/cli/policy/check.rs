//! `ztpgate policy check FILE...`: validates gateway configurations (with the policy each names)
//! and policy files, printing `FILE: ok (kind)` or every problem as `file:line:col: key: message`
//! (`../shared/design/ARCHITECTURE.md` §5).
//!
//! Input: operator-named files, read through `crate::config`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::cli::{CliError, EXIT_FINDINGS};
use crate::config::{FileKind, check_file};

/// Arguments of `policy check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration (ztpgate.toml) or policy files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs `policy check`: exit 0 when every file is valid, 1 when any is not (or cannot be read).
pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let mut out = std::io::stdout().lock();
    let mut all_ok = true;
    for path in &args.files {
        let report = report(path.display().to_string(), check_file(path));
        all_ok &= report.ok;
        out.write_all(report.text.as_bytes())
            .map_err(|e| CliError::new(format!("writing to stdout: {e}")))?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// What `policy check` prints for one file.
struct Report {
    ok: bool,
    text: String,
}

fn report(file: String, result: Result<FileKind, crate::config::ConfigErrors>) -> Report {
    match result {
        Ok(kind) => Report {
            ok: true,
            text: format!("{file}: ok ({kind})\n"),
        },
        Err(errors) => Report {
            ok: false,
            text: errors.0.iter().map(|e| format!("{e}\n")).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigError, ConfigErrorKind, ConfigErrors};

    #[test]
    fn reports_ok_files_with_their_kind() {
        let r = report("ztpgate.toml".into(), Ok(FileKind::Gateway));
        assert!(r.ok);
        assert_eq!(r.text, "ztpgate.toml: ok (gateway configuration)\n");
        let r = report("lab.toml".into(), Ok(FileKind::Policy));
        assert_eq!(r.text, "lab.toml: ok (policy)\n");
    }

    #[test]
    fn reports_every_error_line() {
        let error = |line, key: &str| ConfigError {
            file: "p.toml".into(),
            line,
            col: 1,
            key: key.into(),
            kind: ConfigErrorKind::UnknownKey,
        };
        let errors = ConfigErrors(vec![error(2, "a"), error(5, "b")]);
        let r = report("p.toml".into(), Err(errors));
        assert!(!r.ok);
        assert_eq!(
            r.text,
            "p.toml:2:1: a: unknown key\np.toml:5:1: b: unknown key\n"
        );
    }
}
