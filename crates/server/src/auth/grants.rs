//! What a verified token grants: a role, read from the claims real identity
//! providers send, and (when enforced) read and write access from its scopes.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::role::Role;

/// Claims tried for a role when none is configured: a plain `role`, Entra ID's
/// `roles`, Okta's `groups`, Cognito's `cognito:groups`, Keycloak's realm roles.
pub const DEFAULT_ROLE_CLAIMS: [&str; 5] = [
    "role",
    "roles",
    "groups",
    "cognito:groups",
    "realm_access.roles",
];

/// Where a token's role comes from (`IMAGE_SERVICE_AUTH_ROLE_CLAIM`,
/// `IMAGE_SERVICE_AUTH_ROLE_MAP`).
#[derive(Clone, Debug)]
pub struct RoleRules {
    /// Claim names, or dotted paths into nested objects (`resource_access.web.roles`).
    pub claims: Vec<String>,
    /// Provider group or role names (exact) to our roles. A name not listed
    /// still counts when it is `user`, `moderator` or `admin` (any case).
    pub map: HashMap<String, Role>,
}

impl Default for RoleRules {
    fn default() -> Self {
        Self {
            claims: DEFAULT_ROLE_CLAIMS.map(str::to_owned).to_vec(),
            map: HashMap::new(),
        }
    }
}

impl RoleRules {
    /// The strongest role any configured claim grants; `user` when none does.
    /// A claim of the wrong type (a number, an object) or an unknown name
    /// grants nothing and never fails the token: providers add claims of
    /// their own, and a user must not be locked out by one.
    pub fn role(&self, claims: &Map<String, Value>) -> Role {
        self.claims
            .iter()
            .filter_map(|path| lookup(claims, path))
            .flat_map(names)
            .filter_map(|name| self.map.get(name).copied().or_else(|| name.parse().ok()))
            .max()
            .unwrap_or(Role::User)
    }
}

/// The value at `path`: the claim named exactly so first (Auth0's namespaced
/// claims are URLs, dots included), else a walk through nested objects.
fn lookup<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut current = claims.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// The names in a claim: a string is one name, an array its string items.
fn names(value: &Value) -> Vec<&str> {
    match value {
        Value::String(name) => vec![name.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The scopes that allow reading and changing (`IMAGE_SERVICE_AUTH_SCOPES=1`).
#[derive(Clone, Debug)]
pub struct ScopeRules {
    pub read: String,
    pub write: String,
}

/// Which kinds of request a token allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub write: bool,
}

impl Access {
    pub const ALL: Access = Access {
        read: true,
        write: true,
    };

    /// Everything when scopes are not enforced; else what the token's scopes
    /// name. `scope` (RFC 9068, a space-separated string) and `scp` (Entra ID
    /// as a string, Okta as an array) are both read.
    pub fn from_claims(rules: Option<&ScopeRules>, claims: &Map<String, Value>) -> Self {
        let Some(rules) = rules else {
            return Self::ALL;
        };
        let granted: Vec<&str> = ["scope", "scp"]
            .iter()
            .filter_map(|claim| claims.get(*claim))
            .flat_map(names)
            .flat_map(str::split_ascii_whitespace)
            .collect();
        Access {
            read: granted.contains(&rules.read.as_str()),
            write: granted.contains(&rules.write.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn default_claims_accept_strings_and_arrays() {
        let rules = RoleRules::default();
        for (token, role) in [
            (json!({}), Role::User),
            (json!({"role": "admin"}), Role::Admin),
            (json!({"role": ["user", "moderator"]}), Role::Moderator),
            (json!({"roles": ["Admin"]}), Role::Admin),
            (json!({"groups": "moderator"}), Role::Moderator),
            (
                json!({"cognito:groups": ["photographers", "admin"]}),
                Role::Admin,
            ),
            (
                json!({"realm_access": {"roles": ["offline_access", "moderator"]}}),
                Role::Moderator,
            ),
            (json!({"role": "root"}), Role::User),
        ] {
            assert_eq!(rules.role(&claims(token.clone())), role, "{token}");
        }
    }

    #[test]
    fn wrong_types_grant_nothing() {
        let rules = RoleRules::default();
        for token in [
            json!({"role": 42}),
            json!({"roles": {"admin": true}}),
            json!({"groups": [1, null, {"x": "admin"}]}),
            json!({"realm_access": "admin"}),
            json!({"realm_access": {"roles": "user"}, "role": false}),
        ] {
            assert_eq!(rules.role(&claims(token.clone())), Role::User, "{token}");
        }
    }

    #[test]
    fn configured_claim_and_map() {
        let rules = RoleRules {
            claims: vec![
                "https://images.example.com/roles".into(),
                "resource_access.image-web.roles".into(),
            ],
            map: HashMap::from([
                ("ImageAdmins".to_owned(), Role::Admin),
                ("Reviewers".to_owned(), Role::Moderator),
            ]),
        };
        let auth0 = json!({"https://images.example.com/roles": ["ImageAdmins"], "role": "user"});
        assert_eq!(rules.role(&claims(auth0)), Role::Admin);
        let keycloak = json!({"resource_access": {"image-web": {"roles": ["Reviewers"]}}});
        assert_eq!(rules.role(&claims(keycloak)), Role::Moderator);
        // Claims not configured are not read, whatever they say.
        assert_eq!(rules.role(&claims(json!({"role": "admin"}))), Role::User);
        // Map keys are exact.
        let lower = json!({"https://images.example.com/roles": "imageadmins"});
        assert_eq!(rules.role(&claims(lower)), Role::User);
    }

    #[test]
    fn scopes_from_scope_or_scp() {
        let rules = ScopeRules {
            read: "images:read".into(),
            write: "images:write".into(),
        };
        let access = |token: Value| Access::from_claims(Some(&rules), &claims(token));
        assert_eq!(
            access(json!({})),
            Access {
                read: false,
                write: false
            }
        );
        assert_eq!(
            access(json!({"scope": "openid images:read"})),
            Access {
                read: true,
                write: false
            }
        );
        assert_eq!(
            access(json!({"scp": "images:write images:read"})),
            Access::ALL
        );
        assert_eq!(
            access(json!({"scp": ["images:write"]})),
            Access {
                read: false,
                write: true
            }
        );
        assert_eq!(
            access(json!({"scope": 7})),
            Access {
                read: false,
                write: false
            }
        );
        assert_eq!(Access::from_claims(None, &claims(json!({}))), Access::ALL);
    }
}
