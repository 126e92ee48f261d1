//! A client too slow to send its request body gets 408 `REQUEST_TIMEOUT`
//! instead of holding a connection (and an upload slot, and up to the upload
//! limit of buffer) open. The body is wrapped so that reading it fails with
//! [`BodyTimedOut`], which the extractors turn into the 408, when
//! - no piece of it arrives for `IMAGE_SERVICE_BODY_TIMEOUT_SECS` (a pause);
//! - it is not complete `IMAGE_SERVICE_REQUEST_TIMEOUT_SECS` after the
//!   request arrived (a trickle of a byte every few seconds never pauses
//!   long enough for the first rule);
//! - after a grace period, it arrives slower on average than
//!   `IMAGE_SERVICE_MIN_BODY_RATE_BYTES_PER_SEC` (a trickle found early).
//!
//! The pause and rate clocks only run once a handler reads the body, so time
//! spent authenticating or queueing does not count against the client.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How long a body may take before its average rate is judged.
const RATE_GRACE: Duration = Duration::from_secs(10);

/// The body read failed because the client sent it too slowly.
#[derive(Debug, thiserror::Error)]
#[error("request body too slow: {0}")]
pub struct BodyTimedOut(&'static str);

/// The limits a request body is read under.
#[derive(Clone, Copy, Debug)]
pub struct BodyPace {
    /// Longest pause between two pieces of the body.
    pub idle: Duration,
    /// From the request's arrival to the body's last byte.
    pub total: Duration,
    /// Least average rate after `RATE_GRACE`; 0 is off.
    pub min_bytes_per_sec: u64,
}

pub async fn body_timeout(State(pace): State<BodyPace>, request: Request, next: Next) -> Response {
    let request = request.map(|body| Body::new(PacedBody::new(body, pace)));
    next.run(request).await
}

/// A body that fails with [`BodyTimedOut`] when it arrives too slowly.
struct PacedBody {
    inner: Body,
    pace: BodyPace,
    /// The end of the whole-request allowance, set when the request arrived.
    deadline: Pin<Box<Sleep>>,
    /// Armed when a read finds nothing to read; disarmed by each frame.
    pause: Option<Pin<Box<Sleep>>>,
    /// When the handler first asked for the body, and how much has come since.
    started: Option<Instant>,
    received: u64,
}

impl PacedBody {
    fn new(inner: Body, pace: BodyPace) -> Self {
        Self {
            inner,
            pace,
            deadline: Box::pin(tokio::time::sleep(pace.total)),
            pause: None,
            started: None,
            received: 0,
        }
    }

    fn too_slow(&self, now: Instant) -> bool {
        let Some(started) = self.started else {
            return false;
        };
        let elapsed = now.duration_since(started);
        self.pace.min_bytes_per_sec > 0
            && elapsed > RATE_GRACE
            && (self.received as f64) < self.pace.min_bytes_per_sec as f64 * elapsed.as_secs_f64()
    }
}

impl HttpBody for PacedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let now = Instant::now();
        this.started.get_or_insert(now);
        // Bytes already here are taken whatever the clocks say: only a client
        // that has nothing ready is judged (not one whose body waited on us).
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.pause = None;
            if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
                this.received += data.map_or(0, |d| d.len() as u64);
            }
            return Poll::Ready(frame.map(|r| r.map_err(BoxError::from)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(
                "not complete within the request timeout",
            )))));
        }
        if this.too_slow(now) {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut(
                "slower than the minimum rate",
            )))));
        }
        let idle = this.pace.idle;
        let pause = this
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        match pause.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(
                "paused longer than the body timeout",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
