//! Development authentication: our own ES256 key, verified like any issuer's.

use std::time::Duration;

use crate::auth::{AuthError, AuthSettings, Authenticator, Role, mint_dev_token};

async fn dev(dir: &std::path::Path) -> Authenticator {
    Authenticator::new(AuthSettings {
        data_dir: dir.to_owned(),
        ..AuthSettings::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn minted_tokens_verify() {
    let dir = tempfile::tempdir().unwrap();
    // Minting first generates the key the server then loads.
    let token =
        mint_dev_token(dir.path(), "alice", Role::Admin, Duration::from_secs(3600)).unwrap();
    let auth = dev(dir.path()).await;
    assert!(auth.is_dev_mode());
    let p = auth.verify(&token).await.unwrap();
    assert_eq!((p.user.as_str(), p.role), ("alice", Role::Admin));
}

#[tokio::test]
async fn another_data_dirs_tokens_are_refused() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let auth = dev(a.path()).await;
    let foreign =
        mint_dev_token(b.path(), "mallory", Role::Admin, Duration::from_secs(60)).unwrap();
    assert!(matches!(
        auth.verify(&foreign).await,
        Err(AuthError::Invalid(_))
    ));
}

#[tokio::test]
async fn expired_dev_token() {
    let dir = tempfile::tempdir().unwrap();
    let auth = dev(dir.path()).await;
    let fresh = mint_dev_token(dir.path(), "bob", Role::User, Duration::ZERO).unwrap();
    // exp = now is still inside the 60 s leeway.
    auth.verify(&fresh).await.unwrap();
}
