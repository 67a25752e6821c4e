//! Endpoint options ([`HttpOptions`]), the caller's certificate ([`HttpClientOptions`]) and the
//! transport knobs ([`HttpConfig`]).
//!
//! With the `clap` feature (on by default) both option types become command-line flags with
//! environment-variable fallbacks, and several services' options coexist in one command:
//!
//! ```
//! # #[cfg(feature = "clap")] {
//! use core_client::{HttpClientOptions, HttpOptions};
//!
//! let mut region = HttpOptions::new("region");
//! let mut identity = HttpOptions::new("identity");
//! let command = clap::Command::new("svc");
//! let command = region.augment_args(command);
//! let command = identity.augment_args(command);
//! let command = <HttpClientOptions as clap::Args>::augment_args(command);
//!
//! let matches = command.get_matches_from([
//!     "svc",
//!     "--region-host", "https://region.example.com",
//!     "--region-ca-secret-namespace", "unikorn",
//!     "--region-ca-secret-name", "region-ca",
//!     "--identity-host", "https://identity.example.com",
//!     "--client-certificate-namespace", "unikorn",
//!     "--client-certificate-name", "compute-client",
//! ]);
//! region.update_from_arg_matches(&matches).unwrap();
//! identity.update_from_arg_matches(&matches).unwrap();
//! let client = <HttpClientOptions as clap::FromArgMatches>::from_arg_matches(&matches).unwrap();
//!
//! assert_eq!(region.host(), "https://region.example.com");
//! assert_eq!(region.ca_secret().unwrap().to_string(), "unikorn/region-ca");
//! assert_eq!(identity.ca_secret(), None);
//! assert_eq!(client.certificate().unwrap().name, "compute-client");
//! # }
//! ```

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

/// Options were given that do not make sense together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// Only one of a secret's namespace and name was given; both are needed.
    #[error("--{flag_prefix}-namespace and --{flag_prefix}-name must be given together")]
    IncompleteSecret {
        /// The flag prefix, e.g. `region-ca-secret` or `client-certificate`.
        flag_prefix: String,
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
    service: String,
    host: String,
    ca_secret: Option<SecretRef>,
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

    fn env_prefix(&self) -> String {
        self.service.to_uppercase().replace('-', "_")
    }
}

#[cfg(feature = "clap")]
impl HttpOptions {
    fn flag(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.service)
    }

    /// Adds this service's flags to `command`.
    ///
    /// The current values act as defaults, so options built in code can be overridden from the
    /// command line. Argument ids are the flag names, so several services coexist.
    pub fn augment_args(&self, command: clap::Command) -> clap::Command {
        let env = self.env_prefix();
        let arg = |suffix: &str, env_suffix: &'static str, help: String, current: Option<&str>| {
            let arg = clap::Arg::new(self.flag(suffix))
                .long(self.flag(suffix))
                .env(format!("{env}_{env_suffix}"))
                .value_name(env_suffix)
                .help(help);
            match current {
                Some(value) if !value.is_empty() => arg.default_value(value.to_owned()),
                _ => arg,
            }
        };
        let service = &self.service;
        command
            .arg(arg(
                "host",
                "HOST",
                format!("Base URL of the {service} service"),
                Some(&self.host),
            ))
            .arg(arg(
                "ca-secret-namespace",
                "CA_SECRET_NAMESPACE",
                format!("Namespace of the Secret holding the {service} CA"),
                self.ca_secret.as_ref().map(|s| s.namespace.as_str()),
            ))
            .arg(arg(
                "ca-secret-name",
                "CA_SECRET_NAME",
                format!("Name of the Secret holding the {service} CA"),
                self.ca_secret.as_ref().map(|s| s.name.as_str()),
            ))
    }

    /// Reads this service's flags from `matches` (of a command built with
    /// [`HttpOptions::augment_args`]).
    pub fn update_from_arg_matches(
        &mut self,
        matches: &clap::ArgMatches,
    ) -> Result<(), OptionsError> {
        let service = self.service.clone();
        let get = |suffix: &str| {
            matches
                .try_get_one::<String>(&format!("{service}-{suffix}"))
                .ok()
                .flatten()
                .filter(|v| !v.is_empty())
                .cloned()
        };
        if let Some(host) = get("host") {
            self.host = host;
        }
        self.ca_secret = secret_pair(
            get("ca-secret-namespace"),
            get("ca-secret-name"),
            &self.flag("ca-secret"),
        )?;
        Ok(())
    }
}

