//! Every command in docs/incident-response.md, run in order against a live
//! service, so the playbook cannot rot: each fenced `sh` block's lines (a
//! trailing `\` continues a line; `#` lines are comments) must exit 0.
//!
//! The playbook's variables are set as an operator would: `API` (the
//! service), `TOKEN` (an admin's token), `SUB` (the account in question),
//! `BEFORE`/`SINCE` (RFC 3339 times), `REASON`; `image-service` is on `PATH`
//! with `IMAGE_SERVICE_DATA_DIR` pointing at the service's store.

use std::path::Path;
use std::process::Command;

use chrono::SecondsFormat;

use crate::support::spawn_app;

/// The commands of every ```sh block, continuation lines joined.
fn commands(markdown: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = !in_block && trimmed == "```sh";
            continue;
        }
        if !in_block || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}

#[test]
fn commands_are_read_from_sh_blocks_only() {
    let doc = "text\n```sh\n# comment\nimage-service incident status\ncurl -fsS \\\n  \"$API/x\"\n```\n```json\n{}\n```\n";
    assert_eq!(
        commands(doc),
        vec!["image-service incident status", "curl -fsS  \"$API/x\""]
    );
}

#[tokio::test]
async fn every_command_in_the_playbook_runs_against_a_live_service() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/incident-response.md"
    ))
    .unwrap();
    let commands = commands(&doc);
    assert!(
        commands.len() >= 10,
        "the playbook has {} commands",
        commands.len()
    );
    let app = spawn_app().await;
    let alice = app.token("mallory");
    app.upload_ok(&alice, &[]).await;
    let admin = app.token_as("oncall", "admin");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_image-service"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (now, hour) = (chrono::Utc::now(), chrono::Duration::hours(1));
    for command in &commands {
        let output = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("USER", "oncall")
            .env("IMAGE_SERVICE_DATA_DIR", app.data_dir())
            .env("API", &app.base)
            .env("TOKEN", &admin)
            .env("SUB", "mallory")
            .env("REASON", "playbook test")
            // The compromise began an hour ago: the tokens minted above are newer.
            .env(
                "BEFORE",
                (now - hour).to_rfc3339_opts(SecondsFormat::Secs, true),
            )
            .env(
                "SINCE",
                (now - hour * 2).to_rfc3339_opts(SecondsFormat::Secs, true),
            )
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "`{command}` failed ({}):\nstdout: {}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
