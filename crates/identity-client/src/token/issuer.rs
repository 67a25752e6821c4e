//! [`TokenIssuer`]: a service access token from the identity service, via OIDC discovery and
//! the OAuth2 `client_credentials` grant, authenticated by mTLS.

use std::{fmt, sync::Arc, time::Duration};

use bytes::Bytes;
use core_client::{ClientError, HttpError};
use http::{StatusCode, header};
use serde::Deserialize;
use tracing::Instrument;

use super::{AccessToken, CachingTokenSource, IssuedToken};
use crate::{BaseClient, editor::current_context, editor::inject_context};

/// The longest body excerpt kept in an [`IssueError`], in bytes.
pub const MAX_BODY_EXCERPT: usize = 512;

/// Path of the OIDC discovery document under the identity host.
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Which identity endpoint an [`IssueError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `{identity}/.well-known/openid-configuration`.
    Discovery,
    /// The discovered `token_endpoint`.
    Token,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Discovery => "OIDC discovery",
            Self::Token => "token endpoint",
        })
    }
}

/// A service token could not be issued.
///
/// Body excerpts are at most [`MAX_BODY_EXCERPT`] bytes; in token-endpoint bodies every
/// token-like run of 16 or more characters is replaced by `<redacted>`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The mTLS client for the identity service could not be built (a TLS Secret is missing
    /// or wrong; the cause names it).
    #[error("building the HTTP client for the identity service failed")]
    HttpClient(#[source] ClientError),
    /// The identity host, or the discovered token endpoint, is not an absolute URL.
    #[error("{endpoint} URL {url:?} is not an absolute https URL")]
    InvalidUrl {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL as configured or discovered.
        url: String,
    },
    /// The request did not complete (connection, TLS, timeout).
    #[error("request to the {endpoint} at {url} failed")]
    Request {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL requested.
        url: String,
        /// The transport error.
        #[source]
        source: HttpError,
    },
    /// The endpoint answered with a non-2xx status (e.g. 401 when the client certificate is
    /// not known to the identity service).
    #[error("the {endpoint} at {url} answered {status}: {body}")]
    Status {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
        /// A bounded excerpt of the body.
        body: String,
    },
    /// The body is not the JSON document expected.
    #[error("the {endpoint} at {url} answered {status} with malformed JSON: {body}")]
    InvalidJson {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
        /// A bounded excerpt of the body.
        body: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A required field is missing: `token_endpoint` in discovery; `access_token` or
    /// `expires_in` in the token response.
    #[error("the {endpoint} at {url} answered {status} without `{field}`: {body}")]
    MissingField {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
        /// The missing field.
        field: &'static str,
        /// A bounded excerpt of the body.
        body: String,
    },
    /// The token is not a bearer token (`token_type` other than `Bearer`).
    #[error("the token endpoint issued a {token_type:?} token; only Bearer is supported")]
    UnsupportedTokenType {
        /// The `token_type` as sent.
        token_type: String,
    },
}

impl IssueError {
    /// The HTTP status, when the endpoint answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. }
            | Self::InvalidJson { status, .. }
            | Self::MissingField { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The (bounded, redacted) body excerpt, when the endpoint answered.
    pub fn body_excerpt(&self) -> Option<&str> {
        match self {
            Self::Status { body, .. }
            | Self::InvalidJson { body, .. }
            | Self::MissingField { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Which endpoint failed, when known.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Self::InvalidUrl { endpoint, .. }
            | Self::Request { endpoint, .. }
            | Self::Status { endpoint, .. }
            | Self::InvalidJson { endpoint, .. }
            | Self::MissingField { endpoint, .. } => Some(*endpoint),
            Self::UnsupportedTokenType { .. } => Some(Endpoint::Token),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<u64>,
}

/// Gets this service's access token from the identity service.
///
/// 1. `GET {identity host}/.well-known/openid-configuration` and read `token_endpoint`
///    (remembered after the first success);
/// 2. `POST` to it `grant_type=client_credentials` (form-encoded, plus `client_id`/`scope`
///    when set), authenticated by the mTLS client certificate of the [`BaseClient`];
/// 3. return the `access_token` and its expiry from `expires_in`.
///
/// Both requests run inside a `tracing` span `identity.issue_token` carrying `service.name`
/// and `service.version`, with the trace context injected. Use
/// [`TokenIssuer::token_source`] to cache and refresh the token.
///
/// ```no_run
/// # async fn demo(kube: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use core_client::{HttpClientOptions, HttpOptions};
/// use identity_client::{AccessTokenSource, BaseClient, TokenIssuer};
///
/// let identity = BaseClient::new(
///     kube,
///     HttpOptions::new("identity").with_host("https://identity.example.com"),
///     HttpClientOptions::new().with_certificate("unikorn", "compute-client"),
/// );
/// let issuer = TokenIssuer::new(identity, env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
/// let tokens = issuer.token_source();
/// let token = tokens.token().await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TokenIssuer {
    base: BaseClient,
    service_name: String,
    service_version: String,
    client_id: Option<String>,
    scope: Option<String>,
    token_endpoint: Arc<tokio::sync::OnceCell<http::Uri>>,
}

