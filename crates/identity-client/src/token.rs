//! The optional bearer token, for callers acting directly as a user: [`AccessToken`],
//! [`AccessTokenSource`] and [`StaticTokenSource`].
//!
//! Platform services authenticate with their client certificate and send no `Authorization`
//! header; nothing in this crate sends one unless a [`RequestContext`](crate::RequestContext)
//! is given a token source with
//! [`with_bearer`](crate::RequestContext::with_bearer).

use std::{error::Error as StdError, fmt};

use core_client::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

/// An OAuth2 access token. The secret stays wrapped; `Debug` prints `AccessToken(<redacted>)`.
///
/// ```
/// let token = identity_client::AccessToken::new("s3cr3t");
/// assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
/// assert_eq!(token.expose_secret(), "s3cr3t");
/// ```
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token itself, for the one place that builds the `Authorization` header.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is deliberately left out.
        f.write_str("AccessToken(<redacted>)")
    }
}

/// Where the bearer token of a user's calls comes from. Usable as
/// `Arc<dyn AccessTokenSource>`.
///
/// ```
/// use identity_client::{AccessToken, AccessTokenSource, BoxFuture, TokenError};
///
/// /// Reads a token that some other component keeps fresh.
/// struct FromEnv;
///
/// impl AccessTokenSource for FromEnv {
///     fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
///         Box::pin(async {
///             std::env::var("TOKEN")
///                 .map(AccessToken::new)
///                 .map_err(TokenError::unavailable)
///         })
///     }
/// }
/// let _source: std::sync::Arc<dyn AccessTokenSource> = std::sync::Arc::new(FromEnv);
/// ```
pub trait AccessTokenSource: Send + Sync {
    /// A currently valid token.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>>;
}

/// No access token could be produced.
#[derive(Debug, thiserror::Error)]
#[error("no access token is available")]
pub struct TokenError(#[source] Box<dyn StdError + Send + Sync + 'static>);

impl TokenError {
    /// Wraps the reason no token is available.
    pub fn unavailable(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self(source.into())
    }
}

/// Always the same token, e.g. the user's own token of the inbound request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use identity_client::{AccessToken, AccessTokenSource, StaticTokenSource};
///
/// let source = StaticTokenSource::new(AccessToken::new("t0k"));
/// assert_eq!(source.token().await.unwrap().expose_secret(), "t0k");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct StaticTokenSource(AccessToken);

impl StaticTokenSource {
    /// A source that always yields `token`.
    pub fn new(token: AccessToken) -> Self {
        Self(token)
    }
}

impl AccessTokenSource for StaticTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}
