//! CLI services of the simulated device: cli-exec (§2.5.5: `show version`, `show
//! running-config`, `show startup-config`, `show platform sudi certificate sign [nonce N]`,
//! `dir <fs>`, `config-register <hex>`, `write memory`, `copy running-config startup-config`),
//! cli-config (§2.5.6: apply, test, persist) and reload (§2.5.11).
//!
//! Inputs: command text from the server. Unknown commands answer `% Invalid input detected`
//! with cli-exec error 1304 (INVALID_CLI). The SUDI output follows the format
//! `pki::sudi::attest::parse_output` reads, signed over `attest::signed_data`.

use super::info::device_pem;
use super::{Device, DeviceOutcome};
use crate::pki::sudi::attest::signed_data;
use crate::proto::pnp::cli_config::ConfigData;
use crate::proto::pnp::error_info::CliExecError;
use crate::proto::pnp::reload::ConfigAction;
use crate::proto::pnp::write::Node;
use crate::proto::pnp::{CliConfig, Correlator, ErrorCode, ReloadRequest, Service};

/// The SUDI signature version the simulated device prints.
pub(crate) const SUDI_SIGNATURE_VERSION: u32 = 1;

const INVALID_INPUT: &str = "% Invalid input detected at '^' marker.";

impl Device {
    pub(super) fn cli_exec(&mut self, c: Option<&Correlator>, cmd: &str) -> DeviceOutcome {
        let log = |output: &str| {
            Node::new("execLog").child(
                Node::new("dialogueLog")
                    .text_child("sent", cmd)
                    .child(Node::new("received").text_child("text", output)),
            )
        };
        match self.exec(cmd.trim()) {
            Ok(output) => self.ok(c, &Service::CliExec, vec![log(&output)]),
            Err(output) => {
                let code = ErrorCode::CliExec(CliExecError::InvalidCli);
                self.fail(c, &Service::CliExec, code, &output, vec![log(&output)])
            }
        }
    }

    /// Runs one exec command: its output, or the error output.
    fn exec(&mut self, cmd: &str) -> Result<String, String> {
        let words: Vec<&str> = cmd.split_ascii_whitespace().collect();
        match words.as_slice() {
            ["show", "version"] => Ok(self.show_version()),
            ["show", "running-config"] => Ok(config_text(&self.running)),
            ["show", "startup-config"] => Ok(config_text(&self.startup)),
            ["show", "platform", "sudi", "certificate", "sign"] => self.sudi_sign(None),
            [
                "show",
                "platform",
                "sudi",
                "certificate",
                "sign",
                "nonce",
                n,
            ] => {
                let nonce = n.parse::<u64>().map_err(|_| INVALID_INPUT.to_owned())?;
                self.sudi_sign(Some(nonce))
            }
            ["dir", fs] => self.dir(fs),
            ["config-register", value] => {
                let hex = value.trim_start_matches("0x").trim_start_matches("0X");
                let value = u16::from_str_radix(hex, 16).map_err(|_| INVALID_INPUT.to_owned())?;
                self.config_register_next = value;
                Ok(String::new())
            }
            ["write", "memory"] | ["wr"] | ["copy", "running-config", "startup-config"] => {
                self.startup = self.running.clone();
                Ok("Building configuration...\n[OK]".to_owned())
            }
            _ => Err(INVALID_INPUT.to_owned()),
        }
    }

    fn show_version(&self) -> String {
        format!(
            "Cisco IOS XE Software, Version {v}\n\
             Cisco IOS Software [ztpgate-sim], Version {v}, RELEASE SOFTWARE (fc1)\n\
             {h} uptime is 0 minutes\n\
             System image file is \"{image}\"\n\
             Last reload reason: {reason}\n\
             cisco {pid} processor\n\
             Processor board ID {sn}\n\
             Configuration register is 0x{cr:X} (will be 0x{next:X} at next reload)\n",
            v = self.version,
            h = self.hostname,
            image = self.image,
            reason = if self.reloads == 0 {
                "PowerOn"
            } else {
                "Reload Command"
            },
            pid = self.udi.pid,
            sn = self.udi.sn,
            cr = self.config_register,
            next = self.config_register_next,
        )
    }

