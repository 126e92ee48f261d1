//! `image-service check-config`: the configuration parses (else the process
//! has already stopped naming the key), and the identity provider answers
//! with usable signing keys. Prints what it found; fails if it found none.

use anyhow::Context as _;

use crate::config::Config;

pub async fn run(config: &Config) -> anyhow::Result<()> {
    println!("configuration is valid");
    match &config.admin_token {
        Some(_) => println!(
            "admin listener: {} (bearer token required)",
            config.admin_listen
        ),
        None => println!(
            "admin listener: {} (no authentication)",
            config.admin_listen
        ),
    }
    let auth = &config.auth.settings;
    println!(
        "token lifetime: at most {} s",
        auth.max_token_lifetime.as_secs()
    );
    let Some(issuer) = &auth.issuer else {
        println!("authentication: development tokens (no IMAGE_SERVICE_AUTH_ISSUER)");
        return Ok(());
    };
    println!("authentication: issuer {issuer}");
    if auth.audiences == [crate::auth::ANY_AUDIENCE] {
        println!(
            "audience: any client of the issuer (IMAGE_SERVICE_AUTH_AUDIENCE=*): its tokens are accepted with their roles"
        );
    } else {
        println!("audience: {}", auth.audiences.join(", "));
    }
    println!("role claims: {}", auth.roles.claims.join(", "));
    if let Some(scopes) = &auth.scopes {
        println!(
            "scopes: reads need {}, changes {}",
            scopes.read, scopes.write
        );
    }
    if let Some(path) = &auth.jwks_file {
        let keys = crate::auth::keys_in_file(path).context("IMAGE_SERVICE_AUTH_JWKS_FILE")?;
        println!(
            "signing keys: {} usable, from {}: {}",
            keys.len(),
            path.display(),
            keys.join(", ")
        );
        return Ok(());
    }
    let report = crate::auth::probe(issuer, auth.jwks_url.as_deref())
        .await
        .context("the identity provider")?;
    match &report.discovery {
        Some((url, algs)) => println!(
            "discovery: {url}: issuer matches; jwks_uri {}; signing algorithms advertised: {}",
            report.jwks_url,
            if algs.is_empty() {
                "none".to_owned()
            } else {
                algs.join(", ")
            }
        ),
        None => println!(
            "discovery: skipped (IMAGE_SERVICE_AUTH_JWKS_URL is {})",
            report.jwks_url
        ),
    }
    anyhow::ensure!(
        !report.keys.is_empty(),
        "{} has no RS256 or ES256 signing key with a kid",
        report.jwks_url
    );
    println!(
        "signing keys: {} usable: {}",
        report.keys.len(),
        report.keys.join(", ")
    );
    Ok(())
}
