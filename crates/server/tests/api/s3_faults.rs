//! The blob store going away in the middle of traffic: a private s3s-fs
//! (started and stopped by this test, never the run's shared one from
//! `support::backends`) is stopped under a running service. Every request that
//! needs a blob then answers 503 `UNAVAILABLE` with `Retry-After` within a
//! bounded time — never a 500, never a hang — `/readyz` turns 503, and when
//! s3s-fs comes back on the same port over the same data the service recovers
//! by itself, with no restart.

use std::cell::Cell;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::backends::{as_settings, s3_required};
use crate::support::outage::{Outage, free_port};
use crate::support::{TestApp, images, spawn_with};

/// A store that is down must be reported well within this.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);
/// How long the service may take to notice that the store is back.
const RECOVER_WITHIN: Duration = Duration::from_secs(20);
const OUTAGE: Outage = Outage {
    answer_within: ANSWER_WITHIN,
    recover_within: RECOVER_WITHIN,
};
const BUCKET: &str = "image-service-test";
const ACCESS_KEY_ID: &str = "image-service-test";
const SECRET_ACCESS_KEY: &str = "image-service-test-secret";

/// A throwaway s3s-fs on a fixed port of its own, serving a temp dir; killed
/// (and the dir removed) when dropped, even if the test panics.
struct PrivateS3 {
    dir: tempfile::TempDir,
    port: u16,
    endpoint: String,
    /// Whether the pid in `s3s-fs.pid` is one this test started and has not
    /// stopped yet (never kill a pid the OS may have handed to someone else).
    running: Cell<bool>,
}

impl PrivateS3 {
    /// `None` (said loudly) when s3s-fs cannot be started, unless
    /// `IMAGE_SERVICE_TEST_S3_REQUIRED=1`, where it panics: CI must never skip.
    fn start() -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut s3 = Self {
            dir,
            port,
            endpoint: String::new(),
            running: Cell::new(false),
        };
        match s3.run_script() {
            Ok(endpoint) => {
                s3.endpoint = endpoint;
                s3.running.set(true);
                Some(s3)
            }
            Err(why) => {
                let message = format!(
                    "NO PRIVATE S3 SERVER (crates/blobs/scripts/start-s3.sh: {why}): \
                     the S3 outage test skips"
                );
                assert!(
                    !s3_required(),
                    "{message} (IMAGE_SERVICE_TEST_S3_REQUIRED=1)"
                );
                eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
                None
            }
        }
    }

    /// Starts s3s-fs on `self.port` over `self.dir`; returns the endpoint it prints.
    fn run_script(&self) -> Result<String, String> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../blobs/scripts/start-s3.sh");
        // No WATCH_PID: the script's watcher would kill a pid that this test
        // has already stopped (and the OS may have reused) and remove the data
        // dir; the Drop guard and the TempDir do both.
        let output = Command::new("bash")
            .arg(script)
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let endpoint = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if output.status.success() && endpoint.starts_with("http://") {
            Ok(endpoint)
        } else {
            Err(format!("{} (stdout {endpoint:?})", output.status))
        }
    }

    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.path().join("s3s-fs.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// `IMAGE_SERVICE_BLOB_URL` for this server (endpoint percent-encoded, as
    /// in `backends::S3Target::blob_url`) and the credentials it accepts.
    fn env(&self) -> Vec<(&'static str, String)> {
        let endpoint = self.endpoint.replace(':', "%3A").replace('/', "%2F");
        vec![
            (
                "IMAGE_SERVICE_BLOB_URL",
                format!("s3://{BUCKET}?region=us-east-1&endpoint={endpoint}&path_style=true"),
            ),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ]
    }

    /// Kills s3s-fs (as a crash or a lost host would) and waits until its
    /// port refuses connections.
    fn stop(&self) {
        let pid = self.pid().expect("s3s-fs.pid");
        kill(pid);
        self.running.set(false);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let gone = !alive(pid);
            let refused = TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], self.port)),
                Duration::from_millis(200),
            )
            .is_err();
            if gone && refused {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("s3s-fs (pid {pid}) still running 10 s after it was killed");
    }

    /// Starts s3s-fs again on the same port over the same data.
    fn restart(&self) {
        let endpoint = self
            .run_script()
            .unwrap_or_else(|why| panic!("restarting s3s-fs on port {}: {why}", self.port));
        self.running.set(true);
        assert_eq!(endpoint, self.endpoint, "s3s-fs came back elsewhere");
    }
}

