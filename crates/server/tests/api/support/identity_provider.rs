//! A real OpenID Connect provider for the interop tests: panva's certified
//! `oidc-provider` (Node.js, pinned in tests/identity-provider), one process
//! per test on a free loopback port, and the two grants a client uses to get
//! tokens from it: client credentials, and the authorization code with PKCE
//! driven through its login and consent pages.
#![allow(
    dead_code,
    reason = "test support; not every helper is used by every test module"
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// The API's resource indicator at the provider: the service's audience.
pub const API: &str = "https://api.images.test";
/// Another API of the same provider, whose tokens the service must refuse.
pub const OTHER_API: &str = "https://other-api.images.test";
/// Every confidential client's secret.
const SECRET: &str = "interop-test-secret-interop-test-secret";
/// Where public clients are sent back with their code (never connected to).
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

fn provider_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/identity-provider"
    ))
}

/// CI sets this: the provider must run there, never be skipped.
fn required() -> bool {
    std::env::var("IMAGE_SERVICE_TEST_OIDC_REQUIRED").as_deref() == Ok("1")
}

/// A client of the provider (`IdentityProvider::start` takes a list).
pub struct ClientSpec {
    pub id: &'static str,
    /// `client_credentials` (confidential) or `authorization_code` (public, PKCE).
    pub grant: &'static str,
    pub alg: &'static str,
    /// Claims added to every access token the client gets.
    pub extra_claims: Value,
    /// Where the authorization code goes; `REDIRECT_URI` when unset.
    pub redirect_uri: Option<String>,
}

impl ClientSpec {
    pub fn machine(id: &'static str, alg: &'static str, extra_claims: Value) -> Self {
        Self {
            id,
            grant: "client_credentials",
            alg,
            extra_claims,
            redirect_uri: None,
        }
    }

    pub fn browser(id: &'static str, alg: &'static str) -> Self {
        Self {
            id,
            grant: "authorization_code",
            alg,
            extra_claims: json!({}),
            redirect_uri: None,
        }
    }

    /// A public client in a browser page served at `redirect_uri`.
    pub fn web_page(id: &'static str, redirect_uri: String) -> Self {
        Self {
            redirect_uri: Some(redirect_uri),
            ..Self::browser(id, "RS256")
        }
    }

    fn metadata(&self) -> Value {
        let mut client = json!({
            "client_id": self.id,
            "grant_types": [self.grant],
            "access_token_alg": self.alg,
            "extra_claims": self.extra_claims,
        });
        if self.grant == "client_credentials" {
            client["client_secret"] = json!(SECRET);
        } else {
            let redirect = self.redirect_uri.as_deref().unwrap_or(REDIRECT_URI);
            client["redirect_uris"] = json!([redirect]);
        }
        client
    }
}

pub struct IdentityProvider {
    pub issuer: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
    http: reqwest::Client,
}

impl IdentityProvider {
    /// Starts a provider with these clients; `None` (said loudly) when Node.js
    /// or the installed package is missing, unless CI requires it.
    pub fn start(clients: &[ClientSpec]) -> Option<Self> {
        Self::start_on(0, clients)
    }

