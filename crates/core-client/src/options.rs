//! Endpoint options ([`HttpOptions`]), the caller's certificate ([`HttpClientOptions`]) and the
//! transport knobs ([`HttpConfig`]), with their builders. Their command-line flags (feature
//! `clap`) are in `flags.rs`.

use std::{fmt, time::Duration};

/// A namespaced reference to a Kubernetes Secret; displays as `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef {
    /// The Secret's namespace.
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
}

impl SecretRef {
    /// A reference to the Secret `namespace/name`.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Command-line flags (`HttpOptions::augment_args`, feature `clap`) were given that cannot be
/// used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// Only one of a Secret's namespace and name was given (by flag or environment
    /// variable); both are needed.
    #[error("--{flag_prefix}-namespace and --{flag_prefix}-name must be given together")]
    IncompleteSecret {
        /// The flag prefix, e.g. `region-ca-secret` or `client-certificate`.
        flag_prefix: String,
    },
    /// A duration flag's value is not a duration (the command was not built with the flags'
    /// own `augment_args`, which refuses it first).
    #[error("--{flag}: invalid value")]
    InvalidDuration {
        /// The flag, e.g. `client-certificate-reload-interval`.
        flag: &'static str,
        /// Why the value is not a duration.
        #[source]
        source: crate::InvalidDuration,
    },
}

/// Default [`HttpConfig::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`HttpConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`HttpConfig::max_response_body`]: 8 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;
/// Default [`HttpConfig::pool_idle_timeout`]: 45 s, below the idle timeouts of what sits in
/// front of the platform's services (nginx ingress 60 s upstream / 75 s client keep-alive, AWS
/// load balancers 60 s), so that the client, not the server, closes idle connections: a request
/// written onto a connection the server is closing fails in transit.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// The default `User-Agent` ([`HttpConfig::user_agent`]): this crate and its version.
pub const DEFAULT_USER_AGENT: &str = concat!("core-client/", env!("CARGO_PKG_VERSION"));
/// Default [`HttpClientOptions::reload_interval`]: a rotated Secret is in use at most this long
/// (plus one Kubernetes API round trip) after it changed.
///
/// The platform's Go clients default to 24 hours and reload only during a handshake; re-reading
/// a Secret is one cheap `GET`, and a minute keeps short-lived certificates safe to use.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

/// Default [`HttpClientOptions::secret_read_timeout`]: how long one read of a Secret from the
/// Kubernetes API may take. The Kubernetes client sets no read timeout of its own, so without
/// one a silent API server would hang a client's first build for good, and its reloads.
pub const DEFAULT_SECRET_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The shortest [`HttpClientOptions::reload_interval`] other than zero: shorter values are
/// raised to it, so that no setting makes the client poll the Kubernetes API in a tight loop.
pub const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// Transport knobs of an [`HttpClient`](crate::HttpClient). Every field has a documented default.
///
/// How often TLS Secrets are re-read is not here but on [`HttpClientOptions`]
/// ([`reload_interval`](HttpClientOptions::reload_interval), flag
/// `--client-certificate-reload-interval`), and so is how long one read may take
/// ([`secret_read_timeout`](HttpClientOptions::secret_read_timeout)): they govern every Secret
/// a client reads, each service's CA Secret as well as the client certificate's.
///
/// ```
/// use std::time::Duration;
/// let config = core_client::HttpConfig::default()
///     .with_request_timeout(Duration::from_secs(5))
///     .with_max_response_body(1024 * 1024);
/// assert_eq!(config.request_timeout, Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HttpConfig {
    /// How long a TCP connect may take ([`DEFAULT_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,
    /// How long a whole request may take, from sending to the last byte of the response body,
    /// retries and their waits included ([`DEFAULT_REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// The largest response body accepted, in bytes ([`DEFAULT_MAX_RESPONSE_BODY`]).
    pub max_response_body: usize,
    /// How long an idle pooled connection is kept ([`DEFAULT_POOL_IDLE_TIMEOUT`]).
    pub pool_idle_timeout: Duration,
    /// Whether plain `http://` URLs may be used. Off by default so that the delegated principal
    /// never travels in clear by accident; turn on only for local development.
    pub allow_insecure_http: bool,
    /// When and how requests are retried ([`RetryConfig::default`]; [`RetryConfig::disabled`]
    /// turns retries off).
    pub retry: RetryConfig,
    /// The client span and metrics of each request ([`TelemetryConfig::default`]).
    pub telemetry: TelemetryConfig,
    /// The `User-Agent` of requests that have none ([`DEFAULT_USER_AGENT`]).
    pub user_agent: http::HeaderValue,
    /// Which HTTP version requests use ([`HttpVersion::Negotiate`]: learned per host).
    pub http_version: HttpVersion,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            allow_insecure_http: false,
            retry: RetryConfig::default(),
            telemetry: TelemetryConfig::default(),
            user_agent: http::HeaderValue::from_static(DEFAULT_USER_AGENT),
            http_version: HttpVersion::Negotiate,
        }
    }
}