    fn sudi_sign(&self, nonce: Option<u64>) -> Result<String, String> {
        let sudi = self
            .sudi
            .as_ref()
            .ok_or("% SUDI certificate not available")?;
        let data = signed_data(nonce, SUDI_SIGNATURE_VERSION, &sudi.chain);
        let signature = sudi.key.sign(&data).ok_or("% Signing failed")?;
        let mut out = String::new();
        for cert in &sudi.chain {
            out.push_str(&device_pem(cert));
        }
        out.push_str(&format!(
            "Signature version: {SUDI_SIGNATURE_VERSION}\nSignature:\n"
        ));
        for chunk in hex::encode_upper(signature).as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        Ok(out)
    }

    fn dir(&self, fs: &str) -> Result<String, String> {
        let name = fs.trim_end_matches(['/', ':']);
        let fs = self
            .file_systems
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| format!("%Error opening {name}:/ (No such device)"))?;
        let mut out = format!("Directory of {name}:/\n\n");
        for (i, file) in fs.files.iter().enumerate() {
            out.push_str(&format!(
                "{:>6}  -rw-  {:>12}  {}\n",
                i + 1,
                file.size,
                file.name
            ));
        }
        out.push_str(&format!(
            "\n{} bytes total ({} bytes free)\n",
            fs.size,
            fs.free()
        ));
        Ok(out)
    }

    pub(super) fn cli_config(
        &mut self,
        c: Option<&Correlator>,
        request: &CliConfig,
    ) -> DeviceOutcome {
        let (data, test, stop) = match request {
            CliConfig::Persist => {
                self.startup = self.running.clone();
                return self.ok(c, &Service::CliConfig, vec![]);
            }
            CliConfig::Test { data, .. } => (data, true, false),
            CliConfig::Apply {
                data,
                action_on_fail,
                ..
            } => (data, false, action_on_fail.as_deref() == Some("stop")),
        };
        let lines = config_lines(data);
        let mut entries = Vec::new();
        let mut stopped = false;
        for (i, line) in lines.iter().enumerate() {
            let entry = Node::new("resultEntry")
                .attr("lineNumber", (i + 1).to_string())
                .attr("cliString", line);
            let outcome = if stopped {
                Node::new("notExecuted")
            } else if !valid_config_line(line) {
                stopped = stop;
                Node::new("invalid")
            } else if test {
                Node::new("success")
                    .attr("change", "NO_CHANGE")
                    .attr("mode", "TEST")
            } else {
                let change = self.apply_line(line);
                let change = if change { "CHANGE" } else { "NO_CHANGE" };
                Node::new("success")
                    .attr("change", change)
                    .attr("mode", "IMMEDIATE")
            };
            entries.push(entry.child(outcome));
        }
        self.ok(c, &Service::CliConfig, entries)
    }

    /// Applies one configuration line to the running config; `false` when nothing changed.
    pub(super) fn apply_line(&mut self, line: &str) -> bool {
        let line = line.trim();
        if line.starts_with('!') || line == "end" || self.running.iter().any(|l| l == line) {
            return false;
        }
        if line.starts_with("hostname ") {
            self.running.retain(|l| !l.starts_with("hostname "));
        }
        self.running.push(line.to_owned());
        self.hostname = self.configured_hostname();
        true
    }

    pub(super) fn reload_request(
        &mut self,
        c: Option<&Correlator>,
        request: &ReloadRequest,
    ) -> DeviceOutcome {
        match request.config {
            Some(ConfigAction::Save(true)) => self.startup = self.running.clone(),
            Some(ConfigAction::Erase(true)) => self.startup.clear(),
            _ => {}
        }
        let mut outcome = self.ok(c, &Service::Reload, vec![]);
        outcome.reload = true;
        outcome.reload_delay = request.delay_in.unwrap_or(0);
        outcome
    }
}

/// The lines of cli-config data (a block is split on newlines; blank lines dropped).
pub(super) fn config_lines(data: &ConfigData) -> Vec<String> {
    match data {
        ConfigData::Commands(cmds) => cmds.iter().map(|c| c.trim().to_owned()).collect(),
        ConfigData::Block(block) => block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// The simulated parser accepts comments and lines starting with a letter.
pub(super) fn valid_config_line(line: &str) -> bool {
    line.starts_with('!') || line.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
}

fn config_text(lines: &[String]) -> String {
    let mut out = String::from("Building configuration...\n\n");
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("end\n");
    out
}
