//! Tests of token verification (docs/API.md, Authentication) with real RSA and P-256 keys, and the helpers that make them.

mod bearer;
mod dev_mode;
mod providers;
mod refusals;
mod remote;

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};

use super::{AuthSettings, Authenticator};

pub(super) const ISSUER: &str = "https://idp.example.test/pool";
pub(super) const AUDIENCE: &str = "image-service-web";
pub(super) const RSA_KID: &str = "rsa-1";
pub(super) const EC_KID: &str = "ec-1";

pub(super) struct TestKeys {
    rsa_private_pem: String,
    /// The attacker's HMAC secret in the key-confusion test.
    pub rsa_public_pem: String,
    rsa_jwk: Value,
    ec_pkcs8: Vec<u8>,
    ec_jwk: Value,
}

/// ring's generator behind the `rand_core` traits the rsa crate asks for.
struct RingRng(ring::rand::SystemRandom);

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

/// RSA-2048 generation is slow; one key pair per test binary.
pub(super) fn keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = RingRng(ring::rand::SystemRandom::new());
        let rsa = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let public = rsa.to_public_key();
        let rsa_jwk = json!({
            "kty": "RSA", "kid": RSA_KID, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        });
        let rng = ring::rand::SystemRandom::new();
        let ec_pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ec_pkcs8, &rng).unwrap();
        let (x, y) = pair.public_key().as_ref()[1..].split_at(32);
        let ec_jwk = json!({
            "kty": "EC", "kid": EC_KID, "crv": "P-256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        });
        TestKeys {
            rsa_private_pem: rsa.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
            rsa_public_pem: public.to_public_key_pem(LineEnding::LF).unwrap(),
            rsa_jwk,
            ec_pkcs8,
            ec_jwk,
        }
    })
}

pub(super) fn jwks(rsa: bool, ec: bool) -> Value {
    let k = keys();
    let mut list = Vec::new();
    if rsa {
        list.push(k.rsa_jwk.clone());
    }
    if ec {
        list.push(k.ec_jwk.clone());
    }
    json!({ "keys": list })
}

pub(super) fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// A claim set that passes every check; tests change one thing at a time.
pub(super) fn claims(sub: &str) -> Value {
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now(), "exp": now() + 3600 })
}

pub(super) fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    sign_header(&header, claims)
}

pub(super) fn sign_header(header: &Header, claims: &Value) -> String {
    let alg = header.alg;
    let k = keys();
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(k.rsa_private_pem.as_bytes()).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_der(&k.ec_pkcs8),
        Algorithm::HS256 => EncodingKey::from_secret(k.rsa_public_pem.as_bytes()),
        other => panic!("no test key for {other:?}"),
    };
    jsonwebtoken::encode(header, claims, &key).unwrap()
}

pub(super) fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, Some(RSA_KID), claims)
}

pub(super) fn es256(claims: &Value) -> String {
    sign(Algorithm::ES256, Some(EC_KID), claims)
}

/// A token assembled by hand, for headers jsonwebtoken refuses to produce.
pub(super) fn hand_built(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// An authenticator for `ISSUER`/`AUDIENCE` trusting `jwks` from a file.
pub(super) async fn authenticator(jwks: &Value) -> Authenticator {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks.to_string()).unwrap();
    Authenticator::new(AuthSettings {
        issuer: Some(ISSUER.to_owned()),
        audiences: vec![AUDIENCE.to_owned(), "other-client".to_owned()],
        jwks_file: Some(path),
        data_dir: dir.path().to_owned(),
        ..AuthSettings::default()
    })
    .await
    .unwrap()
}