impl HttpConfig {
    /// Sets [`HttpConfig::connect_timeout`].
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Sets [`HttpConfig::request_timeout`].
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
    /// Sets [`HttpConfig::max_response_body`].
    pub fn with_max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }
    /// Sets [`HttpConfig::pool_idle_timeout`].
    pub fn with_pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }
    /// Sets [`HttpConfig::allow_insecure_http`]; for local development only.
    pub fn with_insecure_http_allowed(mut self, allowed: bool) -> Self {
        self.allow_insecure_http = allowed;
        self
    }
    /// Sets [`HttpConfig::retry`].
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }
    /// Sets [`HttpConfig::telemetry`].
    pub fn with_telemetry(mut self, telemetry: TelemetryConfig) -> Self {
        self.telemetry = telemetry;
        self
    }
    /// Sets [`HttpConfig::user_agent`].
    pub fn with_user_agent(mut self, user_agent: http::HeaderValue) -> Self {
        self.user_agent = user_agent;
        self
    }
    /// Sets [`HttpConfig::http_version`].
    pub fn with_http_version(mut self, version: HttpVersion) -> Self {
        self.http_version = version;
        self
    }
}

/// Which HTTP version requests use ([`HttpConfig::http_version`]).
///
/// ```
/// use core_client::{HttpConfig, HttpVersion};
/// // The region API's ingress speaks HTTP/2: share one connection from the first request.
/// let config = HttpConfig::default().with_http_version(HttpVersion::Http2);
/// assert_eq!(config.http_version, HttpVersion::Http2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpVersion {
    /// Offer HTTP/2 and HTTP/1.1 in the TLS handshake (ALPN) and learn from a host's first
    /// connection which one it speaks; from then on the requests to an HTTP/2 host share one
    /// connection. Until then the first request goes alone, and the others wait for its
    /// handshake (not its answer), so a cold burst opens one connection plus the learning one.
    #[default]
    Negotiate,
    /// HTTP/1.1 only (ALPN `http/1.1`), even to a host that offers HTTP/2: for a host, or a
    /// proxy in between, whose HTTP/2 is broken. One connection per request in flight.
    Http1,
    /// HTTP/2 only (ALPN `h2`), nothing learned: every request shares one connection from the
    /// first one on. A host that does not speak HTTP/2 fails the handshake
    /// ([`HttpError::Transport`](crate::HttpError::Transport)).
    Http2,
}

