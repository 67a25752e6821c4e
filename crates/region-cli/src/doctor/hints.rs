//! The one table from what went wrong to what `region doctor` says: each typed error of the
//! libraries (and each other finding) gets the check it fails, the precise cause and the fix.
//!
//! The decisions are the libraries': a Secret is judged by core-client's `TlsSecret`, a
//! handshake by core-client's TLS configuration, a call by identity-client's clients and the
//! platform's answer. This file only words them.

use std::{error::Error as StdError, io, time::Duration};

use core_client::{HttpError, SecretError, SecretRef};
use http::StatusCode;
use identity_client::principal::SignerError;
use region_openapi::types;
use rustls::{AlertDescription, CertificateError};

use super::{
    catalogue::{
        CA_CERTIFICATES, CA_FORMAT, CA_READ, CA_VALIDITY, CLIENT_FORMAT, CLIENT_KEY_MATCH,
        CLIENT_PEM, CLIENT_READ, CLIENT_VALIDITY, Spec,
    },
    report::Finding,
    x509::Names,
};

/// The part a Secret plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The region's CA (`--region-ca-secret-*`).
    Ca,
    /// This service's client certificate (`--client-certificate-*`).
    Client,
}

impl Role {
    fn flags(self) -> &'static str {
        match self {
            Self::Ca => {
                "--region-ca-secret-namespace and --region-ca-secret-name (REGION_CA_SECRET_NAMESPACE, \
                 REGION_CA_SECRET_NAME)"
            }
            Self::Client => {
                "--client-certificate-namespace and --client-certificate-name \
                 (CLIENT_CERTIFICATE_NAMESPACE, CLIENT_CERTIFICATE_NAME)"
            }
        }
    }

    /// The checks of this role's Secret, by stage.
    fn read(self) -> Spec {
        match self {
            Self::Ca => CA_READ,
            Self::Client => CLIENT_READ,
        }
    }

    fn format(self) -> Spec {
        match self {
            Self::Ca => CA_FORMAT,
            Self::Client => CLIENT_FORMAT,
        }
    }

    fn contents(self) -> Spec {
        match self {
            Self::Ca => CA_CERTIFICATES,
            Self::Client => CLIENT_PEM,
        }
    }

    fn validity(self) -> Spec {
        match self {
            Self::Ca => CA_VALIDITY,
            Self::Client => CLIENT_VALIDITY,
        }
    }
}

/// `error` and its causes, on one line.
pub(crate) fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Transparent wrappers repeat their cause's words.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = match cause.downcast_ref::<io::Error>() {
            // `io::Error::source` skips the error it wraps.
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => cause.source(),
        };
    }
    text
}

/// Who may read Secrets in `namespace`: the `kubectl` commands granting `get` to `user`.
fn grant_get(secret: &SecretRef, user: Option<&str>) -> String {
    let subject = match user.and_then(|u| u.strip_prefix("system:serviceaccount:")) {
        Some(account) => format!("--serviceaccount={account}"),
        None => format!("--user={}", user.unwrap_or("<the identity above>")),
    };
    format!(
        "grant the verb `get` on `secrets` in namespace {ns}: `kubectl create role region-secret-reader \
         --verb=get --resource=secrets --resource-name={name} -n {ns}` and `kubectl create \
         rolebinding region-secret-reader --role=region-secret-reader {subject} -n {ns}`",
        ns = secret.namespace,
        name = secret.name,
    )
}

