//! Talking to the identity provider: OpenID Connect discovery
//! (`<issuer>/.well-known/openid-configuration`) and bounded document fetches.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::Url;
use reqwest::header::CACHE_CONTROL;

use super::jwks::MAX_DOCUMENT_BYTES;

/// What discovery told us.
#[derive(Clone, Debug)]
pub(crate) struct Discovered {
    pub jwks_uri: String,
    /// `id_token_signing_alg_values_supported`: discovery names no access
    /// token algorithms, but providers sign both kinds with the same keys.
    pub signing_algs: Vec<String>,
}

/// A fetched document and how long the provider says it may be cached.
pub(crate) struct Document {
    pub body: Vec<u8>,
    pub max_age: Option<Duration>,
}

/// The client for every provider request. No redirects: the issuer must match
/// exactly and the key URL is checked for HTTPS, so nothing may move them.
pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client for the identity provider")
}

/// `Err` with the reason unless `url` is HTTPS, or HTTP to a loopback host
/// (a provider on the same machine, as in tests and sidecars).
pub fn check_transport(url: &str) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(format!(
            "`{url}` is plain HTTP; HTTPS is required unless the host is loopback"
        )),
        _ => Err(format!("`{url}` is not an http(s) URL")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// GETs `url`, refusing redirects, error statuses and bodies over the size limit.
pub(crate) async fn get_document(client: &reqwest::Client, url: &str) -> anyhow::Result<Document> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .with_context(|| format!("GET {url} failed"))?;
    let status = response.status();
    if !status.is_success() {
        anyhow::bail!("GET {url} answered {status}");
    }
    let max_age = response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(max_age);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("GET {url}: reading the body failed"))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            anyhow::bail!("GET {url}: document larger than {MAX_DOCUMENT_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Document { body, max_age })
}

/// `max-age=N` from a `Cache-Control` value; `no-cache`/`no-store` count as 0.
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').map(str::trim).find_map(|directive| {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return Some(Duration::ZERO);
        }
        let secs = lower.strip_prefix("max-age=")?.trim_matches('"');
        secs.parse().ok().map(Duration::from_secs)
    })
}

/// The discovery document's URL for `issuer` (OpenID Connect Discovery 4).
pub(crate) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetches and checks the discovery document: its `issuer` must equal ours
/// exactly (OpenID Connect Discovery 4.3), its `jwks_uri` must be HTTPS
/// unless loopback.
pub(crate) async fn discover(client: &reqwest::Client, issuer: &str) -> anyhow::Result<Discovered> {
    #[derive(serde::Deserialize)]
    struct Raw {
        issuer: String,
        jwks_uri: String,
        #[serde(default)]
        id_token_signing_alg_values_supported: Vec<String>,
    }
    let url = discovery_url(issuer);
    let document = get_document(client, &url).await?;
    let raw: Raw = serde_json::from_slice(&document.body)
        .with_context(|| format!("{url} is not an OpenID Connect discovery document"))?;
    if raw.issuer != issuer {
        anyhow::bail!(
            "{url} names the issuer `{}`, not the configured `{issuer}` (they must be equal, trailing slash included)",
            raw.issuer
        );
    }
    check_transport(&raw.jwks_uri).map_err(|why| anyhow::anyhow!("{url}: jwks_uri {why}"))?;
    Ok(Discovered {
        jwks_uri: raw.jwks_uri,
        signing_algs: raw.id_token_signing_alg_values_supported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_rules() {
        assert!(check_transport("https://idp.example.com/realms/x").is_ok());
        assert!(check_transport("http://127.0.0.1:8080").is_ok());
        assert!(check_transport("http://localhost/x").is_ok());
        assert!(check_transport("http://[::1]:9000/").is_ok());
        assert!(check_transport("http://idp.example.com").is_err());
        assert!(check_transport("http://127.0.0.1.evil.example").is_err());
        assert!(check_transport("ftp://127.0.0.1/").is_err());
        assert!(check_transport("not a url").is_err());
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(
            max_age("public, max-age=120"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }

    #[test]
    fn discovery_url_drops_one_trailing_slash() {
        assert_eq!(
            discovery_url("https://tenant.auth0.com/"),
            "https://tenant.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://kc.example.com/realms/photos"),
            "https://kc.example.com/realms/photos/.well-known/openid-configuration"
        );
    }
}
