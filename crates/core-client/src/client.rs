//! [`HttpClient`]: the pooled HTTPS client every API client sends through.

use std::sync::Arc;

use bytes::Bytes;
use tower::{Layer, ServiceBuilder, ServiceExt, util::BoxCloneSyncService};

use crate::{
    ClientError, HttpClientOptions, HttpConfig, HttpError, HttpOptions, SecretRef, SignedWith,
    layer::{
        DeadlineLayer, DeadlineService, RetryLayer, RetryPolicy, TelemetryLayer, TelemetryService,
    },
    material::Material,
    rotation::{Rotation, Source},
    tls::ClientIdentity,
    transport::Transport,
};

/// The service an [`HttpClient`] sends through: the whole stack of layers over the transport.
/// [`HttpClient::with_layer`] wraps it.
pub type HttpService = BoxCloneSyncService<http::Request<Bytes>, http::Response<Bytes>, HttpError>;

/// A cheap-to-clone, pooled HTTPS client (hyper 1, hyper-util's legacy client, hyper-rustls):
/// TLS 1.3 only, ALPN `h2` and `http/1.1`, with connect and request timeouts, a response body
/// size limit, safe retries, and a client span and metrics per request ([`HttpConfig`]). The
/// behaviour is a stack of tower layers ([`layer`](crate::layer); add your own with
/// [`HttpClient::with_layer`]).
///
/// Every clone shares one connection pool. When built from Secrets, a background task re-reads
/// them every [`HttpClientOptions::reload_interval`] (never, when it is zero); when a
/// `resourceVersion` changed, new connections use the new CA and client certificate while open
/// ones finish undisturbed. The task ends when the last clone is dropped.
///
/// Build one through a [`ClientCache`](crate::ClientCache) so that asking twice for the same
/// options reuses the Secrets read and the pool.
///
/// ```no_run
/// # async fn demo(kube: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use core_client::{ClientCache, HttpClientOptions, HttpOptions};
///
/// let options = HttpOptions::new("region")
///     .with_host("https://region.example.com")
///     .with_ca_secret("unikorn", "region-ca");
/// let client_options = HttpClientOptions::new().with_certificate("unikorn", "compute-client");
/// let cache = ClientCache::new(kube);
/// let http = cache.http_client(&options, &client_options).await?;
/// let response = http
///     .send(http::Request::get("https://region.example.com/healthz").body(Bytes::new())?)
///     .await?;
/// println!("{}", response.status());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HttpClient {
    rotation: Arc<Rotation>,
    service: Stack,
}

/// The layers requests go through: the default stack as its concrete type (cloned and called
/// without boxing the service or its future on every request), or a stack with
/// [`HttpClient::with_layer`] layers on top, boxed.
#[derive(Clone)]
enum Stack {
    Default(DefaultStack),
    Layered(HttpService),
}

/// [`HttpClient::over`]'s stack.
type DefaultStack = DeadlineService<tower::retry::Retry<RetryPolicy, TelemetryService<Transport>>>;