#[cfg(feature = "clap")]
fn secret_pair(
    namespace: Option<String>,
    name: Option<String>,
    flag_prefix: &str,
) -> Result<Option<SecretRef>, OptionsError> {
    match (namespace, name) {
        (Some(namespace), Some(name)) => Ok(Some(SecretRef { namespace, name })),
        (None, None) => Ok(None),
        _ => Err(OptionsError::IncompleteSecret {
            flag_prefix: flag_prefix.to_owned(),
        }),
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
    certificate: Option<SecretRef>,
    reload_interval: Duration,
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

fn clamp_reload_interval(interval: Duration) -> Duration {
    if interval.is_zero() {
        interval
    } else {
        interval.max(MIN_RELOAD_INTERVAL)
    }
}

#[cfg(feature = "clap")]
const CLIENT_NAMESPACE_FLAG: &str = "client-certificate-namespace";
#[cfg(feature = "clap")]
const CLIENT_NAME_FLAG: &str = "client-certificate-name";
#[cfg(feature = "clap")]
const CLIENT_RELOAD_FLAG: &str = "client-certificate-reload-interval";

#[cfg(feature = "clap")]
impl clap::FromArgMatches for HttpClientOptions {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut options = Self::default();
        options.update_from_arg_matches(matches)?;
        Ok(options)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        let get = |id: &str| {
            matches
                .try_get_one::<String>(id)
                .ok()
                .flatten()
                .filter(|v| !v.is_empty())
                .cloned()
        };
        self.certificate = secret_pair(
            get(CLIENT_NAMESPACE_FLAG),
            get(CLIENT_NAME_FLAG),
            "client-certificate",
        )
        .map_err(|e| clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, e))?;
        if let Some(interval) = get(CLIENT_RELOAD_FLAG) {
            let interval = crate::parse_duration(&interval).map_err(|e| {
                clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!("--{CLIENT_RELOAD_FLAG}: {e}\n"),
                )
            })?;
            self.reload_interval = clamp_reload_interval(interval);
        }
        Ok(())
    }
}

#[cfg(feature = "clap")]
impl clap::Args for HttpClientOptions {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .arg(
                clap::Arg::new(CLIENT_NAMESPACE_FLAG)
                    .long(CLIENT_NAMESPACE_FLAG)
                    .env("CLIENT_CERTIFICATE_NAMESPACE")
                    .value_name("NAMESPACE")
                    .help("Namespace of the Secret holding this service's client certificate"),
            )
            .arg(
                clap::Arg::new(CLIENT_NAME_FLAG)
                    .long(CLIENT_NAME_FLAG)
                    .env("CLIENT_CERTIFICATE_NAME")
                    .value_name("NAME")
                    .help("Name of the Secret holding this service's client certificate"),
            )
            .arg(
                clap::Arg::new(CLIENT_RELOAD_FLAG)
                    .long(CLIENT_RELOAD_FLAG)
                    .env("CLIENT_CERTIFICATE_RELOAD_INTERVAL")
                    .value_name("DURATION")
                    .default_value(crate::duration::format_duration(DEFAULT_RELOAD_INTERVAL))
                    .value_parser(|value: &str| {
                        crate::parse_duration(value).map(|_| value.to_owned())
                    })
                    .help(
                        "How often TLS Secrets are re-read to pick up rotations (e.g. 1m, 24h); \
                         0 disables reloading",
                    ),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

#[cfg(all(test, feature = "clap"))]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    fn command(options: &[&HttpOptions]) -> clap::Command {
        let mut command = clap::Command::new("test").no_binary_name(true);
        for o in options {
            command = o.augment_args(command);
        }
        HttpClientOptions::augment_args(command)
    }

    #[test]
    fn incomplete_secret_is_an_error_naming_the_flags() {
        let mut region = HttpOptions::new("region");
        let matches = command(&[&region])
            .try_get_matches_from(["--region-ca-secret-name", "ca"])
            .unwrap();
        let err = region.update_from_arg_matches(&matches).unwrap_err();
        assert!(
            err.to_string().contains("--region-ca-secret-namespace"),
            "{err}"
        );

        let matches = command(&[&region])
            .try_get_matches_from(["--client-certificate-namespace", "ns"])
            .unwrap();
        let err = HttpClientOptions::from_arg_matches(&matches).unwrap_err();
        assert!(err.to_string().contains("client-certificate"), "{err}");
    }

    #[test]
    fn reload_interval_takes_go_durations_and_zero_disables() {
        let parse = |args: &[&str]| {
            let matches = command(&[]).try_get_matches_from(args)?;
            HttpClientOptions::from_arg_matches(&matches)
        };
        assert_eq!(
            parse(&[]).unwrap().reload_interval(),
            DEFAULT_RELOAD_INTERVAL
        );
        assert_eq!(
            parse(&["--client-certificate-reload-interval", "24h"])
                .unwrap()
                .reload_interval(),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            parse(&["--client-certificate-reload-interval", "0"])
                .unwrap()
                .reload_interval(),
            Duration::ZERO
        );
        // Never a tight loop: tiny values are raised to the minimum.
        assert_eq!(
            parse(&["--client-certificate-reload-interval", "1ns"])
                .unwrap()
                .reload_interval(),
            MIN_RELOAD_INTERVAL
        );
        let error = parse(&["--client-certificate-reload-interval", "ten"]).unwrap_err();
        assert!(error.to_string().contains("ten"), "{error}");
    }

    #[test]
    fn code_values_are_defaults_and_flags_override_them() {
        let mut region = HttpOptions::new("region")
            .with_host("https://default")
            .with_ca_secret("ns", "ca");
        let matches = command(&[&region])
            .try_get_matches_from(["--region-host", "https://flag"])
            .unwrap();
        region.update_from_arg_matches(&matches).unwrap();
        assert_eq!(region.host(), "https://flag");
        assert_eq!(region.ca_secret(), Some(&SecretRef::new("ns", "ca")));
    }
}