/// When requests are retried ([`HttpConfig::retry`]).
///
/// A request is retried only when repeating it is safe: its method is idempotent (`GET`,
/// `HEAD`, `PUT`, `DELETE`, `OPTIONS`, `TRACE`) or it carries [`RetrySafe`](crate::RetrySafe);
/// and it failed before any response arrived (a connection error, such as a pooled connection
/// the server closed under it, but not a TLS failure, which would fail again), or its answer
/// was cut half-way ([`HttpError::Body`](crate::HttpError::Body): a reset, a dropped
/// connection), or it was answered `502`, `503` or `504`. The wait is the answer's
/// `Retry-After` (seconds or an HTTP date) when it asks for at most
/// [`RetryConfig::max_retry_after`] (a longer one is not waited for: the answer is returned),
/// else an exponential backoff with jitter. Every attempt and wait stays within
/// [`HttpConfig::request_timeout`]. Every error after sending says how many attempts were made
/// ([`HttpError::attempts`](crate::HttpError::attempts)), and so does a response
/// ([`Attempts`](crate::Attempts)).
///
/// ```
/// use std::time::Duration;
/// use core_client::{HttpConfig, RetryConfig};
///
/// let patient = HttpConfig::default().with_retry(RetryConfig {
///     max_attempts: 5,
///     ..RetryConfig::default()
/// });
/// let never = HttpConfig::default().with_retry(RetryConfig::disabled());
/// assert_eq!(never.retry.max_attempts, 1);
/// # let _ = patient;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetryConfig {
    /// How many times a request is sent at most, the first included (3; 1 disables retries).
    pub max_attempts: u32,
    /// The backoff before the first retry (100 ms); it doubles for each further retry.
    pub initial_backoff: Duration,
    /// The longest backoff (2 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured (10 s).
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryConfig {
    /// No retries: every request is sent once.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }
}

/// The client span and metrics of each HTTP request ([`HttpConfig::telemetry`]).
///
/// With `spans` on, every attempt of a request runs in a `tracing` span following the
/// OpenTelemetry HTTP client conventions (kind `client`, attributes `http.request.method`,
/// `server.address`, `url.template`, `http.response.status_code`, `error.type`, ...), and the
/// `traceparent` sent is that span's, so the server's span is its child (with
/// `tracing-opentelemetry` installed). With `metrics` on, each attempt records
/// `http.client.request.duration` and `http.client.active_requests` through the global
/// OpenTelemetry meter, read when the client is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TelemetryConfig {
    /// Whether to create a span per request (on).
    pub spans: bool,
    /// The level of those spans (`INFO`).
    pub span_level: tracing::Level,
    /// Whether to record metrics (on).
    pub metrics: bool,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            spans: true,
            span_level: tracing::Level::INFO,
            metrics: true,
        }
    }
}

impl TelemetryConfig {
    /// Neither spans nor metrics.
    pub fn disabled() -> Self {
        Self {
            spans: false,
            metrics: false,
            ..Self::default()
        }
    }
}

/// How to reach one service: its base URL and, when its server certificate is issued by a
/// private CA, the Secret holding that CA.
///
/// Flags (with the `clap` feature) are `--{service}-host`, `--{service}-ca-secret-namespace` and
/// `--{service}-ca-secret-name`; the environment variables `{SERVICE}_HOST`,
/// `{SERVICE}_CA_SECRET_NAMESPACE` and `{SERVICE}_CA_SECRET_NAME` are the fallbacks.
///
/// ```
/// use core_client::HttpOptions;
/// let options = HttpOptions::new("region")
///     .with_host("https://region.example.com")
///     .with_ca_secret("unikorn", "region-ca");
/// assert_eq!(options.service(), "region");
/// assert_eq!(options.host(), "https://region.example.com");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpOptions {
    pub(crate) service: String,
    pub(crate) host: String,
    pub(crate) ca_secret: Option<SecretRef>,
    config: HttpConfig,
}

impl HttpOptions {
    /// Options for the service called `service` (e.g. `"region"`), with no host yet.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            host: String::new(),
            ca_secret: None,
            config: HttpConfig::default(),
        }
    }

    /// Sets the base URL of the service.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Trusts the CA certificates in `tls.crt` of the Secret `namespace/name` instead of the web
    /// PKI roots.
    pub fn with_ca_secret(mut self, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        self.ca_secret = Some(SecretRef::new(namespace, name));
        self
    }

    /// Sets the transport knobs.
    pub fn with_config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// The service name these options are for.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The base URL of the service (empty when not configured).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The Secret holding the service's CA, if one is configured.
    pub fn ca_secret(&self) -> Option<&SecretRef> {
        self.ca_secret.as_ref()
    }

    /// The transport knobs.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }
}

