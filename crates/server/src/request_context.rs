//! Per-request context carried in a task-local: the request id and the log
//! fields handlers fill in (user, image, key, size) for the access log line.
//!
//! Outside the HTTP layer on purpose: the HTTP middleware opens the scope,
//! and anything a request runs (handlers, the audit log) reads the request
//! id from it without depending on HTTP types.

use std::sync::{Arc, Mutex};

#[derive(Debug, Default, Clone)]
pub struct LogFields {
    pub operation: Option<String>,
    pub user_id: Option<String>,
    pub image_id: Option<String>,
    pub key: Option<String>,
    pub file_size: Option<u64>,
    /// The checked rate limit nearest exhaustion, for the `RateLimit-*` headers.
    pub rate_limit: Option<ratelimit::Decision>,
    /// The client as the per-IP limit counts it (address, or IPv6 /64).
    pub client: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: Arc<str>,
    pub fields: Arc<Mutex<LogFields>>,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

impl RequestContext {
    pub fn new(request_id: String) -> Self {
        Self {
            request_id: request_id.into(),
            fields: Arc::default(),
        }
    }

    pub async fn scope<F: std::future::Future>(self, fut: F) -> F::Output {
        CONTEXT.scope(self, fut).await
    }
}

/// The current request's id, or `-` outside a request.
pub fn request_id() -> String {
    CONTEXT
        .try_with(|c| c.request_id.to_string())
        .unwrap_or_else(|_| "-".to_owned())
}

/// The current request's client (see `LogFields::client`), if known.
pub fn client() -> Option<String> {
    CONTEXT
        .try_with(|c| c.fields.lock().ok().and_then(|f| f.client.clone()))
        .ok()
        .flatten()
}

/// Records log fields for the current request's access-log line.
pub fn record(update: impl FnOnce(&mut LogFields)) {
    let _ = CONTEXT.try_with(|c| {
        if let Ok(mut fields) = c.fields.lock() {
            update(&mut fields);
        }
    });
}

/// Keeps whichever checked limit has the fewest events left.
pub fn note_limit(decision: ratelimit::Decision) {
    if decision.limit == 0 {
        return;
    }
    record(|f| match f.rate_limit {
        Some(current) if current.remaining <= decision.remaining => {}
        _ => f.rate_limit = Some(decision),
    });
}