/// The check a Secret error fails and what to say: `user` is who the Kubernetes API knows this
/// program as, when known.
pub(crate) fn secret(role: Role, error: &SecretError, user: Option<&str>) -> (Spec, Finding) {
    let secret = error.secret();
    let cause = chain(error);
    let as_issued = match role {
        Role::Ca => "the PEM of the CA certificate that issued the region's server certificate",
        Role::Client => {
            "the certificate as issued (leaf first, then its CAs) in tls.crt and its key in tls.key"
        }
    };
    match error {
        SecretError::NotFound { .. } => (
            role.read(),
            Finding::new(
                cause,
                format!(
                    "check {} (the Secret must exist in that namespace: `kubectl get secret {} -n {}`)",
                    role.flags(),
                    secret.name,
                    secret.namespace
                ),
            ),
        ),
        SecretError::Forbidden { .. } => (
            role.read(),
            Finding::new(
                format!(
                    "not allowed to read Secret {secret} (HTTP 403): {} lacks the verb `get` on \
                     `secrets` in namespace {}",
                    user.unwrap_or("this identity"),
                    secret.namespace
                ),
                grant_get(secret, user),
            ),
        ),
        SecretError::Timeout { .. } => (
            role.read(),
            Finding::new(
                cause,
                "the Kubernetes API accepted the request and did not answer: check the API server's \
                 health and load",
            ),
        ),
        SecretError::Api { .. } => (
            role.read(),
            Finding::new(
                cause,
                format!(
                    "check the Kubernetes API: `kubectl get secret {} -n {}`",
                    secret.name, secret.namespace
                ),
            ),
        ),
        SecretError::WrongType { .. } => (
            role.format(),
            Finding::new(
                cause,
                match role {
                    Role::Ca => "the platform reads CAs from Secrets of type kubernetes.io/tls \
                                 only: recreate it with that type and the CA's PEM under tls.crt \
                                 (cert-manager's CA Secrets are of that type)"
                        .to_owned(),
                    Role::Client => format!(
                        "recreate it as a TLS Secret: `kubectl create secret tls {} --cert=tls.crt \
                         --key=tls.key -n {}` (cert-manager's Certificates make one)",
                        secret.name, secret.namespace
                    ),
                },
            ),
        ),
        SecretError::MissingKey { key, .. } => (
            role.format(),
            Finding::new(cause, format!("put {as_issued}; {key} is missing or empty")),
        ),
        SecretError::NoCertificate { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "tls.crt must hold PEM `CERTIFICATE` blocks (-----BEGIN CERTIFICATE-----), not DER \
                 or another format: convert it with `openssl x509 -inform der -in cert.der`",
            ),
        ),
        SecretError::InvalidCertificate { .. } => (
            role.contents(),
            Finding::new(cause, format!("the block was damaged: put {as_issued}")),
        ),
        SecretError::UnexpectedPemBlock { label, .. } => (
            role.contents(),
            Finding::new(
                cause,
                format!(
                    "tls.crt holds certificates only: take the {label:?} block out (a private key \
                     belongs in tls.key)"
                ),
            ),
        ),
        SecretError::TrailingData { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "remove what follows the last -----END CERTIFICATE----- line (a block that lost its \
                 armour lines, or a bad paste)",
            ),
        ),
        SecretError::MalformedPem { key, line, .. } => (
            role.contents(),
            Finding::new(
                cause,
                format!("repair the PEM armour of {key} at line {line}, or put {as_issued} again"),
            ),
        ),
        SecretError::NotACa { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "keep only CA certificates in the CA Secret's tls.crt: the CA that issued the \
                 region's server certificate, not the server's own certificate",
            ),
        ),
        SecretError::UnusableCaCertificate { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "rustls cannot use this CA certificate as a trust anchor (an encoding stricter \
                 tools refuse): re-issue the CA certificate with a standard tool (cert-manager, \
                 `openssl req -x509`)",
            ),
        ),
        SecretError::NoPrivateKey { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "tls.key must hold the certificate's private key as PEM (-----BEGIN PRIVATE \
                 KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY), not DER, a certificate or a note",
            ),
        ),
        SecretError::EncryptedPrivateKey { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "store the key unencrypted (`openssl pkcs8 -topk8 -nocrypt -in key.pem -out \
                 tls.key`): the Secret is what protects it",
            ),
        ),
        SecretError::InvalidPrivateKey { .. } => (
            role.contents(),
            Finding::new(
                cause,
                "tls.key must hold an unencrypted RSA, ECDSA (P-256, P-384) or Ed25519 private key \
                 in PKCS#8, PKCS#1 or SEC1 PEM",
            ),
        ),
        SecretError::KeyMismatch { .. } => (
            CLIENT_KEY_MATCH,
            Finding::new(
                cause,
                "tls.key belongs to another certificate: store the key this certificate was issued \
                 for (a renewal changes both together)",
            ),
        ),
        SecretError::CertificateExpired { .. } => (
            role.validity(),
            Finding::new(
                cause,
                match role {
                    Role::Ca => {
                        "put the current CA in tls.crt (keep the old one beside it while \
                                 certificates it issued are still in use), or check this \
                                 machine's clock"
                    }
                    Role::Client => {
                        "renew the certificate (with cert-manager, look at the \
                                     Certificate's status: why did the renewal not happen?), or \
                                     check this machine's clock"
                    }
                },
            ),
        ),
        SecretError::CertificateNotYetValid { .. } => (
            role.validity(),
            Finding::new(
                cause,
                "the certificate starts later: wait for its notBefore, or check this machine's \
                 clock (the region.clock check compares it with the region API's)",
            ),
        ),
        _ => (
            role.read(),
            Finding::new(cause, format!("check the Secret named by {}", role.flags())),
        ),
    }
}

