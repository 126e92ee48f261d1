//! Authentication: JWT verification against a JWKS, roles, development tokens.
