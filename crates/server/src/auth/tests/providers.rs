//! Tokens shaped as the providers we cannot run here document them (Cognito,
//! Keycloak, Entra ID, Okta, Auth0), verified with the settings
//! docs/deployment.md gives for each: the access token passes with the
//! expected role and scopes, the same user's ID token does not.
//! Signatures are ours; claim names, types and nesting are theirs.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, Header};
use serde_json::json;

use super::*;
use crate::auth::{Access, AuthError, Role, RoleRules, ScopeRules};

struct Provider {
    name: &'static str,
    settings: AuthSettings,
    /// The header `typ` the provider puts on access tokens (`None`: no `typ`).
    access_typ: Option<&'static str>,
    access: Value,
    id: Value,
    role: Role,
    scopes: Access,
}

fn times() -> Value {
    json!({ "iat": now(), "nbf": now(), "exp": now() + 3600 })
}

fn merged(base: Value, claims: Value) -> Value {
    let mut out = times();
    for source in [base, claims] {
        for (k, v) in source.as_object().unwrap() {
            out[k] = v.clone();
        }
    }
    out
}

fn settings(issuer: &str, audience: &str) -> AuthSettings {
    AuthSettings {
        issuer: Some(issuer.into()),
        audiences: vec![audience.into()],
        ..AuthSettings::default()
    }
}

fn scopes(read: &str, write: &str) -> Option<ScopeRules> {
    Some(ScopeRules {
        read: read.into(),
        write: write.into(),
    })
}

fn cognito() -> Provider {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE";
    let client = "1example23456789";
    Provider {
        name: "Cognito",
        settings: AuthSettings {
            scopes: scopes(
                "https://images.example.com/images.read",
                "https://images.example.com/images.write",
            ),
            ..settings(iss, client)
        },
        access_typ: None,
        access: merged(
            times(),
            json!({
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "iss": iss, "version": 2,
                "client_id": client, "token_use": "access", "cognito:groups": ["admin"],
                "scope": "https://images.example.com/images.read https://images.example.com/images.write",
                "auth_time": now(), "jti": "f1e2", "username": "alice", "origin_jti": "a1b2",
                "event_id": "e1",
            }),
        ),
        id: merged(
            times(),
            json!({
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "iss": iss, "aud": client,
                "token_use": "id", "cognito:groups": ["admin"], "cognito:username": "alice",
                "email_verified": true, "email": "alice@example.com", "auth_time": now(),
                "origin_jti": "a1b2", "event_id": "e1", "jti": "f1e3",
            }),
        ),
        role: Role::Admin,
        scopes: Access::ALL,
    }
}

fn keycloak() -> Provider {
    let iss = "https://keycloak.example.com/realms/photos";
    Provider {
        name: "Keycloak",
        settings: AuthSettings {
            roles: RoleRules {
                claims: vec![
                    "realm_access.roles".into(),
                    "resource_access.image-service.roles".into(),
                ],
                map: HashMap::from([("image-moderator".to_owned(), Role::Moderator)]),
            },
            scopes: scopes("images:read", "images:write"),
            ..settings(iss, "image-service")
        },
        access_typ: Some("JWT"),
        access: merged(
            times(),
            json!({
                "jti": "7c1d", "iss": iss, "aud": ["image-service", "account"],
                "sub": "f1c3a4b2-9e7d-4a8b-b2c1-0d9e8f7a6b5c", "typ": "Bearer", "azp": "image-web",
                "session_state": "s1", "acr": "1", "allowed-origins": ["https://app.example.com"],
                "realm_access": { "roles": ["offline_access", "uma_authorization", "default-roles-photos"] },
                "resource_access": {
                    "image-service": { "roles": ["image-moderator"] },
                    "account": { "roles": ["manage-account", "view-profile"] },
                },
                "scope": "openid profile email images:read", "sid": "s1",
                "email_verified": false, "preferred_username": "alice",
            }),
        ),
        id: merged(
            times(),
            json!({
                "jti": "7c1e", "iss": iss, "aud": "image-web",
                "sub": "f1c3a4b2-9e7d-4a8b-b2c1-0d9e8f7a6b5c", "typ": "ID", "azp": "image-web",
                "nonce": "n-0S6", "session_state": "s1", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
                "acr": "1", "sid": "s1", "email_verified": false, "preferred_username": "alice",
            }),
        ),
        role: Role::Moderator,
        scopes: Access {
            read: true,
            write: false,
        },
    }
}