/// No Kubernetes client could be configured.
pub(crate) fn kube_config(error: &anyhow::Error) -> Finding {
    // What was tried and why it failed; the causes below repeat it.
    let message = match error.chain().nth(1) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    };
    Finding::new(
        message,
        "run in the service's pod (`kubectl exec`), or give a kubeconfig: --kubeconfig, \
         $KUBECONFIG or ~/.kube/config (and --context)",
    )
}

/// The Kubernetes API at `url` could not be reached.
pub(crate) fn kube_unreachable(url: &str, error: &kube::Error) -> Finding {
    Finding::new(
        format!(
            "{} cannot be reached: {}",
            url.trim_end_matches('/'),
            chain(error)
        ),
        "check the kubeconfig's server and credentials (`kubectl get --raw /version`), or the \
         pod's service account token",
    )
}

/// The Kubernetes API at `url` accepted the connection and did not answer.
pub(crate) fn kube_silent(url: &str, timeout: Duration) -> Finding {
    Finding::new(
        format!(
            "{} did not answer within {timeout:?}",
            url.trim_end_matches('/')
        ),
        "check the API server's health and the network path to it",
    )
}

/// The Kubernetes API answered, but would not say who this is.
pub(crate) fn kube_anonymous(url: &str, status: &kube::core::Status) -> Finding {
    Finding::new(
        format!(
            "{} answers, but would not say who this is (SelfSubjectReview: {} {})",
            url.trim_end_matches('/'),
            status.code,
            status.message
        ),
        "nothing to fix for the region API; a forbidden Secret read below will not name the \
         identity to grant access to (an API server before 1.28 has no SelfSubjectReview)",
    )
}

/// No Secret is configured for the client certificate.
pub(crate) fn no_client_certificate() -> Finding {
    Finding::new(
        "no client certificate is configured: the region API knows a service by its client \
         certificate, and refuses calls without one",
        format!("set {}", Role::Client.flags()),
    )
}

/// A certificate (the leaf of the client chain, or the CA Secret's longest-lived CA) has
/// `days` days left, fewer than `threshold`.
pub(crate) fn expires_soon(what: &str, days: u64, threshold: u64, not_after: &str) -> Finding {
    Finding::new(
        format!("{what} expires in {days} day(s), at {not_after} (warning under {threshold})"),
        "renew it before then (with cert-manager, check that the Certificate renews: \
         `kubectl describe certificate`)",
    )
}

/// Certificate `index` of the client chain did not issue certificate `index - 1`.
pub(crate) fn broken_chain(index: usize, issuer: &str, expected: &str) -> Finding {
    Finding::new(
        format!(
            "tls.crt: the certificate at index {index} ({issuer}) did not issue the one before it \
             (issued by {expected})"
        ),
        "put the leaf first in tls.crt, then each CA that issued the certificate before it, in \
         order",
    )
}

/// The client key cannot sign the controller path's principal.
pub(crate) fn key_type(key_type: &str) -> Finding {
    Finding::new(
        format!(
            "{key_type} key: the API path works; the controller path does not (it signs the \
             principal with an RSA key, PS512)"
        ),
        "if this service calls the region API from a controller, issue it an RSA client \
         certificate (cert-manager: `privateKey: {algorithm: RSA}`)",
    )
}

/// `--region-host` is not a usable URL.
pub(crate) fn bad_host(host: &str, why: &str) -> Finding {
    let message = if host.is_empty() {
        "no region host is configured".to_owned()
    } else {
        format!("--region-host {host:?} {why}")
    };
    Finding::new(
        message,
        "set --region-host (REGION_HOST) to the region API's base URL, e.g. \
         https://region.example.com",
    )
}

/// The host name does not resolve.
pub(crate) fn dns(host: &str, error: &io::Error) -> Finding {
    Finding::new(
        format!("{host} does not resolve: {error}"),
        "check the host name in --region-host and this machine's (the pod's) DNS",
    )
}

/// No address of the host accepted a TCP connection.
pub(crate) fn tcp(failures: &[String]) -> Finding {
    Finding::new(
        format!("no address accepted a connection: {}", failures.join("; ")),
        "check the port in --region-host, and network policies and firewalls between here and \
         the region's ingress",
    )
}

