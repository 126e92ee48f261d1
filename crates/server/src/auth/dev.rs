//! Development authentication: a self-generated ES256 key that signs and verifies our own tokens.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

use super::Role;
use super::jwks::KeySet;

/// The `iss` and `aud` of development tokens.
pub const DEV_ISSUER: &str = "image-service-dev";
const KEY_FILE: &str = "dev-signing-key.pk8";

/// The dev signing key: PKCS#8 bytes plus the derived `kid`. No `Debug`, on purpose.
pub(crate) struct DevKey {
    pkcs8: Vec<u8>,
    public: Vec<u8>,
    pub kid: String,
}

impl DevKey {
    /// Loads `<data_dir>/dev-signing-key.pk8`, generating it (mode 0600) if absent.
    pub fn load_or_generate(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let pkcs8 = match fs::read(&path) {
            Ok(bytes) => {
                warn_if_readable_by_others(&path);
                bytes
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => generate(data_dir, &path)?,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|_| anyhow::anyhow!("{} is not a P-256 PKCS#8 key", path.display()))?;
        let public = pair.public_key().as_ref().to_vec();
        // The kid follows the key, so a replaced key file invalidates old tokens
        // with a clear "unknown kid" rather than a signature failure.
        let digest = ring::digest::digest(&ring::digest::SHA256, &public);
        let kid = format!("dev-{}", URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12]));
        Ok(Self { pkcs8, public, kid })
    }

    /// The public half as a one-key JWKS, so dev tokens go through the same
    /// verification path as an identity provider's.
    pub fn key_set(&self) -> anyhow::Result<KeySet> {
        // An uncompressed P-256 point: 0x04 || x (32 bytes) || y (32 bytes).
        let (x, y) = self.public[1..].split_at(32);
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]});
        KeySet::from_json(jwks.to_string().as_bytes())
    }

    fn sign(&self, claims: &serde_json::Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&self.pkcs8))
            .context("cannot sign the development token")
    }
}

/// Writes a fresh key without ever exposing a partial or world-readable file,
/// and without clobbering one another process generated at the same moment.
fn generate(data_dir: &Path, path: &Path) -> anyhow::Result<Vec<u8>> {
    domain::private_fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("cannot generate the development signing key"))?;
    let tmp: PathBuf = data_dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
    write_private(&tmp, doc.as_ref()).with_context(|| format!("cannot write {}", tmp.display()))?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(doc.as_ref().to_vec()),
        // Someone else won the race: use their key so both agree.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::read(path).with_context(|| format!("cannot read {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// A key others can read lets them mint tokens; say so, but keep serving
/// because the operator may have reasons (e.g. a group-readable volume).
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "development signing key is readable by other users; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = domain::private_fs::file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Signs a development token for `sub` (the `image-service dev-token` command),
/// generating the dev key in `data_dir` if needed.
pub fn mint_dev_token(
    data_dir: &Path,
    sub: &str,
    role: Role,
    ttl: Duration,
) -> anyhow::Result<String> {
    if sub.is_empty() {
        anyhow::bail!("the subject (--sub) must not be empty");
    }
    let key = DevKey::load_or_generate(data_dir)?;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "iss": DEV_ISSUER,
        "aud": DEV_ISSUER,
        "sub": sub,
        "role": role.as_str(),
        "iat": now,
        "exp": now.saturating_add(ttl.as_secs()),
    });
    key.sign(&claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_generated_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = DevKey::load_or_generate(dir.path()).unwrap();
        let again = DevKey::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.kid, again.kid);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn garbage_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE), b"nope").unwrap();
        let err = DevKey::load_or_generate(dir.path()).err().unwrap();
        assert!(err.to_string().contains(KEY_FILE));
        assert!(mint_dev_token(dir.path(), "", Role::User, Duration::from_secs(60)).is_err());
    }
}
