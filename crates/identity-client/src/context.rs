//! [`RequestContext`]: what an inbound request hands to the outbound calls it makes.

use std::sync::Arc;

use bytes::Bytes;
use opentelemetry::{Context, global, trace::TraceContextExt};
use opentelemetry_http::HeaderExtractor;

use crate::{AccessTokenSource, Principal};

/// What outbound calls on the API path carry on from the inbound request they serve: the
/// [`Principal`] it was authenticated as, whether to ask for impersonation, the OpenTelemetry
/// context, and (rarely) a forwarded client certificate or a user's bearer token.
///
/// ```
/// use identity_client::{Principal, RequestContext};
///
/// let inbound = http::HeaderMap::new();
/// // The inbound authentication established the principal; set it explicitly.
/// let ctx = RequestContext::from_headers(&inbound)
///     .with_principal(Principal::new("org-1", "proj-1", "alice"))
///     .impersonating();
/// assert_eq!(ctx.principal().unwrap().actor, "alice");
/// assert!(ctx.is_impersonating());
/// assert!(ctx.client_certificate().is_none());
/// ```
#[derive(Clone, Default)]
pub struct RequestContext {
    principal: Option<Principal>,
    impersonate: bool,
    client_certificate: Option<Bytes>,
    otel: Option<Context>,
    bearer: Option<Arc<dyn AccessTokenSource>>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token source (and any token it holds) is left out; only its presence shows.
        f.debug_struct("RequestContext")
            .field("principal", &self.principal)
            .field("impersonate", &self.impersonate)
            .field("client_certificate", &self.client_certificate.is_some())
            .field("otel", &self.otel)
            .field("bearer", &self.bearer.is_some())
            .finish()
    }
}

impl RequestContext {
    /// An empty context: no principal, and the trace context taken at send time.
    pub fn new() -> Self {
        Self::default()
    }

