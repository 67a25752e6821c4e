//! [`CachingTokenSource`]: issues a token once and refreshes it ahead of expiry.

use std::{
    error::Error as StdError,
    fmt,
    future::Future,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use core_client::BoxFuture;
use tokio::time::Instant;

use super::{AccessToken, AccessTokenSource, IssuedToken, TokenError};

/// How long before expiry [`CachingTokenSource`] refreshes its token by default: 60 seconds, so
/// that a token handed out is still valid for the whole of a typical request.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

type BoxError = Box<dyn StdError + Send + Sync + 'static>;
type SharedError = Arc<dyn StdError + Send + Sync + 'static>;
type IssueFn = dyn Fn() -> BoxFuture<'static, Result<IssuedToken, BoxError>> + Send + Sync;

/// Caches the token of an issuing function and refreshes it ahead of expiry.
///
/// - A token is reused until [`DEFAULT_REFRESH_MARGIN`] (or
///   [`with_refresh_margin`](Self::with_refresh_margin)) before it expires, or until half its
///   lifetime has passed when that comes later (short-lived tokens are not re-issued on every
///   call).
/// - Only one refresh runs at a time: concurrent callers wait for it and share its token; while
///   a refresh is running and the current token has not expired, callers get the current token
///   without waiting.
/// - When a refresh fails and the current token has not expired yet, the current token is
///   served (and the failure logged); only without an unexpired token is the failure returned.
///   Callers that were waiting for a failed attempt share its error instead of each trying
///   again; the next caller to arrive tries again.
///
/// Cheap to clone; clones share the cache.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use identity_client::{AccessToken, AccessTokenSource, CachingTokenSource, IssuedToken};
///
/// let source = CachingTokenSource::new(|| async {
///     Ok::<_, std::io::Error>(IssuedToken::expiring_in(
///         AccessToken::new("fresh"),
///         Duration::from_secs(3600),
///     ))
/// });
/// assert_eq!(source.token().await.unwrap().expose_secret(), "fresh");
/// # }
/// ```
#[derive(Clone)]
pub struct CachingTokenSource {
    inner: Arc<Inner>,
    margin: Duration,
}

/// The token held, and when to refresh it.
#[derive(Clone)]
struct Cached {
    issued: IssuedToken,
    refresh_at: Instant,
}

struct Inner {
    issue: Box<IssueFn>,
    current: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    /// Number of issue calls finished so far.
    finished: AtomicU64,
    /// The finish number and error of the last issue call, when it failed.
    last_failure: Mutex<Option<(u64, SharedError)>>,
}

impl fmt::Debug for CachingTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cached token is left out; only whether one is held and when it expires shows.
        let expires_at = self.inner.read().map(|t| t.issued.expires_at);
        f.debug_struct("CachingTokenSource")
            .field("margin", &self.margin)
            .field("expires_at", &expires_at)
            .finish_non_exhaustive()
    }
}

impl CachingTokenSource {
    /// Caches the tokens `issue` returns. `issue` is called for the first token and for every
    /// refresh, never twice at the same time.
    pub fn new<F, Fut, E>(issue: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<IssuedToken, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let issue: Box<IssueFn> = Box::new(move || {
            let future = issue();
            Box::pin(async move { future.await.map_err(Into::into) })
        });
        Self {
            inner: Arc::new(Inner {
                issue,
                current: RwLock::new(None),
                refresh: tokio::sync::Mutex::new(()),
                finished: AtomicU64::new(0),
                last_failure: Mutex::new(None),
            }),
            margin: DEFAULT_REFRESH_MARGIN,
        }
    }

    /// Refreshes `margin` before expiry instead of [`DEFAULT_REFRESH_MARGIN`] (this handle and
    /// clones made from it afterwards).
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The refresh margin in force.
    pub fn refresh_margin(&self) -> Duration {
        self.margin
    }

    async fn get(&self) -> Result<AccessToken, TokenError> {
        let inner = &self.inner;
        let current = inner.read();
        if let Some(token) = self.fresh(current.as_ref()) {
            return Ok(token);
        }
        let finished_before = inner.finished.load(Ordering::SeqCst);
        // Stale or missing. While another caller refreshes, an unexpired token is good enough.
        let _guard = match (inner.refresh.try_lock(), inner.unexpired(current.as_ref())) {
            (Ok(guard), _) => guard,
            (Err(_), Some(token)) => return Ok(token),
            (Err(_), None) => inner.refresh.lock().await,
        };
        // Someone may have refreshed while we waited for the lock.
        let current = inner.read();
        if let Some(token) = self.fresh(current.as_ref()) {
            return Ok(token);
        }
        // Or an attempt that finished while we waited failed: share that failure rather than
        // queueing one more attempt each (during an outage, callers would otherwise wait for
        // every other caller's timeout in turn).
        if let Some((finished, error)) = inner.failure()
            && finished > finished_before
        {
            return match inner.unexpired(current.as_ref()) {
                Some(token) => Ok(token),
                None => Err(TokenError::Issue(error)),
            };
        }
        let result = (inner.issue)().await;
        let finished = inner.finished.fetch_add(1, Ordering::SeqCst) + 1;
        match result {
            Ok(issued) => {
                let token = issued.token.clone();
                let cached = Some(self.cached(issued));
                match inner.current.write() {
                    Ok(mut guard) => *guard = cached,
                    Err(poisoned) => *poisoned.into_inner() = cached,
                }
                inner.set_failure(None);
                Ok(token)
            }
            Err(error) => {
                let error: SharedError = Arc::from(error);
                inner.set_failure(Some((finished, error.clone())));
                match inner.unexpired(current.as_ref()) {
                    Some(token) => {
                        tracing::warn!(
                            error = %error,
                            "refreshing the access token failed; using the current one until it expires"
                        );
                        Ok(token)
                    }
                    None => Err(TokenError::Issue(error)),
                }
            }
        }
    }
}

