//! Which DynamoDB failures are transient (throttling, timeouts, 5xx), retried
//! under the store's `domain::RetryPolicy`, and how a final one maps to a
//! `StoreError`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use domain::{RetryPolicy, StoreError};

/// 100 ms × 2^n, each wait at most 5 s, seven retries: the waits add up to
/// about 15 s in the worst case before the caller sees `Unavailable`.
const POLICY: RetryPolicy = RetryPolicy {
    attempts: 8,
    base: Duration::from_millis(100),
    max: Duration::from_secs(5),
    budget: None,
};

/// Error codes DynamoDB documents as "try again later".
const TRANSIENT_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// Runs `op` until it succeeds, fails for good, or runs out of retries.
pub(super) async fn send<T, E, F, Fut>(mut op: F) -> Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    domain::retry::retry(
        &POLICY,
        "metadata",
        |e: &Logged<E>| is_transient(&e.0),
        || {
            let attempt = op();
            async move { attempt.await.map_err(Logged) }
        },
    )
    .await
    .map_err(|e| e.0)
}

/// An SDK error shown with its causes in the retry log (its own `Display`
/// says only "service error").
struct Logged<E>(SdkError<E, HttpResponse>);

impl<E: std::error::Error + 'static> fmt::Display for Logged<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DisplayErrorContext(&self.0).fmt(f)
    }
}

pub(super) fn is_transient<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    }
}

/// Maps a final SDK error on purpose: transient ones are `Unavailable`.
pub(super) fn store_error<E>(e: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = DisplayErrorContext(&e).to_string();
    if is_transient(&e) {
        StoreError::Unavailable(message)
    } else {
        StoreError::Internal(message)
    }
}
