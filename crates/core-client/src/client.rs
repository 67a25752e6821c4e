//! [`HttpClient`]: the pooled HTTPS client every API client sends through.

use std::{
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::{
    HttpClientOptions, HttpConfig, HttpOptions, SecretError, SecretRef,
    secret::TlsSecret,
    tls::{self, ClientIdentity, IdentityError, Roots},
};

type Connector = HttpsConnector<HttpConnector>;

/// An [`HttpClient`] could not be constructed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A CA or client-certificate Secret could not be used.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// rustls refused the configuration (e.g. a CA certificate it cannot parse).
    #[error("building the TLS configuration failed")]
    Tls(#[source] rustls::Error),
}

/// A request could not be completed. The request may or may not have reached the server,
/// except for [`HttpError::InsecureScheme`] and [`HttpError::InvalidRequest`], which are
/// raised before anything is sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is plain `http://` and [`HttpConfig::allow_insecure_http`] is off.
    #[error(
        "refusing to send a request to {uri} in clear text: use https (or allow insecure http for local development)"
    )]
    InsecureScheme {
        /// The request URL.
        uri: http::Uri,
    },
    /// The URL has no scheme or host.
    #[error("request URL {uri} is not absolute")]
    InvalidRequest {
        /// The request URL.
        uri: http::Uri,
    },
    /// Connecting, the TLS handshake, or the HTTP exchange failed. See [`HttpError::tls_error`]
    /// for TLS failures such as an unknown CA or a TLS 1.2-only server.
    #[error("request to {uri} failed")]
    Transport {
        /// The request URL.
        uri: http::Uri,
        /// The client's error; its source chain holds the I/O or TLS cause.
        #[source]
        source: hyper_util::client::legacy::Error,
    },
    /// The whole request took longer than [`HttpConfig::request_timeout`].
    #[error("request to {uri} timed out after {timeout:?}")]
    Timeout {
        /// The request URL.
        uri: http::Uri,
        /// The limit that was exceeded.
        timeout: Duration,
    },
    /// Reading the response body failed.
    #[error("reading the response body from {uri} failed (status {status})")]
    Body {
        /// The request URL.
        uri: http::Uri,
        /// The response status.
        status: http::StatusCode,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The response body exceeded [`HttpConfig::max_response_body`].
    #[error("response body from {uri} (status {status}) exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The request URL.
        uri: http::Uri,
        /// The response status.
        status: http::StatusCode,
        /// The limit in bytes.
        limit: usize,
    },
}

impl HttpError {
    /// The TLS error behind this failure, if it is one (unknown CA, wrong host name, protocol
    /// version refused, client certificate rejected, ...).
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        let mut source = std::error::Error::source(self);
        while let Some(error) = source {
            if let Some(tls) = error.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            // `io::Error::source` skips the error it wraps; look inside it explicitly.
            source = match error.downcast_ref::<std::io::Error>() {
                Some(io) => io
                    .get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static)),
                None => error.source(),
            };
        }
        None
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

/// A request extension saying which client key signed something the request carries (the
/// identity layer's `X-Principal`).
///
/// A receiver checks such a signature against the certificate presented in the TLS handshake.
/// When the client certificate is rotated between signing and sending, [`HttpClient::send`]
/// sends the request over a connection presenting the certificate of this identity (kept until
/// the next rotation), so the two always match.
#[derive(Clone, Debug)]
pub struct SignedWith(pub Arc<ClientIdentity>);

/// Where an [`HttpClient`]'s TLS material came from, so it can be re-read.
#[derive(Clone)]
struct Source {
    kube: kube::Client,
    ca: Option<SecretRef>,
    certificate: Option<SecretRef>,
}

/// What a Secret looked like when last loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Versions {
    ca: Option<String>,
    certificate: Option<String>,
}

struct Transport {
    client: Client<Connector, Full<Bytes>>,
    identity: Option<Arc<ClientIdentity>>,
    versions: Versions,
}

/// The transport in use and, after a rotation, the one it replaced: requests signed with the
/// old client key still go out presenting the old certificate.
#[derive(Clone)]
struct Transports {
    current: Arc<Transport>,
    previous: Option<Arc<Transport>>,
}

struct Shared {
    config: HttpConfig,
    transport: RwLock<Transports>,
    source: Option<Source>,
    refresh: tokio::sync::Mutex<()>,
}

