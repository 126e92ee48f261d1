//! Audit retention over the real binary: `audit prune --before T` deletes the
//! old events behind a checkpoint, `audit verify` still proves the rest and
//! catches a tampered kept event; deleting a kept event stays refused by the
//! store; the service logs the chain head as an anchor.

use std::process::{Command, Output};
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::sqlite::SqliteConnectOptions;

use crate::support::{TestApp, spawn_with};

fn cli(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_image-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", app.data_dir())
        .env("USER", "retention-test")
        .args(args)
        .output()
        .expect("run image-service")
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn pruned_old_events_leave_a_chain_that_still_verifies() {
    let app = spawn_with(&[("IMAGE_SERVICE_AUDIT_ANCHOR_SECS", "1")]).await;
    let token = app.token("alice");
    for _ in 0..3 {
        app.upload_ok(&token, &[]).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cut = chrono::Utc::now().to_rfc3339();
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..2 {
        app.upload_ok(&token, &[]).await;
    }

    let pruned = cli(&app, &["audit", "prune", "--before", &cut]);
    assert!(pruned.status.success(), "{}", said(&pruned));
    assert!(
        said(&pruned).contains("pruned 3 events through seq 3"),
        "{}",
        said(&pruned)
    );

    let verified = cli(&app, &["audit", "verify"]);
    let text = said(&verified);
    assert!(verified.status.success(), "{text}");
    // Two uploads and the prune's own event are left after the checkpoint.
    assert!(
        text.contains("audit chain intact: 3 events after the retention checkpoint at seq 3"),
        "{text}"
    );
    assert!(text.contains("by cli:retention-test"), "{text}");
    let admin = app.token_as("admin", "admin");
    let trail = app.get_json("/audit?action=audit.prune", &admin).await;
    assert_eq!(trail["items"][0]["changes"]["deleted"], 3, "{trail}");

    // The store refuses deleting a kept event; a tampered one fails verify.
    let path = app.data_dir().join("metadata.db");
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let refused = sqlx::query("DELETE FROM audit_events WHERE seq = 4")
        .execute(&mut conn)
        .await;
    assert!(refused.is_err(), "a kept event was deleted");
    sqlx::query("DROP TRIGGER audit_events_no_update")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET action = 'image.delete' WHERE seq = 4")
        .execute(&mut conn)
        .await
        .unwrap();
    let broken = cli(&app, &["audit", "verify"]);
    assert!(!broken.status.success(), "{}", said(&broken));
    assert!(said(&broken).contains("seq 4"), "{}", said(&broken));
    let refused = cli(
        &app,
        &[
            "audit",
            "prune",
            "--before",
            &chrono::Utc::now().to_rfc3339(),
        ],
    );
    assert!(
        !refused.status.success(),
        "pruned a broken chain: {}",
        said(&refused)
    );

    // The anchor lines name the head (logged every second here).
    crate::support::poll::eventually("an anchor line", Duration::from_secs(10), async || {
        app.logs().contains("\"audit_anchor\"")
    })
    .await;
    let logs = app.logs();
    let anchors: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("\"audit_anchor\""))
        .collect();
    assert!(!anchors.is_empty(), "no anchor line:\n{logs}");
    assert!(
        anchors
            .iter()
            .all(|l| l.contains("\"seq\"") && l.contains("\"hash\""))
    );
}
