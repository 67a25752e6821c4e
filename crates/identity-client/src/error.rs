//! [`Error`]: why an API client could not be set up.

use core_client::{BuildError, ClientError, SecretRef};

use crate::PrincipalError;

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
    /// No client certificate is configured for the service's transport. It is the calling
    /// service's identity on the platform (and the controller path's signing key); configure
    /// it with `--client-certificate-namespace` and `--client-certificate-name`. On the API
    /// path a bearer token in the context stands in for it.
    #[error(
        "no client certificate is configured for calls to {service}: set --client-certificate-namespace and --client-certificate-name"
    )]
    NoClientCertificate {
        /// The service the client was for.
        service: String,
    },
    /// The client certificate's key cannot sign the controller path's principal: the platform
    /// verifies PS512 (RSA) signatures only. Issue the service an RSA certificate.
    #[error(
        "the client certificate{} has a key of type {key_type}; the controller path signs the principal with RSA (PS512) only",
        in_secret(.secret)
    )]
    UnsupportedKeyType {
        /// The client-certificate Secret (`None` for a client built from a TLS configuration).
        secret: Option<SecretRef>,
        /// The key's algorithm, e.g. `ECDSA` or `ED25519`.
        key_type: String,
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

fn in_secret(secret: &Option<SecretRef>) -> String {
    secret
        .as_ref()
        .map(|secret| format!(" in secret {secret}"))
        .unwrap_or_default()
}