    /// A context for a request that arrived with `headers`. Only the trace context is taken:
    /// the current span's when one is active (the inbound server's span), else the one
    /// extracted from `headers` through the global propagator (see
    /// [`install_trace_propagator`](crate::install_trace_propagator)), else none (the context
    /// current at send time is used).
    ///
    /// The principal is not read from headers: set it with [`RequestContext::with_principal`]
    /// once the inbound request has been authenticated (see
    /// [`principal::extract`](crate::principal::extract)). Nor is `Unikorn-Client-Certificate`:
    /// see [`RequestContext::with_client_certificate`].
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        // A `traceparent` nobody reads is a broken trace: say so (once per process).
        crate::propagation::check_inbound(headers);
        let current = crate::editor::current_context();
        let otel = if current.has_active_span() {
            Some(current)
        } else {
            let remote = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
            // Nothing to continue from: leave it to the context current at send time.
            remote.has_active_span().then_some(remote)
        };
        Self {
            otel,
            ..Self::default()
        }
    }

    /// Like [`RequestContext::from_headers`], and takes the [`Principal`] an authentication
    /// middleware stored in the request extensions, if any.
    pub fn from_parts(parts: &http::request::Parts) -> Self {
        let mut ctx = Self::from_headers(&parts.headers);
        ctx.principal = parts.extensions.get::<Principal>().cloned();
        ctx
    }

    /// Sets the principal outbound calls act for.
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{Principal, RequestContext};
    /// let ctx = RequestContext::new().with_principal(Principal::new("o", "p", "a"));
    /// assert!(ctx.principal().is_some());
    /// ```
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Asks the receivers to authorize outbound calls as the principal (`X-Impersonate: true`)
    /// rather than as this service. Without it the principal is attribution only and this
    /// service's own role governs access, which is what services acting autonomously on a
    /// user's behalf want. The receiver refuses impersonation of a principal with no actor.
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{Principal, RequestContext};
    /// let ctx = RequestContext::new()
    ///     .with_principal(Principal::new("o", "p", "alice"))
    ///     .impersonating();
    /// assert!(ctx.is_impersonating());
    /// ```
    pub fn impersonating(mut self) -> Self {
        self.impersonate = true;
        self
    }

    /// Forwards `certificate` (URL-escaped PEM, as received in `Unikorn-Client-Certificate` or
    /// `Ssl-Client-Cert`) as `Unikorn-Client-Certificate` on every call. The receiver then
    /// authenticates the call as that certificate's service instead of this one, so set it only
    /// on calls made on behalf of the service that started the chain while authenticating or
    /// authorizing its request (as the platform's middleware does for its ACL call), never for
    /// ordinary outbound calls; [`Authenticated::client_certificate`] is the value to forward.
    ///
    /// [`Authenticated::client_certificate`]: crate::principal::Authenticated::client_certificate
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::RequestContext;
    /// let ctx = RequestContext::new().with_client_certificate("-----BEGIN%20CERTIFICATE-----...");
    /// assert!(ctx.client_certificate().is_some());
    /// ```
    pub fn with_client_certificate(mut self, certificate: impl Into<Bytes>) -> Self {
        self.client_certificate = Some(certificate.into());
        self
    }

    /// Sets the OpenTelemetry context whose trace outbound calls continue.
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::RequestContext;
    /// let ctx = RequestContext::new().with_otel_context(opentelemetry::Context::current());
    /// assert!(ctx.otel_context().is_some());
    /// ```
    pub fn with_otel_context(mut self, context: Context) -> Self {
        self.otel = Some(context);
        self
    }

    /// Sends `Authorization: Bearer <token>` from `source` on every call: only for a caller
    /// acting directly as a user, with that user's token. Platform services are identified by
    /// their client certificate and send no `Authorization`.
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{AccessToken, RequestContext, StaticTokenSource};
    /// let ctx = RequestContext::new()
    ///     .with_bearer(StaticTokenSource::new(AccessToken::new("user-token")));
    /// assert!(ctx.bearer().is_some());
    /// ```
    pub fn with_bearer(mut self, source: impl AccessTokenSource + 'static) -> Self {
        self.bearer = Some(Arc::new(source));
        self
    }

    /// The principal, if one was set.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// Whether calls ask to be authorized as the principal.
    pub fn is_impersonating(&self) -> bool {
        self.impersonate
    }

    /// The client certificate to forward, if one was set.
    pub fn client_certificate(&self) -> Option<&Bytes> {
        self.client_certificate.as_ref()
    }

    /// The captured OpenTelemetry context; `None` means "current at send time".
    pub fn otel_context(&self) -> Option<&Context> {
        self.otel.as_ref()
    }

    /// The bearer token source, if one was attached.
    pub fn bearer(&self) -> Option<&Arc<dyn AccessTokenSource>> {
        self.bearer.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_headers_takes_the_remote_trace_and_nothing_else() {
        global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        headers.insert("unikorn-client-certificate", "abc".parse().unwrap());
        let ctx = RequestContext::from_headers(&headers);
        let span = ctx.otel_context().unwrap().span();
        assert_eq!(
            span.span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(
            ctx.client_certificate().is_none(),
            "never forwarded implicitly"
        );
        assert!(ctx.principal().is_none());
        assert!(!ctx.is_impersonating());

        let ctx = RequestContext::from_headers(&http::HeaderMap::new());
        assert!(ctx.otel_context().is_none());
    }

    #[test]
    fn from_parts_takes_principal_from_extensions() {
        let mut request = http::Request::new(());
        request
            .extensions_mut()
            .insert(Principal::new("o", "p", "a"));
        let (parts, ()) = request.into_parts();
        let ctx = RequestContext::from_parts(&parts);
        assert_eq!(ctx.principal(), Some(&Principal::new("o", "p", "a")));
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let ctx = RequestContext::new().with_bearer(crate::StaticTokenSource::new(
            crate::AccessToken::new("s3cr3t"),
        ));
        assert!(!format!("{ctx:?}").contains("s3cr3t"));
    }
}
