//! Fuzzes bearer-token handling. The first byte picks what the rest is:
//! 0: an `Authorization` header value, which must never verify (the key is
//!    generated here, so any acceptance is a forgery);
//! 1: a token payload, signed with the trusted key: verification may refuse it,
//!    and when it accepts, the principal is what the payload says;
//! 2: a JWKS document, which may be refused but must never panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use image_service::auth::{AuthSettings, Authenticator, parse_bearer};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

const ISSUER: &str = "https://issuer.fuzz.example";
const AUDIENCE: &str = "fuzz-client";
const KID: &str = "fuzz-key";

struct Fixture {
    runtime: tokio::runtime::Runtime,
    auth: Authenticator,
    signing_key: EncodingKey,
    dir: tempfile::TempDir,
}

fn settings(jwks_file: PathBuf, data_dir: PathBuf) -> AuthSettings {
    AuthSettings {
        issuer: Some(ISSUER.to_owned()),
        audiences: vec![AUDIENCE.to_owned()],
        jwks_file: Some(jwks_file),
        data_dir,
        ..AuthSettings::default()
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // An uncompressed P-256 point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": KID, "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }]});
        let dir = tempfile::tempdir().unwrap();
        let jwks_path = dir.path().join("jwks.json");
        std::fs::write(&jwks_path, jwks.to_string()).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let auth = runtime
            .block_on(Authenticator::new(settings(jwks_path, dir.path().into())))
            .unwrap();
        Fixture {
            runtime,
            auth,
            signing_key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            dir,
        }
    })
}

/// A compact ES256 JWS over exactly `payload`, whatever its bytes.
fn sign(fixture: &Fixture, payload: &[u8]) -> String {
    let header = format!(r#"{{"alg":"ES256","typ":"JWT","kid":"{KID}"}}"#);
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &fixture.signing_key, Algorithm::ES256)
            .unwrap();
    format!("{message}.{signature}")
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let Ok(value) = http::HeaderValue::from_bytes(rest) else {
                return;
            };
            if let Ok(token) = parse_bearer(Some(&value)) {
                let verified = fixture.runtime.block_on(fixture.auth.verify(token));
                assert!(verified.is_err(), "a token we never signed was accepted");
            }
        }
        1 => {
            let token = sign(fixture, rest);
            let Ok(principal) = fixture.runtime.block_on(fixture.auth.verify(&token)) else {
                return;
            };
            let claims: serde_json::Value =
                serde_json::from_slice(rest).expect("accepted a payload that is not JSON");
            assert_eq!(claims["iss"], ISSUER);
            assert_eq!(claims["sub"].as_str(), Some(principal.user.as_str()));
            assert!(!principal.user.as_str().is_empty());
        }
        _ => {
            let path = fixture.dir.path().join("candidate-jwks.json");
            std::fs::write(&path, rest).unwrap();
            let built = fixture.runtime.block_on(Authenticator::new(settings(
                path,
                fixture.dir.path().into(),
            )));
            drop(built);
        }
    }
});
