//! Rate limits (docs/API.md, Limits) over HTTP: each per-user, per-IP and whole-service
//! limit fires at exactly its configured count, says why, is audited, and
//! resets; the shared limit holds across two processes through Redis.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Response;
use serde_json::json;

use crate::support::control::audit_events;
use crate::support::{TestApp, assert_error, images, spawn_with};

/// `RateLimit-*` (and `Retry-After`) header as an integer.
fn header(response: &Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

/// Checks a 429: code, `Retry-After` within `retry`, and the headers of the
/// exhausted limit.
async fn assert_limited(response: Response, limit: u64, retry: std::ops::RangeInclusive<u64>) {
    let retry_after = header(&response, "retry-after").expect("Retry-After on a 429");
    assert!(
        retry.contains(&retry_after),
        "Retry-After {retry_after}, expected {retry:?}"
    );
    assert_eq!(header(&response, "ratelimit-limit"), Some(limit));
    assert_eq!(header(&response, "ratelimit-remaining"), Some(0));
    assert!(header(&response, "ratelimit-reset").is_some_and(|r| r >= 1));
    assert_error(response, 429, "RATE_LIMITED").await;
}

/// A user id no earlier run has used: Redis keys outlive the processes.
fn fresh_user(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

async fn upload(app: &TestApp, token: &str) -> Response {
    app.upload_with(token, images::jpeg(32, 24), "image/jpeg", &[])
        .await
}

#[tokio::test]
async fn uploads_per_user_stop_at_the_configured_count() {
    let app = spawn_with(&[("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "3")]).await;
    let alice = app.token("alice");
    for expected_remaining in [2, 1, 0] {
        let response = upload(&app, &alice).await;
        assert_eq!(response.status(), 201);
        assert_eq!(header(&response, "ratelimit-limit"), Some(3));
        assert_eq!(
            header(&response, "ratelimit-remaining"),
            Some(expected_remaining)
        );
        // GCRA: fully replenished a minute after the first of three.
        assert!(header(&response, "ratelimit-reset").is_some_and(|r| (1..=60).contains(&r)));
    }
    // 3 per minute: the next one is allowed 20 s after the first.
    assert_limited(upload(&app, &alice).await, 3, 1..=20).await;
    assert_eq!(upload(&app, &app.token("bob")).await.status(), 201);

    let refusals = audit_events(&app.logs(), "rate.limited");
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0]["actor"], "alice");
    assert_eq!(refusals[0]["target"], "user.upload");
    assert_eq!(refusals[0]["outcome"], "denied");
    assert!(
        refusals[0]["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}

#[tokio::test]
async fn reads_per_user_stop_at_the_count_and_reset_within_the_second() {
    let app = spawn_with(&[("IMAGE_SERVICE_LIMIT_READS_PER_SEC", "5")]).await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let read = |token: &str| app.get("/images?limit=1", token).send();

    for _ in 0..5 {
        assert_eq!(read(&alice).await.unwrap().status(), 200);
    }
    let refused = read(&alice).await.unwrap();
    assert_limited(refused, 5, 1..=1).await;
    // Other routes that read count the same; other users are unaffected.
    assert_error(
        app.get("/albums", &alice).send().await.unwrap(),
        429,
        "RATE_LIMITED",
    )
    .await;
    assert_eq!(read(&bob).await.unwrap().status(), 200);

    // GCRA replenishes one read every 200 ms and the whole burst within 1 s.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    for _ in 0..5 {
        assert_eq!(read(&alice).await.unwrap().status(), 200);
    }
    assert_eq!(read(&alice).await.unwrap().status(), 429);
}

#[tokio::test]
async fn updates_and_deletes_per_user_stop_at_their_counts() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_LIMIT_UPDATES_PER_MIN", "2"),
        ("IMAGE_SERVICE_LIMIT_DELETES_PER_MIN", "2"),
    ])
    .await;
    let alice = app.token("alice");
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            app.upload_ok(&alice, &[]).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let patch = |id: &str, version: u64| {
        app.patch_json(
            &format!("/images/{id}"),
            &alice,
            json!({ "title": "t", "version": version }),
        )
        .send()
    };
    assert_eq!(patch(&ids[0], 1).await.unwrap().status(), 200);
    assert_eq!(patch(&ids[0], 2).await.unwrap().status(), 200);
    assert_limited(patch(&ids[0], 3).await.unwrap(), 2, 1..=30).await;
    // Creating an album is a change too, under the same limit.
    let album = app
        .post_json("/albums", &alice, json!({ "title": "x" }))
        .send()
        .await
        .unwrap();
    assert_error(album, 429, "RATE_LIMITED").await;

    for id in &ids[..2] {
        let response = app
            .delete(&format!("/images/{id}"), &alice)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    let response = app
        .delete(&format!("/images/{}", ids[2]), &alice)
        .send()
        .await
        .unwrap();
    assert_limited(response, 2, 1..=30).await;
    // Refused, not carried out.
    assert_eq!(
        app.get(&format!("/images/{}", ids[2]), &alice)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let bob = app.token("bob");
    assert_eq!(
        app.post_json("/albums", &bob, json!({ "title": "b" }))
            .send()
            .await
            .unwrap()
            .status(),
        201
    );

    let kinds: Vec<_> = audit_events(&app.logs(), "rate.limited")
        .iter()
        .map(|e| e["target"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["user.update", "user.update", "user.delete"]);
}

#[tokio::test]
async fn every_authenticated_response_carries_the_nearest_limit() {
    // The default limits, except that the per-IP limit is the tightest.
    let app = spawn_with(&[
        ("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "10"),
        ("IMAGE_SERVICE_LIMIT_READS_PER_SEC", "1000"),
        ("IMAGE_SERVICE_LIMIT_UPDATES_PER_MIN", "50"),
        ("IMAGE_SERVICE_LIMIT_DELETES_PER_MIN", "50"),
        ("IMAGE_SERVICE_LIMIT_GLOBAL_PER_SEC", "1000"),
        ("IMAGE_SERVICE_LIMIT_GLOBAL_BURST", "5000"),
        ("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "20"),
    ])
    .await;
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[]).await;
    let id = image["id"].as_str().unwrap();
    let unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let responses = [
        app.get("/images", &alice).send().await.unwrap(),
        app.get(&format!("/images/{id}"), &alice)
            .send()
            .await
            .unwrap(),
        app.get(&format!("/images/{unknown}"), &alice)
            .send()
            .await
            .unwrap(),
        app.get(&format!("/images/{id}/file"), &alice)
            .send()
            .await
            .unwrap(),
        app.patch_json(&format!("/images/{id}"), &alice, json!({ "version": 9 }))
            .send()
            .await
            .unwrap(),
        app.get("/albums", &alice).send().await.unwrap(),
        app.get("/images", "not-a-token").send().await.unwrap(),
    ];
    let mut last_remaining = u64::MAX;
    for response in responses {
        let remaining = header(&response, "ratelimit-remaining");
        assert_eq!(
            header(&response, "ratelimit-limit"),
            Some(20),
            "{}",
            response.url()
        );
        assert!(
            header(&response, "ratelimit-reset").is_some(),
            "{}",
            response.url()
        );
        // The per-IP limit is the nearest to exhaustion and counts down.
        let remaining = remaining.expect("RateLimit-Remaining");
        assert!(remaining < last_remaining);
        last_remaining = remaining;
    }
    // 1 upload + 7 requests above.
    assert_eq!(last_remaining, 20 - 8);
}

#[tokio::test]
async fn per_ip_limit_counts_signed_urls_but_never_health_or_openapi() {
    let app = spawn_with(&[("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "5")]).await;
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[]).await; // 1
    let display = image["urls"]["display"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        // 2, 3, 4: no bearer token needed, still counted.
        assert_eq!(
            app.client
                .get(app.url(&display))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // 5: an unauthenticated request counts too.
    assert_eq!(
        app.get("/images", "bad").send().await.unwrap().status(),
        401
    );
    let refused = app.client.get(app.url(&display)).send().await.unwrap();
    // 5 per 5 minutes: one more after a minute.
    assert_limited(refused, 5, 1..=60).await;
    assert_error(
        app.get("/images", &alice).send().await.unwrap(),
        429,
        "RATE_LIMITED",
    )
    .await;
    for path in ["/healthz", "/readyz", "/openapi.json", "/healthz"] {
        assert_eq!(
            app.client.get(app.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
    // Both refusals came from one client within the interval: the first is
    // an event at once, the second goes into that client's summary.
    let refusals = audit_events(&app.logs(), "rate.limited");
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals.iter().all(|e| e["target"] == "ip"
        && e["actor"] == "anonymous"
        && e["changes"]["client"] == "127.0.0.1"));
}

#[tokio::test]
async fn global_limit_fires_at_its_burst_and_refills() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_LIMIT_GLOBAL_PER_SEC", "3"),
        ("IMAGE_SERVICE_LIMIT_GLOBAL_BURST", "3"),
    ])
    .await;
    let alice = app.token("alice");
    for _ in 0..3 {
        assert_eq!(
            app.get("/images", &alice).send().await.unwrap().status(),
            200
        );
    }
    // Another user, another address: the whole service is out.
    let refused = app
        .get("/images", &app.token("bob"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_limited(refused, 3, 1..=1).await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/images", &alice).send().await.unwrap().status(),
            200
        );
    }
    assert_eq!(
        audit_events(&app.logs(), "rate.limited")[0]["target"],
        "global"
    );
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let limits = [("IMAGE_SERVICE_LIMIT_IP_PER_5MIN", "2")];
    let from = |app: &TestApp, client: &str| {
        app.client
            .get(app.url("/images"))
            .bearer_auth(app.token("alice"))
            .header("x-forwarded-for", format!("198.51.100.1, {client}"))
            .send()
    };

    // Not trusted: every request counts against the socket's 127.0.0.1.
    let direct = spawn_with(&limits).await;
    assert_eq!(from(&direct, "203.0.113.1").await.unwrap().status(), 200);
    assert_eq!(from(&direct, "203.0.113.2").await.unwrap().status(), 200);
    assert_eq!(from(&direct, "203.0.113.3").await.unwrap().status(), 429);

    // Behind a trusted proxy: the right-most untrusted entry is the client.
    let proxied = spawn_with(&[limits[0], ("IMAGE_SERVICE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    for _ in 0..2 {
        assert_eq!(from(&proxied, "203.0.113.1").await.unwrap().status(), 200);
    }
    assert_eq!(from(&proxied, "203.0.113.1").await.unwrap().status(), 429);
    assert_eq!(from(&proxied, "203.0.113.2").await.unwrap().status(), 200);
    // A spoofed left-most entry does not buy a fresh bucket.
    let spoofed = proxied
        .client
        .get(proxied.url("/images"))
        .bearer_auth(proxied.token("alice"))
        .header("x-forwarded-for", "192.0.2.99, 203.0.113.1")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 429);
}

#[tokio::test]
async fn redis_shares_one_users_limit_across_two_processes() {
    let shared = [
        ("IMAGE_SERVICE_REDIS_URL", "redis://127.0.0.1:6379"),
        ("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "4"),
    ];
    let (a, b) = tokio::join!(spawn_with(&shared), spawn_with(&shared));
    let user = fresh_user("shared");
    let mut created = 0;
    let mut refused = 0;
    for i in 0..10 {
        let app = if i % 2 == 0 { &a } else { &b };
        let response = upload(app, &app.token(&user)).await;
        match response.status().as_u16() {
            201 => created += 1,
            429 => {
                refused += 1;
                assert_limited(response, 4, 1..=15).await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, refused), (4, 6));
    // Another user still has a full quota on either replica.
    assert_eq!(
        upload(&b, &b.token(&fresh_user("other"))).await.status(),
        201
    );
    for app in [&a, &b] {
        assert!(!app.logs().contains("Redis unavailable"), "{}", app.logs());
    }
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_per_replica_limits() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_with(&[
        ("IMAGE_SERVICE_REDIS_URL", url.as_str()),
        ("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "2"),
    ])
    .await;
    let alice = app.token("alice");
    assert_eq!(upload(&app, &alice).await.status(), 201);
    assert_eq!(upload(&app, &alice).await.status(), 201);
    assert_limited(upload(&app, &alice).await, 2, 1..=30).await;
    assert_eq!(
        app.get("/images", &alice).send().await.unwrap().status(),
        200
    );
    assert!(app.logs().contains("Redis unavailable"), "{}", app.logs());
}

#[tokio::test]
async fn metrics_count_requests_refusals_and_processing() {
    let app = spawn_with(&[("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "1")]).await;
    let alice = app.token("alice");
    assert_eq!(upload(&app, &alice).await.status(), 201);
    assert_eq!(upload(&app, &alice).await.status(), 429);
    assert_eq!(
        app.get("/images", &alice).send().await.unwrap().status(),
        200
    );

    let text = app.metrics().await;
    for expected in [
        r#"http_requests_total{route="POST /images",status="201"} 1"#,
        r#"http_requests_total{route="POST /images",status="429"} 1"#,
        r#"http_requests_total{route="GET /images",status="200"} 1"#,
        r#"http_request_duration_seconds_bucket{route="GET /images",status="200",le="+Inf"} 1"#,
        r#"rate_limit_refusals_total{kind="user.upload"} 1"#,
        r#"uploads_processed_total{outcome="ok"} 1"#,
        r#"processing_duration_seconds_count 1"#,
        "processing_queue_depth 0",
        "store_errors_total",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
