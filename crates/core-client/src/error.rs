//! The errors of building an [`HttpClient`](crate::HttpClient) ([`ClientError`]) and of
//! sending through one ([`HttpError`]).

use std::time::Duration;

use crate::SecretError;

/// An [`HttpClient`](crate::HttpClient) could not be constructed.
///
/// Cheap to clone: a [`ClientCache`](crate::ClientCache) answers every caller of a failed build
/// with a copy of its error until it tries again.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A CA or client-certificate Secret could not be used.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// rustls refused the TLS configuration built from Secrets that passed their checks (a CA
    /// certificate rustls cannot take is [`SecretError::UnusableCaCertificate`] instead): not
    /// expected with this crate's provider and protocol settings.
    #[error("building the TLS configuration failed")]
    Tls(#[source] rustls::Error),
}

impl ClientError {
    /// The Secret this error is about, when it is about one.
    pub fn secret(&self) -> Option<&crate::SecretRef> {
        match self {
            Self::Secret(error) => Some(error.secret()),
            Self::Tls(_) => None,
        }
    }
}

/// A request could not be completed. The request may or may not have reached the server,
/// except for [`HttpError::InsecureScheme`] and [`HttpError::InvalidRequest`], which are
/// raised before anything is sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is plain `http://` and [`HttpConfig::allow_insecure_http`](crate::HttpConfig::allow_insecure_http) is off.
    #[error(
        "refusing to send a request to {uri} in clear text: use https (or allow insecure http for local development)"
    )]
    InsecureScheme {
        /// The request URL.
        uri: http::Uri,
    },
    /// The URL has no scheme or host.
    #[error("request URL {uri} is not absolute")]
    InvalidRequest {
        /// The request URL.
        uri: http::Uri,
    },
    /// The URL carries user info (`user:password@host`): credentials never go in URLs, where
    /// they end up in logs and the HTTP/2 `:authority`. The URL is not repeated here.
    #[error("refusing a request URL with credentials (user info) for host {host}")]
    CredentialsInUrl {
        /// The host the URL names, without the user info.
        host: String,
    },
    /// Connecting, the TLS handshake, or the HTTP exchange failed before a response arrived,
    /// on every attempt. See [`HttpError::tls_error`] for TLS failures such as an unknown CA
    /// or a TLS 1.2-only server.
    #[error("request to {uri} failed ({attempts} attempt(s))")]
    Transport {
        /// The request URL.
        uri: http::Uri,
        /// How many times the request was sent ([`RetryConfig`](crate::RetryConfig)).
        attempts: u32,
        /// The client's error on the last attempt; its source chain holds the I/O or TLS cause
        /// (boxed: it is large and this is the uncommon path).
        #[source]
        source: Box<hyper_util::client::legacy::Error>,
    },
    /// The server refused the client certificate in the TLS handshake, with `alert`: it does
    /// not trust the CA that issued it (`UnknownCA`: the certificate is from another CA than
    /// the server's ingress trusts), the certificate expired or was revoked, or the server
    /// requires one and none is configured (`CertificateRequired`; see
    /// [`HttpClientOptions::with_certificate`](crate::HttpClientOptions::with_certificate)).
    /// Not retried: it would be refused again.
    #[error("request to {uri}: {}", refusal(secret.as_deref(), *alert))]
    CertificateRefused {
        /// The request URL.
        uri: http::Uri,
        /// The Secret the refused certificate was read from: `None` when the client presents
        /// none, or was built from a ready-made TLS configuration (boxed: this is the uncommon
        /// path, and keeps the error small).
        secret: Option<Box<crate::SecretRef>>,
        /// The alert the server sent.
        alert: rustls::AlertDescription,
        /// How many times the request was sent (1: a refusal is not retried).
        attempts: u32,
        /// The client's error; its source chain holds the alert as received (boxed: it is large
        /// and this is the uncommon path).
        #[source]
        source: Box<hyper_util::client::legacy::Error>,
    },
    /// The whole request took longer than [`HttpConfig::request_timeout`](crate::HttpConfig::request_timeout),
    /// retries and their waits included: a slow or silent server.
    #[error("request to {uri} timed out after {timeout:?} ({attempts} attempt(s))")]
    Timeout {
        /// The request URL.
        uri: http::Uri,
        /// The limit that was exceeded.
        timeout: Duration,
        /// How many times the request had been sent when the time ran out, the one cut short
        /// included.
        attempts: u32,
    },
    /// Reading the response body failed half-way, on the last attempt: the connection was
    /// closed or reset (a proxy or server restarting, a dropped connection). An idempotent or
    /// [`RetrySafe`](crate::RetrySafe) request was sent again first, within the attempt budget
    /// and the deadline.
    #[error("reading the response body from {uri} failed (status {status}, {attempts} attempt(s))")]
    Body {
        /// The request URL.
        uri: http::Uri,
        /// The response status.
        status: http::StatusCode,
        /// How many times the request was sent ([`RetryConfig`](crate::RetryConfig)).
        attempts: u32,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The response body exceeded [`HttpConfig::max_response_body`](crate::HttpConfig::max_response_body).
    /// Not retried: the same answer would come back.
    #[error(
        "response body from {uri} (status {status}) exceeds the limit of {limit} bytes ({attempts} attempt(s))"
    )]
    BodyTooLarge {
        /// The request URL.
        uri: http::Uri,
        /// The response status.
        status: http::StatusCode,
        /// The limit in bytes.
        limit: usize,
        /// How many times the request was sent (an earlier attempt may have been answered
        /// `503`, say).
        attempts: u32,
    },
    /// A layer added with [`HttpClient::with_layer`](crate::HttpClient::with_layer) failed the
    /// request (e.g. a rate limit's own timeout).
    #[error("a layer around the HTTP client refused the request")]
    Layer(#[source] tower::BoxError),
}

