//! Static credentials and region from the shared AWS files (`~/.aws/credentials`, `~/.aws/config`).
//!
//! `object_store` reads the environment, web identity and instance metadata
//! itself; the files are the one usual source it does not read.

use std::path::PathBuf;

/// Keys from one profile. `Debug` never shows the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct FileProfile {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub region: Option<String>,
}

impl std::fmt::Debug for FileProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileProfile")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Reads `AWS_PROFILE` (or `default`) from the credentials and config files.
pub(crate) fn from_files() -> FileProfile {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(name))
    };
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    let credentials = std::fs::read_to_string(path("AWS_SHARED_CREDENTIALS_FILE", "credentials"))
        .unwrap_or_default();
    let config = std::fs::read_to_string(path("AWS_CONFIG_FILE", "config")).unwrap_or_default();
    parse(&credentials, &config, &profile)
}

fn parse(credentials: &str, config: &str, profile: &str) -> FileProfile {
    let creds = section(credentials, profile);
    // The config file names non-default profiles `[profile NAME]`.
    let config_name = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let conf = section(config, &config_name);
    let get = |pairs: &[(String, String)], key: &str| {
        pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    FileProfile {
        access_key_id: get(&creds, "aws_access_key_id").or_else(|| get(&conf, "aws_access_key_id")),
        secret_access_key: get(&creds, "aws_secret_access_key")
            .or_else(|| get(&conf, "aws_secret_access_key")),
        session_token: get(&creds, "aws_session_token").or_else(|| get(&conf, "aws_session_token")),
        region: get(&conf, "region").or_else(|| get(&creds, "region")),
    }
}

/// The `key = value` lines of `[name]` in an INI file.
fn section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.trim() == name;
        } else if inside && let Some((k, v)) = line.split_once('=') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_profile() {
        let creds = "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n[ci]\naws_access_key_id=CI\naws_secret_access_key=CS\n";
        let config = "[default]\nregion = eu-west-1\n[profile ci]\nregion=us-east-2\n";
        let default = parse(creds, config, "default");
        assert_eq!(default.access_key_id.as_deref(), Some("AK"));
        assert_eq!(default.region.as_deref(), Some("eu-west-1"));
        let ci = parse(creds, config, "ci");
        assert_eq!(
            (ci.access_key_id.as_deref(), ci.region.as_deref()),
            (Some("CI"), Some("us-east-2"))
        );
        assert!(!format!("{ci:?}").contains("CS"));
        assert_eq!(parse("", "", "default"), FileProfile::default());
    }
}
