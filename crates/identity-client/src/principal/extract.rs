//! [`extract`]: the receiver's side of the trust model, as the platform's middleware applies it
//! to an inbound request (`UPSTREAM.md` §5).

use http::{HeaderMap, StatusCode};
use rustls_pki_types::CertificateDer;

use super::{
    Principal,
    certificate::{CertificateError, common_name, unescape_certificate},
    json::{self, DecodeError},
    jws::{self, JwsError},
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
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Authenticated {
    /// How the direct caller authenticated.
    pub caller: Caller,
    /// The principal the call is for. `None` when the caller presented no client certificate:
    /// the platform then builds the principal from the bearer token's claims (organization and
    /// project from the path, actor from the token's subject).
    pub principal: Option<Principal>,
    /// Whether the caller asked to be authorized as the principal (`X-Impersonate: true` with
    /// a base64url JSON principal that names an actor).
    pub impersonate: bool,
    /// The certificate that started the call chain, URL-escaped PEM, as the platform keeps it
    /// for the authentication and authorization phase: the `Unikorn-Client-Certificate` the
    /// caller forwarded, else its own. Forward it (with
    /// [`RequestContext::with_client_certificate`](crate::RequestContext::with_client_certificate))
    /// only on calls made to authenticate or authorize this request, never from handlers.
    pub client_certificate: Option<String>,
}

/// How the direct caller of a request authenticated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Caller {
    /// mTLS with no `Authorization` header: a platform service, the system account named by
    /// the common name of the certificate that started the call chain.
    System {
        /// The certificate's subject CN.
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
    Ok(Authenticated {
        caller,
        principal,
        impersonate,
        client_certificate: chain.map(|(_, certificate)| certificate),
    })
}

/// `X-Principal` (and `X-Impersonate`), as the platform's `extractPrincipal` reads them.
fn principal(headers: &HeaderMap, direct: &Direct<'_>) -> Result<(Principal, bool), ExtractError> {
    let value = header(headers, headers::PRINCIPAL)?.ok_or(PrincipalRefusal::Missing)?;
    match json::decode(value) {
        Ok(principal) => {
            let impersonate = header(headers, headers::IMPERSONATE)? == Some("true");
            if impersonate && principal.actor.is_empty() {
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
