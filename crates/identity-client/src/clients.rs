//! [`api_client`] and [`controller_client`]: an API client with all four editors applied.

use std::sync::Arc;

use core_client::{BuildError, ClientBuilder, ClientError, HttpClient};

use crate::{
    AccessTokenSource, BaseClient, Principal, PrincipalError, RequestContext,
    editor::{BearerEditor, ClientCertificateEditor, PrincipalEditor, TraceContextEditor},
};

/// An API client could not be set up; nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`api_client`] was given a [`RequestContext`] without a principal. Outbound calls on
    /// the API path always act for the inbound request's principal; set it with
    /// [`RequestContext::with_principal`] after authenticating the inbound request.
    #[error("the request context has no principal; refusing to call without one")]
    MissingPrincipal,
    /// The principal could not be derived from the resource (see
    /// [`PrincipalError::is_consistency_error`]) or cannot travel.
    #[error("no usable principal")]
    Principal(#[from] PrincipalError),
    /// The transport has no client certificate, so the principal cannot be signed. Configure
    /// the caller's certificate in `HttpClientOptions`.
    #[error("no client certificate is configured for {service}, so the principal cannot be signed")]
    NoClientCertificate {
        /// The service the client was for.
        service: String,
    },
    /// The HTTP client could not be built (a TLS Secret is missing or wrong).
    #[error("building the HTTP client for {service} failed")]
    HttpClient {
        /// The service the client was for.
        service: String,
        /// The cause, naming the Secret.
        #[source]
        source: ClientError,
    },
    /// The API client builder refused the configuration (e.g. an invalid host).
    #[error("building the API client for {service} failed")]
    Build {
        /// The service the client was for.
        service: String,
        /// The cause.
        #[source]
        source: BuildError,
    },
}

/// A client for the service of `base` that acts for the principal of an inbound request.
///
/// Every request carries, in this order of editors: `Authorization: Bearer` from `token`,
/// `traceparent`/`tracestate` from `ctx`'s OpenTelemetry context (or the current one),
/// `Unikorn-Client-Certificate` when `ctx` has one, and the signed `X-Principal`.
///
/// Fails with [`Error::MissingPrincipal`] when `ctx` has no principal, with
/// [`Error::Principal`] when it is empty or holds a control character, and with
/// [`Error::NoClientCertificate`] when there is no key to sign it with: an unsigned or empty
/// principal is never sent.
///
/// ```no_run
/// # async fn demo<B: core_client::ClientBuilder>(
/// #     base: identity_client::BaseClient,
/// #     builder: B,
/// #     inbound: http::HeaderMap,
/// #     principal: identity_client::Principal,
/// # ) -> Result<(), identity_client::Error> {
/// use std::sync::Arc;
/// use identity_client::{AccessToken, RequestContext, StaticTokenSource, api_client};
///
/// let ctx = RequestContext::from_headers(&inbound).with_principal(principal);
/// let token = Arc::new(StaticTokenSource::new(AccessToken::new("...")));
/// let client = api_client(&base, builder, token, &ctx).await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn api_client<B: ClientBuilder>(
    base: &BaseClient,
    builder: B,
    token: Arc<dyn AccessTokenSource>,
    ctx: &RequestContext,
) -> Result<B::Client, Error> {
    let principal = ctx.principal().ok_or(Error::MissingPrincipal)?.clone();
    build(
        base,
        builder,
        token,
        TraceContextEditor::new(ctx.otel_context().cloned()),
        ClientCertificateEditor::new(ctx.client_certificate().cloned()),
        principal,
    )
    .await
}

/// A client for the service of `base` that acts for the principal persisted on `resource`
/// (a controller reconciling it; there is no inbound request).
///
/// The principal comes from [`Principal::from_resource`]; a resource with no labels or no
/// annotations (or none of the principal keys) fails here, before any request. The editors are those of [`api_client`], with
/// the trace context current at send time and no forwarded client certificate.
///
/// ```no_run
/// # async fn demo<B: core_client::ClientBuilder>(
/// #     base: identity_client::BaseClient,
/// #     builder: B,
/// #     token: std::sync::Arc<dyn identity_client::AccessTokenSource>,
/// #     cluster: k8s_openapi::api::core::v1::ConfigMap,
/// # ) -> Result<(), identity_client::Error> {
/// let client = identity_client::controller_client(&base, builder, token, &cluster).await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn controller_client<B, R>(
    base: &BaseClient,
    builder: B,
    token: Arc<dyn AccessTokenSource>,
    resource: &R,
) -> Result<B::Client, Error>
where
    B: ClientBuilder,
    R: kube::Resource,
{
    let principal = Principal::from_resource(resource.meta())?;
    build(
        base,
        builder,
        token,
        TraceContextEditor::new(None),
        ClientCertificateEditor::new(None),
        principal,
    )
    .await
}

/// A client for the service of `base` with its transport only (TLS, mTLS, pool, timeouts) and
/// no editors: no token, trace context or principal is added. For unauthenticated endpoints
/// and for callers that add their own headers.
///
/// ```no_run
/// # async fn demo<B: core_client::ClientBuilder>(
/// #     base: identity_client::BaseClient,
/// #     builder: B,
/// # ) -> Result<(), identity_client::Error> {
/// let client = identity_client::plain_client(&base, builder).await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn plain_client<B: ClientBuilder>(
    base: &BaseClient,
    builder: B,
) -> Result<B::Client, Error> {
    let http = transport(base).await?;
    builder
        .with_http_client(http)
        .build(base.options().host())
        .map_err(|source| Error::Build {
            service: base.options().service().to_owned(),
            source,
        })
}

/// The transport of `base`, or the error naming its service.
async fn transport(base: &BaseClient) -> Result<HttpClient, Error> {
    base.http_client()
        .await
        .map_err(|source| Error::HttpClient {
            service: base.options().service().to_owned(),
            source,
        })
}

async fn build<B: ClientBuilder>(
    base: &BaseClient,
    builder: B,
    token: Arc<dyn AccessTokenSource>,
    trace: TraceContextEditor,
    client_certificate: ClientCertificateEditor,
    principal: Principal,
) -> Result<B::Client, Error> {
    principal.validate()?;
    let service = || base.options().service().to_owned();
    let http = transport(base).await?;
    if http.client_identity().is_none() {
        return Err(Error::NoClientCertificate { service: service() });
    }
    let principal = PrincipalEditor::with_cache(http.clone(), principal, base.signatures().clone());
    builder
        .with_http_client(http)
        .with_request_editor(Arc::new(BearerEditor::new(token)))
        .with_request_editor(Arc::new(trace))
        .with_request_editor(Arc::new(client_certificate))
        .with_request_editor(Arc::new(principal))
        .build(base.options().host())
        .map_err(|source| Error::Build {
            service: service(),
            source,
        })
}
