//! The local listener: the router on hyper, with hyper's own head limits set far above the API's,
//! so a request with too many or too long headers reaches [`headers_within_limits`] and gets the
//! JSON error body instead of hyper's bare 431.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::error::ApiError;

/// The most header bytes (names and values) the API reads: well above what a browser sends with
/// its cookies, well below what would let one request hold much memory.
pub const HEADER_BYTES_LIMIT: usize = 32 * 1024;
/// The most header fields the API reads.
pub const HEADER_COUNT_LIMIT: usize = 100;

/// hyper's read buffer for a request head. Only a head past this gets hyper's bare 431: no client
/// that the API's own limit would let through comes near it.
const HEAD_BUFFER: usize = 1024 * 1024;
/// hyper's count of header fields it parses, above the API's so the API gives the answer.
const HEADERS_PARSED: usize = 1000;
/// A client that has not sent its whole head by then is dropped (slow-loris).
const HEAD_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long open requests may run on after Ctrl-C.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_READ_TIMEOUT)
        .max_buf_size(HEAD_BUFFER)
        .max_headers(HEADERS_PARSED);
    builder.http2().max_header_list_size(u32::try_from(HEAD_BUFFER).expect("the buffer fits in u32"));
    let connections = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin, and keep serving.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot turn off Nagle's algorithm");
        }
        let router = router.clone();
        // The peer address feeds the rate limits and the security log.
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request)
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.shutdown()).await.is_err() {
        tracing::warn!("requests still open after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
    Ok(())
}

/// Refuses a request whose headers are past the API's limits, with the JSON error body.
pub async fn headers_within_limits(request: Request, next: Next) -> Result<Response, ApiError> {
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > HEADER_COUNT_LIMIT || bytes > HEADER_BYTES_LIMIT {
        return Err(ApiError::HeadersTooLarge);
    }
    Ok(next.run(request).await)
}
