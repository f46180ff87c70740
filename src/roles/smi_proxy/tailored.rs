//! The tailored configuration file `client_cfg_pnp.txt` that the SMI proxy hands a legacy client
//! (`../shared/reference/smi-proxy.txt`, "SMI Proxy and Tailored Configuration Files"): it sets
//! the enable and login credentials the proxy will use, makes the client `telnet` back to the
//! proxy, and points it at the proxy as its director.
//!
//! Inputs: the proxy address and port, and the [`Credentials`] from policy — trusted operator
//! data, still validated, because every value becomes an IOS command argument: values are
//! non-empty, printable ASCII, without spaces (IOS would split them) or `?` (the CLI help key), and
//! at most [`MAX_CREDENTIAL_BYTES`] long. There are no default credentials anywhere.

use std::fmt;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The longest username or password accepted (IOS allows up to 64 characters for usernames).
pub const MAX_CREDENTIAL_BYTES: usize = crate::policy::smi_proxy::MAX_WORD_BYTES;
/// The file name the reference gives the tailored configuration.
pub const FILE_NAME: &str = "client_cfg_pnp.txt";

/// How a password is written in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordForm {
    /// `… password <p>`: stored as given (type 0/7), as in the reference's example.
    Password,
    /// `… secret <p>`: stored hashed by the client (type 5).
    Secret,
}

impl PasswordForm {
    fn keyword(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Secret => "secret",
        }
    }
}

/// Which credential a [`TailoredError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialField {
    /// The login username.
    Username,
    /// The login password.
    Password,
    /// The enable password.
    Enable,
}

/// Why a tailored configuration cannot be rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TailoredError {
    /// A credential is empty (there are no defaults).
    #[error("{0:?} is empty")]
    EmptyCredential(CredentialField),
    /// A credential is longer than [`MAX_CREDENTIAL_BYTES`].
    #[error("{field:?} is {len} bytes long (limit {limit})")]
    CredentialTooLong {
        /// Which credential.
        field: CredentialField,
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A credential has a space, `?`, a control or a non-ASCII character at a byte offset.
    #[error("{field:?} has a forbidden character at byte {offset}")]
    BadCharacter {
        /// Which credential.
        field: CredentialField,
        /// Byte offset of the first bad character.
        offset: usize,
    },
    /// The proxy address cannot be telnetted to (unspecified, broadcast or multicast).
    #[error("proxy address {0} is not a unicast address")]
    BadProxyAddress(Ipv4Addr),
    /// Port 0.
    #[error("proxy port 0")]
    ZeroPort,
}

/// The credentials a legacy client is configured with and the proxy logs in with; from policy.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
    enable: String,
    form: PasswordForm,
}

impl Credentials {
    /// Checks and keeps the login username and password, the enable password, and how the
    /// passwords are written in the configuration.
    pub fn new(
        username: &str,
        password: &str,
        enable: &str,
        form: PasswordForm,
    ) -> Result<Self, TailoredError> {
        Ok(Self {
            username: checked(CredentialField::Username, username)?,
            password: checked(CredentialField::Password, password)?,
            enable: checked(CredentialField::Enable, enable)?,
            form,
        })
    }

    /// The login username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The login password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The enable password.
    pub fn enable(&self) -> &str {
        &self.enable
    }

    /// How the passwords are written in the configuration.
    pub fn form(&self) -> PasswordForm {
        self.form
    }
}

impl fmt::Debug for Credentials {
    // Passwords never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

/// Where the client telnets back to: the proxy's IPv4 address and the reverse-telnet port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyEndpoint {
    address: Ipv4Addr,
    port: u16,
}

impl ProxyEndpoint {
    /// Checks that the address is unicast and the port non-zero.
    pub fn new(address: Ipv4Addr, port: u16) -> Result<Self, TailoredError> {
        if address.is_unspecified() || address.is_broadcast() || address.is_multicast() {
            return Err(TailoredError::BadProxyAddress(address));
        }
        if port == 0 {
            return Err(TailoredError::ZeroPort);
        }
        Ok(Self { address, port })
    }

    /// The proxy's address.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The reverse-telnet port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Renders `client_cfg_pnp.txt` for the given proxy and credentials.
pub fn client_config(proxy: ProxyEndpoint, credentials: &Credentials) -> String {
    let ip = proxy.address;
    let form = credentials.form.keyword();
    let mut out = String::from("!\nversion 12.2\n!\n");
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "enable {form} {enable}\n!\n\
         username {user} privilege 15 {form} {password}\n!\n\
         do telnet {ip} {port}\n!\n\
         vstack director {ip}\n!\n\
         end\n",
        enable = credentials.enable,
        user = credentials.username,
        password = credentials.password,
        port = proxy.port,
    );
    out
}

fn checked(field: CredentialField, value: &str) -> Result<String, TailoredError> {
    if value.is_empty() {
        return Err(TailoredError::EmptyCredential(field));
    }
    if value.len() > MAX_CREDENTIAL_BYTES {
        return Err(TailoredError::CredentialTooLong {
            field,
            len: value.len(),
            limit: MAX_CREDENTIAL_BYTES,
        });
    }
    match value
        .bytes()
        .position(|b| !crate::policy::smi_proxy::is_word_byte(b))
    {
        Some(offset) => Err(TailoredError::BadCharacter { field, offset }),
        None => Ok(value.to_owned()),
    }
}

#[cfg(test)]
mod tests;
