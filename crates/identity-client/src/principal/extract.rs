//! [`extract`]: the receiver's side of the trust model, as the platform's middleware applies it
//! to an inbound request (`UPSTREAM.md` §5).

use http::{HeaderMap, StatusCode};
use rustls_pki_types::CertificateDer;

use super::{
    Principal,
    certificate::{CertificateError, ForwardedCertificate, common_name, unescape_certificate},
    json::{self, DecodeError},
    jws::{self, JwsError},
    rules::can_be_impersonated,
};
use crate::{AccessToken, headers};

/// The longest value accepted in each header [`extract`] reads (`X-Principal`, the certificate
/// headers, `Authorization`): 16 KiB, twice what a default nginx ingress lets through.
pub const MAX_HEADER_LEN: usize = 16 * 1024;

/// Where the receiving service learns the certificate of the service that called it.
///
/// There is no default on purpose: trusting `Ssl-Client-*` headers is right behind the
/// platform's ingress and a privilege escalation anywhere else.
#[derive(Clone, Copy, Debug)]
pub enum CertificateSource<'a> {
    /// Behind the platform's ingress (nginx), which verifies client certificates, drops any
    /// `Ssl-Client-Cert`/`Ssl-Client-Verify` a client sent, and sets its own.
    Ingress,
    /// This service terminates TLS itself: the certificate the peer presented in the handshake
    /// (verified by the TLS layer), if any. `Ssl-Client-*` headers are then ignored: a client
    /// could have written them.
    Peer(Option<&'a CertificateDer<'a>>),
}

/// Who called, and for whom, as [`extract`] established it.
///
/// # Which certificate names whom
///
/// A request can name two services: the **direct caller**, which presented its certificate in
/// the TLS handshake (the ingress passes it on as `Ssl-Client-Cert`), and the service that
/// **started the call chain**, whose certificate a caller may forward in
/// `Unikorn-Client-Certificate`. The platform trusts them for different things (`UPSTREAM.md`
/// §5):
///
/// - **who the caller is** (the subject, the `system` account, the ACL): the CN of the chain's
///   certificate, i.e. the forwarded one when present ([`Caller::System`]'s `common_name`).
///   The platform does not verify a forwarded certificate: any service whose own certificate
///   the ingress accepts can forward one;
/// - **whether a signed principal is genuine** (the controller path's PS512 JWS): the direct
///   caller's certificate, always ([`Authenticated::direct_common_name`] names it).
///
/// Log both to know who forwarded:
///
/// ```
/// # use identity_client::principal::{Authenticated, Caller};
/// fn describe(authenticated: &Authenticated) -> String {
///     match (&authenticated.caller, &authenticated.direct_common_name) {
///         (Caller::System { common_name }, Some(direct)) if authenticated.forwarded => {
///             format!("{common_name:?}, forwarded by {direct:?}")
///         }
///         (Caller::System { common_name }, _) => format!("{common_name:?}"),
///         (Caller::Bearer { .. }, _) => "a bearer token".to_owned(),
///         _ => "someone else".to_owned(),
///     }
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Authenticated {
    /// How the caller authenticated.
    pub caller: Caller,
    /// The principal the call is for. `None` when the caller presented no client certificate:
    /// the platform then builds the principal from the bearer token's claims (organization and
    /// project from the path, actor from the token's subject).
    ///
    /// As on the platform, what the caller sent is taken as it is:
    ///
    /// - it may be **empty** (`X-Principal` decoding to `{}`, `null`, or only empty fields): the
    ///   platform's middleware accepts that, and so does [`extract`], so that a Rust service
    ///   answers exactly as the Go services do. [`Authenticated::has_empty_principal`] says so;
    ///   refuse such a call yourself if your service needs a principal. (Outbound, an empty
    ///   principal is never sent: [`api_client`](crate::api_client) refuses it.)
    /// - its fields are text as sent: an `actor` may hold **control characters** (newlines,
    ///   escape sequences). Log it escaped (`{:?}`), never raw, and do not put it in a header
    ///   (outbound, `X-Principal` carries it base64url-encoded, which is safe).
    pub principal: Option<Principal>,
    /// Whether the caller asked to be authorized as the principal (`X-Impersonate: true` with
    /// a base64url JSON principal that names an actor).
    pub impersonate: bool,
    /// The certificate that started the call chain, URL-escaped PEM, as the platform keeps it
    /// for the authentication and authorization phase: the `Unikorn-Client-Certificate` the
    /// caller forwarded, else its own. Forward it
    /// ([`Authenticated::forwardable_certificate`]) only on calls made to authenticate or
    /// authorize this request, never from handlers.
    pub client_certificate: Option<String>,
    /// Whether the chain's certificate ([`Authenticated::client_certificate`], and the CN in
    /// [`Caller::System`]) was forwarded in `Unikorn-Client-Certificate` rather than presented
    /// by the direct caller.
    pub forwarded: bool,
    /// The subject CN of the certificate the direct caller presented: the service that sent
    /// this request, as verified by the ingress (`Ssl-Client-Cert` with
    /// `Ssl-Client-Verify: SUCCESS`) or by this service's TLS layer
    /// ([`CertificateSource::Peer`]). A signed principal is verified against this certificate.
    /// It differs from [`Caller::System`]'s CN when the caller [forwarded](Self::forwarded)
    /// another service's certificate. `None` when the direct caller presented no verified
    /// certificate, or one that cannot be read (the platform reads it only to verify a signed
    /// principal).
    pub direct_common_name: Option<String>,
}

