//! A fake identity provider for the API tests: real RSA and P-256 keys, a JWKS file, and good and hostile tokens.
// Shared support: not every test module uses every helper.
#![allow(
    dead_code,
    reason = "test support; not every helper is used by every build of the suite"
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};

const ISSUER: &str = "https://issuer.image-service.test/pool";
const AUDIENCE: &str = "image-service-tests";
const RSA_KID: &str = "test-rsa-1";
const EC_KID: &str = "test-ec-1";

/// Key material, generated once per test binary (RSA-2048 generation is slow).
struct Keys {
    rsa: RsaKeyPair,
    /// The attacker's HMAC secret in the key-confusion test: public, by definition.
    rsa_public_pem: String,
    rsa_jwk: Value,
    ec: EcdsaKeyPair,
    ec_jwk: Value,
}

/// ring's generator behind the `rand_core` traits the rsa crate asks for.
struct RingRng(SystemRandom);

impl rsa::rand_core::RngCore for RingRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        ring::rand::SecureRandom::fill(&self.0, dest).expect("system randomness");
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for RingRng {}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private =
            rsa::RsaPrivateKey::new(&mut RingRng(SystemRandom::new()), 2048).expect("RSA key");
        let public = private.to_public_key();
        let rsa = RsaKeyPair::from_pkcs8(private.to_pkcs8_der().expect("PKCS#8").as_bytes())
            .expect("ring RSA key");
        let rsa_jwk = json!({
            "kty": "RSA", "kid": RSA_KID, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        });
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("EC key");
        let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("EC key");
        // An uncompressed point: 0x04 || x || y.
        let (x, y) = ec.public_key().as_ref()[1..].split_at(32);
        let ec_jwk = json!({
            "kty": "EC", "kid": EC_KID, "crv": "P-256", "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        });
        Keys {
            rsa,
            rsa_public_pem: public.to_public_key_pem(LineEnding::LF).expect("PEM"),
            rsa_jwk,
            ec,
            ec_jwk,
        }
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The identity provider the spawned service trusts through `IMAGE_SERVICE_AUTH_JWKS_FILE`.
pub struct TestIssuer {
    jwks_path: PathBuf,
}

impl TestIssuer {
    /// Writes `jwks.json` (one RSA and one P-256 key) into `dir`.
    pub fn new(dir: &Path) -> Self {
        let k = keys();
        let jwks_path = dir.join("jwks.json");
        let doc = json!({ "keys": [k.rsa_jwk, k.ec_jwk] });
        std::fs::write(&jwks_path, doc.to_string()).expect("write jwks.json");
        Self { jwks_path }
    }

    pub fn issuer(&self) -> &str {
        ISSUER
    }

    pub fn audience(&self) -> &str {
        AUDIENCE
    }

    pub fn jwks_path(&self) -> &Path {
        &self.jwks_path
    }

    pub fn rsa_kid(&self) -> &str {
        RSA_KID
    }

    pub fn ec_kid(&self) -> &str {
        EC_KID
    }

    /// Claims that pass every check for an hour; tests patch them for variants.
    pub fn claims(&self, sub: &str) -> Value {
        let now = now();
        json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 3600 })
    }

    /// A valid RS256 token, with a `role` claim when given.
    pub fn token(&self, sub: &str, role: Option<&str>) -> String {
        let mut claims = self.claims(sub);
        if let Some(role) = role {
            claims["role"] = json!(role);
        }
        self.token_with(claims)
    }

    /// A valid ES256 token.
    pub fn es256_token(&self, sub: &str) -> String {
        self.token_with_header(self.claims(sub), json!({ "alg": "ES256", "kid": EC_KID }))
    }

    /// Expired two minutes ago, beyond the 60 s leeway.
    pub fn expired_token(&self, sub: &str) -> String {
        let mut claims = self.claims(sub);
        claims["iat"] = json!(now() - 3600);
        claims["exp"] = json!(now() - 120);
        self.token_with(claims)
    }

    /// Exactly these claims, RS256-signed with the published RSA key.
    pub fn token_with(&self, claims: Value) -> String {
        self.token_with_header(claims, json!({}))
    }

    /// These claims under a header patched by `overrides` (a `null` value
    /// removes the field). The signature follows the resulting `alg`: ES256 by
    /// the EC key, HS256 keyed with the RSA public key PEM, RS256 (and anything
    /// unrecognised) by the RSA key, `none` (any case) left empty. So
    /// `{"kid": ec_kid}` gives an RS256 token naming the EC key.
    pub fn token_with_header(&self, claims: Value, overrides: Value) -> String {
        let mut header = json!({ "alg": "RS256", "typ": "JWT", "kid": RSA_KID });
        for (key, value) in overrides
            .as_object()
            .expect("header overrides are an object")
        {
            if value.is_null() {
                header.as_object_mut().unwrap().remove(key);
            } else {
                header[key] = value.clone();
            }
        }
        let signing_input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let signature = sign(
            header["alg"].as_str().unwrap_or(""),
            signing_input.as_bytes(),
        );
        format!("{signing_input}.{}", b64(signature))
    }

    /// `alg: none`, naming the RSA key, with an empty signature.
    pub fn alg_none_token(&self, sub: &str) -> String {
        self.token_with_header(self.claims(sub), json!({ "alg": "none" }))
    }

    /// The key-confusion attack: HS256 with the RSA public key PEM as the HMAC secret.
    pub fn hs256_with_public_key(&self, sub: &str) -> String {
        self.token_with_header(self.claims(sub), json!({ "alg": "HS256" }))
    }
}

fn sign(alg: &str, message: &[u8]) -> Vec<u8> {
    let k = keys();
    let rng = SystemRandom::new();
    match alg {
        "ES256" => {
            k.ec.sign(&rng, message)
                .expect("ES256 sign")
                .as_ref()
                .to_vec()
        }
        "HS256" => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k.rsa_public_pem.as_bytes());
            ring::hmac::sign(&key, message).as_ref().to_vec()
        }
        alg if alg.eq_ignore_ascii_case("none") => Vec::new(),
        _ => {
            let mut signature = vec![0u8; k.rsa.public().modulus_len()];
            k.rsa
                .sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                .expect("RS256 sign");
            signature
        }
    }
}
