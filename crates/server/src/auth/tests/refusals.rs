//! Every acceptance and refusal rule of docs/API.md, Authentication, one token each.

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;
use crate::auth::{AuthError, Principal, Role};

async fn check(token: &str) -> Result<Principal, AuthError> {
    authenticator(&jwks(true, true)).await.verify(token).await
}

fn with(sub: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims(sub);
    change(c.as_object_mut().unwrap());
    c
}

fn assert_invalid(result: Result<Principal, AuthError>, why: &str) {
    match result {
        Err(AuthError::Invalid(_)) => {}
        other => panic!("{why}: expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_rs256_and_es256_pass() {
    let p = check(&rs256(&claims("alice"))).await.unwrap();
    assert_eq!((p.user.as_str(), p.role), ("alice", Role::User));
    let p = check(&es256(&claims("bob"))).await.unwrap();
    assert_eq!(p.user.as_str(), "bob");
}

#[tokio::test]
async fn expiry_and_not_before_with_leeway() {
    let expired = with("a", |c| drop(c.insert("exp".into(), json!(now() - 120))));
    assert!(matches!(
        check(&rs256(&expired)).await,
        Err(AuthError::Expired)
    ));
    let within = with("a", |c| drop(c.insert("exp".into(), json!(now() - 30))));
    check(&rs256(&within)).await.unwrap();

    let future = with("a", |c| drop(c.insert("nbf".into(), json!(now() + 300))));
    assert!(matches!(
        check(&rs256(&future)).await,
        Err(AuthError::Invalid("not yet valid"))
    ));
    let soon = with("a", |c| drop(c.insert("nbf".into(), json!(now() + 30))));
    check(&rs256(&soon)).await.unwrap();
}

#[tokio::test]
async fn required_claims() {
    let no_exp = with("a", |c| drop(c.remove("exp")));
    assert_invalid(check(&rs256(&no_exp)).await, "no exp");
    let string_exp = with("a", |c| drop(c.insert("exp".into(), json!("soon"))));
    assert_invalid(check(&rs256(&string_exp)).await, "string exp");
    let no_sub = with("a", |c| drop(c.remove("sub")));
    assert_invalid(check(&rs256(&no_sub)).await, "no sub");
    assert_invalid(check(&rs256(&claims(""))).await, "empty sub");
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let wrong = with("a", |c| {
        drop(c.insert("iss".into(), json!("https://evil.test/pool")))
    });
    assert_invalid(check(&rs256(&wrong)).await, "wrong iss");
    let missing = with("a", |c| drop(c.remove("iss")));
    assert_invalid(check(&rs256(&missing)).await, "no iss");
    let array = with("a", |c| drop(c.insert("iss".into(), json!([ISSUER, "x"]))));
    assert_invalid(check(&rs256(&array)).await, "iss array");
}

#[tokio::test]
async fn audience_or_client_id() {
    let wrong = with("a", |c| drop(c.insert("aud".into(), json!("someone-else"))));
    assert_invalid(check(&rs256(&wrong)).await, "wrong aud");
    let none = with("a", |c| drop(c.remove("aud")));
    assert_invalid(check(&rs256(&none)).await, "no aud, no client_id");

    let array = with("a", |c| {
        drop(c.insert("aud".into(), json!(["x", "other-client"])))
    });
    check(&rs256(&array)).await.unwrap();
    let access = with("a", |c| {
        c.remove("aud");
        c.insert("client_id".into(), json!(AUDIENCE));
        c.insert("token_use".into(), json!("access"));
    });
    check(&rs256(&access)).await.unwrap();
    let wrong_client = with("a", |c| {
        c.remove("aud");
        c.insert("client_id".into(), json!("nope"));
    });
    assert_invalid(check(&rs256(&wrong_client)).await, "wrong client_id");
    // A token the same client got for another API names that API in `aud`:
    // its `client_id` must not stand in for the audience.
    let other_api = with("a", |c| {
        c.insert("aud".into(), json!("https://other-api.example"));
        c.insert("client_id".into(), json!(AUDIENCE));
    });
    assert_invalid(check(&rs256(&other_api)).await, "other API's token");
}

#[tokio::test]
async fn only_an_explicit_star_skips_the_audience_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks(true, false).to_string()).unwrap();
    let settings = |audiences: Vec<String>| AuthSettings {
        issuer: Some(ISSUER.into()),
        audiences,
        jwks_file: Some(path.clone()),
        data_dir: dir.path().into(),
        ..AuthSettings::default()
    };
    assert!(Authenticator::new(settings(Vec::new())).await.is_err());
    let auth = Authenticator::new(settings(vec!["*".into()]))
        .await
        .unwrap();
    let any = with("a", |c| drop(c.insert("aud".into(), json!("whatever"))));
    auth.verify(&rs256(&any)).await.unwrap();
}

