//! [`RequestContext`]: what an inbound request hands to the outbound calls it makes.

use std::sync::{Arc, OnceLock};

use opentelemetry::{Context, global, trace::TraceContextExt};
use opentelemetry_http::HeaderExtractor;

use crate::{
    AccessTokenSource, ForwardedCertificate, Principal, PrincipalError, editor::PrincipalEditor,
    principal::Authenticated,
};

/// What outbound calls on the API path carry on from the inbound request they serve: the
/// [`Principal`] it was authenticated as, whether to ask for impersonation, the OpenTelemetry
/// context, and (rarely) a forwarded client certificate or a user's bearer token.
///
/// A service handling an inbound request makes it with [`RequestContext::from_parts`], which
/// takes what the inbound authentication established ([`Authenticated`], stored in the request
/// extensions by the authentication middleware): principal and impersonation. Code that builds
/// one by hand sets them explicitly:
///
/// ```
/// use identity_client::{Principal, RequestContext};
///
/// let inbound = http::HeaderMap::new();
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
    client_certificate: Option<ForwardedCertificate>,
    otel: Option<Context>,
    bearer: Option<Arc<dyn AccessTokenSource>>,
    /// The principal editor of the principal and impersonation above, made (encoded) by the
    /// first `api_client` call and reused by the next ones; emptied when either changes.
    principal_editor: OnceLock<PrincipalEditor>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token source (and any token it holds) is left out; only its presence shows.
        f.debug_struct("RequestContext")
            .field("principal", &self.principal)
            .field("impersonate", &self.impersonate)
            .field("client_certificate", &self.client_certificate)
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
    /// The principal is not read from headers: headers are what the caller claims, not what
    /// authentication established. Take it from the authentication with
    /// [`RequestContext::from_parts`] or [`RequestContext::with_authenticated`] (see
    /// [`principal::extract`](crate::principal::extract)), or set it with
    /// [`RequestContext::with_principal`]. Nor is `Unikorn-Client-Certificate` read: see
    /// [`RequestContext::with_client_certificate`].
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

    /// Like [`RequestContext::from_headers`], and carries on what the inbound request's
    /// authentication established, from the request extensions:
    ///
    /// - the [`Authenticated`] an authentication middleware stored there (what
    ///   [`principal::extract`](crate::principal::extract) returned): its principal **and** its
    ///   impersonation, as the platform's Go handlers carry both in their context to every
    ///   outbound call (see [`RequestContext::with_authenticated`]);
    /// - else, or when the `Authenticated` has no principal (a caller authenticated by a bearer
    ///   token, whose principal the service builds itself), a [`Principal`] stored there.
    ///
    /// The client certificate of the `Authenticated` is not taken: it is forwarded only when
    /// set explicitly ([`RequestContext::with_client_certificate`]).
    ///
    /// # Example
    ///
    /// An authentication middleware stores what `extract` established; the handler's outbound
    /// calls then act for the same principal, impersonating when the inbound call did:
    ///
    /// ```
    /// use identity_client::{Principal, RequestContext, principal::{self, CertificateSource}};
    /// # let leaf = rcgen::generate_simple_self_signed(["compute".to_owned()])?.cert;
    /// # let certificate = principal::escape_certificate(leaf.der());
    ///
    /// let alice = Principal::new("org-1", "proj-1", "alice");
    /// let mut request = http::Request::builder()
    ///     // Set by the platform's ingress, which verified the caller's certificate.
    ///     .header("ssl-client-cert", certificate)
    ///     .header("ssl-client-verify", "SUCCESS")
    ///     // Set by the calling service.
    ///     .header("x-principal", principal::encode(&alice))
    ///     .header("x-impersonate", "true")
    ///     .body(())?;
    ///
    /// // The middleware:
    /// let authenticated = principal::extract(request.headers(), CertificateSource::Ingress)?;
    /// request.extensions_mut().insert(authenticated);
    ///
    /// // The handler:
    /// let (parts, ()) = request.into_parts();
    /// let ctx = RequestContext::from_parts(&parts);
    /// assert_eq!(ctx.principal(), Some(&alice));
    /// assert!(ctx.is_impersonating());
    /// assert!(ctx.client_certificate().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_parts(parts: &http::request::Parts) -> Self {
        let mut ctx = Self::from_headers(&parts.headers);
        ctx.principal = parts.extensions.get::<Principal>().cloned();
        if let Some(authenticated) = parts.extensions.get::<Authenticated>() {
            ctx = ctx.with_authenticated(authenticated);
        }
        ctx
    }

    /// Carries on what `authenticated` (from
    /// [`principal::extract`](crate::principal::extract)) established about the inbound
    /// request: its principal, when it has one, and whether it asked for impersonation. For
    /// code that holds the `Authenticated` rather than the request's
    /// [`Parts`](http::request::Parts) (see [`RequestContext::from_parts`]).
    ///
    /// This is what the platform's Go services do: their middleware puts the principal, and
    /// the impersonation mark when the call carried `X-Impersonate: true`, in the handler's
    /// context, and every outbound call the handler makes sends both on. Dropping the mark
    /// would make the next service authorize with this service's own role instead of the
    /// user's (a confused deputy).
    ///
    /// `authenticated.client_certificate` is not taken (see
    /// [`RequestContext::with_client_certificate`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{Principal, RequestContext, principal::{self, CertificateSource}};
    /// # let leaf = rcgen::generate_simple_self_signed(["compute".to_owned()])?.cert;
    /// let mut inbound = http::HeaderMap::new();
    /// inbound.insert("ssl-client-cert", principal::escape_certificate(leaf.der()).parse()?);
    /// inbound.insert("ssl-client-verify", "SUCCESS".parse()?);
    /// inbound.insert("x-principal", principal::encode(&Principal::new("o", "p", "alice")).parse()?);
    /// let authenticated = principal::extract(&inbound, CertificateSource::Ingress)?;
    ///
    /// let ctx = RequestContext::from_headers(&inbound).with_authenticated(&authenticated);
    /// assert_eq!(ctx.principal().map(|p| p.actor.as_str()), Some("alice"));
    /// assert!(!ctx.is_impersonating());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_authenticated(mut self, authenticated: &Authenticated) -> Self {
        if let Some(principal) = &authenticated.principal {
            self.principal = Some(principal.clone());
        }
        self.impersonate = authenticated.impersonate;
        self.principal_editor = OnceLock::new();
        self
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
        self.principal_editor = OnceLock::new();
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
        self.principal_editor = OnceLock::new();
        self
    }

    /// Forwards `certificate` as `Unikorn-Client-Certificate` on every call. The receiver then
    /// authenticates the call as that certificate's service instead of this one, so set it only
    /// on calls made on behalf of the service that started the chain while authenticating or
    /// authorizing its request (as the platform's middleware does for its ACL call), never for
    /// ordinary outbound calls. The certificate to forward is the inbound request's
    /// ([`Authenticated::forwardable_certificate`]); a [`ForwardedCertificate`] can also be
    /// made from a PEM or a DER, checked when made.
    ///
    /// [`Authenticated::forwardable_certificate`]: crate::principal::Authenticated::forwardable_certificate
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{ForwardedCertificate, RequestContext};
    /// # let pem = rcgen::generate_simple_self_signed(["kubernetes".to_owned()])?.cert.pem();
    /// let ctx = RequestContext::new().with_client_certificate(ForwardedCertificate::from_pem(&pem)?);
    /// assert!(ctx.client_certificate().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_client_certificate(mut self, certificate: ForwardedCertificate) -> Self {
        self.client_certificate = Some(certificate);
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
    pub fn client_certificate(&self) -> Option<&ForwardedCertificate> {
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

    /// The editor sending this context's principal (and impersonation), encoded once per
    /// context: `None` without a principal; a principal the editor refuses is refused again
    /// on each call (nothing is kept).
    pub(crate) fn principal_editor(&self) -> Option<Result<PrincipalEditor, PrincipalError>> {
        let principal = self.principal.as_ref()?;
        if let Some(editor) = self.principal_editor.get() {
            return Some(Ok(editor.clone()));
        }
        Some(
            PrincipalEditor::new(principal, self.impersonate)
                .map(|editor| self.principal_editor.get_or_init(|| editor).clone()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the context's principal editor puts on a request: the decoded principal, and
    /// whether `X-Impersonate` is set.
    async fn sent(ctx: &RequestContext) -> (Principal, bool) {
        use core_client::RequestEditor;
        let mut request = http::Request::new(bytes::Bytes::new());
        let editor = ctx.principal_editor().unwrap().unwrap();
        editor.edit(&mut request).await.unwrap();
        let headers = request.headers();
        let value = headers[crate::headers::PRINCIPAL].to_str().unwrap();
        (
            crate::principal::decode(value).unwrap(),
            headers.contains_key(crate::headers::IMPERSONATE),
        )
    }

    /// The principal editor is made once per context, and made again when what it sends
    /// changes: a later principal or impersonation is never sent with a stale encoding.
    #[tokio::test]
    async fn the_kept_principal_editor_follows_the_principal_and_impersonation() {
        assert!(RequestContext::new().principal_editor().is_none());
        let alice = Principal::new("o", "p", "alice");
        let ctx = RequestContext::new().with_principal(alice.clone());
        assert_eq!(sent(&ctx).await, (alice.clone(), false));
        assert_eq!(sent(&ctx.clone()).await, (alice.clone(), false));
        let ctx = ctx.impersonating();
        assert_eq!(sent(&ctx).await, (alice, true));
        let bob = Principal::new("o", "p", "bob");
        let ctx = ctx.with_principal(bob.clone());
        assert_eq!(sent(&ctx).await, (bob, true));
        // A refused principal is refused on every call.
        let empty = RequestContext::new().with_principal(Principal::default());
        assert!(matches!(
            empty.principal_editor(),
            Some(Err(PrincipalError::Empty))
        ));
        assert!(empty.principal_editor().unwrap().is_err());
    }

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
        assert!(!ctx.is_impersonating());
    }

    fn authenticated(principal: Option<Principal>, impersonate: bool) -> Authenticated {
        Authenticated {
            caller: crate::principal::Caller::System {
                common_name: "compute".into(),
            },
            principal,
            impersonate,
            client_certificate: Some("-----BEGIN%20CERTIFICATE-----".into()),
            forwarded: false,
            direct_common_name: Some("compute".into()),
        }
    }

    fn parts_with(extensions: impl FnOnce(&mut http::Extensions)) -> http::request::Parts {
        let mut request = http::Request::new(());
        extensions(request.extensions_mut());
        request.into_parts().0
    }

    #[test]
    fn from_parts_carries_on_the_principal_and_impersonation_of_the_authentication() {
        let alice = Principal::new("o", "p", "alice");
        let parts = parts_with(|e| {
            e.insert(authenticated(Some(alice.clone()), true));
        });
        let ctx = RequestContext::from_parts(&parts);
        assert_eq!(ctx.principal(), Some(&alice));
        assert!(ctx.is_impersonating(), "the impersonation travels on");
        assert!(
            ctx.client_certificate().is_none(),
            "the certificate is never forwarded implicitly"
        );

        let parts = parts_with(|e| {
            e.insert(authenticated(Some(alice.clone()), false));
        });
        assert!(!RequestContext::from_parts(&parts).is_impersonating());
    }

    #[test]
    fn the_authentication_wins_over_a_bare_principal_unless_it_has_none() {
        let alice = Principal::new("o", "p", "alice");
        let bob = Principal::new("o", "p", "bob");
        let parts = parts_with(|e| {
            e.insert(bob.clone());
            e.insert(authenticated(Some(alice.clone()), true));
        });
        assert_eq!(RequestContext::from_parts(&parts).principal(), Some(&alice));

        // A bearer caller: the service built the principal from the token itself.
        let parts = parts_with(|e| {
            e.insert(bob.clone());
            e.insert(authenticated(None, false));
        });
        let ctx = RequestContext::from_parts(&parts);
        assert_eq!(ctx.principal(), Some(&bob));
        assert!(!ctx.is_impersonating());
    }

    #[test]
    fn with_authenticated_sets_principal_and_impersonation() {
        let alice = Principal::new("o", "p", "alice");
        let ctx =
            RequestContext::new().with_authenticated(&authenticated(Some(alice.clone()), true));
        assert_eq!(ctx.principal(), Some(&alice));
        assert!(ctx.is_impersonating());
        assert!(ctx.client_certificate().is_none());
        // An authentication without impersonation clears an earlier request for it.
        let ctx = ctx.with_authenticated(&authenticated(Some(alice), false));
        assert!(!ctx.is_impersonating());
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let ctx = RequestContext::new().with_bearer(crate::StaticTokenSource::new(
            crate::AccessToken::new("s3cr3t"),
        ));
        assert!(!format!("{ctx:?}").contains("s3cr3t"));
    }
}
