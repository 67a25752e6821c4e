//! [`BaseClient`]: one service's endpoint options plus the shared, cached transport.

use std::sync::{Arc, OnceLock};

use core_client::{ClientCache, ClientError, HttpClient, HttpClientOptions, HttpOptions};

use crate::editor::SignatureCache;

/// Everything needed to talk to one service: a Kubernetes client (for the TLS Secrets), the
/// service's [`HttpOptions`], the caller's [`HttpClientOptions`] and a [`ClientCache`] so the
/// transport is built once and reused.
///
/// Cheap to clone. Several `BaseClient`s (for different services) can share one cache with
/// [`BaseClient::with_cache`], and then share connection pools where their TLS settings agree.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use core_client::{HttpClientOptions, HttpOptions};
/// use identity_client::BaseClient;
///
/// let kube = kube::Client::try_default().await?;
/// let base = BaseClient::new(
///     kube,
///     HttpOptions::new("region").with_host("https://region.example.com"),
///     HttpClientOptions::new().with_certificate("unikorn", "compute-client"),
/// );
/// let http = base.http_client().await?; // TLS + mTLS only, no headers
/// # let _ = http;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BaseClient {
    cache: ClientCache,
    options: HttpOptions,
    client_options: HttpClientOptions,
    signatures: SignatureCache,
    /// The transport once the cache gave it: the cache never replaces a built client, so later
    /// calls skip its lock and the hashing of the whole options key (clones share it).
    http: Arc<OnceLock<HttpClient>>,
}

impl BaseClient {
    /// A client for the service described by `options`, presenting the certificate of
    /// `client_options`, with its own [`ClientCache`] over `kube`.
    pub fn new(
        kube: kube::Client,
        options: HttpOptions,
        client_options: HttpClientOptions,
    ) -> Self {
        Self::with_cache(ClientCache::new(kube), options, client_options)
    }

    /// Like [`BaseClient::new`], sharing `cache` (and so Secrets reads and pools) with others.
    pub fn with_cache(
        cache: ClientCache,
        options: HttpOptions,
        client_options: HttpClientOptions,
    ) -> Self {
        Self {
            cache,
            options,
            client_options,
            signatures: SignatureCache::new(),
            http: Arc::default(),
        }
    }

    /// The pooled HTTPS client for this service (TLS and mTLS only: no headers are added).
    /// Built on first use, then shared.
    pub async fn http_client(&self) -> Result<HttpClient, ClientError> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let http = self
            .cache
            .http_client(&self.options, &self.client_options)
            .await?;
        Ok(self.http.get_or_init(|| http).clone())
    }

    /// Reads the TLS Secrets and builds the transport now, so that a missing or bad Secret
    /// fails start-up rather than the first request: call it once after building the client.
    /// The transport is then cached; later calls cost a cache lookup.
    ///
    /// Fails with [`Error::HttpClient`](crate::Error::HttpClient), naming the service, whose
    /// source is the [`ClientError`] naming the Secret. A failed build is remembered by the
    /// cache for a backoff (see [`ClientCache`]), during which calls get the same error.
    ///
    /// ```no_run
    /// # async fn demo(base: identity_client::BaseClient) -> Result<(), identity_client::Error> {
    /// base.ready().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ready(&self) -> Result<(), crate::Error> {
        self.http_client()
            .await
            .map(drop)
            .map_err(|source| crate::Error::HttpClient {
                service: self.options.service().to_owned(),
                source,
            })
    }

    /// The service's endpoint options (`host()` is its base URL).
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// The caller's client-certificate options.
    pub fn client_options(&self) -> &HttpClientOptions {
        &self.client_options
    }

    /// The cache the transport comes from.
    pub fn cache(&self) -> &ClientCache {
        &self.cache
    }

    /// The controller-path principal signatures shared by the clients made from this base (and
    /// its clones).
    pub fn signatures(&self) -> &SignatureCache {
        &self.signatures
    }

    /// The Kubernetes client Secrets are read with.
    pub fn kube_client(&self) -> &kube::Client {
        self.cache.kube_client()
    }
}
