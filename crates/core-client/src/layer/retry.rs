//! When a request is sent again: [`RetryLayer`] (`tower::retry` with the [`RetryPolicy`] of a
//! [`RetryConfig`]), and the extensions that mark a request safe to repeat ([`RetrySafe`]) and
//! count attempts ([`Attempts`]).

use std::{
    hash::{BuildHasher, RandomState},
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use tokio::time::Instant;

use super::deadline::Deadline;
use crate::{BoxFuture, EditorError, HttpError, RequestEditor, RetryConfig};

/// Marks a request safe to send more than once, so that it is retried like an idempotent one
/// even though its method is `POST` (or `PATCH`): for operations the caller knows to be
/// idempotent, such as starting a server that may already be running.
///
/// It is a request extension and, for generated clients, a [`RequestEditor`] that puts itself
/// on every request it edits.
///
/// ```
/// use core_client::RetrySafe;
///
/// let mut request = http::Request::post("https://region.example.com/start")
///     .body(bytes::Bytes::new())
///     .unwrap();
/// request.extensions_mut().insert(RetrySafe);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetrySafe;

impl RequestEditor for RetrySafe {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        request.extensions_mut().insert(RetrySafe);
        crate::edited(Ok(()))
    }
}

/// How many times a request was sent, the first included: a response extension.
///
/// ```no_run
/// # async fn demo(http: core_client::HttpClient, request: http::Request<bytes::Bytes>)
/// # -> Result<(), core_client::HttpError> {
/// let response = http.send(request).await?;
/// let attempts = response.extensions().get::<core_client::Attempts>().map_or(1, |a| a.0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts(pub u32);

/// The request extension telling the layers below which resend an attempt is (1 for the first
/// retry); absent on the first attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResendCount(pub(crate) u32);

/// Sends a request again when that is safe, as [`RetryConfig`] says: `tower::retry` with a
/// [`RetryPolicy`]. Below a [`DeadlineLayer`](super::DeadlineLayer), no retry is started that
/// the deadline would cut short. The final answer or error says how many times the request was
/// sent ([`Attempts`], [`HttpError::attempts`]).
///
/// ```
/// use core_client::{RetryConfig, layer::RetryLayer};
///
/// let stack = tower::ServiceBuilder::new().layer(RetryLayer::new(RetryConfig::default()));
/// # let _ = stack;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RetryLayer {
    config: RetryConfig,
}

impl RetryLayer {
    /// Retries as `config` says.
    pub fn new(config: RetryConfig) -> Self {
        Self { config }
    }
}

impl<S> tower::Layer<S> for RetryLayer {
    type Service = tower::retry::Retry<RetryPolicy, S>;

    fn layer(&self, inner: S) -> Self::Service {
        tower::retry::Retry::new(RetryPolicy::new(self.config), inner)
    }
}

/// The `tower::retry` policy of a [`RetryConfig`]: one per call, counting its attempts.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    config: RetryConfig,
    /// Sends so far.
    attempts: u32,
}

impl RetryPolicy {
    /// The policy of `config`, before the first attempt.
    pub fn new(config: RetryConfig) -> Self {
        Self {
            config,
            attempts: 1,
        }
    }

    /// How long to wait before sending `request` again after `result`, or `None` when it must
    /// not be sent again.
    fn wait(
        &self,
        request: &http::Request<Bytes>,
        result: &Result<http::Response<Bytes>, HttpError>,
    ) -> Option<Duration> {
        if self.attempts >= self.config.max_attempts || !repeatable(request) {
            return None;
        }
        let wait = match result {
            Ok(response) => match response.status().as_u16() {
                502..=504 => match retry_after(response.headers()) {
                    Some(asked) if asked <= self.config.max_retry_after => asked,
                    // The server asks for more patience than we have: its answer stands.
                    Some(_) => return None,
                    None => self.backoff(),
                },
                _ => return None,
            },
            // Nothing came back: safe to repeat, unless TLS refused (it would again).
            Err(error @ HttpError::Transport { .. }) if !error.is_tls_failure() => self.backoff(),
            // The answer was cut half-way (a reset, a dropped connection): repeating a
            // repeatable request is as safe as when nothing came back.
            Err(HttpError::Body { .. }) => self.backoff(),
            Err(_) => return None,
        };
        // Do not start what the deadline would cut short; a wait too long to add to the clock
        // ends after any deadline.
        match request.extensions().get::<Deadline>() {
            Some(deadline) => match Instant::now().checked_add(wait) {
                Some(end) if end < deadline.at() => Some(wait),
                _ => None,
            },
            None => Some(wait),
        }
    }

