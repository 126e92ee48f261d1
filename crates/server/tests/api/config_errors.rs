//! A bad configuration stops the service with one line naming the setting
//! that is wrong, not a neighbouring one: checked through `check-config`'s
//! exit status and stderr, and through start-up for what only start-up reads.

use std::path::Path;
use std::process::{Command, Output};

const ISSUER: &str = "https://issuer.example.test";

pub fn image_service(args: &[&str], data: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_image-service"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", data)
        .env("IMAGE_SERVICE_LISTEN", "127.0.0.1:0")
        .env("IMAGE_SERVICE_ADMIN_LISTEN", "127.0.0.1:0")
        // Required with an issuer; tests about it override it.
        .env("IMAGE_SERVICE_AUTH_AUDIENCE", "image-service-api")
        .envs(env.iter().copied())
        .output()
        .expect("run image-service")
}

/// Fails, and stderr names `key` and not `not_key`.
pub fn assert_blames(output: &Output, key: &str, not_key: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "succeeded; stderr: {stderr}");
    assert!(stderr.contains(key), "does not name {key}: {stderr}");
    assert!(!stderr.contains(not_key), "blames {not_key}: {stderr}");
}

#[test]
fn an_unreadable_jwks_file_names_that_setting() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-jwks.json");
    let directory = dir.path().display().to_string();
    for path in [missing.display().to_string(), directory] {
        let output = image_service(
            &["check-config"],
            dir.path(),
            &[
                ("IMAGE_SERVICE_AUTH_ISSUER", ISSUER),
                ("IMAGE_SERVICE_AUTH_JWKS_FILE", &path),
            ],
        );
        assert_blames(
            &output,
            "IMAGE_SERVICE_AUTH_JWKS_FILE",
            "IMAGE_SERVICE_AUTH_ISSUER",
        );
    }
}

#[test]
fn a_jwks_file_that_is_not_a_key_set_names_that_setting() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, "not json").unwrap();
    let jwks = jwks.display().to_string();
    let env = [
        ("IMAGE_SERVICE_AUTH_ISSUER", ISSUER),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", jwks.as_str()),
    ];
    // check-config reads the keys as start-up does.
    let checked = image_service(&["check-config"], &dir.path().join("data"), &env);
    assert_blames(
        &checked,
        "IMAGE_SERVICE_AUTH_JWKS_FILE",
        "IMAGE_SERVICE_AUTH_ISSUER",
    );
    let served = image_service(&["serve"], &dir.path().join("data"), &env);
    assert_blames(
        &served,
        "IMAGE_SERVICE_AUTH_JWKS_FILE",
        "IMAGE_SERVICE_AUTH_ISSUER",
    );
}

#[test]
fn a_plain_http_provider_off_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = image_service(
        &["check-config"],
        dir.path(),
        &[(
            "IMAGE_SERVICE_AUTH_ISSUER",
            "http://idp.example.com/realms/x",
        )],
    );
    assert_blames(
        &output,
        "IMAGE_SERVICE_AUTH_ISSUER",
        "IMAGE_SERVICE_AUTH_JWKS_URL",
    );
    let output = image_service(
        &["check-config"],
        dir.path(),
        &[
            ("IMAGE_SERVICE_AUTH_ISSUER", ISSUER),
            ("IMAGE_SERVICE_AUTH_JWKS_URL", "http://idp.example.com/keys"),
        ],
    );
    assert_blames(
        &output,
        "IMAGE_SERVICE_AUTH_JWKS_URL",
        "IMAGE_SERVICE_AUTH_ISSUER",
    );
}

#[test]
fn both_jwks_sources_are_refused_by_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, r#"{"keys":[]}"#).unwrap();
    let output = image_service(
        &["check-config"],
        dir.path(),
        &[
            ("IMAGE_SERVICE_AUTH_ISSUER", ISSUER),
            (
                "IMAGE_SERVICE_AUTH_JWKS_URL",
                "https://issuer.example.test/jwks",
            ),
            ("IMAGE_SERVICE_AUTH_JWKS_FILE", &jwks.display().to_string()),
        ],
    );
    assert_blames(
        &output,
        "IMAGE_SERVICE_AUTH_JWKS_FILE",
        "IMAGE_SERVICE_AUTH_ISSUER",
    );
}

#[test]
fn a_corrupt_generated_master_key_is_not_blamed_on_the_blob_url() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("encryption.key"), "not a key").unwrap();
    let output = image_service(&["serve"], &data, &[]);
    assert_blames(&output, "IMAGE_SERVICE_DATA_DIR", "IMAGE_SERVICE_BLOB_URL");
}
