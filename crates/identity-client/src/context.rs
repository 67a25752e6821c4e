//! [`RequestContext`]: what an inbound request hands to the outbound calls it makes.

use bytes::Bytes;
use opentelemetry::{Context, global, trace::TraceContextExt};
use opentelemetry_http::HeaderExtractor;

use crate::{Principal, editor::CLIENT_CERTIFICATE_HEADER};

/// The parts of an inbound request that outbound calls carry on: the authenticated
/// [`Principal`], the client certificate forwarded by TLS termination
/// (`Unikorn-Client-Certificate`), and the OpenTelemetry context.
///
/// ```
/// use identity_client::{Principal, RequestContext};
///
/// let mut inbound = http::HeaderMap::new();
/// inbound.insert("unikorn-client-certificate", "abc%20def".parse().unwrap());
/// // The inbound auth middleware knows the principal and sets it explicitly.
/// let ctx = RequestContext::from_headers(&inbound)
///     .with_principal(Principal::new("org-1", "proj-1", "alice"));
/// assert_eq!(ctx.client_certificate().unwrap().as_ref(), b"abc%20def");
/// assert_eq!(ctx.principal().unwrap().actor, "alice");
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    principal: Option<Principal>,
    client_certificate: Option<Bytes>,
    otel: Option<Context>,
}

impl RequestContext {
    /// An empty context: no principal, no certificate, and the trace context taken at send
    /// time.
    pub fn new() -> Self {
        Self::default()
    }

    /// A context for a request that arrived with `headers`:
    ///
    /// - the `Unikorn-Client-Certificate` value, if any, is kept verbatim for forwarding;
    /// - the trace context is the current span's when one is active (the inbound server's
    ///   span), else the one extracted from `headers` through the global propagator, else
    ///   none (the context current at send time is used).
    ///
    /// The principal is not read from headers: set it with [`RequestContext::with_principal`]
    /// once the inbound request has been authenticated.
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        let client_certificate = headers
            .get(CLIENT_CERTIFICATE_HEADER)
            .map(|v| Bytes::copy_from_slice(v.as_bytes()));
        let current = crate::editor::current_context();
        let otel = if current.has_active_span() {
            Some(current)
        } else {
            let remote = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)));
            // Nothing to continue from: leave it to the context current at send time.
            remote.has_active_span().then_some(remote)
        };
        Self {
            principal: None,
            client_certificate,
            otel,
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

    /// Sets the client certificate to forward (the inbound `Unikorn-Client-Certificate` value).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::RequestContext;
    /// let ctx = RequestContext::new().with_client_certificate("MIIB...");
    /// assert_eq!(ctx.client_certificate().unwrap().as_ref(), b"MIIB...");
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

    /// The principal, if one was set.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The client certificate to forward, if any.
    pub fn client_certificate(&self) -> Option<&Bytes> {
        self.client_certificate.as_ref()
    }

    /// The captured OpenTelemetry context; `None` means "current at send time".
    pub fn otel_context(&self) -> Option<&Context> {
        self.otel.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_headers_extracts_remote_trace_when_no_span_is_active() {
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
        let ctx = RequestContext::from_headers(&headers);
        let span = ctx.otel_context().unwrap().span();
        assert_eq!(
            span.span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(ctx.client_certificate().is_none());
        assert!(ctx.principal().is_none());

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
}