impl Drop for PrivateS3 {
    fn drop(&mut self) {
        // Whatever state the test left it in; only the pid this test started.
        if self.running.get()
            && let Some(pid) = self.pid()
            && alive(pid)
        {
            kill(pid);
        }
    }
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

async fn file_bytes(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let response = app.get(path, token).send().await.expect("file request");
    let status = response.status();
    let bytes = response.bytes().await.expect("file body");
    assert_eq!(status, 200, "{path}; logs:\n{}", app.logs());
    assert!(!bytes.is_empty(), "{path}: empty file");
    bytes.to_vec()
}

#[tokio::test]
async fn a_blob_store_that_stops_mid_traffic_gives_503_and_the_service_recovers_by_itself() {
    let Some(s3) = PrivateS3::start() else { return };
    let env = s3.env();
    let app = spawn_with(&as_settings(&env)).await;
    let token = app.token("s3-fault-user");
    let image = app.upload_ok(&token, &[("title", "before")]).await;
    let id = image["id"].as_str().expect("image id").to_owned();
    let file = format!("/images/{id}/file");
    let doomed = app.upload_ok(&token, &[("title", "deleted during")]).await;
    let doomed = doomed["id"].as_str().expect("image id").to_owned();
    let before = file_bytes(&app, &file, &token).await;
    let readyz = || app.client.get(app.url("/readyz"));
    assert_eq!(OUTAGE.status_of(readyz()).await, Some(200));

    s3.stop();

    OUTAGE
        .assert_unavailable(&app, "GET /images/{id}/file", app.get(&file, &token))
        .await;
    OUTAGE
        .assert_unavailable(
            &app,
            "POST /images",
            app.upload_request(&token, images::jpeg(64, 48), "image/jpeg", &[]),
        )
        .await;
    // DELETE removes the row first, then the blobs (docs/ARCHITECTURE.md,
    // "Deletion removes the row first"): with only the blob store down the
    // image is gone for clients, so it is a 204 and the blobs are left for
    // `gc`. It must still answer in bounded time, and never 500.
    let doomed_path = format!("/images/{doomed}");
    let started = Instant::now();
    let response = app
        .delete(&doomed_path, &token)
        .timeout(ANSWER_WITHIN * 2)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "DELETE /images/{{id}}: no answer ({e}); logs:\n{}",
                app.logs()
            )
        });
    let took = started.elapsed();
    let status = response.status().as_u16();
    assert_eq!(
        status,
        204,
        "DELETE /images/{{id}} with the blob store down; logs:\n{}",
        app.logs()
    );
    assert!(
        took < ANSWER_WITHIN,
        "DELETE /images/{{id}}: took {took:?} with the blob store down"
    );
    eprintln!("DELETE /images/{{id}}: 204 after {took:?} (blobs left for gc)");
    let response = app.get(&doomed_path, &token).send().await.unwrap();
    assert_eq!(
        response.status(),
        404,
        "the deleted image is gone for clients"
    );
    OUTAGE
        .assert_unavailable(&app, "GET /readyz", readyz())
        .await;
    // What needs only the metadata store goes on working.
    let response = app
        .get(&format!("/images/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "GET /images/{{id}} needs no blob; logs:\n{}",
        app.logs()
    );

    s3.restart();

    // The same process, its HTTP client reconnecting on its own.
    OUTAGE
        .wait_for_status(&app, "GET /readyz", 200, readyz)
        .await;
    OUTAGE
        .wait_for_status(&app, "GET /images/{id}/file", 200, || {
            app.get(&file, &token)
        })
        .await;
    let after = file_bytes(&app, &file, &token).await;
    assert!(
        after == before,
        "the file survived the outage byte for byte"
    );
    let again = app
        .upload_ok(&token, &[("title", "after the outage")])
        .await;
    assert!(again["id"].is_string());
    drop(app);
    drop(s3);
}
