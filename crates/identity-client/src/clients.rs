//! [`api_client`], [`controller_client`] and [`plain_client`]: an API client with the trust
//! model's editors applied.

use std::sync::Arc;

use core_client::{ClientBuilder, HttpClient, RequestEditor};

use crate::{
    BaseClient, Error, Principal, RequestContext,
    editor::{BearerEditor, ClientCertificateEditor, SignedPrincipalEditor, TraceContextEditor},
    principal::{check_sendable, check_signable},
};

/// A client for the service of `base` that acts for the principal of an inbound request (the
/// API path).
///
/// Every request carries, in the platform's order:
///
/// 1. `traceparent`/`tracestate` from `ctx`'s OpenTelemetry context (or the current one);
/// 2. `Unikorn-Client-Certificate`, only when `ctx` was given one explicitly;
/// 3. `X-Principal`: base64url (unpadded) JSON of `ctx`'s principal, and `X-Impersonate: true`
///    when `ctx` is [impersonating](RequestContext::impersonating);
///
/// and `Authorization: Bearer` only when `ctx` has a [bearer](RequestContext::with_bearer). The
/// service is identified by its client certificate in the TLS handshake.
///
/// Fails before anything is sent with [`Error::MissingPrincipal`] when `ctx` has no principal,
/// [`Error::Principal`] when [`check_sendable`] refuses it (an empty principal, or one
/// impersonated with no actor: the platform refuses both), and [`Error::NoIdentity`] when
/// neither a client certificate nor a bearer token identifies the caller.
///
/// ```no_run
/// # async fn demo<B: core_client::ClientBuilder>(
/// #     base: identity_client::BaseClient,
/// #     builder: B,
/// #     inbound: http::request::Parts,
/// # ) -> Result<(), identity_client::Error> {
/// use identity_client::{RequestContext, api_client};
///
/// // `inbound` carries the `Authenticated` its authentication middleware stored.
/// let ctx = RequestContext::from_parts(&inbound);
/// let client = api_client(&base, builder, &ctx).await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn api_client<B: ClientBuilder>(
    base: &BaseClient,
    builder: B,
    ctx: &RequestContext,
) -> Result<B::Client, Error> {
    // The editor applies `check_sendable`.
    let principal = ctx.principal_editor().ok_or(Error::MissingPrincipal)??;
    let http = transport(base).await?;
    if http.client_identity().is_none() && ctx.bearer().is_none() {
        return Err(Error::NoIdentity {
            service: base.options().service().to_owned(),
        });
    }
    let mut editors: Vec<Arc<dyn RequestEditor>> = vec![Arc::new(TraceContextEditor::new(
        ctx.otel_context().cloned(),
    ))];
    if let Some(certificate) = ctx.client_certificate() {
        editors.push(Arc::new(ClientCertificateEditor::new(certificate.clone())));
    }
    editors.push(Arc::new(principal));
    if let Some(bearer) = ctx.bearer() {
        editors.push(Arc::new(BearerEditor::new(bearer.clone())));
    }
    build(base, builder, http, editors)
}

/// A client for the service of `base` that acts for the principal persisted on `resource`
/// (a controller reconciling it; there is no inbound request).
///
/// The principal comes from [`Principal::from_resource`] and travels as a PS512 JWS signed
/// with the client certificate's RSA key, over a connection presenting that certificate (see
/// [`SignedPrincipalEditor`]); the trace context is the one current at send time. No
/// impersonation, no forwarded certificate, no `Authorization`.
///
/// Fails before anything is sent with [`Error::Principal`] for a resource without labels or
/// annotations (or with no principal at all: [`check_sendable`]), and [`Error::Signer`] when
/// [`check_signable`] refuses the client certificate (none, or a key that is not RSA).
///
/// ```no_run
/// # async fn demo<B: core_client::ClientBuilder>(
/// #     base: identity_client::BaseClient,
/// #     builder: B,
/// #     cluster: k8s_openapi::api::core::v1::ConfigMap,
/// # ) -> Result<(), identity_client::Error> {
/// let client = identity_client::controller_client(&base, builder, &cluster).await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn controller_client<B, R>(
    base: &BaseClient,
    builder: B,
    resource: &R,
) -> Result<B::Client, Error>
where
    B: ClientBuilder,
    R: kube::Resource,
{
    let principal = Principal::from_resource(resource.meta())?;
    // Before reading any Secret; the editor checks it too.
    check_sendable(&principal, false)?;
    let http = transport(base).await?;
    check_signable(&http).map_err(|source| Error::Signer {
        service: base.options().service().to_owned(),
        secret: http.client_certificate_secret().cloned(),
        source,
    })?;
    let signed = SignedPrincipalEditor::new(http.clone(), principal, base.signatures().clone())?;
    let editors: Vec<Arc<dyn RequestEditor>> =
        vec![Arc::new(TraceContextEditor::new(None)), Arc::new(signed)];
    build(base, builder, http, editors)
}

/// A client for the service of `base` with its transport only (TLS, mTLS, pool, timeouts) and
/// no editors: no trace context or principal is added. For unauthenticated endpoints and for
/// callers that add their own headers.
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
    build(base, builder, http, Vec::new())
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

fn build<B: ClientBuilder>(
    base: &BaseClient,
    builder: B,
    http: HttpClient,
    editors: Vec<Arc<dyn RequestEditor>>,
) -> Result<B::Client, Error> {
    editors
        .into_iter()
        .fold(builder.with_http_client(http), |builder, editor| {
            builder.with_request_editor(editor)
        })
        .build(base.options().host())
        .map_err(|source| Error::Build {
            service: base.options().service().to_owned(),
            source,
        })
}
