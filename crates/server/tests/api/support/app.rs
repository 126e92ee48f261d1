//! `TestApp`: spawns the real binary on a free loopback port with its own
//! data dir and a test issuer's JWKS, and talks to it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::tokens::TestIssuer;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub issuer: TestIssuer,
    pub dir: tempfile::TempDir,
    logs: Arc<Mutex<Vec<String>>>,
    child: Child,
}

/// Settings every test app starts with; tests add or override.
fn base_env(dir: &Path, issuer: &TestIssuer) -> Vec<(String, String)> {
    let data = dir.join("data");
    [
        ("IMAGE_SERVICE_LISTEN", "127.0.0.1:0".to_owned()),
        ("IMAGE_SERVICE_ADMIN_LISTEN", "127.0.0.1:0".to_owned()),
        ("IMAGE_SERVICE_DATA_DIR", data.display().to_string()),
        ("IMAGE_SERVICE_AUTH_ISSUER", issuer.issuer().to_owned()),
        ("IMAGE_SERVICE_AUTH_AUDIENCE", issuer.audience().to_owned()),
        (
            "IMAGE_SERVICE_AUTH_JWKS_FILE",
            issuer.jwks_path().display().to_string(),
        ),
        (
            "IMAGE_SERVICE_CORS_ORIGINS",
            "https://app.example.com,https://*.example.org".to_owned(),
        ),
        // Limits are tested on their own; elsewhere they would only get in the way.
        ("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "0".to_owned()),
        ("IMAGE_SERVICE_LIMIT_READS_PER_SEC", "0".to_owned()),
        ("IMAGE_SERVICE_LIMIT_UPDATES_PER_MIN", "0".to_owned()),
        ("IMAGE_SERVICE_LIMIT_DELETES_PER_MIN", "0".to_owned()),
        ("IMAGE_SERVICE_LIMIT_GLOBAL_PER_SEC", "0".to_owned()),
        ("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(&[]).await
}

/// Spawns with extra `(key, value)` settings; an empty value removes the key.
pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
    spawn(Command::new(env!("CARGO_BIN_EXE_image-service")), extra).await
}

/// As `spawn_with`, the service started by a shell under `umask` (octal, e.g. `000`).
pub async fn spawn_with_umask(umask: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\""))
        .arg(env!("CARGO_BIN_EXE_image-service"));
    spawn(command, extra).await
}

/// As `spawn_with`, the service started under an open-file limit of `files`.
pub async fn spawn_with_open_files(files: u32, extra: &[(&str, &str)]) -> TestApp {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {files} && exec \"$0\""))
        .arg(env!("CARGO_BIN_EXE_image-service"));
    spawn(command, extra).await
}

async fn spawn(mut command: Command, extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let issuer = TestIssuer::new(dir.path());
    let mut env = base_env(dir.path(), &issuer);
    for (key, value) in extra {
        env.retain(|(k, _)| k != key);
        if !value.is_empty() {
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
    }
    let mut child = command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn image-service");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let (addr_tx, addr_rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(json) = serde_json::from_str::<Value>(&line)
                && json["message"] == "listening"
            {
                let _ = addr_tx.send(json["addr"].as_str().unwrap_or_default().to_owned());
            }
            sink.lock().unwrap().push(line);
        }
    });
    let stderr = child.stderr.take().expect("stderr");
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let addr = match addr_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            panic!(
                "service did not start; logs:\n{}",
                logs.lock().unwrap().join("\n")
            );
        }
    };
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder().build().unwrap(),
        issuer,
        dir,
        logs,
        child,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Kills the service (as a crash would) but keeps its data dir, for tests
    /// that go on to use the data without it (`migrate-storage`).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    pub fn token(&self, sub: &str) -> String {
        self.issuer.token(sub, None)
    }

    pub fn token_as(&self, sub: &str, role: &str) -> String {
        self.issuer.token(sub, Some(role))
    }

    /// The served `/openapi.json`, parsed.
    pub async fn openapi(&self) -> Value {
        let response = self.client.get(self.url("/openapi.json")).send().await;
        response.unwrap().json().await.unwrap()
    }

    /// `GET path` as `token`, parsed as JSON (whatever the status).
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).send().await;
        response.unwrap().json().await.unwrap()
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn delete(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(token)
    }

    pub fn patch_json(&self, path: &str, token: &str, body: Value) -> reqwest::RequestBuilder {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(&body)
    }

    pub fn post_json(&self, path: &str, token: &str, body: Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
    }

    /// The `POST /images` request for `bytes` as `file` with the given declared type and extra text fields.
    pub fn upload_request(
        &self,
        token: &str,
        bytes: Vec<u8>,
        declared: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut form = Form::new().part(
            "file",
            Part::bytes(bytes)
                .file_name("photo.bin")
                .mime_str(declared)
                .unwrap(),
        );
        for (name, value) in fields {
            form = form.text((*name).to_owned(), (*value).to_owned());
        }
        self.client
            .post(self.url("/images"))
            .bearer_auth(token)
            .multipart(form)
    }

    /// Uploads `bytes` as `file` with the given declared type and extra text fields.
    pub async fn upload_with(
        &self,
        token: &str,
        bytes: Vec<u8>,
        declared: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.upload_request(token, bytes, declared, fields)
            .send()
            .await
            .expect("upload request")
    }

    /// Uploads a small JPEG and returns the created Image JSON.
    pub async fn upload_ok(&self, token: &str, fields: &[(&str, &str)]) -> Value {
        let response = self
            .upload_with(token, super::images::jpeg(64, 48), "image/jpeg", fields)
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "upload failed: {body}");
        body
    }

    /// The stored display variant of an Image (as JSON), checked to be served as WebP.
    pub async fn stored_display(&self, token: &str, image: &Value) -> Vec<u8> {
        let path = format!("/images/{}/file", image["id"].as_str().unwrap());
        let response = self.get(&path, token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/webp");
        response.bytes().await.unwrap().to_vec()
    }

    pub async fn create_album(&self, token: &str, title: &str) -> Value {
        let response = self
            .post_json("/albums", token, serde_json::json!({ "title": title }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }
}

/// Reads a response's JSON error and checks its status and code.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status; body: {body}");
    assert_eq!(body["code"], code, "unexpected code; body: {body}");
    assert!(
        body["requestId"].as_str().is_some_and(|s| !s.is_empty()),
        "no requestId: {body}"
    );
    assert!(body["message"].is_string(), "no message: {body}");
    body
}
