//! Sorting `object_store` errors into transient (retry, then 503) and permanent ones.

use std::error::Error as _;

use domain::ports::StoreError;
use object_store::client::{HttpError, HttpErrorKind};

/// Throttling, timeouts, dropped connections and 5xx are worth another try.
pub(crate) fn is_transient(e: &object_store::Error) -> bool {
    match e {
        object_store::Error::Generic { .. } => chain_is_transient(e),
        _ => false,
    }
}

fn chain_is_transient(e: &object_store::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = current {
        // object_store keeps its retry error private; its message carries the status.
        if let Some(status) = status_in(&err.to_string()) {
            return status == 429 || status >= 500;
        }
        if let Some(http) = err.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect
                    | HttpErrorKind::Request
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
            );
        }
        if let Some(http) = err.downcast_ref::<reqwest::Error>() {
            return http.is_connect() || http.is_timeout() || http.is_request() || http.is_body();
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | TimedOut
                    | UnexpectedEof
                    | BrokenPipe
            );
        }
        current = err.source();
    }
    false
}

fn status_in(message: &str) -> Option<u16> {
    let at = message.find("status code: ")? + "status code: ".len();
    message.get(at..at + 3)?.parse().ok()
}

/// The final mapping, after retries: transient ones mean "try later" (503).
pub(crate) fn to_store_error(op: &str, key: &str, e: object_store::Error) -> StoreError {
    if is_transient(&e) {
        StoreError::Unavailable(format!("s3 {op} {key}: {e}"))
    } else {
        StoreError::Internal(format!("s3 {op} {key}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(message: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: message.to_owned().into(),
        }
    }

    #[test]
    fn classifies_by_status() {
        assert_eq!(
            status_in("Server returned non-2xx status code: 503 Service Unavailable: "),
            Some(503)
        );
        assert!(!is_transient(&object_store::Error::NotFound {
            path: "x".into(),
            source: "gone".into()
        }));
        assert!(!is_transient(&generic("plain failure")));
    }
}