impl Authenticated {
    /// Whether the caller sent a principal that asserts nothing (see
    /// [`Authenticated::principal`]): the platform accepts such a call, so [`extract`] does too.
    ///
    /// ```
    /// use identity_client::principal::{self, CertificateSource};
    /// # let leaf = rcgen::generate_simple_self_signed(["compute".to_owned()])?.cert;
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("ssl-client-cert", principal::escape_certificate(leaf.der()).parse()?);
    /// headers.insert("ssl-client-verify", "SUCCESS".parse()?);
    /// headers.insert("x-principal", "e30".parse()?); // `{}`
    /// let authenticated = principal::extract(&headers, CertificateSource::Ingress)?;
    /// assert!(authenticated.has_empty_principal());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_empty_principal(&self) -> bool {
        self.principal.as_ref().is_some_and(Principal::is_empty)
    }

    /// The [certificate of the call chain](Authenticated::client_certificate), checked, to
    /// forward with
    /// [`RequestContext::with_client_certificate`](crate::RequestContext::with_client_certificate)
    /// on a call made to authenticate or authorize this request; `None` when the request
    /// carried none. A value the platform could not read is an error.
    ///
    /// ```
    /// use identity_client::{RequestContext, principal::{self, CertificateSource}};
    /// # let leaf = rcgen::generate_simple_self_signed(["compute".to_owned()])?.cert;
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("ssl-client-cert", principal::escape_certificate(leaf.der()).parse()?);
    /// headers.insert("ssl-client-verify", "SUCCESS".parse()?);
    /// headers.insert("x-principal", "eyJhY3RvciI6ImFsaWNlIn0".parse()?);
    /// let authenticated = principal::extract(&headers, CertificateSource::Ingress)?;
    ///
    /// let mut ctx = RequestContext::new().with_authenticated(&authenticated);
    /// if let Some(certificate) = authenticated.forwardable_certificate()? {
    ///     ctx = ctx.with_client_certificate(certificate);
    /// }
    /// assert!(ctx.client_certificate().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forwardable_certificate(
        &self,
    ) -> Result<Option<ForwardedCertificate>, CertificateError> {
        self.client_certificate
            .as_deref()
            .map(ForwardedCertificate::from_escaped)
            .transpose()
    }
}

/// How the caller of a request authenticated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Caller {
    /// mTLS with no `Authorization` header: a platform service, the system account named by
    /// the common name of the certificate that started the call chain (the forwarded
    /// `Unikorn-Client-Certificate` when there is one, else the direct caller's; see
    /// [`Authenticated`] for which certificate the platform trusts for what).
    System {
        /// The subject CN of the chain's certificate.
        common_name: String,
    },
    /// An `Authorization: Bearer` token, which the receiver must validate (the platform
    /// exchanges it at the identity service) before trusting anything about the caller.
    Bearer {
        /// The token.
        token: AccessToken,
    },
}

