//! Security headers, request ids and CORS on every response (docs/API.md, Headers).

use crate::support::{assert_error, spawn_app};

const SECURITY: [(&str, &str); 6] = [
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-xss-protection", "1; mode=block"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

#[tokio::test]
async fn security_headers_on_success_and_error() {
    let app = spawn_app().await;
    let responses = [
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client.get(app.url("/images")).send().await.unwrap(),
        app.client.get(app.url("/nope")).send().await.unwrap(),
        app.get("/images", &app.token("alice"))
            .send()
            .await
            .unwrap(),
    ];
    for response in responses {
        for (name, value) in SECURITY {
            assert_eq!(
                response.headers()[name],
                value,
                "{name} on {}",
                response.url()
            );
        }
        assert!(response.headers().contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn request_ids_are_echoed_when_valid() {
    let app = spawn_app().await;
    let ok = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "abc-123:x.y_z")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["x-request-id"], "abc-123:x.y_z");
    let body = assert_error(ok, 404, "NOT_FOUND").await;
    assert_eq!(body["requestId"], "abc-123:x.y_z");
    let bad = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id<script>")
        .send()
        .await
        .unwrap();
    let id = bad.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "bad id<script>");
    assert!(!id.is_empty());
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app().await;
    for origin in ["https://app.example.com", "https://a.b.example.org"] {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
        assert!(
            response
                .headers()
                .get_all("vary")
                .iter()
                .any(|v| v == "Origin")
        );
    }
    for origin in [
        "https://evil.com",
        "https://example.org",
        "https://example.org.evil.net",
        "http://app.example.com",
    ] {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin}"
        );
    }
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/images"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(
        h["access-control-allow-methods"],
        "GET, POST, PATCH, DELETE, OPTIONS"
    );
    assert_eq!(
        h["access-control-allow-headers"],
        "Authorization, Content-Type, X-Requested-With"
    );
    assert_eq!(h["access-control-max-age"], "86400");
    assert_eq!(h["x-frame-options"], "DENY");
    let refused = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/images"))
        .header("origin", "https://evil.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
