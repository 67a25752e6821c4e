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

use tokio::time::Instant;

use crate::HttpError;

/// The request extension saying when the call must be over, for the layers below (a retry is
/// not started, nor a wait begun, that would end after it), and counting how many times the
/// call's request has been sent (the retry layer raises it before each resend), so that a
/// [`HttpError::Timeout`] can say. One extension rather than two: the retry layer copies every
/// extension of each request it may resend.
#[derive(Clone, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    sends: Arc<AtomicU32>,
}

impl Deadline {
    /// A deadline at `at`, the request sent once so far.
    pub(crate) fn new(at: Instant) -> Self {
        Self {
            at,
            sends: Arc::new(AtomicU32::new(1)),
        }
    }

    /// When the call must be over.
    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// Records that the request is being sent for the `sends`th time.
    pub(crate) fn set_sends(&self, sends: u32) {
        self.sends.store(sends, Ordering::Relaxed);
    }

    /// How many times the request has been sent so far.
    fn sends(&self) -> u32 {
        self.sends.load(Ordering::Relaxed)
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

impl<S, B> tower::Service<http::Request<B>> for DeadlineService<S>
where
    S: tower::Service<http::Request<B>, Error = HttpError>,
{
    type Response = S::Response;
    type Error = HttpError;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let Some(deadline) = Instant::now().checked_add(self.timeout) else {
            return DeadlineFuture {
                call: self.inner.call(request),
                timer: None,
                expired: None,
            };
        };
        let extension = Deadline::new(deadline);
        let expired = Expired {
            uri: request.uri().clone(),
            timeout: self.timeout,
            deadline: extension.clone(),
        };
        request.extensions_mut().insert(extension);
        DeadlineFuture {
            call: self.inner.call(request),
            timer: Some(tokio::time::sleep_until(deadline)),
            expired: Some(expired),
        }
    }
}

/// What a timed-out call reports.
struct Expired {
    uri: http::Uri,
    timeout: Duration,
    /// The call's deadline extension, for its count of sends.
    deadline: Deadline,
}

impl Expired {
    fn error(&self) -> HttpError {
        HttpError::Timeout {
            uri: self.uri.clone(),
            timeout: self.timeout,
            attempts: self.deadline.sends(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`DeadlineService`] call: the call's answer, or
    /// [`HttpError::Timeout`] once the deadline has come.
    pub struct DeadlineFuture<F> {
        #[pin]
        call: F,
        // None: no deadline.
        #[pin]
        timer: Option<tokio::time::Sleep>,
        expired: Option<Expired>,
    }
}

impl<F, T> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<T, HttpError>>,
{
    type Output = Result<T, HttpError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The answer first: one that is ready when the deadline comes still counts.
        if let Poll::Ready(result) = this.call.poll(cx) {
            return Poll::Ready(result);
        }
        let expired = this
            .timer
            .as_pin_mut()
            .is_some_and(|t| t.poll(cx).is_ready());
        match this.expired.as_ref() {
            Some(cause) if expired => Poll::Ready(Err(cause.error())),
            _ => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::Poll;

    use bytes::Bytes;
    use tower::{Layer, ServiceExt};
    use tower_test::mock;

    use super::*;

    type Request = http::Request<Bytes>;
    type Response = http::Response<Bytes>;
    type Handle = mock::Handle<Request, Response>;
    /// The mock's errors are the ones its handle sends, boxed: unboxed again.
    type Inner =
        tower::util::MapErr<mock::Mock<Request, Response>, fn(tower::BoxError) -> HttpError>;

    /// A deadline of `timeout` over a mock service, whose handle answers in place of the
    /// layers below.
    fn service(timeout: Duration) -> (DeadlineService<Inner>, Handle) {
        let (mock, handle) = mock::pair();
        let inner: Inner = mock.map_err(HttpError::from_layer);
        (DeadlineLayer::new(timeout).layer(inner), handle)
    }

    fn get() -> http::Request<Bytes> {
        http::Request::get("https://region.example.com/api")
            .body(Bytes::new())
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_past_its_deadline_is_a_timeout_saying_how_many_sends_it_took() {
        let (service, mut handle) = service(Duration::from_secs(5));
        let started = Instant::now();
        let call = tokio::spawn(service.oneshot(get()));
        let (request, _answer) = handle.next_request().await.unwrap();
        // What the layers below read: when the call must be over, and where to count sends.
        let deadline = request.extensions().get::<Deadline>().unwrap().at();
        assert_eq!(deadline, started + Duration::from_secs(5));
        // The retry layer sends it a second time.
        request.extensions().get::<Deadline>().unwrap().set_sends(2);
        // No answer comes: the paused clock runs on to the deadline.
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(Instant::now(), deadline);
        match error {
            HttpError::Timeout {
                uri,
                timeout,
                attempts,
            } => {
                assert_eq!(uri, "https://region.example.com/api");
                assert_eq!(timeout, Duration::from_secs(5));
                assert_eq!(attempts, 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_or_error_within_the_deadline_passes_through() {
        let (service, mut handle) = service(Duration::from_secs(5));
        let call = tokio::spawn(service.clone().oneshot(get()));
        let (_, answer) = handle.next_request().await.unwrap();
        answer.send_response(
            http::Response::builder()
                .status(503)
                .body(Bytes::from_static(b"busy"))
                .unwrap(),
        );
        let response = call.await.unwrap().unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.body(), "busy");

        let call = tokio::spawn(service.oneshot(get()));
        let (_, answer) = handle.next_request().await.unwrap();
        answer.send_error(HttpError::InvalidRequest {
            uri: "/relative".parse().unwrap(),
        });
        assert!(matches!(
            call.await.unwrap(),
            Err(HttpError::InvalidRequest { .. })
        ));
    }

    /// A timeout too large to add to the clock (`Duration::MAX`) is no deadline at all: no
    /// extension for the layers below, and no timer.
    #[tokio::test(start_paused = true)]
    async fn a_timeout_beyond_the_clock_is_no_deadline() {
        let (service, mut handle) = service(Duration::MAX);
        let call = tokio::spawn(service.oneshot(get()));
        let (request, answer) = handle.next_request().await.unwrap();
        assert!(request.extensions().get::<Deadline>().is_none());
        tokio::time::advance(Duration::from_secs(365 * 24 * 3600)).await;
        answer.send_response(http::Response::new(Bytes::new()));
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }

    #[tokio::test]
    async fn readiness_is_the_inner_service_s() {
        let (service, mut handle) = service(Duration::from_secs(5));
        let mut service = mock::Spawn::new(service);
        handle.allow(0);
        assert!(service.poll_ready().is_pending());
        handle.allow(1);
        assert!(matches!(service.poll_ready(), Poll::Ready(Ok(()))));
    }
}