    /// Exponential backoff with jitter: half of `initial × 2^(retry − 1)` (capped at the
    /// maximum), plus a random part up to the other half, so that clients that failed together
    /// do not retry together.
    fn backoff(&self) -> Duration {
        let doublings = self.attempts.saturating_sub(1).min(16);
        let base = self
            .config
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.config.max_backoff);
        let half = base / 2;
        // Saturating: at `Duration::MAX` the float product may round up past the half.
        half.saturating_add(half.mul_f64(random_fraction()))
    }
}

impl tower::retry::Policy<http::Request<Bytes>, http::Response<Bytes>, HttpError> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut http::Request<Bytes>,
        result: &mut Result<http::Response<Bytes>, HttpError>,
    ) -> Option<Self::Future> {
        if let Some(wait) = self.wait(request, result) {
            self.attempts += 1;
            request
                .extensions_mut()
                .insert(ResendCount(self.attempts - 1));
            if let Some(deadline) = request.extensions().get::<Deadline>() {
                deadline.set_sends(self.attempts);
            }
            return Some(tokio::time::sleep(wait));
        }
        // The final answer: say how many sends it took.
        match result {
            Ok(response) => {
                response.extensions_mut().insert(Attempts(self.attempts));
            }
            Err(error) => error.set_attempts(self.attempts),
        }
        None
    }

    fn clone_request(&mut self, request: &http::Request<Bytes>) -> Option<http::Request<Bytes>> {
        // Nothing is copied for a request that will never be repeated.
        if self.config.max_attempts <= 1 || !repeatable(request) {
            return None;
        }
        let mut copy = http::Request::new(request.body().clone());
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.version_mut() = request.version();
        *copy.headers_mut() = request.headers().clone();
        *copy.extensions_mut() = request.extensions().clone();
        Some(copy)
    }
}

/// Whether sending `request` twice has the effect of sending it once: an idempotent method
/// (RFC 9110 §9.2.2) or a request marked [`RetrySafe`].
fn repeatable(request: &http::Request<Bytes>) -> bool {
    use http::Method;
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    ) || request.extensions().get::<RetrySafe>().is_some()
}