impl Stack {
    /// The stack as an [`HttpService`], to put layers on.
    fn boxed(&self) -> HttpService {
        match self {
            Self::Default(stack) => BoxCloneSyncService::new(stack.clone()),
            Self::Layered(service) => service.clone(),
        }
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = self.rotation.source();
        f.debug_struct("HttpClient")
            .field("config", self.rotation.config())
            .field("ca_secret", &source.and_then(|s| s.ca.as_ref()))
            .field(
                "certificate_secret",
                &source.and_then(|s| s.certificate.as_ref()),
            )
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Reads the CA and client-certificate Secrets named by the options and builds a new
    /// client with its own pool. Prefer [`ClientCache::http_client`](crate::ClientCache), which
    /// reuses clients.
    ///
    /// Must be called within a Tokio runtime (the Secret reload runs as a task).
    pub async fn new(
        kube: kube::Client,
        options: &HttpOptions,
        client_options: &HttpClientOptions,
    ) -> Result<Self, ClientError> {
        let source = Source {
            kube,
            ca: options.ca_secret().cloned(),
            certificate: client_options.certificate().cloned(),
            reload_interval: client_options.reload_interval(),
            read_timeout: client_options.secret_read_timeout(),
        };
        let config = options.config().clone();
        let material = source.load(&config).await?;
        let rotation = Arc::new(Rotation::new(config, material, Some(source)));
        rotation.spawn_reload_task();
        Ok(Self::over(rotation))
    }

    /// A client over a ready-made TLS configuration (e.g. outside Kubernetes). Its TLS material
    /// is never reloaded. ALPN is set to `h2`, `http/1.1`.
    pub fn from_tls_config(
        tls: rustls::ClientConfig,
        identity: Option<ClientIdentity>,
        config: HttpConfig,
    ) -> Self {
        let material = Material::fixed(tls, identity, &config);
        Self::over(Arc::new(Rotation::new(config, material, None)))
    }

    /// The client sending through the layers of [`HttpConfig`], outermost first, over the
    /// material of `rotation` (see [`crate::layer`]).
    fn over(rotation: Arc<Rotation>) -> Self {
        let config = rotation.config();
        let stack = ServiceBuilder::new()
            .layer(DeadlineLayer::new(config.request_timeout))
            .layer(RetryLayer::new(config.retry))
            .layer(TelemetryLayer::new(config.telemetry))
            .service(Transport::new(rotation.clone()));
        Self {
            service: Stack::Default(stack),
            rotation,
        }
    }

    /// This client with `layer` around its whole stack: the layer sees each call once (retries
    /// happen inside it), and the pool, TLS material and rotation stay shared with `self`.
    /// Errors of the layer's own become [`HttpError::Layer`].
    ///
    /// # Example
    ///
    /// At most 16 requests in flight through this client and its clones:
    ///
    /// ```no_run
    /// # fn demo(http: core_client::HttpClient) {
    /// let limited = http.with_layer(tower::limit::ConcurrencyLimitLayer::new(16));
    /// # let _ = limited;
    /// # }
    /// ```
    pub fn with_layer<L>(&self, layer: L) -> Self
    where
        L: Layer<HttpService>,
        L::Service: tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<http::Request<Bytes>>>::Error: Into<tower::BoxError>,
        <L::Service as tower::Service<http::Request<Bytes>>>::Future: Send + 'static,
    {
        let service = layer
            .layer(self.service.boxed())
            .map_err(|error| HttpError::from_layer(error.into()));
        Self {
            rotation: self.rotation.clone(),
            service: Stack::Layered(BoxCloneSyncService::new(service)),
        }
    }

    /// The transport knobs in force.
    pub fn config(&self) -> &HttpConfig {
        self.rotation.config()
    }

    /// The Secret the client certificate is read from, if one is configured.
    pub fn client_certificate_secret(&self) -> Option<&SecretRef> {
        self.rotation.source().and_then(|s| s.certificate.as_ref())
    }

    /// The client certificate and key currently presented, if any. Changes when a rotated
    /// client-certificate Secret has been picked up.
    pub fn client_identity(&self) -> Option<Arc<ClientIdentity>> {
        self.rotation.current().identity().cloned()
    }

    /// The handle to sign a request with now: the current client identity and the connections
    /// presenting it (`None` without a client certificate). Sign with
    /// [`SignedWith::identity`] and put the handle on the request: it then goes out presenting
    /// that certificate, even if the certificate was rotated in between. Put it only on
    /// requests sent through this client or its clones.
    pub fn current_signer(&self) -> Option<SignedWith> {
        SignedWith::new(self.rotation.current())
    }

    /// Re-reads the Secrets now and, when a `resourceVersion` changed, switches new connections
    /// to the new material. Returns whether anything changed. The background task calls this
    /// every [`HttpClientOptions::reload_interval`]; on error the current material stays.
    pub async fn reload(&self) -> Result<bool, ClientError> {
        self.rotation.reload().await
    }

    /// Sends `request` (an absolute URL) through the stack and reads the whole response body,
    /// within the request timeout and the body size limit, retrying when that is safe
    /// ([`RetryConfig`](crate::RetryConfig)). The response carries [`Attempts`](crate::Attempts).
    ///
    /// A request carrying a [`SignedWith`] extension goes out presenting that handle's
    /// certificate, however many rotations happened since it was signed; every retry of it
    /// too.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        check_url(request.uri(), self.rotation.config())?;
        match &self.service {
            Stack::Default(stack) => stack.clone().oneshot(request).await,
            Stack::Layered(service) => service.clone().oneshot(request).await,
        }
    }
}

/// Refuses what must not be sent: a relative URL, plain `http://` unless allowed, and
/// credentials in the URL (without repeating them).
fn check_url(uri: &http::Uri, config: &HttpConfig) -> Result<(), HttpError> {
    if let Some(authority) = uri.authority()
        && let Some((_, host)) = authority.as_str().rsplit_once('@')
    {
        return Err(HttpError::CredentialsInUrl {
            host: host.to_owned(),
        });
    }
    match uri.scheme() {
        Some(s) if *s == http::uri::Scheme::HTTPS => {}
        Some(s) if *s == http::uri::Scheme::HTTP && config.allow_insecure_http => {}
        Some(s) if *s == http::uri::Scheme::HTTP => {
            return Err(HttpError::InsecureScheme { uri: uri.clone() });
        }
        _ => return Err(HttpError::InvalidRequest { uri: uri.clone() }),
    }
    if uri.host().is_none() {
        return Err(HttpError::InvalidRequest { uri: uri.clone() });
    }
    Ok(())
}