/// The TLS handshake failed before the server's certificate was checked.
pub(crate) fn handshake(error: &rustls::Error) -> Finding {
    match error {
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
        | rustls::Error::PeerIncompatible(_) => Finding::new(
            format!("the host does not speak TLS 1.3 ({error})"),
            "the platform's clients speak TLS 1.3 only, as its Go clients do: enable TLS 1.3 on \
             the region's ingress (nginx: `ssl_protocols TLSv1.3;`), or point --region-host at it",
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            Finding::new(
                format!("the host does not answer in TLS ({error})"),
                "is this port plain HTTP? --region-host must be the https:// address of the \
                 region's ingress",
            )
        }
        rustls::Error::AlertReceived(alert) => Finding::new(
            format!("the host refused the handshake with the alert {alert:?}"),
            "the host and this client share no TLS 1.3 cipher suite or signature scheme: check \
             the ingress's TLS settings",
        ),
        other => Finding::new(
            format!("the TLS handshake failed: {other}"),
            "check the ingress's TLS settings",
        ),
    }
}

/// The connection failed during the handshake without a TLS error.
pub(crate) fn handshake_io(error: &io::Error) -> Finding {
    Finding::new(
        format!(
            "the connection failed during the TLS handshake: {}",
            chain(error)
        ),
        "the host closed the connection: is this port the region's ingress, speaking TLS 1.3?",
    )
}

/// No handshake within `timeout`.
pub(crate) fn handshake_timeout(timeout: Duration) -> Finding {
    Finding::new(
        format!("no TLS handshake within {timeout:?}"),
        "the host accepts connections but does not answer TLS: check that --region-host names \
         the region's ingress",
    )
}

/// The server's certificate was refused: `presented` is what the server sent (when it
/// parsed), `trusted` what it was checked against, `host` the name it must hold.
pub(crate) fn server_certificate(
    error: &rustls::Error,
    presented: Option<&Names>,
    trusted: &str,
    host: &str,
) -> Finding {
    let subject = presented.map_or("the server's certificate".to_owned(), |n| {
        format!("the server's certificate ({})", n.subject)
    });
    let certificate_error = match error {
        rustls::Error::InvalidCertificate(e) => Some(e),
        _ => None,
    };
    match certificate_error {
        Some(CertificateError::UnknownIssuer) => {
            let issuer = presented.map_or("an unknown CA".to_owned(), |n| n.issuer.clone());
            Finding::new(
                format!("{subject} is issued by {issuer}, which {trusted} does not hold"),
                format!(
                    "put the CA that issued the region's server certificate ({issuer}) in \
                     {trusted}, or point --region-ca-secret-namespace/--region-ca-secret-name at \
                     the Secret that holds it"
                ),
            )
        }
        Some(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            let names = presented.map_or(String::new(), |n| n.alt_names.join(", "));
            Finding::new(
                format!("{subject} is valid for {names}, not for {host}"),
                format!(
                    "call the region by a name its certificate holds (--region-host), or reissue \
                     the certificate with {host} among its subjectAltNames"
                ),
            )
        }
        Some(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => Finding::new(
            format!("{subject} has expired ({error})"),
            "the region's ingress must renew its certificate; or this machine's clock is wrong",
        ),
        Some(CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }) => {
            Finding::new(
                format!("{subject} is not valid yet ({error})"),
                "this machine's clock is behind, or the ingress presents a certificate too early",
            )
        }
        _ => Finding::new(
            format!("{subject} was refused: {error}"),
            format!("the region's server certificate must verify under {trusted}"),
        ),
    }
}

/// The server did not ask for a client certificate.
pub(crate) fn no_certificate_request() -> Finding {
    Finding::new(
        "the server did not ask for a client certificate: it is not the region's ingress with \
         mTLS",
        "point --region-host at the region's ingress, which verifies client certificates",
    )
}

/// The server asks for certificates from CAs that issued none of the client chain.
pub(crate) fn untrusted_client_ca(accepted: &[String], issuer: &str, subject: &str) -> Finding {
    Finding::new(
        format!(
            "the ingress accepts client certificates from {}; {subject} is issued by {issuer}",
            accepted.join(" or ")
        ),
        "issue the service's certificate from a CA the ingress trusts (or make the ingress trust \
         its CA): the ingress would refuse it with `unknown CA`",
    )
}

