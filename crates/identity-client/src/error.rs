//! [`Error`]: why an API client could not be set up.

use core_client::{BuildError, ClientError, SecretRef};

use crate::{PrincipalError, principal::SignerError};

/// An API client could not be set up; nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`api_client`](crate::api_client) was given a [`RequestContext`](crate::RequestContext)
    /// without a principal. Outbound calls on the API path always act for the inbound
    /// request's principal; set it with
    /// [`RequestContext::with_principal`](crate::RequestContext::with_principal) after
    /// authenticating the inbound request.
    #[error("the request context has no principal; refusing to call without one")]
    MissingPrincipal,
    /// The principal could not be derived from the resource (see
    /// [`PrincipalError::is_consistency_error`]), is empty, or is impersonated without an
    /// actor: the platform would refuse the call.
    #[error("no usable principal")]
    Principal(#[from] PrincipalError),
    /// Nothing would identify the caller on the API path: no client certificate is configured
    /// for the service's transport (it is the calling service's identity on the platform),
    /// and the request context has no bearer token standing in for it. Configure the
    /// certificate with `--client-certificate-namespace` and `--client-certificate-name`.
    #[error(
        "calls to {service} would identify no caller: no client certificate is configured (--client-certificate-namespace, --client-certificate-name) and the context has no bearer token"
    )]
    NoIdentity {
        /// The service the client was for.
        service: String,
    },
    /// The controller path cannot sign the principal with the service's client certificate:
    /// none is configured, or its key is not RSA (the cause says which; see
    /// [`check_signable`](crate::principal::check_signable)).
    #[error(
        "calls to {service} cannot sign the principal with the client certificate{}",
        in_secret(.secret)
    )]
    Signer {
        /// The service the client was for.
        service: String,
        /// The client-certificate Secret (`None` when none is configured, or for a client
        /// built from a TLS configuration).
        secret: Option<SecretRef>,
        /// Why it cannot sign.
        #[source]
        source: SignerError,
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

/// ` in secret ns/name`, or nothing.
fn in_secret(secret: &Option<SecretRef>) -> String {
    secret
        .as_ref()
        .map(|secret| format!(" in secret {secret}"))
        .unwrap_or_default()
}
