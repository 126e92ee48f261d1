//! Roles (docs/API.md, Roles) and the authenticated principal a verified token becomes.

use std::fmt;
use std::str::FromStr;

use domain::UserId;

use super::grants::Access;

/// What a signed-in user may do; ordered so that `max` picks the strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Only their own images, albums and account.
    User,
    /// May also read and delete anyone's images.
    Moderator,
    /// May do anything to anyone's resources and read the audit trail.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a role name that is not `user`, `moderator` or `admin`.
#[derive(Debug, thiserror::Error)]
#[error("unknown role (expected user, moderator or admin)")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;

    /// Case-insensitive, because identity providers' group names often are capitalised.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "user" => Ok(Role::User),
            "moderator" => Ok(Role::Moderator),
            "admin" => Ok(Role::Admin),
            _ => Err(UnknownRole),
        }
    }
}

/// Who is calling: the token's `sub`, the role it grants, and what its scopes allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user: UserId,
    pub role: Role,
    pub access: Access,
    /// The token's `iat` (Unix seconds), if it has one.
    pub issued_at: Option<i64>,
}

impl Principal {
    /// Whether the principal may read and delete other users' images.
    pub fn can_moderate(&self) -> bool {
        self.role >= Role::Moderator
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [Role::User, Role::Moderator, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }
}
