//! Signing keys: a JWKS parsed into usable verification keys, and where it comes from.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// JWKS documents are a few kilobytes; anything far larger is not one.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// One usable key and the only algorithm it may verify, fixed by its type, so
/// an RSA key can never check an ES256 or HS256 signature.
#[derive(Clone)]
pub(crate) struct KeyEntry {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

/// Keys by `kid`.
#[derive(Clone, Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, KeyEntry>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Public keys are not secret, but kids are all a reader needs.
        f.debug_struct("KeySet")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeySet {
    pub fn get(&self, kid: &str) -> Option<&KeyEntry> {
        self.keys.get(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Parses a JWKS document. Keys we cannot use (no `kid`, symmetric, other
    /// curves, encryption keys, unknown types) are skipped, not fatal, because
    /// providers publish such keys next to the ones that sign our tokens.
    pub fn from_json(bytes: &[u8]) -> anyhow::Result<Self> {
        #[derive(serde::Deserialize)]
        struct RawSet {
            keys: Vec<serde_json::Value>,
        }
        let raw: RawSet = serde_json::from_slice(bytes).context("not a JWKS document")?;
        let mut keys = HashMap::new();
        for value in raw.keys {
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
                continue;
            };
            if let Some((kid, entry)) = usable_key(&jwk) {
                keys.insert(kid, entry);
            }
        }
        Ok(Self { keys })
    }

    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read JWKS file {}", path.display()))?;
        let set =
            Self::from_json(&bytes).with_context(|| format!("bad JWKS file {}", path.display()))?;
        if set.len() == 0 {
            anyhow::bail!(
                "JWKS file {} has no RS256 or ES256 signing key with a kid",
                path.display()
            );
        }
        Ok(set)
    }
}

/// The `kid` and verification key of a JWK, if it is an RSA or P-256 signing key.
fn usable_key(jwk: &Jwk) -> Option<(String, KeyEntry)> {
    let kid = jwk.common.key_id.clone().filter(|kid| !kid.is_empty())?;
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    // A key that names its algorithm must name the one its type implies.
    let declared_ok = match jwk.common.key_algorithm {
        None => true,
        Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
        Some(_) => false,
    };
    if !declared_ok {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, KeyEntry { alg, key }))
}

/// Fetches a JWKS over HTTP(S), at most once per `min_interval`.
pub(crate) struct RemoteJwks {
    pub url: String,
    client: reqwest::Client,
    /// How long after a fetch attempt another may happen; a field so tests need not sleep.
    pub min_interval: Duration,
    /// When the last attempt was made; held across the fetch so concurrent
    /// requests with the same unknown `kid` cause one fetch, not a stampede.
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
}

impl RemoteJwks {
    pub fn new(url: String) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot build the HTTP client for the JWKS")?;
        Ok(Self {
            url,
            client,
            min_interval: Duration::from_secs(30),
            last_attempt: tokio::sync::Mutex::new(None),
        })
    }

    /// Fetches now, unless an attempt happened within `min_interval`, and
    /// hands a fetched set to `install` while still holding the lock, so a
    /// request that waited for this fetch then finds the new keys in place.
    /// `Ok(false)` means "rate-limited, keep what you have".
    pub async fn refresh(&self, install: impl FnOnce(KeySet)) -> anyhow::Result<bool> {
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_interval) {
            return Ok(false);
        }
        *last = Some(Instant::now());
        install(self.fetch().await?);
        Ok(true)
    }

    /// Fetches unconditionally (used at start, where a failure is not recorded
    /// as an attempt so the first request may try again).
    pub async fn fetch(&self) -> anyhow::Result<KeySet> {
        let mut response = self
            .client
            .get(&self.url)
            .send()
            .await
            .context("JWKS request failed")?
            .error_for_status()
            .context("JWKS request refused")?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.context("JWKS body read failed")? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                anyhow::bail!("JWKS document larger than {MAX_JWKS_BYTES} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        KeySet::from_json(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_unusable_keys() {
        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "hs", "alg": "HS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "weird", "kid": "w"},
            {"kty": "RSA", "kid": "ok", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"},
        ]});
        let set = KeySet::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.get("ok").unwrap().alg, Algorithm::RS256);
        assert!(KeySet::from_json(b"[]").is_err());
    }
}
