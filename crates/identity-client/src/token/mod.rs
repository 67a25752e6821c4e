//! Access tokens: the [`AccessTokenSource`] trait, a [`StaticTokenSource`], a
//! [`CachingTokenSource`] that refreshes ahead of expiry, and the [`TokenIssuer`] that gets a
//! service token from the identity service.

mod caching;
mod issuer;
mod static_source;

use std::{error::Error as StdError, fmt, sync::Arc, time::Duration};

use core_client::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

pub use caching::{CachingTokenSource, DEFAULT_REFRESH_MARGIN};
pub use issuer::{Endpoint, IssueError, MAX_BODY_EXCERPT, TokenIssuer};
pub use static_source::StaticTokenSource;

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

impl From<String> for AccessToken {
    fn from(token: String) -> Self {
        Self::new(token)
    }
}

/// The longest lifetime [`IssuedToken::expiring_in`] grants a token: 24 hours.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A freshly issued token and when it stops being valid.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The token.
    pub token: AccessToken,
    /// When the token expires (a Tokio instant, so tests can control the clock).
    pub expires_at: tokio::time::Instant,
}

impl IssuedToken {
    /// A token valid for `expires_in` from now (the OAuth2 `expires_in`), at most
    /// [`MAX_TOKEN_LIFETIME`]: a server's absurd value neither overflows the clock nor keeps a
    /// token forever.
    pub fn expiring_in(token: AccessToken, expires_in: Duration) -> Self {
        let now = tokio::time::Instant::now();
        let lifetime = expires_in.min(MAX_TOKEN_LIFETIME);
        Self {
            token,
            expires_at: now.checked_add(lifetime).unwrap_or(now),
        }
    }
}

/// Where the bearer token of outbound calls comes from. Usable as
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
///                 .map_err(TokenError::issue)
///         })
///     }
/// }
/// let _source: std::sync::Arc<dyn AccessTokenSource> = std::sync::Arc::new(FromEnv);
/// ```
pub trait AccessTokenSource: Send + Sync {
    /// A currently valid token.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>>;
}

/// No valid access token could be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Issuing a token failed and no unexpired token was at hand. The source is the issuer's
    /// error (e.g. an [`IssueError`]), shared by every caller that waited for the same attempt.
    #[error("issuing an access token failed")]
    Issue(#[source] Arc<dyn StdError + Send + Sync + 'static>),
}

impl TokenError {
    /// Wraps an issuing failure.
    pub fn issue(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self::Issue(Arc::from(source.into()))
    }

    /// The issuer's own error, if it is an `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        match self {
            Self::Issue(source) => source.downcast_ref::<E>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_absurd_lifetime_is_capped_not_overflowed() {
        let now = tokio::time::Instant::now();
        let issued = IssuedToken::expiring_in(AccessToken::new("t"), Duration::from_secs(u64::MAX));
        assert_eq!(issued.expires_at, now + MAX_TOKEN_LIFETIME);
        let issued = IssuedToken::expiring_in(AccessToken::new("t"), Duration::from_secs(60));
        assert_eq!(issued.expires_at, now + Duration::from_secs(60));
    }
}