/// The calling service's own client certificate: presented in every mTLS handshake (it is the
/// service's identity on the platform) and, on the controller path, the key that signs the
/// delegated principal.
///
/// Flags (with the `clap` feature), as the platform's Go services have them:
///
/// | flag | environment | default |
/// |------|-------------|---------|
/// | `--client-certificate-namespace` | `CLIENT_CERTIFICATE_NAMESPACE` | none |
/// | `--client-certificate-name` | `CLIENT_CERTIFICATE_NAME` | none |
/// | `--client-certificate-reload-interval` | `CLIENT_CERTIFICATE_RELOAD_INTERVAL` | `1m` ([`DEFAULT_RELOAD_INTERVAL`]) |
///
/// A certificate is presented only when both the namespace and the name are given. The Secret
/// must be of type `kubernetes.io/tls` with `tls.crt` (the certificate, optionally followed by
/// its chain) and `tls.key`.
///
/// ```
/// use std::time::Duration;
/// use core_client::HttpClientOptions;
///
/// let options = HttpClientOptions::new()
///     .with_certificate("unikorn", "compute-client")
///     .with_reload_interval(Duration::from_secs(300));
/// assert_eq!(options.certificate().unwrap().to_string(), "unikorn/compute-client");
/// assert_eq!(options.reload_interval(), Duration::from_secs(300));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpClientOptions {
    pub(crate) certificate: Option<SecretRef>,
    pub(crate) reload_interval: Duration,
    secret_read_timeout: Duration,
}

impl Default for HttpClientOptions {
    fn default() -> Self {
        Self {
            certificate: None,
            reload_interval: DEFAULT_RELOAD_INTERVAL,
            secret_read_timeout: DEFAULT_SECRET_READ_TIMEOUT,
        }
    }
}

impl HttpClientOptions {
    /// No client certificate; the default reload interval.
    pub fn new() -> Self {
        Self::default()
    }

    /// Presents the certificate and key of the Secret `namespace/name`.
    pub fn with_certificate(
        mut self,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        self.certificate = Some(SecretRef::new(namespace, name));
        self
    }

    /// How often the client-certificate Secret and each service's CA Secret (the one of its
    /// [`HttpOptions`]) are re-read, so that a rotation is picked up without a restart. Zero disables reloading: the Secrets are
    /// read once, when the client is built. A non-zero value below [`MIN_RELOAD_INTERVAL`] is
    /// raised to it.
    pub fn with_reload_interval(mut self, interval: Duration) -> Self {
        self.reload_interval = clamp_reload_interval(interval);
        self
    }

    /// How long one read of a TLS Secret (the client certificate's, and each service's CA
    /// Secret) from the Kubernetes API may take ([`DEFAULT_SECRET_READ_TIMEOUT`]). A read that
    /// takes longer fails with [`SecretError::Timeout`](crate::SecretError::Timeout): building
    /// the client fails; a reload fails, is logged, and the material last read stays in use. A
    /// zero timeout fails every read.
    ///
    /// ```
    /// use std::time::Duration;
    /// use core_client::HttpClientOptions;
    ///
    /// let options = HttpClientOptions::new().with_secret_read_timeout(Duration::from_secs(3));
    /// assert_eq!(options.secret_read_timeout(), Duration::from_secs(3));
    /// ```
    pub fn with_secret_read_timeout(mut self, timeout: Duration) -> Self {
        self.secret_read_timeout = timeout;
        self
    }

    /// The client certificate Secret, if one is configured.
    pub fn certificate(&self) -> Option<&SecretRef> {
        self.certificate.as_ref()
    }

    /// How often TLS Secrets are re-read; zero means never.
    pub fn reload_interval(&self) -> Duration {
        self.reload_interval
    }

    /// How long one read of a TLS Secret may take.
    pub fn secret_read_timeout(&self) -> Duration {
        self.secret_read_timeout
    }
}

/// `interval`, raised to [`MIN_RELOAD_INTERVAL`] unless it is zero.
pub(crate) fn clamp_reload_interval(interval: Duration) -> Duration {
    if interval.is_zero() {
        interval
    } else {
        interval.max(MIN_RELOAD_INTERVAL)
    }
}
