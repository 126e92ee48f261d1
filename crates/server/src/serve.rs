//! The accept loop: HTTP/1.1 and HTTP/2 over hyper, plain or behind TLS, with
//! header-read and handshake timeouts against slow clients, HTTP/2 pings,
//! connection caps and an idle timeout (`connections`), the peer address for
//! per-IP limits, and graceful shutdown that lets in-flight requests
//! (uploads) finish.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use http::Request;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::{Builder, UpgradeableConnection};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::connections::{Admitted, Connections};
use crate::tls::Tls;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);
/// How long in-flight requests get to finish after SIGTERM.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How often an HTTP/2 peer is pinged, and how long its answer may take.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
/// How long an idle connection being closed gets to take its leave (an
/// HTTP/2 peer acknowledging the GOAWAY) before it is dropped.
const GOODBYE_GRACE: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` completes; with `tls`, only
/// HTTPS is spoken. Connections are counted and shed by `connections`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Tls>,
    connections: Arc<Connections>,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // A client that shuts its sending side mid-body still hears why its
        // request failed (400) instead of seeing the connection dropped.
        .half_close(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        // Pings find peers that vanished without closing; idle ones that
        // answer are closed by the idle timeout instead.
        .keep_alive_interval(Some(KEEP_ALIVE_INTERVAL))
        .keep_alive_timeout(KEEP_ALIVE_INTERVAL);
    // Shared with the per-connection tasks, which build their connection
    // after the TLS handshake.
    let builder = Arc::new(builder);
    let idle_timeout = connections.limits().idle_timeout;

    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Registered now, not after the handshake, so a shutdown that begins
        // mid-handshake still waits for (and then closes) the connection.
        let Some(admitted) = connections.admit(peer.ip()) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::clone(&admitted.activity);
        let router = router.clone();
        let service = tower::service_fn(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let busy = activity.busy();
            let response = router.clone().oneshot(request);
            async move {
                // Busy until the response body is sent (or dropped), so a long
                // download is never taken for an idle connection.
                response.await.map(|response| {
                    response.map(|body| {
                        axum::body::Body::new(body.map_frame(move |frame| {
                            let _busy = &busy;
                            frame
                        }))
                    })
                })
            }
        });
        let builder = builder.clone();
        let service = TowerToHyperService::new(service);
        let tls = tls.clone();
        tokio::spawn(async move {
            // The handshake runs in the connection's task so a slow client
            // cannot stall the accept loop.
            match tls {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    drive(connection, &admitted, idle_timeout).await;
                }
                Some(tls) => {
                    // A connection shed mid-handshake gives its descriptor back
                    // now, not at the handshake deadline.
                    let stream = tokio::select! {
                        stream = tls.accept(stream, peer) => stream,
                        () = admitted.activity.closed() => None,
                    };
                    let Some(stream) = stream else {
                        return;
                    };
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    drive(connection, &admitted, idle_timeout).await;
                }
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing in-flight requests");
    connections.close_all();
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.open_count() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("drain timed out; closing the remaining connections");
    }
}

/// Runs one connection to its end, closing it when it has been idle too long
/// or is asked to close.
async fn drive<C>(connection: C, admitted: &Admitted, idle_timeout: Duration)
where
    C: Future + GracefulConnection,
{
    tokio::pin!(connection);
    let activity = &admitted.activity;
    let check_every = (idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = activity.closed() => break,
            () = tokio::time::sleep(check_every) => {
                if activity.idle_for() >= idle_timeout {
                    break;
                }
            }
        }
    }
    // Shed to make room: its file descriptor is the point, and a peer
    // flooding idle connections never answers a goodbye anyway.
    if activity.was_shed() && activity.idle() {
        return;
    }
    // Otherwise a goodbye (HTTP/2 GOAWAY, so the peer knows which requests
    // were taken and retries the rest elsewhere; HTTP/1.1 closes when idle).
    // Requests under way finish first; an idle peer that does not answer is
    // dropped after a moment, a busy one after the drain timeout.
    connection.as_mut().graceful_shutdown();
    let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
    let mut watching = !activity.closing();
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            // Shed while taking its leave (it is off the books already): the
            // caps only hold if its descriptor goes now.
            () = activity.closed(), if watching => {
                watching = false;
                if activity.was_shed() && activity.idle() {
                    return;
                }
            }
            () = tokio::time::sleep(GOODBYE_GRACE) => {
                if activity.idle() || tokio::time::Instant::now() >= deadline {
                    return;
                }
            }
        }
    }
}

/// A hyper connection that can be asked to finish gracefully.
trait GracefulConnection {
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S, E> GracefulConnection for UpgradeableConnection<'_, I, S, E>
where
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: hyper::body::Body + Send + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, S::ResBody>,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        UpgradeableConnection::graceful_shutdown(self);
    }
}
