//! One deadline for a whole call, retries and their waits included: [`DeadlineLayer`].

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use tokio::time::Instant;

use crate::HttpError;

/// The request extension saying when the call must be over, for the layers below (a retry is
/// not started, nor a wait begun, that would end after it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(pub(crate) Instant);

/// The request extension counting how many times the call's request has been sent (the retry
/// layer raises it before each resend), so that a [`HttpError::Timeout`] can say.
#[derive(Clone, Debug)]
pub(crate) struct Sends(pub(crate) Arc<AtomicU32>);

impl Sends {
    /// Records that the request is being sent for the `sends`th time.
    pub(crate) fn set(&self, sends: u32) {
        self.0.store(sends, Ordering::Relaxed);
    }
}

/// Fails a call with [`HttpError::Timeout`] once `timeout` has passed since it began
/// ([`HttpConfig::request_timeout`](crate::HttpConfig::request_timeout)), whatever the layers
/// below are doing: sending, waiting to retry, reading a body. The layers below see the
/// deadline and start no retry it would cut short.
///
/// A timeout too large to add to the clock is no deadline at all.
///
/// ```
/// use std::time::Duration;
/// use core_client::layer::DeadlineLayer;
///
/// let stack = tower::ServiceBuilder::new().layer(DeadlineLayer::new(Duration::from_secs(5)));
/// # let _ = stack;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DeadlineLayer {
    timeout: Duration,
}

impl DeadlineLayer {
    /// Calls through this layer fail after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = DeadlineService<S>;

    fn layer(&self, inner: S) -> DeadlineService<S> {
        DeadlineService {
            inner,
            timeout: self.timeout,
        }
    }
}

/// The service of a [`DeadlineLayer`].
#[derive(Clone, Debug)]
pub struct DeadlineService<S> {
    inner: S,
    timeout: Duration,
}

impl<S> tower::Service<http::Request<Bytes>> for DeadlineService<S>
where
    S: tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>, Error = HttpError>,
{
    type Response = http::Response<Bytes>;
    type Error = HttpError;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> Self::Future {
        let timeout = self.timeout;
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return DeadlineFuture {
                inner: Inner::Unbounded {
                    call: self.inner.call(request),
                },
            };
        };
        request.extensions_mut().insert(Deadline(deadline));
        let sends = Sends(Arc::new(AtomicU32::new(1)));
        request.extensions_mut().insert(sends.clone());
        let uri = request.uri().clone();
        DeadlineFuture {
            inner: Inner::Bounded {
                call: tokio::time::timeout_at(deadline, self.inner.call(request)),
                expired: Expired {
                    uri,
                    timeout,
                    sends,
                },
            },
        }
    }
}

/// What a timed-out call reports.
struct Expired {
    uri: http::Uri,
    timeout: Duration,
    sends: Sends,
}

pin_project_lite::pin_project! {
    /// The future of a [`DeadlineService`] call.
    pub struct DeadlineFuture<F> {
        #[pin]
        inner: Inner<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = InnerProjection]
    enum Inner<F> {
        Unbounded {
            #[pin]
            call: F,
        },
        Bounded {
            #[pin]
            call: tokio::time::Timeout<F>,
            expired: Expired,
        },
    }
}

impl<F> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<http::Response<Bytes>, HttpError>>,
{
    type Output = Result<http::Response<Bytes>, HttpError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().inner.project() {
            InnerProjection::Unbounded { call } => call.poll(cx),
            InnerProjection::Bounded { call, expired } => match std::task::ready!(call.poll(cx)) {
                Ok(result) => Poll::Ready(result),
                Err(_elapsed) => Poll::Ready(Err(HttpError::Timeout {
                    uri: expired.uri.clone(),
                    timeout: expired.timeout,
                    attempts: expired.sends.0.load(Ordering::Relaxed),
                })),
            },
        }
    }
}
