//! Keys generated into the data dir on first start (mode 0600, see
//! `domain::private_fs`) when the configuration gives none.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The 32-byte key in `path`, created with fresh random bytes if absent.
pub fn load_or_generate_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let key = STANDARD
            .decode(text.trim())
            .with_context(|| format!("{} is not base64", path.display()))?;
        anyhow::ensure!(key.len() == 32, "{} does not hold 32 bytes", path.display());
        return Ok(key);
    }
    let mut key = vec![0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    if let Some(dir) = path.parent() {
        domain::private_fs::create_dir_all(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = domain::private_fs::file_options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(STANDARD.encode(&key).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

pub fn decode_key(base64_key: &str) -> anyhow::Result<Vec<u8>> {
    Ok(STANDARD.decode(base64_key.trim())?)
}
