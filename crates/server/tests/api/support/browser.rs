//! A real browser for the web gallery's tests: Debian's headless Chromium
//! driven through chromedriver over the W3C WebDriver protocol. The protocol
//! is a few JSON calls, made here with reqwest (already a test dependency).
//!
//! Without chromedriver the browser tests skip, loudly, unless
//! `IMAGE_SERVICE_TEST_BROWSER_REQUIRED=1` (set by `.ci/run`, which installs
//! it): then they fail.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const DRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    driver: Child,
    client: reqwest::Client,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A browser, or `None` (with a message) when none is installed and none is required.
pub async fn browser() -> Option<Browser> {
    if !Path::new(DRIVER).exists() || !Path::new(CHROMIUM).exists() {
        let required = std::env::var("IMAGE_SERVICE_TEST_BROWSER_REQUIRED").as_deref() == Ok("1");
        assert!(
            !required,
            "{DRIVER} or {CHROMIUM} missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: no {DRIVER}; `.ci/browser.sh` installs it");
        return None;
    }
    Some(Browser::start().await)
}

impl Browser {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            },
        }}});
        let created: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Self {
            driver,
            client,
            session: format!("{base}/session/{session}"),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        let mut request = self.client.request(method, &url);
        if !body.is_null() {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    pub async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: no element in {found}"))
            .to_owned()
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            json!({}),
        )
        .await;
    }

    /// Types `text` into the element (for a file input: paths, one per line).
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
        .await
    }

    /// Waits until `script` returns true; panics naming `what` after 30 s.
    /// A script that throws (the page is still elsewhere, e.g. at the
    /// identity provider) counts as not yet.
    pub async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let guarded = format!("try {{ {script} }} catch (e) {{ return false; }}");
        loop {
            if self.run(&guarded, json!([])).await == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "not within 30 s: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The current window's handle.
    pub async fn window(&self) -> String {
        let handle = self
            .call(reqwest::Method::GET, "/window", Value::Null)
            .await;
        handle.as_str().unwrap().to_owned()
    }

    /// Opens a new tab, switches to it and returns its handle: a second
    /// window of the same person, with a page (and memory) of its own.
    pub async fn new_tab(&self) -> String {
        let opened = self
            .call(
                reqwest::Method::POST,
                "/window/new",
                json!({ "type": "tab" }),
            )
            .await;
        let handle = opened["handle"].as_str().unwrap().to_owned();
        self.switch_to(&handle).await;
        handle
    }

    pub async fn switch_to(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            json!({ "handle": handle }),
        )
        .await;
    }

    pub async fn set_width(&self, width: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            json!({ "width": width, "height": 900 }),
        )
        .await;
    }

    /// Runs an asynchronous `script` (its last argument is the callback).
    pub async fn call_async(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Runs axe-core (pinned in `tests/browser-tools`, `npm ci` by
    /// `.ci/services.sh`) on the page; the serious and critical violations.
    pub async fn accessibility_violations(&self) -> Vec<Value> {
        let axe = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser-tools/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
            panic!("{}: {e} (run npm ci in tests/browser-tools)", axe.display())
        });
        self.run(&source, json!([])).await;
        let result = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                json!({
                    "script": "const done = arguments[arguments.length - 1]; \
                               axe.run(document, { resultTypes: ['violations'] }) \
                                 .then(r => done(r.violations), e => done([{ impact: 'critical', id: String(e) }]));",
                    "args": [],
                }),
            )
            .await;
        result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| json!({ "id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": v["nodes"].as_array().map(|n| n.iter().map(|n| n["target"].clone()).collect::<Vec<_>>()) }))
            .collect()
    }

    /// A PNG of the viewport, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let png = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}
