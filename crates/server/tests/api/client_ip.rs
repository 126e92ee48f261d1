//! Who a client is, for the per-IP limit: behind trusted proxies, every
//! `X-Forwarded-For` line counts, and a client refused by its own limit
//! spends nothing of the whole service's budget.

use crate::support::{TestApp, spawn_with};

/// `GET /images` without a token from `forwarded` (as lines): 401 when the
/// limits let it through, 429 when not.
async fn status_from(app: &TestApp, forwarded: &[&str]) -> u16 {
    let mut request = app.client.get(app.url("/images"));
    for line in forwarded {
        request = request.header("x-forwarded-for", *line);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn one_flooding_address_does_not_spend_everyone_elses_budget() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_TRUSTED_PROXIES", "127.0.0.1"),
        ("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "5"),
        ("IMAGE_SERVICE_LIMIT_GLOBAL_PER_SEC", "20"),
        ("IMAGE_SERVICE_LIMIT_GLOBAL_BURST", "20"),
    ])
    .await;
    let mut flood = Vec::new();
    for _ in 0..100 {
        flood.push(status_from(&app, &["198.51.100.1"]).await);
    }
    assert_eq!(flood.iter().filter(|s| **s == 401).count(), 5, "{flood:?}");
    let mut other = Vec::new();
    for _ in 0..5 {
        other.push(status_from(&app, &["198.51.100.2"]).await);
    }
    assert!(
        other.iter().all(|s| *s == 401),
        "the other client got {other:?}"
    );
}

#[tokio::test]
async fn a_client_cannot_choose_its_address_in_a_line_of_its_own() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_TRUSTED_PROXIES", "127.0.0.1"),
        ("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "3"),
    ])
    .await;
    let mut statuses = Vec::new();
    for n in 0..10 {
        // The client wrote the first line; the trusted proxy appended the second.
        let spoofed = format!("192.0.2.{n}");
        statuses.push(status_from(&app, &[&spoofed, "198.51.100.7"]).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn ipv6_clients_share_a_limit_per_64() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_TRUSTED_PROXIES", "127.0.0.1"),
        ("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "3"),
    ])
    .await;
    let mut statuses = Vec::new();
    for n in 1..=6 {
        let address = format!("2001:db8:7:7::{n:x}");
        statuses.push(status_from(&app, &[&address]).await);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    assert_eq!(
        status_from(&app, &["2001:db8:7:8::1"]).await,
        401,
        "another /64"
    );
}