/// The server asks for a client certificate without naming CAs.
pub(crate) fn unnamed_client_cas() -> Finding {
    Finding::new(
        "the ingress asks for a client certificate without naming the CAs it accepts: the \
         handshake cannot tell whether it trusts this one",
        "the region.mtls check shows whether the ingress accepts it",
    )
}

/// A call failed without an answer from the region API.
pub(crate) fn request(error: &region_openapi::Error) -> Finding {
    let http = match error {
        region_openapi::Error::Http(http) => Some(http.as_ref()),
        _ => None,
    };
    let hint = match http {
        Some(HttpError::CertificateRefused { alert, .. }) => match alert {
            AlertDescription::UnknownCA => {
                "issue the service's certificate from a CA the region's ingress trusts (see \
                 region.client-ca)"
            }
            AlertDescription::CertificateRequired => {
                "configure the client certificate: --client-certificate-namespace and \
                 --client-certificate-name"
            }
            AlertDescription::CertificateExpired => {
                "renew the client certificate (or check the clocks: see region.clock)"
            }
            _ => "the ingress refused the client certificate: look at the ingress's log",
        },
        Some(HttpError::Timeout { .. }) => {
            "the region API did not answer in time: look at its health and at the ingress"
        }
        Some(HttpError::Transport { .. }) => {
            "the connection failed before an answer: look at the region.tcp and region.tls checks"
        }
        _ => "see the cause",
    };
    Finding::new(chain(error), hint)
}

/// An API client could not be set up for a call.
pub(crate) fn client_setup(error: &identity_client::Error) -> Finding {
    let hint = match error {
        identity_client::Error::Signer {
            source: SignerError::UnsupportedKeyType { .. },
            ..
        } => {
            "issue the service an RSA client certificate if it calls from controllers (the API \
             path works with this one: see region.api-path)"
        }
        identity_client::Error::Signer { .. } | identity_client::Error::NoIdentity { .. } => {
            "configure the client certificate: --client-certificate-namespace and \
             --client-certificate-name"
        }
        identity_client::Error::HttpClient { .. } => {
            "a Secret changed since it was checked above: run the doctor again"
        }
        _ => "see the cause",
    };
    Finding::new(chain(error), hint)
}

/// The region API answered `status` to `operation`, with the platform's error `body` when it
/// sent one.
pub(crate) fn answer(operation: &str, status: StatusCode, body: Option<&types::Error>) -> Finding {
    let mut message = format!("{operation} answered {status}");
    if let Some(body) = body {
        message.push_str(&format!(": {}: {}", body.error, body.error_description));
        if let Some(trace) = &body.trace_id {
            message.push_str(&format!(" (trace id {trace})"));
        }
    }
    let description = body.map_or("", |b| b.error_description.as_str());
    let hint = match status.as_u16() {
        401 => {
            "the region API saw no verified client certificate: the ingress in front of it must \
             verify client certificates and pass them on (Ssl-Client-Cert, Ssl-Client-Verify: \
             SUCCESS)"
        }
        400 if description.starts_with("principal propagation") => {
            "the region API could not read the principal (X-Principal): on the controller path \
             its signature must verify against the certificate the ingress saw"
        }
        400 if description.starts_with("certificate propagation") => {
            "the ingress passed on a client certificate it did not verify: check its \
             `ssl_verify_client` setting"
        }
        403 => {
            "the platform's RBAC refused the call: give the service (the CN of its certificate) \
             access in that organization"
        }
        404 => "the host does not serve this operation: is --region-host the region API?",
        500..=599 => "the region API failed: find the request in its logs by the trace id",
        _ => "see the platform's answer",
    };
    Finding::new(message, hint)
}

/// The server's clock is `skew` away from this machine's (`ahead` or behind).
pub(crate) fn clock(skew: Duration, ahead: bool, limit: Duration) -> Finding {
    let way = if ahead { "ahead of" } else { "behind" };
    Finding::new(
        format!(
            "the region API's clock is {}s {way} this machine's (more than {}s)",
            skew.as_secs(),
            limit.as_secs()
        ),
        "fix the time synchronisation (NTP) of this node or of the region's: certificate validity \
         checks on both sides depend on it",
    )
}

/// The answer carried no usable `Date`.
pub(crate) fn no_date() -> Finding {
    Finding::new(
        "the region API's answer carries no valid Date header",
        "the clocks cannot be compared: the ingress should pass the Date header on",
    )
}