/// A cheap-to-clone, pooled HTTPS client (hyper 1, hyper-util's legacy client, hyper-rustls):
/// TLS 1.3 only, ALPN `h2` and `http/1.1`, with connect and request timeouts and a response
/// body size limit ([`HttpConfig`]).
///
/// Every clone shares one connection pool. When built from Secrets, a background task checks
/// them every [`HttpConfig::secret_refresh_interval`]; when a `resourceVersion` changed, new
/// connections use the new CA and client certificate while open ones finish undisturbed. The
/// task ends when the last clone is dropped.
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
    shared: Arc<Shared>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = self.shared.source.as_ref();
        f.debug_struct("HttpClient")
            .field("config", &self.shared.config)
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
    /// Must be called within a Tokio runtime (the Secret refresh runs as a task).
    pub async fn new(
        kube: kube::Client,
        options: &HttpOptions,
        client_options: &HttpClientOptions,
    ) -> Result<Self, ClientError> {
        let source = Source {
            kube,
            ca: options.ca_secret().cloned(),
            certificate: client_options.certificate().cloned(),
        };
        let config = options.config().clone();
        let transport = load(&source, &config).await?;
        let shared = Arc::new(Shared {
            config,
            transport: RwLock::new(Transports {
                current: Arc::new(transport),
                previous: None,
            }),
            source: Some(source),
            refresh: tokio::sync::Mutex::new(()),
        });
        if shared.needs_refresh_task() {
            spawn_refresh(Arc::downgrade(&shared));
        }
        Ok(Self { shared })
    }

    /// A client over a ready-made TLS configuration (e.g. outside Kubernetes). Its TLS material
    /// is never refreshed. ALPN is set to `h2`, `http/1.1`.
    pub fn from_tls_config(
        tls: rustls::ClientConfig,
        identity: Option<ClientIdentity>,
        config: HttpConfig,
    ) -> Self {
        let transport = Transport {
            client: build_client(tls, &config),
            identity: identity.map(Arc::new),
            versions: Versions::default(),
        };
        Self {
            shared: Arc::new(Shared {
                config,
                transport: RwLock::new(Transports {
                    current: Arc::new(transport),
                    previous: None,
                }),
                source: None,
                refresh: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The transport knobs in force.
    pub fn config(&self) -> &HttpConfig {
        &self.shared.config
    }

    /// The client certificate and key currently presented, if any. Changes when a rotated
    /// client-certificate Secret has been picked up.
    pub fn client_identity(&self) -> Option<Arc<ClientIdentity>> {
        self.shared.current().identity.clone()
    }

    /// Re-reads the Secrets now and, when a `resourceVersion` changed, switches new connections
    /// to the new material. Returns whether anything changed. The background task calls this
    /// every [`HttpConfig::secret_refresh_interval`]; on error the current material stays.
    pub async fn refresh(&self) -> Result<bool, ClientError> {
        self.shared.refresh().await
    }

    /// Sends `request` (an absolute URL) and reads the whole response body, within the request
    /// timeout and the body size limit.
    ///
    /// A request carrying a [`SignedWith`] extension goes out presenting that identity's
    /// certificate, even if the client certificate was rotated since it was signed.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let uri = request.uri().clone();
        match uri.scheme() {
            Some(s) if *s == http::uri::Scheme::HTTPS => {}
            Some(s) if *s == http::uri::Scheme::HTTP && self.shared.config.allow_insecure_http => {}
            Some(s) if *s == http::uri::Scheme::HTTP => {
                return Err(HttpError::InsecureScheme { uri });
            }
            _ => return Err(HttpError::InvalidRequest { uri }),
        }
        if uri.host().is_none() {
            return Err(HttpError::InvalidRequest { uri });
        }
        let timeout = self.shared.config.request_timeout;
        let limit = self.shared.config.max_response_body;
        let client = self
            .shared
            .transport_for(request.extensions().get::<SignedWith>())
            .client
            .clone();
        let exchange = async {
            let response = client
                .request(request.map(Full::new))
                .await
                .map_err(|source| HttpError::Transport {
                    uri: uri.clone(),
                    source,
                })?;
            let (parts, body) = response.into_parts();
            let status = parts.status;
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|source| {
                    if source.is::<http_body_util::LengthLimitError>() {
                        HttpError::BodyTooLarge {
                            uri: uri.clone(),
                            status,
                            limit,
                        }
                    } else {
                        HttpError::Body {
                            uri: uri.clone(),
                            status,
                            source,
                        }
                    }
                })?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout {
                uri: uri.clone(),
                timeout,
            })?
    }
}

impl Shared {
    fn transports(&self) -> Transports {
        // A poisoned lock only means a panic elsewhere while swapping `Arc`s; the value is
        // still whole.
        match self.transport.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn current(&self) -> Arc<Transport> {
        self.transports().current
    }

    /// The transport presenting `identity` when the request was signed with it and a
    /// rotation has happened since, else the current one.
    fn transport_for(&self, signed_with: Option<&SignedWith>) -> Arc<Transport> {
        let Transports { current, previous } = self.transports();
        let presents = |t: &Transport, wanted: &Arc<ClientIdentity>| {
            t.identity.as_ref().is_some_and(|i| Arc::ptr_eq(i, wanted))
        };
        match (signed_with, previous) {
            (Some(SignedWith(wanted)), Some(previous))
                if !presents(&current, wanted) && presents(&previous, wanted) =>
            {
                previous
            }
            _ => current,
        }
    }

    fn needs_refresh_task(&self) -> bool {
        self.source
            .as_ref()
            .is_some_and(|s| s.ca.is_some() || s.certificate.is_some())
    }

    async fn refresh(&self) -> Result<bool, ClientError> {
        let Some(source) = &self.source else {
            return Ok(false);
        };
        // One refresh at a time; a caller arriving during one waits and re-checks.
        let _guard = self.refresh.lock().await;
        let secrets = Secrets::read(source).await?;
        if secrets.versions() == self.current().versions {
            return Ok(false);
        }
        let transport = build(source, &secrets, &self.config)?;
        tracing::info!(
            ca = ?source.ca.as_ref().map(ToString::to_string),
            certificate = ?source.certificate.as_ref().map(ToString::to_string),
            "TLS secrets changed; new connections use the new material"
        );
        let swap = |transports: &mut Transports| {
            let previous = std::mem::replace(&mut transports.current, Arc::new(transport));
            transports.previous = Some(previous);
        };
        match self.transport.write() {
            Ok(mut guard) => swap(&mut guard),
            Err(poisoned) => swap(&mut poisoned.into_inner()),
        }
        Ok(true)
    }
}

fn spawn_refresh(shared: Weak<Shared>) {
    let Some(interval) = shared.upgrade().map(|s| s.config.secret_refresh_interval) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            if let Err(error) = shared.refresh().await {
                tracing::warn!(error = %error, "refreshing TLS secrets failed; keeping the current material");
            }
        }
    });
}

