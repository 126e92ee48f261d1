//! Retries of transient DynamoDB failures (throttling, timeouts, 5xx) with
//! exponential backoff and full jitter: 100 ms × 2^n, each wait at most 5 s.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use domain::StoreError;
use rand::Rng;

const BASE: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_secs(5);
/// Waits add up to about 15 s in the worst case before the caller sees `Unavailable`.
const MAX_RETRIES: u32 = 7;

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
    E: ProvideErrorMetadata,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if is_transient(&e) && attempt < MAX_RETRIES => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Full jitter: a uniform wait in `[0, min(CAP, BASE × 2^attempt)]`, so
/// replicas throttled together do not retry together.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE.saturating_mul(1 << attempt.min(16)).min(CAP);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        for attempt in 0..40 {
            let ceiling = BASE.saturating_mul(1 << attempt.min(16)).min(CAP);
            assert!(backoff(attempt) <= ceiling);
        }
        assert!(backoff(0) <= Duration::from_millis(100));
        assert!(backoff(30) <= CAP);
    }
}
