//! Controlling a spawned service from outside: its admin address and metrics,
//! signals, a restart on the same data dir, and a raw HTTP/1.1 exchange for
//! what `reqwest` will not send (a lying `Content-Length`).

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::app::{TestApp, spawn_with};

impl TestApp {
    /// `host:port` of the API listener.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// The admin listener's address, from the child's `admin listening` line.
    pub async fn admin_addr(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.logs().lines().find_map(|line| {
                let json: Value = serde_json::from_str(line).ok()?;
                (json["message"] == "admin listening")
                    .then(|| json["addr"].as_str().map(str::to_owned))?
            });
            if let Some(addr) = found {
                return addr;
            }
            assert!(
                Instant::now() < deadline,
                "no `admin listening` line:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The Prometheus text from the admin listener.
    pub async fn metrics(&self) -> String {
        let url = format!("http://{}/metrics", self.admin_addr().await);
        let response = self.client.get(url).send().await.expect("GET /metrics");
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// The value of one sample (`name{labels}` as rendered), if present.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        let text = self.metrics().await;
        text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
    }

    /// The child's process id, found by its unique data dir in its environment
    /// (the `Child` handle is private to `app.rs`).
    pub fn pid(&self) -> u32 {
        let needle = format!("IMAGE_SERVICE_DATA_DIR={}", self.data_dir().display());
        std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
                    && std::fs::read_link(format!("/proc/{pid}/exe"))
                        .is_ok_and(|exe| exe.ends_with("image-service"))
            })
            .expect("the service's process")
    }

    /// Sends SIGTERM: the service stops accepting and drains in-flight requests.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Whether the process has exited (it is the test's child, so it lingers
    /// as a zombie until reaped: count that as gone).
    pub fn has_exited(&self, pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        }
    }

    /// A second service over this one's data dir (same keys, same issuer).
    pub async fn restart_on_same_data(&self, extra: &[(&str, &str)]) -> TestApp {
        let data = self.data_dir().display().to_string();
        let mut settings = vec![("IMAGE_SERVICE_DATA_DIR", data.as_str())];
        settings.extend_from_slice(extra);
        spawn_with(&settings).await
    }

    /// Writes `head` (request line and headers, without the final blank line)
    /// and `body`, then reads whatever the server answers within `wait`.
    pub async fn raw_exchange(&self, head: &str, body: &[u8], wait: Duration) -> String {
        let mut stream = TcpStream::connect(self.addr()).await.expect("connect");
        stream
            .write_all(format!("{head}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(wait, async {
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
                // One response is all we need: stop once its headers are in.
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        })
        .await;
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// The events (each line's nested `audit` object) of the `audit` log lines of `action`.
pub fn audit_events(logs: &str, action: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|json| json["target"] == "audit")
        .map(|mut json| json["audit"].take())
        .filter(|event| event["action"] == action)
        .collect()
}