/// The Secrets of a [`Source`], as read at one time.
struct Secrets {
    ca: Option<TlsSecret>,
    certificate: Option<TlsSecret>,
}

impl Secrets {
    async fn read(source: &Source) -> Result<Self, SecretError> {
        let ca = match &source.ca {
            Some(ca) => Some(TlsSecret::get(&source.kube, ca).await?),
            None => None,
        };
        let certificate = match &source.certificate {
            Some(cert) => Some(TlsSecret::get(&source.kube, cert).await?),
            None => None,
        };
        Ok(Self { ca, certificate })
    }

    fn versions(&self) -> Versions {
        Versions {
            ca: self.ca.as_ref().and_then(|s| s.resource_version.clone()),
            certificate: self
                .certificate
                .as_ref()
                .and_then(|s| s.resource_version.clone()),
        }
    }
}

async fn load(source: &Source, config: &HttpConfig) -> Result<Transport, ClientError> {
    build(source, &Secrets::read(source).await?, config)
}

fn build(
    source: &Source,
    secrets: &Secrets,
    config: &HttpConfig,
) -> Result<Transport, ClientError> {
    let roots = match &secrets.ca {
        Some(secret) => Roots::Private(secret.certificates()?),
        None => Roots::WebPki,
    };
    let identity = match &secrets.certificate {
        Some(secret) => Some(
            ClientIdentity::new(secret.certificates()?, secret.private_key()?)
                .map_err(|e| identity_error(&secret.secret, e))?,
        ),
        None => None,
    };
    let tls = tls::client_config(&roots, identity.as_ref()).map_err(|e| match (&source.ca, e) {
        // The only certificates a root store rejects are the CA's.
        (Some(ca), rustls::Error::InvalidCertificate(_)) => {
            ClientError::Secret(SecretError::NoCertificate {
                secret: ca.clone(),
                key: crate::secret::TLS_CERT_KEY,
            })
        }
        (_, e) => ClientError::Tls(e),
    })?;
    Ok(Transport {
        client: build_client(tls, config),
        identity: identity.map(Arc::new),
        versions: secrets.versions(),
    })
}

fn identity_error(secret: &SecretRef, error: IdentityError) -> SecretError {
    let secret = secret.clone();
    match error {
        IdentityError::NoCertificate => SecretError::NoCertificate {
            secret,
            key: crate::secret::TLS_CERT_KEY,
        },
        IdentityError::InvalidPrivateKey(e) => SecretError::InvalidPrivateKey {
            secret,
            reason: e.to_string(),
        },
        IdentityError::KeyMismatch => SecretError::KeyMismatch { secret },
    }
}

fn build_client(tls: rustls::ClientConfig, config: &HttpConfig) -> Client<Connector, Full<Bytes>> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.connect_timeout));
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(config.pool_idle_timeout)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector)
}