    /// As `start`, on a given port (0: any).
    pub fn start_on(port: u16, clients: &[ClientSpec]) -> Option<Self> {
        let installed = provider_dir().join("node_modules/oidc-provider").is_dir();
        let node = Command::new("node").arg("--version").output().is_ok();
        if !installed || !node {
            let message = "NO OPENID CONNECT PROVIDER (run `npm ci` in crates/server/tests/identity-provider; .ci/services.sh does): interop tests skip";
            assert!(
                !required(),
                "{message} (IMAGE_SERVICE_TEST_OIDC_REQUIRED=1)"
            );
            eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let config = json!({
            "port": port,
            "keys_file": dir.path().join("keys.json"),
            "audience": API,
            "clients": clients.iter().map(ClientSpec::metadata).collect::<Vec<_>>(),
        });
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        let (child, issuer) = launch(&dir);
        let port = issuer.rsplit(':').next().unwrap().parse().unwrap();
        Some(Self {
            issuer,
            port,
            dir,
            child,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // No kept-alive connections: they would outlive a restart.
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        })
    }

    /// The settings that point the service at this provider.
    pub fn service_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("IMAGE_SERVICE_AUTH_ISSUER", self.issuer.clone()),
            ("IMAGE_SERVICE_AUTH_AUDIENCE", API.to_owned()),
            ("IMAGE_SERVICE_AUTH_JWKS_FILE", String::new()),
        ]
    }

    /// The provider's private key set (the file it signs with).
    pub fn keys(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.path().join("keys.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Stops the provider, replaces its key set (`None`: new keys are
    /// generated) and starts it again on the same port and issuer.
    pub fn restart_with_keys(&mut self, keys: Option<Value>) {
        self.stop();
        let path = self.dir.path().join("keys.json");
        match keys {
            Some(keys) => std::fs::write(&path, keys.to_string()).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        let config_path = self.dir.path().join("config.json");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
        config["port"] = json!(self.port);
        std::fs::write(&config_path, config.to_string()).unwrap();
        let (child, issuer) = launch(&self.dir);
        assert_eq!(issuer, self.issuer, "restarted on another port");
        self.child = child;
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// An access token from the client-credentials grant for `resource`.
    pub async fn client_credentials(&self, client_id: &str, resource: &str) -> String {
        let response = self
            .http
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", SECRET),
                ("scope", "images:read images:write"),
                ("resource", resource),
            ])
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "client credentials refused: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// `(access_token, id_token)` from the authorization-code flow with PKCE
    /// (S256): the authorization request, the login page (any name is a user),
    /// the consent page, the redirect with the code, and the code exchange.
    pub async fn authorization_code(&self, client_id: &str, login: &str) -> (String, String) {
        let verifier = URL_SAFE_NO_PAD.encode(random_bytes());
        let challenge = URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
        let mut url = reqwest::Url::parse_with_params(
            &format!("{}/auth", self.issuer),
            &[
                ("client_id", client_id),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid images:read images:write"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("state", "interop"),
                ("nonce", "interop-nonce"),
            ],
        )
        .unwrap()
        .to_string();
        let mut cookies = CookieJar::default();
        let code = 'flow: {
            for _ in 0..10 {
                let response = self.send(self.http.get(&url), &cookies).await;
                cookies.absorb(&response);
                let location = match response.headers().get(LOCATION) {
                    Some(location) => self.absolute(location.to_str().unwrap()),
                    None => {
                        // A login or consent page: post its form back to the same URL.
                        let page = response.text().await.unwrap();
                        let prompt = if page.contains(r#"name="prompt" value="login""#) {
                            "login"
                        } else if page.contains(r#"name="prompt" value="consent""#) {
                            "consent"
                        } else {
                            panic!("unexpected page at {url}:\n{page}");
                        };
                        let form = [("prompt", prompt), ("login", login), ("password", "any")];
                        let posted = self.send(self.http.post(&url).form(&form), &cookies).await;
                        cookies.absorb(&posted);
                        let location = posted.headers().get(LOCATION).unwrap_or_else(|| {
                            panic!("{prompt} form not accepted: {}", posted.status())
                        });
                        self.absolute(location.to_str().unwrap())
                    }
                };
                if let Some(query) = location.strip_prefix(&format!("{REDIRECT_URI}?")) {
                    let params: HashMap<String, String> =
                        serde_urlencoded::from_str(query).unwrap();
                    let code = params.get("code").unwrap_or_else(|| {
                        panic!("no code in the redirect: {location}");
                    });
                    break 'flow code.clone();
                }
                url = location;
            }
            panic!("the authorization flow did not end at the redirect URI");
        };
        let response = self
            .http
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", client_id),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "code exchange refused: {body}");
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["id_token"].as_str().unwrap().to_owned(),
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder, jar: &CookieJar) -> reqwest::Response {
        request
            .header(COOKIE, jar.header())
            .send()
            .await
            .expect("provider request")
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') {
            format!("{}{location}", self.issuer)
        } else {
            location.to_owned()
        }
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `node provider.mjs` on the config in `dir`; returns once it says READY.
fn launch(dir: &tempfile::TempDir) -> (Child, String) {
    let mut child = Command::new("node")
        .arg(provider_dir().join("provider.mjs"))
        .arg(dir.path().join("config.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn node");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the identity provider did not start");
    let issuer = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("identity provider said: {line}"))
        .to_owned();
    (child, issuer)
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).unwrap();
    bytes
}

/// Just enough of a cookie jar for one provider: name to value, latest wins.
#[derive(Default)]
struct CookieJar(HashMap<String, String>);

impl CookieJar {
    fn absorb(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let Some((pair, _attributes)) = header.to_str().unwrap().split_once(';') else {
                continue;
            };
            if let Some((name, value)) = pair.split_once('=') {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