#[tokio::test]
async fn token_use() {
    let refresh = with("a", |c| {
        drop(c.insert("token_use".into(), json!("refresh")))
    });
    assert_invalid(check(&rs256(&refresh)).await, "token_use refresh");
    let access = with("a", |c| drop(c.insert("token_use".into(), json!("access"))));
    check(&rs256(&access)).await.unwrap();
}

#[tokio::test]
async fn id_tokens_are_refused() {
    for (claim, value) in [
        ("token_use", json!("id")),
        ("nonce", json!("n-0S6_WzA2Mj")),
        ("at_hash", json!("77QmUPtjPfzWtF2AnpK9RQ")),
        ("typ", json!("ID")),
    ] {
        let id = with("a", |c| drop(c.insert(claim.into(), value.clone())));
        assert!(
            matches!(
                check(&rs256(&id)).await,
                Err(AuthError::Invalid("ID token"))
            ),
            "{claim}"
        );
    }
    // Keycloak's access tokens say `typ: Bearer` in the payload.
    let bearer = with("a", |c| drop(c.insert("typ".into(), json!("Bearer"))));
    check(&rs256(&bearer)).await.unwrap();
}

#[tokio::test]
async fn header_type() {
    let c = claims("a");
    let typed = |typ: Option<&str>| {
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some(RSA_KID.into());
        header.typ = typ.map(str::to_owned);
        sign_header(&header, &c)
    };
    for typ in [
        None,
        Some("JWT"),
        Some("at+jwt"),
        Some("application/at+jwt"),
    ] {
        check(&typed(typ)).await.unwrap();
    }
    for typ in ["logout+jwt", "secevent+jwt", "dpop+jwt"] {
        assert!(
            matches!(
                check(&typed(Some(typ))).await,
                Err(AuthError::Invalid("token type"))
            ),
            "{typ}"
        );
    }
    let mut strict = authenticator(&jwks(true, true)).await;
    strict.require_at_jwt = true;
    for typ in [Some("at+jwt"), Some("AT+JWT"), Some("application/at+jwt")] {
        strict.verify(&typed(typ)).await.unwrap();
    }
    for typ in [None, Some("JWT")] {
        assert!(
            matches!(
                strict.verify(&typed(typ)).await,
                Err(AuthError::Invalid("token type"))
            ),
            "{typ:?}"
        );
    }
}

#[tokio::test]
async fn kid_must_name_a_key_of_the_right_type() {
    let c = claims("a");
    let reason = async |token: String| match check(&token).await {
        Err(AuthError::Invalid(reason)) => reason,
        other => panic!("expected Invalid, got {other:?}"),
    };
    assert_eq!(
        reason(sign(Algorithm::RS256, Some("nope"), &c)).await,
        "unknown kid"
    );
    assert_eq!(
        reason(sign(Algorithm::RS256, None, &c)).await,
        "missing kid"
    );
    let mismatch = "key type does not match alg";
    assert_eq!(
        reason(sign(Algorithm::RS256, Some(EC_KID), &c)).await,
        mismatch
    );
    assert_eq!(
        reason(sign(Algorithm::ES256, Some(RSA_KID), &c)).await,
        mismatch
    );
}

#[tokio::test]
async fn forbidden_algorithms() {
    let c = claims("a");
    for alg in ["none", "None", "NONE"] {
        let token = hand_built(&json!({"alg": alg, "typ": "JWT", "kid": RSA_KID}), &c, b"");
        assert_invalid(check(&token).await, alg);
        // Also without the trailing signature segment's content or dot.
        assert_invalid(check(token.trim_end_matches('.')).await, alg);
    }
    // The classic key-confusion attack: HMAC keyed with the RSA public key.
    let hs = sign(Algorithm::HS256, Some(RSA_KID), &c);
    assert!(matches!(
        check(&hs).await,
        Err(AuthError::Invalid("algorithm not allowed"))
    ));
    let rs384 = sign_rs384(&c);
    assert_invalid(check(&rs384).await, "RS384");
}