impl HttpError {
    /// The TLS error behind this failure, if it is one (unknown CA, wrong host name, protocol
    /// version refused, client certificate rejected, ...).
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        let mut source = std::error::Error::source(self);
        while let Some(error) = source {
            if let Some(tls) = error.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            // `io::Error::source` skips the error it wraps; look inside it explicitly.
            source = match error.downcast_ref::<std::io::Error>() {
                Some(io) => io
                    .get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static)),
                None => error.source(),
            };
        }
        None
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// How many times the request was sent (1 without retries), for every failure that comes
    /// after sending: `None` only for a request refused before it was sent, or failed by a
    /// layer of the caller's.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Transport { attempts, .. }
            | Self::CertificateRefused { attempts, .. }
            | Self::Timeout { attempts, .. }
            | Self::Body { attempts, .. }
            | Self::BodyTooLarge { attempts, .. } => Some(*attempts),
            Self::InsecureScheme { .. }
            | Self::InvalidRequest { .. }
            | Self::CredentialsInUrl { .. }
            | Self::Layer(_) => None,
        }
    }

    /// The attempt count of a failure after sending, set to `sends` (the retry layer's count).
    pub(crate) fn set_attempts(&mut self, sends: u32) {
        match self {
            Self::Transport { attempts, .. }
            | Self::CertificateRefused { attempts, .. }
            | Self::Timeout { attempts, .. }
            | Self::Body { attempts, .. }
            | Self::BodyTooLarge { attempts, .. } => *attempts = sends,
            Self::InsecureScheme { .. }
            | Self::InvalidRequest { .. }
            | Self::CredentialsInUrl { .. }
            | Self::Layer(_) => {}
        }
    }

    /// A short, bounded name for what went wrong, as the OpenTelemetry `error.type` attribute
    /// wants it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InsecureScheme { .. } | Self::InvalidRequest { .. } => "invalid_request",
            Self::CredentialsInUrl { .. } => "credentials_in_url",
            Self::Transport { source, .. } if source.is_connect() => "connect_error",
            Self::Transport { .. } if self.is_tls_failure() => "tls_error",
            Self::Transport { .. } => "connection_error",
            Self::CertificateRefused { .. } => "tls_error",
            Self::Timeout { .. } => "timeout",
            Self::Body { .. } => "body_error",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::Layer(_) => "layer_error",
        }
    }

    /// Whether TLS refused the connection (certificate, protocol or alert): a failure that
    /// would happen again. Besides a [`rustls::Error`] in the chain, this is an I/O error of
    /// kind `InvalidData`, which is how the TLS stream reports an alert received after the
    /// handshake (e.g. a server refusing the client certificate, in TLS 1.3).
    pub(crate) fn is_tls_failure(&self) -> bool {
        if matches!(self, Self::CertificateRefused { .. }) || self.tls_error().is_some() {
            return true;
        }
        let mut source = std::error::Error::source(self);
        while let Some(error) = source {
            if let Some(io) = error.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::InvalidData
            {
                return true;
            }
            source = error.source();
        }
        false
    }

    /// A failure from a layer: the [`HttpError`] it passed through, or [`HttpError::Layer`].
    pub(crate) fn from_layer(error: tower::BoxError) -> Self {
        match error.downcast::<Self>() {
            Ok(error) => *error,
            Err(other) => Self::Layer(other),
        }
    }
}

