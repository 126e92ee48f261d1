//! `parse_bearer`: which `Authorization` headers carry a token.

use http::HeaderValue;

use crate::auth::{AuthError, parse_bearer};

fn parse(v: &'static str) -> Result<String, AuthError> {
    let value = HeaderValue::from_static(v);
    parse_bearer(Some(&value)).map(str::to_owned)
}

#[test]
fn scheme_is_case_insensitive() {
    assert_eq!(parse("Bearer abc.def.ghi").unwrap(), "abc.def.ghi");
    assert_eq!(parse("bearer abc").unwrap(), "abc");
    assert_eq!(parse("BEARER  abc ").unwrap(), "abc");
}

#[test]
fn absent_or_other_scheme_is_missing() {
    assert!(matches!(parse_bearer(None), Err(AuthError::Missing)));
    for v in [
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "Bearer",
        "Bearer ",
        "Bearerabc",
        "",
        "Token abc",
    ] {
        assert!(matches!(parse(v), Err(AuthError::Missing)), "{v:?}");
    }
}

#[test]
fn junk_after_the_scheme_is_invalid() {
    assert!(matches!(parse("Bearer a b"), Err(AuthError::Invalid(_))));
    let bytes = HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap();
    assert!(matches!(
        parse_bearer(Some(&bytes)),
        Err(AuthError::Invalid(_))
    ));
}
