//! A client too slow to send its request body gets 408 `REQUEST_TIMEOUT`
//! instead of holding a connection (and an upload slot) open: the body is
//! wrapped so that a pause longer than `IMAGE_SERVICE_BODY_TIMEOUT_SECS`
//! between two pieces of it fails the read with [`BodyTimedOut`], which the
//! extractors turn into the 408. The clock only runs while a handler waits
//! for body bytes, so time spent authenticating or queueing does not count.

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
use tokio::time::Sleep;

/// The body read failed because the client paused for longer than allowed.
#[derive(Debug, thiserror::Error)]
#[error("no body bytes arrived for {0:?}")]
pub struct BodyTimedOut(Duration);

pub async fn body_timeout(State(idle): State<Duration>, request: Request, next: Next) -> Response {
    let request = request.map(|body| Body::new(IdleTimeoutBody::new(body, idle)));
    next.run(request).await
}

/// A body that fails with [`BodyTimedOut`] when no frame arrives for `idle`.
struct IdleTimeoutBody {
    inner: Body,
    idle: Duration,
    /// Armed when a read finds nothing to read; disarmed by each frame.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl IdleTimeoutBody {
    fn new(inner: Body, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            deadline: None,
        }
    }
}

impl HttpBody for IdleTimeoutBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.deadline = None;
            return Poll::Ready(frame.map(|r| r.map_err(BoxError::from)));
        }
        let idle = this.idle;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(idle))))),
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