/// The alerts with which a server refuses a client certificate (in TLS 1.3 the only alerts a
/// client can receive after its handshake completes are about its certificate flight).
const CERTIFICATE_REFUSALS: [rustls::AlertDescription; 8] = [
    rustls::AlertDescription::UnknownCA,
    rustls::AlertDescription::CertificateExpired,
    rustls::AlertDescription::CertificateRevoked,
    rustls::AlertDescription::BadCertificate,
    rustls::AlertDescription::UnsupportedCertificate,
    rustls::AlertDescription::CertificateUnknown,
    rustls::AlertDescription::CertificateRequired,
    rustls::AlertDescription::AccessDenied,
];

/// How rustls words an alert it received (`rustls::Error::AlertReceived`'s `Display`).
const ALERT_RECEIVED: &str = "received fatal alert: ";

/// The alert with which the server refused the client certificate, if that is what `error`
/// (a failed exchange) is.
///
/// Over HTTP/1.1 the chain holds the [`rustls::Error`] itself. Over HTTP/2 it does not: h2
/// keeps only the kind and text of an I/O error, so the alert is read back from the text
/// rustls gave it (`received fatal alert: UnknownCA`).
pub(crate) fn refused_certificate_alert(
    error: &(dyn std::error::Error + 'static),
) -> Option<rustls::AlertDescription> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(rustls::Error::AlertReceived(alert)) = error.downcast_ref::<rustls::Error>() {
            return CERTIFICATE_REFUSALS.contains(alert).then_some(*alert);
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData
                && let Some(alert) = io
                    .to_string()
                    .strip_prefix(ALERT_RECEIVED)
                    .and_then(|name| {
                        CERTIFICATE_REFUSALS
                            .into_iter()
                            .find(|alert| format!("{alert:?}") == name.trim())
                    })
            {
                return Some(alert);
            }
            // `io::Error::source` skips the error it wraps; look inside it explicitly.
            next = io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static));
        } else {
            next = error.source();
        }
    }
    None
}

/// What a certificate refusal says: the Secret the certificate came from and the alert in
/// words.
fn refusal(secret: Option<&crate::SecretRef>, alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    let why = match alert {
        A::UnknownCA => "unknown CA",
        A::CertificateExpired => "certificate expired",
        A::CertificateRevoked => "certificate revoked",
        A::BadCertificate => "bad certificate",
        A::UnsupportedCertificate => "unsupported certificate",
        A::CertificateUnknown => "certificate unknown",
        A::CertificateRequired => "certificate required",
        A::AccessDenied => "access denied",
        _ => "refused",
    };
    match secret {
        Some(secret) => {
            format!("the server refused the client certificate from Secret {secret} ({why})")
        }
        None if alert == A::CertificateRequired => {
            "the server requires a client certificate, and none is configured".to_owned()
        }
        None => format!("the server refused the client certificate ({why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::AlertDescription;

    #[test]
    fn a_certificate_refusal_is_found_typed_or_as_text_and_nothing_else_is() {
        let typed = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateExpired),
        );
        assert_eq!(
            refused_certificate_alert(&typed),
            Some(AlertDescription::CertificateExpired)
        );
        // What h2 hands on: the kind and the text.
        let text = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::UnknownCA).to_string(),
        );
        assert_eq!(
            refused_certificate_alert(&text),
            Some(AlertDescription::UnknownCA)
        );
        for other in [
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
            ),
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "received fatal alert: HandshakeFailure",
            ),
            std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "received fatal alert: UnknownCA",
            ),
            std::io::Error::other("connection closed"),
        ] {
            assert_eq!(refused_certificate_alert(&other), None, "{other}");
        }
    }
}