impl CachingTokenSource {
    /// The token if it is not yet due for refresh.
    fn fresh(&self, current: Option<&Cached>) -> Option<AccessToken> {
        current
            .filter(|t| Instant::now() < t.refresh_at)
            .map(|t| t.issued.token.clone())
    }

    /// `issued`, due for refresh one margin before it expires, or half-way through its
    /// lifetime when that is shorter than twice the margin (a token living 60 s is not
    /// refreshed on every call with the default 60 s margin).
    fn cached(&self, issued: IssuedToken) -> Cached {
        let lifetime = issued.expires_at.saturating_duration_since(Instant::now());
        let refresh_at = issued.expires_at - self.margin.min(lifetime / 2);
        Cached { issued, refresh_at }
    }
}

impl Inner {
    fn failure(&self) -> Option<(u64, SharedError)> {
        match self.last_failure.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_failure(&self, failure: Option<(u64, SharedError)>) {
        match self.last_failure.lock() {
            Ok(mut guard) => *guard = failure,
            Err(poisoned) => *poisoned.into_inner() = failure,
        }
    }

    fn read(&self) -> Option<Cached> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The token if it has not expired.
    fn unexpired(&self, current: Option<&Cached>) -> Option<AccessToken> {
        current
            .filter(|t| Instant::now() < t.issued.expires_at)
            .map(|t| t.issued.token.clone())
    }
}

impl AccessTokenSource for CachingTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(self.get())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// An issuer whose `n`th call returns `token-n` valid for 300 s, or fails when `fail` says.
    fn counting(
        calls: Arc<AtomicUsize>,
        fail: Arc<std::sync::atomic::AtomicBool>,
    ) -> CachingTokenSource {
        CachingTokenSource::new(move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let fail = fail.load(Ordering::SeqCst);
            async move {
                // Yield so that concurrent callers really overlap the issue call.
                tokio::time::sleep(Duration::from_millis(10)).await;
                if fail {
                    return Err(std::io::Error::other("identity is down"));
                }
                Ok(IssuedToken::expiring_in(
                    AccessToken::new(format!("token-{n}")),
                    Duration::from_secs(300),
                ))
            }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn hundred_concurrent_callers_cause_one_issue_call() {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(calls.clone(), Arc::default());
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move { source.token().await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose_secret(), "token-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_failure() {
        let calls = Arc::new(AtomicUsize::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let source = counting(calls.clone(), fail.clone());
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move { source.token().await })
            })
            .collect();
        for task in tasks {
            let err = task.await.unwrap().unwrap_err();
            assert!(err.downcast_ref::<std::io::Error>().is_some(), "{err:?}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A caller arriving after the failure tries again.
        fail.store(false, Ordering::SeqCst);
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-2");
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_within_the_margin_before_expiry() {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(calls.clone(), Arc::default());
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        // 300 s lifetime, 60 s margin: still fresh at 200 s.
        tokio::time::advance(Duration::from_secs(200)).await;
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Due at 241 s, before the token expires at ~300 s.
        tokio::time::advance(Duration::from_secs(45)).await;
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn short_lived_tokens_are_refreshed_half_way_not_on_every_call() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        // 60 s tokens with the default 60 s margin.
        let source = CachingTokenSource::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                Ok::<_, std::io::Error>(IssuedToken::expiring_in(
                    AccessToken::new(format!("token-{n}")),
                    Duration::from_secs(60),
                ))
            }
        });
        for _ in 0..10 {
            assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        }
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn failing_refresh_keeps_the_unexpired_token_then_fails() {
        let calls = Arc::new(AtomicUsize::new(0));
        let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let source = counting(calls.clone(), fail.clone());
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        fail.store(true, Ordering::SeqCst);
        tokio::time::advance(Duration::from_secs(250)).await;
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "a refresh was attempted");
        // Expired: now the failure surfaces, with the issuer's error as the source.
        tokio::time::advance(Duration::from_secs(60)).await;
        let err = source.token().await.unwrap_err();
        assert!(err.downcast_ref::<std::io::Error>().is_some(), "{err:?}");
        // And recovery works once the issuer is back.
        fail.store(false, Ordering::SeqCst);
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-4");
    }

    #[tokio::test(start_paused = true)]
    async fn callers_during_a_refresh_get_the_unexpired_token_without_waiting() {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(calls.clone(), Arc::default());
        source.token().await.unwrap();
        tokio::time::advance(Duration::from_secs(250)).await;
        let refreshing = {
            let source = source.clone();
            tokio::spawn(async move { source.token().await })
        };
        tokio::task::yield_now().await;
        // The refresh is sleeping inside the issuer; this caller does not wait for it.
        assert_eq!(source.token().await.unwrap().expose_secret(), "token-1");
        assert_eq!(
            refreshing.await.unwrap().unwrap().expose_secret(),
            "token-2"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let source = CachingTokenSource::new(|| async {
            Ok::<_, std::io::Error>(IssuedToken::expiring_in(
                AccessToken::new("secret-token"),
                Duration::from_secs(1),
            ))
        });
        assert!(!format!("{source:?}").contains("secret"));
    }
}
