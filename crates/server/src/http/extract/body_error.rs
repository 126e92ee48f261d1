//! Why reading a request body failed, as the client should hear it: over the
//! size limit (413), too slow (408), or cut short or garbled (400).

use http_body_util::LengthLimitError;

use crate::http::error::ApiError;
use crate::http::middleware::body_timeout::BodyTimedOut;

/// The answer to a failed body read; `field` is what was being read (the
/// form field, or `body`) when it broke, `max` the limit for a 413.
pub fn refusal(err: &(dyn std::error::Error + 'static), field: &str, max: u64) -> ApiError {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.is::<LengthLimitError>() {
            return ApiError::FileTooLarge(max);
        }
        if e.is::<BodyTimedOut>() {
            return ApiError::RequestTimeout;
        }
        cause = e.source();
    }
    // The connection ended, or the framing (Content-Length, chunks) broke,
    // before the body was complete: a bad request, not a size problem.
    ApiError::field(field, "the request body ended before it was complete")
}
