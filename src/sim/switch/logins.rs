//! The credentials an emulated switch's running config grants on its vty, read the way IOS reads
//! them: `username U [privilege N] password [0] P` or `… secret [0] P` for the login, and
//! `enable secret [0] E` (which wins when present) or `enable password [0] E` for `enable`.
//! Only clear-text values (no type, or type 0) can be checked; a hashed or type-7 value (5, 7,
//! 8, 9) is a credential nobody can give here. Also the `do telnet A [P]` lines of a config,
//! the exec commands that make the switch call out (`client_cfg_pnp.txt` of the SMI proxy).
//!
//! Pure. Inputs: the switch's own configuration (from a director or a TFTP file: untrusted, only
//! compared against).

/// Telnet's port when a `do telnet` line names none.
pub const TELNET_PORT: u16 = 23;

/// The login and enable credentials of a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logins {
    users: Vec<(String, Option<String>)>,
    enable: Option<Enable>,
}

/// The enable credential, and how it is stored (IOS names it in its refusal).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Enable {
    secret: bool,
    value: Option<String>,
}

impl Logins {
    /// Reads the credentials of `config` (a later line for the same user replaces an earlier one).
    pub fn from_config(config: &str) -> Self {
        let mut logins = Self::default();
        let mut password = None;
        for line in config.lines() {
            let words: Vec<&str> = line.split_ascii_whitespace().collect();
            match words.as_slice() {
                ["username", user, rest @ ..] => {
                    let value = after_keyword(rest, &["password", "secret"]);
                    logins.users.retain(|(u, _)| u != user);
                    logins.users.push(((*user).to_owned(), value));
                }
                ["enable", "secret", rest @ ..] => {
                    logins.enable = Some(Enable {
                        secret: true,
                        value: clear_text(skip_level(rest)),
                    });
                }
                ["enable", "password", rest @ ..] => password = Some(clear_text(skip_level(rest))),
                _ => {}
            }
        }
        if logins.enable.is_none() {
            logins.enable = password.map(|value| Enable {
                secret: false,
                value,
            });
        }
        logins
    }

    /// Whether `user` may log in with `password`.
    pub fn login(&self, user: &str, password: &str) -> bool {
        self.users
            .iter()
            .any(|(u, p)| u == user && p.as_deref() == Some(password))
    }

    /// Whether an enable password or secret is configured at all.
    pub fn has_enable(&self) -> bool {
        self.enable.is_some()
    }

    /// Whether `password` is the enable secret (or password).
    pub fn enable(&self, password: &str) -> bool {
        self.enable
            .as_ref()
            .is_some_and(|e| e.value.as_deref() == Some(password))
    }

    /// What IOS says after three wrong enable passwords.
    pub fn enable_refusal(&self) -> &'static str {
        match &self.enable {
            Some(Enable { secret: true, .. }) => "% Bad secrets",
            _ => "% Bad passwords",
        }
    }
}

/// The `(host, port)` of every `do telnet HOST [PORT]` line, in order.
pub fn telnet_targets<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<(String, u16)> {
    lines
        .into_iter()
        .filter_map(|line| {
            let mut words = line.split_ascii_whitespace();
            if (words.next(), words.next()) != (Some("do"), Some("telnet")) {
                return None;
            }
            let host = words.next()?.to_owned();
            let port = match words.next() {
                Some(p) => p.parse().ok().filter(|&p| p != 0)?,
                None => TELNET_PORT,
            };
            Some((host, port))
        })
        .collect()
}

/// `level N` before an enable value is dropped.
fn skip_level<'a, 'b>(rest: &'a [&'b str]) -> &'a [&'b str] {
    match rest {
        ["level", _, tail @ ..] => tail,
        _ => rest,
    }
}

/// The clear-text value after the first of `keywords` in `words`.
fn after_keyword(words: &[&str], keywords: &[&str]) -> Option<String> {
    let at = words.iter().position(|w| keywords.contains(w))?;
    clear_text(words.get(at + 1..)?)
}

/// `P`, `0 P` → `P`; `5 HASH`, `7 X`, `8 …`, `9 …` → `None` (cannot be checked).
fn clear_text(words: &[&str]) -> Option<String> {
    match words {
        ["0", value, ..] => Some((*value).to_owned()),
        [kind, _, ..] if matches!(*kind, "5" | "7" | "8" | "9") => None,
        [value, ..] => Some((*value).to_owned()),
        [] => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_clear_text_logins_and_skips_hashes() {
        let l = Logins::from_config(
            "username smi privilege 15 password pw1\nusername ops secret 0 pw2\n\
             username old secret 5 $1$abc$xyz\nenable password 0 en1\n",
        );
        assert!(l.login("smi", "pw1"));
        assert!(l.login("ops", "pw2"));
        assert!(!l.login("old", "$1$abc$xyz"));
        assert!(!l.login("smi", "pw2"));
        assert!(l.enable("en1"));
        assert_eq!(l.enable_refusal(), "% Bad passwords");
    }

    #[test]
    fn an_enable_secret_wins_over_the_enable_password() {
        let l = Logins::from_config("enable secret 0 s3\nenable password p3\n");
        assert!(l.enable("s3"));
        assert!(!l.enable("p3"));
        assert_eq!(l.enable_refusal(), "% Bad secrets");
        assert!(!Logins::from_config("hostname x\n").has_enable());
    }

    #[test]
    fn finds_do_telnet_lines() {
        let config = "do telnet 10.0.0.1 2323\n!\ndo telnet proxy\ntelnet 1.2.3.4 5\n\
                      do telnet 10.0.0.2 0\n";
        assert_eq!(
            telnet_targets(config.lines()),
            vec![("10.0.0.1".into(), 2323), ("proxy".into(), 23)]
        );
    }
}