fn entra() -> Provider {
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let iss = format!("https://login.microsoftonline.com/{tenant}/v2.0");
    let api = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    let client = "0b6d5cf5-8a5a-4f2e-9d0e-3c1a7f0e2b11";
    Provider {
        name: "Entra ID",
        settings: AuthSettings {
            roles: RoleRules {
                claims: vec!["roles".into()],
                map: HashMap::from([("Images.Admin".to_owned(), Role::Admin)]),
            },
            scopes: scopes("Images.Read", "Images.Write"),
            ..settings(&iss, api)
        },
        access_typ: Some("JWT"),
        access: merged(
            times(),
            json!({
                "aud": api, "iss": iss, "aio": "AXQAi/8T", "azp": client, "azpacr": "0",
                "name": "Alice", "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
                "preferred_username": "alice@contoso.com", "rh": "0.ARoAv4j5", "roles": ["Images.Admin"],
                "scp": "Images.Read Images.Write", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
                "tid": tenant, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
            }),
        ),
        id: merged(
            times(),
            json!({
                "aud": client, "iss": iss, "nonce": "123523", "name": "Alice",
                "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "alice@contoso.com",
                "rh": "0.ARoAv4j5", "roles": ["Images.Admin"], "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
                "tid": tenant, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
            }),
        ),
        role: Role::Admin,
        scopes: Access::ALL,
    }
}

fn okta() -> Provider {
    let iss = "https://dev-123456.okta.com/oauth2/default";
    Provider {
        name: "Okta",
        settings: AuthSettings {
            roles: RoleRules {
                claims: vec!["groups".into()],
                map: HashMap::from([("ImageAdmins".to_owned(), Role::Admin)]),
            },
            scopes: scopes("images:read", "images:write"),
            ..settings(iss, "api://default")
        },
        access_typ: None,
        access: merged(
            times(),
            json!({
                "ver": 1, "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE", "iss": iss,
                "aud": "api://default", "cid": "0oa1b2c3d4e5f6g7h8i9", "uid": "00uid4BxXw6I6TV4m0g3",
                "scp": ["openid", "images:read", "images:write"], "auth_time": now(),
                "sub": "alice@example.com", "groups": ["Everyone", "ImageAdmins"],
            }),
        ),
        id: merged(
            times(),
            json!({
                "sub": "00uid4BxXw6I6TV4m0g3", "ver": 1, "iss": iss, "aud": "0oa1b2c3d4e5f6g7h8i9",
                "jti": "ID.4eAWJOCMB3SX8XewDfVR", "amr": ["pwd"], "idp": "00o1b2c3", "nonce": "n-0S6",
                "auth_time": now(), "at_hash": "preview_at_hash", "groups": ["Everyone", "ImageAdmins"],
            }),
        ),
        role: Role::Admin,
        scopes: Access::ALL,
    }
}

fn auth0() -> Provider {
    let iss = "https://example-tenant.eu.auth0.com/";
    let api = "https://images.example.com";
    let roles_claim = "https://images.example.com/roles";
    Provider {
        name: "Auth0",
        settings: AuthSettings {
            roles: RoleRules {
                claims: vec![roles_claim.into()],
                map: HashMap::from([("ImageAdmins".to_owned(), Role::Admin)]),
            },
            scopes: scopes("images:read", "images:write"),
            require_at_jwt: true,
            ..settings(iss, api)
        },
        access_typ: Some("at+jwt"),
        access: merged(
            times(),
            json!({
                "iss": iss, "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
                "aud": [api, "https://example-tenant.eu.auth0.com/userinfo"],
                "azp": "my-client-id", "scope": "openid profile images:read",
                "permissions": ["images:read"], roles_claim: ["ImageAdmins"],
                "client_id": "my-client-id", "jti": "a1b2c3",
            }),
        ),
        id: merged(
            times(),
            json!({
                "iss": iss, "sub": "auth0|5f7c8ec7c33c6c004bbafe82", "aud": "my-client-id",
                "nonce": "n-0S6", "sid": "x1", "name": "alice@example.com", roles_claim: ["ImageAdmins"],
            }),
        ),
        role: Role::Admin,
        scopes: Access {
            read: true,
            write: false,
        },
    }
}

fn signed(typ: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(RSA_KID.into());
    header.typ = typ.map(str::to_owned);
    sign_header(&header, claims)
}

#[tokio::test]
async fn each_provider_s_access_token_passes_and_its_id_token_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks(true, false).to_string()).unwrap();
    for provider in [cognito(), keycloak(), entra(), okta(), auth0()] {
        let auth = Authenticator::new(AuthSettings {
            jwks_file: Some(path.clone()),
            data_dir: dir.path().into(),
            ..provider.settings
        })
        .await
        .unwrap();
        let access = signed(provider.access_typ, &provider.access);
        let principal = auth
            .verify(&access)
            .await
            .unwrap_or_else(|e| panic!("{}: access token refused: {e}", provider.name));
        assert_eq!(principal.role, provider.role, "{}", provider.name);
        assert_eq!(principal.access, provider.scopes, "{}", provider.name);
        assert_eq!(
            principal.user.as_str(),
            provider.access["sub"].as_str().unwrap()
        );
        // ID tokens carry `typ: JWT` in the header for every provider here.
        let id = signed(Some("JWT"), &provider.id);
        assert!(
            matches!(auth.verify(&id).await, Err(AuthError::Invalid(_))),
            "{}: ID token accepted",
            provider.name
        );
    }
}
