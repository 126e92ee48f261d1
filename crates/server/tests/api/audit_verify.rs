//! `image-service audit verify` over the real binary: changes made through
//! HTTP form an intact chain, and rows edited or deleted directly in the
//! SQLite file, behind the service's back, are named as the broken link.

use std::process::{Command, Output};
use std::str::FromStr;

use serde_json::json;
use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use domain::AuditEvent;
use domain::audit_chain::{
    EventSeal, Field, FieldSeal, commitment, parse_hash, parse_salt, to_hex,
};

use crate::support::{TestApp, spawn_app};

/// Runs `image-service audit verify ARGS` on the app's data dir (and so on
/// its SQLite metadata store), as an operator would.
fn audit_verify(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_image-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", app.data_dir())
        .env(
            "IMAGE_SERVICE_METADATA_URL",
            format!("sqlite://{}", app.data_dir().join("metadata.db").display()),
        )
        .args(["audit", "verify"])
        .args(args)
        .output()
        .expect("run image-service audit verify")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts an intact chain of `events` events and returns the printed head (`SEQ:HASH`).
fn assert_intact(app: &TestApp, args: &[&str], events: usize) -> String {
    let out = audit_verify(app, args);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "verify failed: {stdout}{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("audit chain intact: {events} events")),
        "{stdout}"
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("head: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("a head line")
        .to_owned()
}

/// Asserts a broken chain and returns what the command said.
fn assert_broken(app: &TestApp, args: &[&str]) -> String {
    let out = audit_verify(app, args);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        !out.status.success(),
        "verify passed a broken chain: {said}"
    );
    said
}

/// A direct connection to the service's SQLite file: the attacker's view.
async fn attacker(app: &TestApp) -> SqliteConnection {
    let path = app.data_dir().join("metadata.db");
    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .connect()
        .await
        .expect("open metadata.db")
}

async fn run(conn: &mut SqliteConnection, sql: &str) {
    sqlx::raw_sql(sql).execute(&mut *conn).await.expect(sql);
}

async fn id_at(conn: &mut SqliteConnection, seq: i64) -> String {
    sqlx::query_scalar("SELECT id FROM audit_events WHERE seq = $1")
        .bind(seq)
        .fetch_one(&mut *conn)
        .await
        .expect("event at seq")
}

/// The event stored at `seq`, its seal and its `prev_hash`, as the attacker reads them.
async fn stored(conn: &mut SqliteConnection, seq: i64) -> (AuditEvent, EventSeal, [u8; 32]) {
    type Row = (
        String,
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
    );
    type Seal = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Row = sqlx::query_as(
        "SELECT id, at, request_id, actor, action, target, outcome, changes, prev_hash \
         FROM audit_events WHERE seq = $1",
    )
    .bind(seq)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let seal: Seal = sqlx::query_as(
        "SELECT actor_commit, target_commit, changes_commit, actor_salt, target_salt, changes_salt \
         FROM audit_events WHERE seq = $1",
    )
    .bind(seq)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let event = AuditEvent {
        id: row.0,
        at: chrono::DateTime::from_timestamp_micros(row.1).unwrap(),
        request_id: row.2,
        actor: row.3,
        action: row.4.parse().unwrap(),
        target: row.5,
        outcome: row.6.parse().unwrap(),
        changes: row.7.map(|c| serde_json::from_str(&c).unwrap()),
    };
    let seal = EventSeal {
        actor: FieldSeal {
            commit: seal.0,
            salt: seal.3,
        },
        target: FieldSeal {
            commit: seal.1,
            salt: seal.4,
        },
        changes: FieldSeal {
            commit: seal.2,
            salt: seal.5,
        },
    };
    (event, seal, parse_hash(&row.8).unwrap())
}

/// Upload, PATCH and delete one image, then upload another: four chained events.
async fn four_changes(app: &TestApp) {
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[("title", "before")]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let patched = app
        .patch_json(&path, &alice, json!({ "title": "after", "version": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(
        app.delete(&path, &alice).send().await.unwrap().status(),
        204
    );
    app.upload_ok(&alice, &[]).await;
}

#[tokio::test]
async fn audit_verify_passes_an_intact_chain_and_names_an_edited_row() {
    let app = spawn_app().await;
    four_changes(&app).await;
    let head = assert_intact(&app, &[], 4);
    assert!(head.starts_with("4:"), "{head}");
    assert_intact(&app, &["--expect", &head], 4);

    let mut conn = attacker(&app).await;
    let edited = id_at(&mut conn, 2).await;
    // The attacker drops the append-only trigger and rewrites who did the update.
    run(
        &mut conn,
        "DROP TRIGGER audit_events_no_update; \
         UPDATE audit_events SET actor = 'mallory' WHERE seq = 2",
    )
    .await;
    let said = assert_broken(&app, &[]);
    assert!(
        said.contains(&format!("audit chain broken at seq 2 (event {edited})")),
        "{said}"
    );
    assert!(said.contains("changed after it was written"), "{said}");

    // Recomputing the edited row's commitment and hash (the salt is in the
    // row) only moves the break to the next link.
    let (event, mut seal, prev) = stored(&mut conn, 2).await;
    // The chain covers an update's old and new values like every other field.
    let changes = event.changes.clone().unwrap();
    assert_eq!(changes["title"], json!({ "old": "before", "new": "after" }));
    let salt = parse_salt(seal.actor.salt.as_deref().unwrap()).unwrap();
    seal.actor.commit = to_hex(&commitment(Field::Actor, &salt, &event));
    let forged = to_hex(&event.sealed_hash(&prev, &seal).unwrap());
    sqlx::query("UPDATE audit_events SET hash = $1, actor_commit = $2 WHERE seq = 2")
        .bind(forged)
        .bind(&seal.actor.commit)
        .execute(&mut conn)
        .await
        .unwrap();
    let said = assert_broken(&app, &[]);
    let next = id_at(&mut conn, 3).await;
    assert!(
        said.contains(&format!("audit chain broken at seq 3 (event {next})")),
        "{said}"
    );
    assert!(said.contains("the hash of seq 2"), "{said}");
}

#[tokio::test]
async fn audit_verify_detects_deleted_rows() {
    let app = spawn_app().await;
    four_changes(&app).await;
    let head = assert_intact(&app, &[], 4);

    let mut conn = attacker(&app).await;
    run(&mut conn, "DROP TRIGGER audit_events_no_delete").await;
    // Cutting off the newest event leaves a shorter chain that is still
    // intact; only the head recorded earlier reveals it.
    run(&mut conn, "DELETE FROM audit_events WHERE seq = 4").await;
    assert_intact(&app, &[], 3);
    let said = assert_broken(&app, &["--expect", &head]);
    assert!(
        said.contains("audit chain broken at seq 4: missing"),
        "{said}"
    );

    // A row removed from the middle is a gap.
    let after_gap = id_at(&mut conn, 3).await;
    run(&mut conn, "DELETE FROM audit_events WHERE seq = 2").await;
    let said = assert_broken(&app, &[]);
    assert!(
        said.contains("audit chain broken at seq 2: seq 2 is missing"),
        "{said}"
    );
    assert!(said.contains(&after_gap), "{said}");
}

/// The erased user's events, redacted by `DELETE /users/{id}`: the chain
/// still verifies, the trigger lets only that redaction through, and an edit
/// of an event that is not redacted is still named.
#[tokio::test]
async fn audit_verify_passes_after_an_erasure_and_still_names_edits() {
    let app = spawn_app().await;
    four_changes(&app).await; // alice: seqs 1-4
    let bob = app.token("bob");
    app.upload_ok(&bob, &[("title", "bob's")]).await; // seq 5
    let alice = app.token("alice");
    let erased = app.delete("/users/alice", &alice).send().await.unwrap();
    assert_eq!(erased.status(), 200);
    // seq 6: the erasure itself.
    let stdout = {
        let out = audit_verify(&app, &[]);
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    assert!(stdout.contains("audit chain intact: 6 events"), "{stdout}");
    assert!(
        stdout.contains("4 of them redacted by GDPR erasure"),
        "{stdout}"
    );

    let mut conn = attacker(&app).await;
    let (event, seal, _) = stored(&mut conn, 2).await;
    assert_eq!(event.actor, "erased");
    assert_eq!(event.changes, None);
    assert_eq!((seal.actor.salt, seal.changes.salt), (None, None));
    let (erase, _, _) = stored(&mut conn, 6).await;
    assert_eq!(
        (erase.actor.as_str(), erase.action.as_str()),
        ("erased", "user.erase")
    );
    assert!(
        erase
            .target
            .as_deref()
            .is_some_and(|t| t.starts_with("erased:")),
        "{erase:?}"
    );
    let (bobs_event, bobs_seal, _) = stored(&mut conn, 5).await;
    assert_eq!(bobs_event.actor, "bob");
    assert!(bobs_seal.actor.salt.is_some());

    // With the triggers in place, nothing but a redaction gets through.
    for sql in [
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 5",
        "UPDATE audit_events SET action = 'image.read' WHERE seq = 2",
        "UPDATE audit_events SET hash = prev_hash WHERE seq = 2",
        "UPDATE audit_events SET actor_commit = hash WHERE seq = 2",
        "UPDATE audit_events SET actor = 'erased' WHERE seq = 5",
        "UPDATE audit_events SET actor_salt = NULL WHERE seq = 5",
        "DELETE FROM audit_events WHERE seq = 2",
    ] {
        let refused = sqlx::raw_sql(sql).execute(&mut conn).await;
        assert!(refused.is_err(), "the trigger let `{sql}` through");
    }
    assert!(audit_verify(&app, &[]).status.success());

    // Editing bob's event, which is not redacted, is named as before.
    run(
        &mut conn,
        "DROP TRIGGER audit_events_no_update; \
         UPDATE audit_events SET actor = 'mallory' WHERE seq = 5",
    )
    .await;
    let said = assert_broken(&app, &[]);
    assert!(
        said.contains(&format!(
            "audit chain broken at seq 5 (event {})",
            bobs_event.id
        )),
        "{said}"
    );
    assert!(
        said.contains("actor does not match its commitment"),
        "{said}"
    );
    run(
        &mut conn,
        "UPDATE audit_events SET actor = 'bob' WHERE seq = 5",
    )
    .await;
    assert!(audit_verify(&app, &[]).status.success());

    // So is a redacted event whose erased actor is given a name again.
    run(
        &mut conn,
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2",
    )
    .await;
    let said = assert_broken(&app, &[]);
    assert!(said.contains("audit chain broken at seq 2"), "{said}");
    assert!(
        said.contains("actor has no salt but is not redacted"),
        "{said}"
    );
    run(
        &mut conn,
        "UPDATE audit_events SET actor = 'erased' WHERE seq = 2",
    )
    .await;

    // What the chain cannot tell: a redaction not made by an erasure. It
    // removes a name (it cannot put another one in its place), like erasure.
    run(
        &mut conn,
        "UPDATE audit_events SET actor = 'erased', actor_salt = NULL, \
         changes = NULL, changes_salt = NULL WHERE seq = 5",
    )
    .await;
    let out = audit_verify(&app, &[]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("5 of them redacted"));
}