impl TokenIssuer {
    /// An issuer talking to the identity service of `base`, on behalf of the service
    /// `service_name` at `service_version` (recorded on the tracing span).
    pub fn new(
        base: BaseClient,
        service_name: impl Into<String>,
        service_version: impl Into<String>,
    ) -> Self {
        Self {
            base,
            service_name: service_name.into(),
            service_version: service_version.into(),
            client_id: None,
            scope: None,
            token_endpoint: Arc::default(),
        }
    }

    /// Sends `client_id` with the grant (RFC 8705 mTLS client authentication).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn demo(base: identity_client::BaseClient) {
    /// let issuer = identity_client::TokenIssuer::new(base, "compute", "1.0.0")
    ///     .with_client_id("compute");
    /// # }
    /// ```
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Requests `scope` with the grant.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn demo(base: identity_client::BaseClient) {
    /// let issuer = identity_client::TokenIssuer::new(base, "compute", "1.0.0")
    ///     .with_scope("openid");
    /// # }
    /// ```
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// A [`CachingTokenSource`] over this issuer: tokens are issued once and refreshed ahead
    /// of expiry.
    pub fn token_source(self) -> CachingTokenSource {
        CachingTokenSource::new(move || {
            let issuer = self.clone();
            async move { issuer.issue().await }
        })
    }

    /// Issues a new token (no caching).
    pub async fn issue(&self) -> Result<IssuedToken, IssueError> {
        let span = tracing::info_span!(
            "identity.issue_token",
            service.name = %self.service_name,
            service.version = %self.service_version,
            otel.kind = "client",
        );
        self.issue_in_span().instrument(span).await
    }

    async fn issue_in_span(&self) -> Result<IssuedToken, IssueError> {
        let http = self
            .base
            .http_client()
            .await
            .map_err(IssueError::HttpClient)?;
        let endpoint = self
            .token_endpoint
            .get_or_try_init(|| self.discover(&http))
            .await?
            .clone();
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(client_id) = &self.client_id {
            form.push(("client_id", client_id));
        }
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let body = serde_urlencoded::to_string(&form).unwrap_or_default();
        let url = endpoint.to_string();
        let mut request = http::Request::post(endpoint);
        if let Some(headers) = request.headers_mut() {
            headers.insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            headers.insert(
                header::ACCEPT,
                http::HeaderValue::from_static("application/json"),
            );
        }
        let request = request
            .body(Bytes::from(body))
            .map_err(|_| IssueError::InvalidUrl {
                endpoint: Endpoint::Token,
                url: url.clone(),
            })?;
        let (status, body) = send(&http, request, Endpoint::Token, &url).await?;
        let excerpt = || excerpt(&body, true);
        let response: TokenResponse =
            serde_json::from_slice(&body).map_err(|source| IssueError::InvalidJson {
                endpoint: Endpoint::Token,
                url: url.clone(),
                status,
                body: excerpt(),
                source,
            })?;
        let missing = |field| IssueError::MissingField {
            endpoint: Endpoint::Token,
            url: url.clone(),
            status,
            field,
            body: excerpt(),
        };
        let token = response
            .access_token
            .ok_or_else(|| missing("access_token"))?;
        let expires_in = response.expires_in.ok_or_else(|| missing("expires_in"))?;
        if let Some(token_type) = response.token_type
            && !token_type.eq_ignore_ascii_case("bearer")
        {
            return Err(IssueError::UnsupportedTokenType { token_type });
        }
        tracing::debug!(expires_in, "issued a service access token");
        Ok(IssuedToken::expiring_in(
            AccessToken::new(token),
            Duration::from_secs(expires_in),
        ))
    }

    async fn discover(&self, http: &core_client::HttpClient) -> Result<http::Uri, IssueError> {
        let host = self.base.options().host().trim_end_matches('/');
        let url = format!("{host}{DISCOVERY_PATH}");
        let invalid = |endpoint, url: &str| IssueError::InvalidUrl {
            endpoint,
            url: url.to_owned(),
        };
        let uri = absolute(&url).ok_or_else(|| invalid(Endpoint::Discovery, &url))?;
        let request = http::Request::get(uri)
            .header(header::ACCEPT, "application/json")
            .body(Bytes::new())
            .map_err(|_| invalid(Endpoint::Discovery, &url))?;
        let (status, body) = send(http, request, Endpoint::Discovery, &url).await?;
        let document: Discovery =
            serde_json::from_slice(&body).map_err(|source| IssueError::InvalidJson {
                endpoint: Endpoint::Discovery,
                url: url.clone(),
                status,
                body: excerpt(&body, false),
                source,
            })?;
        let token_endpoint = document
            .token_endpoint
            .ok_or_else(|| IssueError::MissingField {
                endpoint: Endpoint::Discovery,
                url: url.clone(),
                status,
                field: "token_endpoint",
                body: excerpt(&body, false),
            })?;
        absolute(&token_endpoint).ok_or_else(|| invalid(Endpoint::Token, &token_endpoint))
    }
}

fn absolute(url: &str) -> Option<http::Uri> {
    let uri: http::Uri = url.parse().ok()?;
    (uri.scheme().is_some() && uri.host().is_some()).then_some(uri)
}

/// Sends `request` with the trace context of the current span, and returns a 2xx answer.
async fn send(
    http: &core_client::HttpClient,
    mut request: http::Request<Bytes>,
    endpoint: Endpoint,
    url: &str,
) -> Result<(StatusCode, Bytes), IssueError> {
    inject_context(&current_context(), request.headers_mut());
    let response = http
        .send(request)
        .await
        .map_err(|source| IssueError::Request {
            endpoint,
            url: url.to_owned(),
            source,
        })?;
    let status = response.status();
    let body = response.into_body();
    if !status.is_success() {
        return Err(IssueError::Status {
            endpoint,
            url: url.to_owned(),
            status,
            body: excerpt(&body, endpoint == Endpoint::Token),
        });
    }
    Ok((status, body))
}

/// At most [`MAX_BODY_EXCERPT`] bytes of `body` as text. With `redact` (token-endpoint
/// bodies), string values of JSON keys ending in `token` (`access_token`, `refresh_token`,
/// `id_token`, but not `token_type`) and any token-like run of 16 or more characters become
/// `<redacted>`.
fn excerpt(body: &[u8], redact: bool) -> String {
    let text = if !redact {
        String::from_utf8_lossy(body).into_owned()
    } else if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice(body) {
        for (key, value) in map.iter_mut() {
            if key.ends_with("token") && value.is_string() {
                *value = "<redacted>".into();
            }
        }
        redact_tokens(&serde_json::Value::Object(map).to_string())
    } else {
        redact_tokens(&String::from_utf8_lossy(body))
    };
    if text.len() <= MAX_BODY_EXCERPT {
        return text;
    }
    let mut end = MAX_BODY_EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], body.len())
}

fn redact_tokens(text: &str) -> String {
    const MIN_RUN: usize = 16;
    let is_token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= MIN_RUN {
            out.push_str("<redacted>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_redacts_tokens() {
        let body = format!(
            r#"{{"access_token":"eyJhbGciOiJSUzI1NiJ9.abc.def","x":"{}"}}"#,
            "é".repeat(600)
        );
        let text = excerpt(body.as_bytes(), true);
        assert!(!text.contains("eyJhbGciOiJSUzI1NiJ9"), "{text}");
        assert!(text.contains(r#""access_token":"<redacted>""#), "{text}");
        assert!(text.len() <= MAX_BODY_EXCERPT + 32, "{}", text.len());
        assert_eq!(excerpt(b"short", false), "short");
        let parsed = excerpt(br#"{"access_token":"short","token_type":"Bearer"}"#, true);
        assert_eq!(
            parsed,
            r#"{"access_token":"<redacted>","token_type":"Bearer"}"#
        );
    }
}
