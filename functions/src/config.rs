//! Typed settings in layers: built-in defaults, then an optional `tocsin.toml` (or the file named
//! by `TOCSIN_CONFIG`), then `TOCSIN_*` environment variables (`TOCSIN_SERVER__PORT=8080`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, ensure};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Where the embedded store, attachments and the outbox live.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub email: EmailSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: IpAddr,
    /// 0 picks a free port (the tests use it).
    pub port: u16,
    /// The address people reach Tocsin at, used in links sent by email. Defaults to the bound address.
    pub public_url: Option<String>,
    /// The built app (Trunk's `dist/`). When absent only the API is served.
    pub static_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// The From of every email, e.g. `Security team <security@example.com>`.
    pub sender: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from(".data"),
            server: ServerSettings {
                host: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 3000,
                public_url: None,
                static_dir: Some(PathBuf::from("dist")),
            },
            email: EmailSettings { sender: "Tocsin security team <security@tocsin.localhost>".to_owned() },
        }
    }
}

impl Settings {
    /// Reads the layers. Unknown keys and wrong types are errors that name the key.
    pub fn load() -> anyhow::Result<Self> {
        let defaults = Settings::default();
        let file = std::env::var("TOCSIN_CONFIG").unwrap_or_else(|_| "tocsin.toml".to_owned());
        let settings: Settings = config::Config::builder()
            .set_default("data_dir", defaults.data_dir.to_string_lossy().into_owned())?
            .set_default("server.host", defaults.server.host.to_string())?
            .set_default("server.port", defaults.server.port)?
            .set_default("server.static_dir", "dist")?
            .set_default("email.sender", defaults.email.sender)?
            .add_source(config::File::with_name(&file).required(std::env::var("TOCSIN_CONFIG").is_ok()))
            .add_source(
                config::Environment::with_prefix("TOCSIN").prefix_separator("_").separator("__").try_parsing(true),
            )
            .build()?
            .try_deserialize()
            .context("reading settings (defaults, tocsin.toml, TOCSIN_* variables)")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Until team sign-in exists, the dashboard must not be reachable from other machines.
    pub fn validate(&self) -> anyhow::Result<()> {
        ensure!(
            self.server.host.is_loopback(),
            "server.host is {}, but Tocsin has no sign-in yet, so it only listens on a loopback address (127.0.0.1 or ::1)",
            self.server.host
        );
        Ok(())
    }

    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.server.host, self.server.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_listen_beyond_loopback() {
        let mut settings = Settings::default();
        assert!(settings.validate().is_ok());
        settings.server.host = "0.0.0.0".parse().unwrap();
        assert!(settings.validate().unwrap_err().to_string().contains("loopback"));
    }
}
