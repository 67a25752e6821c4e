//! [`StaticTokenSource`]: always the same token.

use core_client::BoxFuture;

use super::{AccessToken, AccessTokenSource, TokenError};

/// Hands out one fixed token (e.g. the caller's own inbound token, or a test token).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use identity_client::{AccessToken, AccessTokenSource, StaticTokenSource};
///
/// let source = StaticTokenSource::new(AccessToken::new("t"));
/// assert_eq!(source.token().await.unwrap().expose_secret(), "t");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct StaticTokenSource {
    token: AccessToken,
}

impl StaticTokenSource {
    /// A source that always returns `token`.
    pub fn new(token: AccessToken) -> Self {
        Self { token }
    }
}

impl AccessTokenSource for StaticTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async move { Ok(self.token.clone()) })
    }
}
