//! HTTPS (issue 6) with certificates made at test time by rcgen: HTTP/2 by
//! ALPN, TLS 1.2 and 1.3, plain HTTP refused, SIGHUP reloads the certificate.

use std::io::{BufRead, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SerialNumber,
};
use reqwest::tls::{TlsInfo, Version};

use crate::support::spawn_with;

/// A throwaway CA that signs the service's leaf certificates, so a client
/// keeps trusting the service across a certificate reload.
struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Image Service test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// Writes a leaf for 127.0.0.1 to `dir/cert.pem` and `dir/key.pem`;
    /// returns its DER to compare with what a client is shown.
    fn write_leaf(&self, dir: &Path, common_name: &str, serial: u64) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.serial_number = Some(SerialNumber::from(serial));
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
        cert.der().to_vec()
    }

    fn client(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap())
            .tls_built_in_root_certs(false)
            .tls_info(true)
    }
}

fn tls_env(dir: &Path) -> [(&'static str, String); 2] {
    [
        (
            "IMAGE_SERVICE_TLS_CERT",
            dir.join("cert.pem").display().to_string(),
        ),
        (
            "IMAGE_SERVICE_TLS_KEY",
            dir.join("key.pem").display().to_string(),
        ),
    ]
}

fn peer_certificate(response: &reqwest::Response) -> Vec<u8> {
    let info = response.extensions().get::<TlsInfo>().expect("TLS info");
    info.peer_certificate().expect("peer certificate").to_vec()
}

#[tokio::test]
async fn https_speaks_http2_and_refuses_plain_http() {
    let certs = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let leaf = ca.write_leaf(certs.path(), "image-service", 1);
    let env = tls_env(certs.path());
    let app = spawn_with(&env.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
    let https = app.base.replacen("http://", "https://", 1);
    let client = ca.client().build().unwrap();

    let response = client.get(format!("{https}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(peer_certificate(&response), leaf);
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(response.headers()[name], value, "{name}");
    }
    assert!(response.headers().contains_key("x-request-id"));

    let plain = app.client.get(app.url("/healthz")).send().await;
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");

    // The failed handshake cost nothing but that connection.
    let again = client.get(format!("{https}/images")).send().await.unwrap();
    assert_eq!(again.status(), 401);
}

#[tokio::test]
async fn tls_1_2_clients_are_served_over_http1_too() {
    let certs = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    ca.write_leaf(certs.path(), "image-service", 1);
    let env = tls_env(certs.path());
    let app = spawn_with(&env.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
    let https = app.base.replacen("http://", "https://", 1);

    let tls12 = ca
        .client()
        .max_tls_version(Version::TLS_1_2)
        .build()
        .unwrap();
    let response = tls12.get(format!("{https}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);

    let http1 = ca.client().http1_only().build().unwrap();
    let response = http1.get(format!("{https}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
}

#[tokio::test]
async fn a_silent_client_neither_blocks_others_nor_stays_forever() {
    let certs = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    ca.write_leaf(certs.path(), "image-service", 1);
    let env = tls_env(certs.path());
    let app = spawn_with(&env.each_ref().map(|(k, v)| (*k, v.as_str()))).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    let mut silent = std::net::TcpStream::connect(&addr).unwrap();
    let started = Instant::now();
    let response = ca
        .client()
        .build()
        .unwrap()
        .get(format!("https://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The handshake deadline (10 s) closes the silent connection.
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let read = tokio::task::spawn_blocking(move || silent.read(&mut [0; 1]))
        .await
        .unwrap();
    assert!(
        matches!(read, Ok(0))
            || read.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "silent connection was not closed"
    );
    assert!(started.elapsed() < Duration::from_secs(25));
}

#[tokio::test]
async fn sighup_reloads_the_certificate_and_keeps_it_on_a_bad_file() {
    let certs = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let first = ca.write_leaf(certs.path(), "first", 1);
    let service = Service::spawn(certs.path());
    let client = || ca.client().build().unwrap();
    let url = format!("https://{}/healthz", service.addr);

    let response = client().get(&url).send().await.unwrap();
    assert_eq!(peer_certificate(&response), first);

    // A broken file is refused; the service keeps the certificate it has.
    std::fs::write(certs.path().join("cert.pem"), "not a certificate").unwrap();
    service.signal("-HUP");
    service
        .wait_for_log("TLS reload failed; keeping the current certificate")
        .await;
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(peer_certificate(&response), first);

    let second = ca.write_leaf(certs.path(), "second", 2);
    assert_ne!(first, second);
    service.signal("-HUP");
    service.wait_for_log("TLS certificate reloaded").await;
    // A new client, so a new connection and handshake.
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(peer_certificate(&response), second);

    // Graceful shutdown still works with TLS connections open.
    service.signal("-TERM");
    service.wait_for_log("stopped").await;
}

#[test]
fn a_bad_certificate_path_stops_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let ca = TestCa::new();
    ca.write_leaf(dir.path(), "image-service", 1);
    let mut child = command(dir.path(), dir.path())
        .env("IMAGE_SERVICE_TLS_CERT", &missing)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the service started with a missing certificate");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("IMAGE_SERVICE_TLS_CERT"), "{stderr}");
    assert!(lines[0].contains("missing.pem"), "{stderr}");
}

/// The binary with only what TLS needs (development authentication on
/// loopback), for tests that signal the process: `TestApp` keeps its pid.
fn command(data: &Path, certs: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_image-service"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_LISTEN", "127.0.0.1:0")
        .env("IMAGE_SERVICE_ADMIN_LISTEN", "127.0.0.1:0")
        .env("IMAGE_SERVICE_DATA_DIR", data.join("data"))
        .envs(tls_env(certs));
    command
}

struct Service {
    addr: String,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    _data: tempfile::TempDir,
}

impl Service {
    fn spawn(certs: &Path) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut child = command(data.path(), certs)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line)
                    && json["message"] == "listening"
                {
                    let _ = addr_tx.send(json["addr"].as_str().unwrap_or_default().to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("service did not start");
        Self {
            addr,
            child,
            logs,
            _data: data,
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    async fn wait_for_log(&self, message: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let seen = |logs: &[String]| {
            logs.iter().any(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .is_ok_and(|json| json["message"] == message)
            })
        };
        while !seen(&self.logs.lock().unwrap()) {
            assert!(Instant::now() < deadline, "no log line {message:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