/// A request the platform's middleware would refuse.
///
/// [`ExtractError::status`], [`ExtractError::error_code`] and [`ExtractError::description`]
/// give the platform's answer (`{"error": code, "error_description": description}`), so a
/// Rust service answers exactly as the Go services do; `Display` says precisely what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// A header is longer than [`MAX_HEADER_LEN`] or is not visible ASCII text.
    #[error("header `{header}` is {reason}")]
    InvalidHeader {
        /// The header.
        header: &'static str,
        /// `"too long"` or `"not text"`.
        reason: &'static str,
    },
    /// `Ssl-Client-Cert` is present but `Ssl-Client-Verify` is not `SUCCESS` (and no
    /// `Unikorn-Client-Certificate` was forwarded): the ingress did not verify the certificate.
    #[error("the ingress did not verify the client certificate (Ssl-Client-Verify: {verify:?})")]
    CertificatePropagation {
        /// The `Ssl-Client-Verify` value (empty when absent).
        verify: String,
    },
    /// No `Authorization` header and no verified client certificate: nothing authenticates
    /// the caller.
    #[error("no Authorization header and no verified client certificate")]
    AuthorizationMissing,
    /// `Authorization` is not `<scheme> <token>` with exactly one space and a token.
    #[error("the Authorization header is not `<scheme> <token>`")]
    AuthorizationMalformed,
    /// The `Authorization` scheme is not `Bearer` (in any case).
    #[error("the Authorization scheme {scheme:?} is not allowed (only bearer is)")]
    AuthorizationScheme {
        /// The scheme sent.
        scheme: String,
    },
    /// The certificate that names the calling service cannot be read (the platform answers
    /// 500: its ingress never sends such a value).
    #[error("header `{header}` holds no readable certificate")]
    InvalidCertificate {
        /// The header it came from.
        header: &'static str,
        /// Why it cannot be read.
        #[source]
        source: CertificateError,
    },
    /// The delegated principal is missing or cannot be accepted.
    #[error("principal propagation failure")]
    Principal(#[from] PrincipalRefusal),
}

