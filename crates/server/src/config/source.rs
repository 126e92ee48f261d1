//! Where configuration values come from: the environment (`IMAGE_SERVICE_*`),
//! then an optional TOML file (same keys in lower case, no prefix), with
//! `*_FILE` indirection for secrets.

use std::collections::BTreeMap;
use std::path::Path;

use super::ConfigError;

const PREFIX: &str = "IMAGE_SERVICE_";

/// Settings that may hold credentials, so may be given as `X_FILE`
/// (docs/API.md, Configuration).
/// `_FILE` on any other setting is refused as unknown rather than ignored.
pub const SECRET_KEYS: &[&str] = &[
    "encryption_key",
    "encryption_previous_keys",
    "url_signing_key",
    "url_signing_previous_keys",
    "metadata_url",
    "redis_url",
    "admin_token",
];

/// Raw string values by key (`listen`, `auth_issuer`, …); environment wins.
pub struct Source {
    env: BTreeMap<String, String>,
    file: BTreeMap<String, String>,
}

impl Source {
    /// Reads the process environment and, if given, the TOML file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_parts(std::env::vars(), config_file)
    }

    pub fn from_parts(
        vars: impl IntoIterator<Item = (String, String)>,
        config_file: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let env = vars
            .into_iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(PREFIX)
                    .map(|key| (key.to_ascii_lowercase(), v))
            })
            .collect();
        let file = match config_file {
            Some(path) => read_toml(path)?,
            None => BTreeMap::new(),
        };
        Ok(Self { env, file })
    }

    /// The value of `key`, environment first.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.env
            .get(key)
            .or_else(|| self.file.get(key))
            .map(String::as_str)
    }

    /// A secret: the value of `key`, or the contents of the file named by `key_file`.
    pub fn secret(&self, key: &str) -> Result<Option<String>, ConfigError> {
        if let Some(value) = self.get(key) {
            return Ok(Some(value.to_owned()));
        }
        let file_key = format!("{key}_file");
        let Some(path) = self.get(&file_key) else {
            return Ok(None);
        };
        std::fs::read_to_string(path)
            .map(|s| Some(s.trim().to_owned()))
            .map_err(|e| ConfigError::new(&file_key, format!("cannot read file: {}", e.kind())))
    }

    /// Keys that were set but that no setting reads: almost always a typo.
    pub fn unknown_keys<'a>(&'a self, known: &'a [&'a str]) -> impl Iterator<Item = &'a str> + 'a {
        self.env
            .keys()
            .chain(self.file.keys())
            .map(String::as_str)
            .filter(move |k| {
                let secret_file = k
                    .strip_suffix("_file")
                    .is_some_and(|base| SECRET_KEYS.contains(&base));
                !known.contains(k) && !secret_file
            })
    }
}

fn read_toml(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            "--config",
            format!("cannot read {}: {}", path.display(), e.kind()),
        )
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::new("--config", e.message().to_owned()))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => {
                    return Err(ConfigError::new(&key, format!("unsupported value {other}")));
                }
            };
            Ok((key.to_ascii_lowercase(), value))
        })
        .collect()
}