/// The `Retry-After` of an answer: seconds, or an HTTP date (a date in the past is zero).
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A number in `[0, 1)`, different on every call: jitter needs no more than that, and std's
/// randomly keyed hasher gives it without a random-number crate.
fn random_fraction() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let bits = RandomState::new().hash_one(nanos);
    // The top 53 bits, as a fraction of 2^53.
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: http::Method) -> http::Request<Bytes> {
        http::Request::builder()
            .method(method)
            .uri("https://example.com/x")
            .body(Bytes::new())
            .unwrap()
    }

    fn answer(status: u16, retry_after: Option<&str>) -> Result<http::Response<Bytes>, HttpError> {
        let mut response = http::Response::builder().status(status);
        if let Some(value) = retry_after {
            response = response.header(http::header::RETRY_AFTER, value);
        }
        Ok(response.body(Bytes::new()).unwrap())
    }

    #[test]
    fn only_repeatable_requests_and_gateway_errors_are_retried() {
        let policy = RetryPolicy::new(RetryConfig::default());
        let get = request(http::Method::GET);
        for status in [502, 503, 504] {
            assert!(
                policy.wait(&get, &answer(status, None)).is_some(),
                "{status}"
            );
        }
        for status in [200, 400, 404, 429, 500, 501] {
            assert!(
                policy.wait(&get, &answer(status, None)).is_none(),
                "{status}"
            );
        }
        let post = request(http::Method::POST);
        assert!(policy.wait(&post, &answer(503, None)).is_none());
        let mut marked = request(http::Method::POST);
        marked.extensions_mut().insert(RetrySafe);
        assert!(policy.wait(&marked, &answer(503, None)).is_some());
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::new(RetryConfig::default());
        let get = request(http::Method::GET);
        assert_eq!(
            policy.wait(&get, &answer(503, Some("2"))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.wait(&get, &answer(503, Some("11"))), None);
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
        let waited = policy.wait(&get, &answer(503, Some(&soon))).unwrap();
        assert!(waited <= Duration::from_secs(3) && waited >= Duration::from_secs(1));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
        assert_eq!(
            policy.wait(&get, &answer(503, Some(&past))),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_the_attempt_limit() {
        let config = RetryConfig::default();
        let mut policy = RetryPolicy::new(config);
        let get = request(http::Method::GET);
        let first = policy.wait(&get, &answer(503, None)).unwrap();
        assert!(first >= config.initial_backoff / 2 && first <= config.initial_backoff);
        policy.attempts = 2;
        let second = policy.wait(&get, &answer(503, None)).unwrap();
        assert!(second >= config.initial_backoff && second <= config.initial_backoff * 2);
        policy.attempts = config.max_attempts;
        assert!(policy.wait(&get, &answer(503, None)).is_none());
        let disabled = RetryPolicy::new(RetryConfig::disabled());
        assert!(disabled.wait(&get, &answer(503, None)).is_none());
    }

    /// A `Retry-After` or backoff too large to add to the clock (a `max_retry_after` of
    /// `Duration::MAX`) is a wait no deadline allows, not a panic.
    #[tokio::test]
    async fn huge_waits_never_overflow_the_clock() {
        let config = RetryConfig {
            max_retry_after: Duration::MAX,
            initial_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            ..RetryConfig::default()
        };
        let policy = RetryPolicy::new(config);
        let forever = u64::MAX.to_string();
        let mut get = request(http::Method::GET);
        get.extensions_mut()
            .insert(Deadline::new(Instant::now() + Duration::from_secs(30)));
        assert_eq!(policy.wait(&get, &answer(503, Some(&forever))), None);
        assert_eq!(policy.wait(&get, &answer(503, None)), None);
        // Without a deadline (a request timeout too large for the clock) the wait stands.
        let unbounded = request(http::Method::GET);
        assert_eq!(
            policy.wait(&unbounded, &answer(503, Some(&forever))),
            Some(Duration::from_secs(u64::MAX))
        );
        assert!(policy.wait(&unbounded, &answer(503, None)).is_some());
    }

    #[test]
    fn a_body_cut_half_way_is_retried_only_when_repeatable() {
        let policy = RetryPolicy::new(RetryConfig::default());
        let cut = || {
            Err(HttpError::Body {
                uri: "https://example.com/x".parse().unwrap(),
                status: http::StatusCode::OK,
                attempts: 1,
                source: "connection reset".into(),
            })
        };
        assert!(policy.wait(&request(http::Method::GET), &cut()).is_some());
        assert!(policy.wait(&request(http::Method::PUT), &cut()).is_some());
        assert!(policy.wait(&request(http::Method::POST), &cut()).is_none());
        let mut marked = request(http::Method::POST);
        marked.extensions_mut().insert(RetrySafe);
        assert!(policy.wait(&marked, &cut()).is_some());
    }

    #[tokio::test]
    async fn no_retry_is_started_that_the_deadline_would_cut_short() {
        let policy = RetryPolicy::new(RetryConfig::default());
        let mut get = request(http::Method::GET);
        get.extensions_mut()
            .insert(Deadline::new(Instant::now() + Duration::from_secs(1)));
        assert!(policy.wait(&get, &answer(503, Some("2"))).is_none());
        assert!(policy.wait(&get, &answer(503, Some("0"))).is_some());
    }
}
