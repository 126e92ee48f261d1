//! Signing keys: a JWKS document parsed into usable verification keys.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use anyhow::Context as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// JWKS and discovery documents are a few kilobytes; anything far larger is not one.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

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

    /// Each key's `kid` and algorithm, sorted, for `check-config` and logs.
    pub fn describe(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .keys
            .iter()
            .map(|(kid, entry)| format!("{kid} ({:?})", entry.alg))
            .collect();
        keys.sort();
        keys
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