/// Why the delegated principal of a request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrincipalRefusal {
    /// The caller presented a client certificate, so `X-Principal` is required, and it is
    /// absent (or empty).
    #[error("X-Principal is required from callers with a client certificate")]
    Missing,
    /// `X-Principal` is base64url but not principal JSON.
    #[error("X-Principal is not a principal")]
    Json(#[source] DecodeError),
    /// `X-Impersonate: true` with a principal that names no actor.
    #[error("X-Impersonate asks to act as a principal with no actor")]
    ImpersonationWithoutActor,
    /// `X-Principal` is not base64url, so it must be a PS512 JWS, and it is not a valid one.
    #[error("X-Principal is not a valid signed principal")]
    Jws(#[source] JwsError),
    /// A signed principal needs the caller's own verified certificate to check, and the
    /// ingress did not verify one.
    #[error("a signed X-Principal needs a verified client certificate")]
    CertificateUnverified,
    /// The caller's certificate, needed to check a signed principal, cannot be read.
    #[error("the caller's certificate cannot be read")]
    Certificate(#[source] CertificateError),
}

impl ExtractError {
    /// The status the platform answers with: 400, 401 or 500.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidHeader { .. }
            | Self::CertificatePropagation { .. }
            | Self::Principal(_) => StatusCode::BAD_REQUEST,
            Self::AuthorizationMissing
            | Self::AuthorizationMalformed
            | Self::AuthorizationScheme { .. } => StatusCode::UNAUTHORIZED,
            Self::InvalidCertificate { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The platform's error code: `invalid_request`, `access_denied` or `server_error`.
    pub fn error_code(&self) -> &'static str {
        match self.status() {
            StatusCode::UNAUTHORIZED => "access_denied",
            StatusCode::INTERNAL_SERVER_ERROR => "server_error",
            _ => "invalid_request",
        }
    }

    /// The platform's `error_description` for this refusal.
    pub fn description(&self) -> &'static str {
        match self {
            Self::InvalidHeader { .. } => "request header invalid",
            Self::CertificatePropagation { .. } => "certificate propagation failure",
            Self::AuthorizationMissing => "authorization header missing",
            Self::AuthorizationMalformed => "authorization header malformed",
            Self::AuthorizationScheme { .. } => "authorization scheme not allowed",
            Self::InvalidCertificate { .. } => {
                "an internal error has occurred, please contact support"
            }
            Self::Principal(_) => "principal propagation failure for authentication",
        }
    }

    /// The `WWW-Authenticate` value the platform sends with a 401 (none otherwise), pointing at
    /// the protected-resource metadata of `host`.
    pub fn www_authenticate(&self, host: &str) -> Option<String> {
        (self.status() == StatusCode::UNAUTHORIZED).then(|| {
            format!(
                "Bearer error=\"access_denied\",error_description=\"{}\",resource_metadata=\"https://{host}/.well-known/openid-protected-resource\"",
                self.description()
            )
        })
    }
}

/// The caller's own certificate, as the TLS terminator reported it.
enum Direct<'a> {
    /// No client certificate.
    Absent,
    /// The ingress says it did not verify this one.
    Unverified,
    /// The ingress verified it (URL-escaped PEM).
    Escaped(&'a str),
    /// This service's TLS layer verified it.
    Der(&'a CertificateDer<'a>),
}

/// What the platform's middleware establishes about a request to an operation that requires
/// authentication, from its headers (and, when this service terminates TLS itself, the peer's
/// certificate):
///
/// 1. the certificate of the call chain: `Unikorn-Client-Certificate` when forwarded, else the
///    caller's own; an unverified one is refused (400);
/// 2. the caller: no `Authorization` means mTLS, which needs a verified client certificate
///    (401 otherwise) and names the caller by the chain certificate's CN; else the header must
///    be `Bearer <token>` (401 otherwise), to be validated by the receiver;
/// 3. the principal, required whenever the caller presented a client certificate (400
///    otherwise): `X-Principal` as base64url JSON (with `X-Impersonate: true` honoured, which
///    needs an actor), else as a PS512 JWS verified against the caller's own certificate.
///
/// ```
/// use identity_client::{Principal, principal::{self, CertificateSource}};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-principal", principal::encode(&Principal::new("o", "p", "alice")).parse()?);
/// // No client certificate and no Authorization: nothing authenticates the caller.
/// let error = principal::extract(&headers, CertificateSource::Peer(None)).unwrap_err();
/// assert_eq!(error.status(), 401);
/// assert_eq!(error.description(), "authorization header missing");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn extract(
    headers: &HeaderMap,
    source: CertificateSource<'_>,
) -> Result<Authenticated, ExtractError> {
    let direct = match source {
        CertificateSource::Ingress => match header(headers, headers::SSL_CLIENT_CERT)? {
            None => Direct::Absent,
            Some(certificate) => {
                if header(headers, headers::SSL_CLIENT_VERIFY)? == Some("SUCCESS") {
                    Direct::Escaped(certificate)
                } else {
                    Direct::Unverified
                }
            }
        },
        CertificateSource::Peer(None) => Direct::Absent,
        CertificateSource::Peer(Some(der)) => Direct::Der(der),
    };

    // 1. The certificate of the call chain.
    let forwarded = header(headers, headers::CLIENT_CERTIFICATE)?;
    let is_forwarded = forwarded.is_some();
    let chain = match (forwarded, &direct) {
        (Some(forwarded), _) => Some((headers::CLIENT_CERTIFICATE, forwarded.to_owned())),
        (None, Direct::Escaped(own)) => Some((headers::SSL_CLIENT_CERT, (*own).to_owned())),
        (None, Direct::Der(own)) => Some((
            headers::SSL_CLIENT_CERT,
            super::certificate::escape_certificate(own),
        )),
        (None, Direct::Unverified) => {
            return Err(ExtractError::CertificatePropagation {
                verify: header(headers, headers::SSL_CLIENT_VERIFY)?
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        (None, Direct::Absent) => None,
    };

    // 2. The caller.
    let caller = match header(headers, http::header::AUTHORIZATION.as_str())? {
        None => {
            let (Direct::Escaped(_) | Direct::Der(_), Some((from, chain))) = (&direct, &chain)
            else {
                return Err(ExtractError::AuthorizationMissing);
            };
            let invalid = |source| ExtractError::InvalidCertificate {
                header: from,
                source,
            };
            let certificate = unescape_certificate(chain).map_err(invalid)?;
            Caller::System {
                common_name: common_name(&certificate).map_err(invalid)?,
            }
        }
        Some(authorization) => {
            let mut parts = authorization.split(' ');
            let (Some(scheme), Some(token), None) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(ExtractError::AuthorizationMalformed);
            };
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(ExtractError::AuthorizationScheme {
                    scheme: scheme.to_owned(),
                });
            }
            if token.is_empty() {
                return Err(ExtractError::AuthorizationMalformed);
            }
            Caller::Bearer {
                token: AccessToken::new(token),
            }
        }
    };

    // 3. The principal, when the caller presented a certificate.
    let (principal, impersonate) = match direct {
        Direct::Absent => (None, false),
        _ => {
            let (principal, impersonate) = principal(headers, &direct)?;
            (Some(principal), impersonate)
        }
    };
    let direct_common_name = direct_common_name(&direct, is_forwarded, &caller);
    Ok(Authenticated {
        caller,
        principal,
        impersonate,
        client_certificate: chain.map(|(_, certificate)| certificate),
        forwarded: is_forwarded,
        direct_common_name,
    })
}

/// The subject CN of the direct caller's verified certificate, if it can be read: the chain's
/// CN already read when the caller's own certificate is the chain's.
fn direct_common_name(direct: &Direct<'_>, forwarded: bool, caller: &Caller) -> Option<String> {
    match (direct, caller) {
        (Direct::Escaped(_) | Direct::Der(_), Caller::System { common_name }) if !forwarded => {
            Some(common_name.clone())
        }
        (Direct::Escaped(own), _) => unescape_certificate(own)
            .ok()
            .and_then(|certificate| common_name(&certificate).ok()),
        (Direct::Der(own), _) => common_name(own).ok(),
        (Direct::Absent | Direct::Unverified, _) => None,
    }
}

/// `X-Principal` (and `X-Impersonate`), as the platform's `extractPrincipal` reads them.
fn principal(headers: &HeaderMap, direct: &Direct<'_>) -> Result<(Principal, bool), ExtractError> {
    let value = header(headers, headers::PRINCIPAL)?.ok_or(PrincipalRefusal::Missing)?;
    match json::decode(value) {
        Ok(principal) => {
            let impersonate = header(headers, headers::IMPERSONATE)? == Some("true");
            if impersonate && !can_be_impersonated(&principal) {
                return Err(PrincipalRefusal::ImpersonationWithoutActor.into());
            }
            Ok((principal, impersonate))
        }
        Err(DecodeError::NotBase64Url) => {
            // The signed form, checked against the certificate of the service that called us.
            let certificate = match direct {
                Direct::Escaped(own) => {
                    unescape_certificate(own).map_err(PrincipalRefusal::Certificate)?
                }
                Direct::Der(own) => (*own).clone().into_owned(),
                Direct::Unverified | Direct::Absent => {
                    return Err(PrincipalRefusal::CertificateUnverified.into());
                }
            };
            let principal = jws::verify(value, &certificate).map_err(PrincipalRefusal::Jws)?;
            // X-Impersonate is not honoured on the signed form.
            Ok((principal, false))
        }
        Err(error) => Err(PrincipalRefusal::Json(error).into()),
    }
}

/// The first value of header `name` as text; absent or empty is `None`, as Go's
/// `Header.Get(...) == ""`.
fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<Option<&'h str>, ExtractError> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    if value.len() > MAX_HEADER_LEN {
        return Err(ExtractError::InvalidHeader {
            header: name,
            reason: "too long",
        });
    }
    let text = value.to_str().map_err(|_| ExtractError::InvalidHeader {
        header: name,
        reason: "not text",
    })?;
    Ok((!text.is_empty()).then_some(text))
}
