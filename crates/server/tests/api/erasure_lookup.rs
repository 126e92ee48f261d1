//! After `DELETE /users/{id}` the trail names the user nowhere, yet an admin
//! who knows the id finds the `user.erase` event, over HTTP and with
//! `image-service audit erased`, and the chain still verifies.

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, spawn_app};

/// An id no hash or ULID could contain by chance.
const USER: &str = "erin-the-erased-4711";

fn cli(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_image-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", app.data_dir())
        .args(args)
        .output()
        .expect("run image-service")
}

async fn audit_page(app: &TestApp, query: &str) -> Value {
    let admin = app.token_as("root", "admin");
    let response = app
        .get(&format!("/audit?{query}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_erasure_is_found_by_the_erased_users_id_which_the_trail_no_longer_holds() {
    let app = spawn_app().await;
    let erin = app.token(USER);
    let image = app.upload_ok(&erin, &[("title", "mine")]).await;
    let id = image["id"].as_str().unwrap();
    let updated = app
        .patch_json(
            &format!("/images/{id}"),
            &erin,
            json!({"title": "still mine", "version": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let bob = app.token("bob");
    app.upload_ok(&bob, &[]).await;
    let before = chrono::Utc::now();
    let erased = app
        .delete(&format!("/users/{USER}"), &app.token_as("root", "admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);

    let found = audit_page(&app, &format!("erasedUser={USER}")).await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    let event = &items[0];
    assert_eq!(event["action"], "user.erase", "{event}");
    assert_eq!(event["actor"], "root", "{event}");
    assert_eq!(event["changes"]["deletedImages"], 1, "{event}");
    let at: chrono::DateTime<chrono::Utc> = event["at"].as_str().unwrap().parse().unwrap();
    assert!(at >= before - chrono::Duration::seconds(1), "{event}");
    // Nobody else's erasure, and nothing for a user never erased.
    assert_eq!(audit_page(&app, "erasedUser=bob").await["items"], json!([]));

    // The clear id is nowhere in the trail.
    let everything = audit_page(&app, "limit=100").await;
    assert!(everything["nextCursor"].is_null());
    let trail = everything.to_string();
    assert!(trail.contains("user.erase"), "{trail}");
    assert!(
        !trail.contains(USER),
        "the erased id is still in the trail: {trail}"
    );

    // The same event from the command line, and the chain still verifies.
    let out = cli(&app, &["audit", "erased", "--user", USER]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed.len(), 1, "{stdout}");
    assert_eq!(printed[0]["id"], event["id"]);
    let verified = cli(&app, &["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[tokio::test]
async fn erased_user_is_refused_with_other_filters() {
    let app = spawn_app().await;
    let admin = app.token_as("root", "admin");
    for query in [
        "erasedUser=x&target=y",
        "erasedUser=x&action=user.erase",
        "erasedUser=",
    ] {
        let refused = assert_error(
            app.get(&format!("/audit?{query}"), &admin)
                .send()
                .await
                .unwrap(),
            400,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(
            refused["details"][0]["field"], "erasedUser",
            "{query}: {refused}"
        );
    }
    let spec: Value = app.openapi().await;
    let names: Vec<&str> = spec["paths"]["/audit"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"erasedUser"), "{names:?}");
}
