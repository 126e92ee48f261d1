//! The DynamoDB backend of the suite: a table of its own per case on a local
//! emulator (dynalite, see `scripts/start-dynalite.sh`), deleted afterwards.
//!
//! Uses `IMAGE_SERVICE_TEST_DYNAMODB_ENDPOINT` (default `http://127.0.0.1:8000`).
//! If nothing listens there the cases say so loudly and pass, unless
//! `IMAGE_SERVICE_TEST_DYNAMODB_REQUIRED=1`, where they fail.

use std::io::Write;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8000";
/// Any region will do for an emulator; naming one keeps the AWS chain out of it.
const REGION: &str = "us-east-1";

pub fn endpoint() -> String {
    std::env::var("IMAGE_SERVICE_TEST_DYNAMODB_ENDPOINT")
        .unwrap_or_else(|_| DEFAULT_ENDPOINT.to_owned())
}

/// `dynamodb://` URL of `table` at `endpoint`, the form `metadata::open` takes.
pub fn url(table: &str, endpoint: &str) -> String {
    // Encoded, so an endpoint with its own `?`, `&` or `=` cannot split the query.
    let encoded: String = endpoint
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("dynamodb://{table}?region={REGION}&endpoint={encoded}")
}

/// Whether the emulator answers; `false` means "skip this case" (after saying so),
/// and a required emulator that does not answer fails the case instead.
pub async fn available(endpoint: &str) -> bool {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("http", endpoint));
    let mut authority = rest.split('/').next().unwrap_or_default().to_owned();
    if !authority.contains(':') {
        authority.push_str(if scheme == "https" { ":443" } else { ":80" });
    }
    let connect = tokio::net::TcpStream::connect(authority.as_str());
    if matches!(
        tokio::time::timeout(Duration::from_secs(2), connect).await,
        Ok(Ok(_))
    ) {
        return true;
    }
    let hint =
        "run crates/metadata/scripts/start-dynalite.sh or set IMAGE_SERVICE_TEST_DYNAMODB_ENDPOINT";
    assert!(
        std::env::var("IMAGE_SERVICE_TEST_DYNAMODB_REQUIRED").as_deref() != Ok("1"),
        "IMAGE_SERVICE_TEST_DYNAMODB_REQUIRED=1 but nothing listens on {endpoint} ({hint})"
    );
    // Straight to the process's stderr: libtest captures `eprintln!` of passing
    // tests, and a skip must not go unnoticed.
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! DYNAMODB TESTS SKIPPED: nothing listens on {endpoint} ({hint}) !!!!!!!!\n"
    );
    false
}

/// Deletes `table`; a table that was never created is not an error.
pub async fn drop_table(table: &str, endpoint: &str) {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        // Emulators accept any credentials; real ones from the environment win.
        .credentials_provider(credentials())
        .load()
        .await;
    let outcome = Client::new(&config)
        .delete_table()
        .table_name(table)
        .send()
        .await;
    if let Err(e) = outcome {
        let missing = e
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception());
        assert!(
            missing,
            "delete table {table}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&e)
        );
    }
}

fn credentials() -> Credentials {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "local".into());
    Credentials::new(
        var("AWS_ACCESS_KEY_ID"),
        var("AWS_SECRET_ACCESS_KEY"),
        std::env::var("AWS_SESSION_TOKEN").ok(),
        None,
        "conformance",
    )
}
