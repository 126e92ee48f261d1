//! The audit trail under a flood of anonymous requests: every event about a
//! signed-in principal is stored, and anonymous refusals become one event
//! per client and interval plus a summary with the count.

use std::time::Duration;

use futures::StreamExt as _;
use serde_json::Value;

use crate::support::spawn_with;

#[tokio::test]
async fn a_flood_of_anonymous_refusals_loses_no_event_about_a_signed_in_user() {
    let app = spawn_with(&[("IMAGE_SERVICE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let prober = app.token("prober");

    let clients = ["198.51.100.1", "198.51.100.2", "198.51.100.3"];
    let flood = futures::stream::iter(0..6000).for_each_concurrent(48, |n| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(app.url("/images"))
                .header("x-forwarded-for", clients[n % clients.len()])
                .header("authorization", "Bearer not-a-token")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401);
        }
    });
    let probes = async {
        for _ in 0..20 {
            let response = app.get(&path, &prober).send().await.unwrap();
            assert_eq!(response.status(), 403);
        }
    };
    tokio::join!(flood, probes);

    let admin = app.token_as("admin", "admin");
    let denied = app
        .get_json("/audit?actor=prober&action=access.denied&limit=100", &admin)
        .await;
    assert_eq!(denied["items"].as_array().unwrap().len(), 20, "{denied}");

    // The summaries come when the interval (10 s) ends.
    let mut failed = Vec::new();
    crate::support::poll::eventually(
        "summaries of the flood",
        Duration::from_secs(25),
        async || {
            let page = app
                .get_json("/audit?action=auth.failed&limit=100", &admin)
                .await;
            failed = page["items"].as_array().unwrap().clone();
            counted(&failed) == 6000
        },
    )
    .await;
    assert!(
        failed.len() <= 2 * clients.len() * 2,
        "{} events",
        failed.len()
    );
    for event in &failed {
        let client = event["changes"]["client"].as_str().unwrap_or_default();
        assert!(clients.contains(&client), "{event}");
    }
    let logged = app
        .logs()
        .lines()
        .filter(|l| l.contains("\"auth.failed\""))
        .count();
    assert!(logged <= 2 * clients.len() * 2, "{logged} log lines");
}

/// Refusals the events account for: one for each recorded as it happened,
/// and each summary's count of the rest.
fn counted(events: &[Value]) -> u64 {
    events
        .iter()
        .map(|e| e["changes"]["count"].as_u64().unwrap_or(1))
        .sum()
}