fn sign_rs384(c: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(Algorithm::RS384);
    header.kid = Some(RSA_KID.into());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(keys().rsa_private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, c, &key).unwrap()
}

#[tokio::test]
async fn tampering_and_garbage() {
    let token = rs256(&claims("alice"));
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(claims("mallory").to_string());
    parts[1] = &forged;
    assert_invalid(check(&parts.join(".")).await, "swapped payload");
    for junk in ["", "a.b.c", "not a token", "...."] {
        assert_invalid(check(junk).await, junk);
    }
}

#[tokio::test]
async fn oversized_token_refused_before_parsing() {
    let big = with("a", |c| {
        drop(c.insert("pad".into(), json!("x".repeat(9000))))
    });
    let token = rs256(&big);
    assert!(token.len() > 8192);
    assert!(matches!(
        check(&token).await,
        Err(AuthError::Invalid("token too large"))
    ));
    let fits = with("a", |c| {
        drop(c.insert("pad".into(), json!("x".repeat(5000))))
    });
    check(&rs256(&fits)).await.unwrap();
}

#[tokio::test]
async fn roles_from_role_claim_and_cognito_groups() {
    let admin = with("a", |c| drop(c.insert("role".into(), json!("admin"))));
    assert_eq!(check(&rs256(&admin)).await.unwrap().role, Role::Admin);
    let groups = with("a", |c| {
        drop(c.insert("cognito:groups".into(), json!(["user", "moderator"])))
    });
    assert_eq!(check(&es256(&groups)).await.unwrap().role, Role::Moderator);
    let unknown = with("a", |c| drop(c.insert("role".into(), json!("root"))));
    assert_eq!(check(&rs256(&unknown)).await.unwrap().role, Role::User);
    let string = with("a", |c| {
        drop(c.insert("cognito:groups".into(), json!("admin")))
    });
    assert_eq!(check(&rs256(&string)).await.unwrap().role, Role::Admin);
    // What multivalued mappers produce: an array under `role`.
    let array = with("a", |c| drop(c.insert("role".into(), json!(["moderator"]))));
    assert_eq!(check(&rs256(&array)).await.unwrap().role, Role::Moderator);
    // A claim of the wrong type grants nothing and never fails the token.
    let wrong_type = with("a", |c| {
        c.insert("role".into(), json!(7));
        c.insert("roles".into(), json!({"admin": true}));
    });
    assert_eq!(check(&rs256(&wrong_type)).await.unwrap().role, Role::User);
}

#[tokio::test]
async fn verified_tokens_are_cached_until_exp() {
    let mut auth = authenticator(&jwks(true, false)).await;
    let token = rs256(&claims("alice"));
    auth.verify(&token).await.unwrap();
    assert_eq!(auth.cache.len(), 1);
    auth.verify(&token).await.unwrap();
    assert_eq!(auth.cache.len(), 1);
    // Far past exp + leeway the cache no longer vouches for it.
    auth.clock = || jsonwebtoken::get_current_timestamp() + 7200;
    assert!(auth.cache.get(&token, (auth.clock)()).is_none());
}

/// Found by the `jwt` fuzz target: serde skips the strings of claims it does
/// not read without checking their UTF-8, so a payload that is not text
/// would pass. A JWT claims set is UTF-8 JSON (RFC 7519 section 7.2).
#[tokio::test]
async fn a_payload_that_is_not_utf8_is_refused_even_when_signed() {
    let mut payload = claims("mallory").to_string().into_bytes();
    payload.pop();
    payload.extend_from_slice(b",\"note\":\"\xff\xfe\"}");
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": EC_KID}).to_string();
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(&payload)
    );
    let key = jsonwebtoken::EncodingKey::from_ec_der(&keys().ec_pkcs8);
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::ES256).unwrap();
    assert_invalid(
        check(&format!("{message}.{signature}")).await,
        "non-UTF-8 payload",
    );

    // The same token with the bytes made text verifies, so the refusal is the UTF-8 alone.
    let mut text = claims("mallory").as_object().unwrap().clone();
    text.insert("note".into(), json!("\u{fffd}"));
    assert!(check(&es256(&Value::Object(text))).await.is_ok());
}
