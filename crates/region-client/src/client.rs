//! [`Client`]: region API clients built through the identity layer.

use core_client::{HttpClientOptions, HttpOptions};
use identity_client::{BaseClient, Error, RequestContext};

/// The region service's endpoint options: flags `--region-host`,
/// `--region-ca-secret-namespace`, `--region-ca-secret-name`.
pub fn options() -> HttpOptions {
    HttpOptions::new("region")
}

/// Builds region API clients for the region service configured in its [`HttpOptions`].
///
/// A thin wrapper around [`BaseClient`]: every client it returns shares one pooled, cached
/// transport presenting the service's client certificate, and the trust model of
/// [`identity_client`].
#[derive(Clone, Debug)]
pub struct Client {
    base: BaseClient,
}

impl Client {
    /// A client for the region service at `options`, presenting the certificate of
    /// `client_options`, reading Secrets through `kube`.
    pub fn new(
        kube: kube::Client,
        options: HttpOptions,
        client_options: HttpClientOptions,
    ) -> Self {
        Self::from_base(BaseClient::new(kube, options, client_options))
    }

    /// A client over an existing [`BaseClient`], e.g. one made with
    /// [`BaseClient::with_cache`] to share transports with clients of other services.
    pub fn from_base(base: BaseClient) -> Self {
        Self { base }
    }

    /// Reads the TLS Secrets and builds the transport now, so that a missing or bad Secret
    /// fails start-up with its typed error rather than the first request. See
    /// [`BaseClient::ready`].
    pub async fn ready(&self) -> Result<(), Error> {
        self.base.ready().await
    }

    /// The underlying base client.
    pub fn base(&self) -> &BaseClient {
        &self.base
    }

    /// A region API client with TLS and mTLS only: no trace context, no principal (see
    /// [`identity_client::plain_client`]). For the unauthenticated endpoints. Its
    /// [`http_client`](region_openapi::Client::http_client) is the shared transport.
    pub async fn plain_client(&self) -> Result<region_openapi::Client, Error> {
        identity_client::plain_client(&self.base, region_openapi::Client::builder()).await
    }

    /// A region API client for serving an inbound request: every call carries the trace
    /// context of `ctx` and its principal (`X-Principal`, and `X-Impersonate` when asked). See
    /// [`identity_client::api_client`].
    pub async fn api_client(&self, ctx: &RequestContext) -> Result<region_openapi::Client, Error> {
        identity_client::api_client(&self.base, region_openapi::Client::builder(), ctx).await
    }

    /// A region API client for a controller reconciling `resource`: every call carries the
    /// current trace context and the principal persisted on `resource`, signed PS512 with the
    /// client certificate's RSA key. See [`identity_client::controller_client`].
    pub async fn controller_client<R: kube::Resource>(
        &self,
        resource: &R,
    ) -> Result<region_openapi::Client, Error> {
        identity_client::controller_client(&self.base, region_openapi::Client::builder(), resource)
            .await
    }
}
