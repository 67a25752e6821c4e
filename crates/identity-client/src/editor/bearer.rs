//! [`BearerEditor`]: `Authorization: Bearer <access token>`.

use std::sync::Arc;

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, RequestEditor};

use super::{InvalidHeaderValue, header_value};
use crate::{AccessTokenSource, TokenError};

/// The bearer editor could not set `Authorization`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BearerError {
    /// The token source had no valid token.
    #[error("no access token")]
    Token(#[from] TokenError),
    /// The token contains a control character (the token itself is not shown).
    #[error(transparent)]
    InvalidHeaderValue(#[from] InvalidHeaderValue),
}

/// Sets `Authorization: Bearer <token>` from an [`AccessTokenSource`], replacing any existing
/// `Authorization`. Only for callers acting directly as a user: platform services authenticate
/// with their client certificate and send no `Authorization`. The header value is marked
/// sensitive (kept out of HTTP/2 header compression tables and of `Debug` of the request).
///
/// Fails with [`BearerError`] (inside the [`EditorError`], editor name `"bearer"`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::Arc;
/// use core_client::RequestEditor;
/// use identity_client::{AccessToken, StaticTokenSource, editor::BearerEditor};
///
/// let editor = BearerEditor::new(Arc::new(StaticTokenSource::new(AccessToken::new("t0k"))));
/// let mut request = http::Request::new(bytes::Bytes::new());
/// editor.edit(&mut request).await.unwrap();
/// assert_eq!(request.headers()["authorization"], "Bearer t0k");
/// assert!(request.headers()["authorization"].is_sensitive());
/// # }
/// ```
#[derive(Clone)]
pub struct BearerEditor {
    source: Arc<dyn AccessTokenSource>,
}

impl std::fmt::Debug for BearerEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token source (and any token it holds) is left out.
        f.debug_struct("BearerEditor").finish_non_exhaustive()
    }
}

impl BearerEditor {
    /// An editor taking its token from `source` on every request.
    pub fn new(source: Arc<dyn AccessTokenSource>) -> Self {
        Self { source }
    }

    async fn apply(&self, request: &mut http::Request<Bytes>) -> Result<(), BearerError> {
        let token = self.source.token().await?;
        let mut value = header_value("authorization", format!("Bearer {}", token.expose_secret()))?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

impl RequestEditor for BearerEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        Box::pin(async move {
            self.apply(request)
                .await
                .map_err(|e| EditorError::new("bearer", e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, StaticTokenSource};

    #[tokio::test]
    async fn token_with_newline_is_refused_and_not_shown() {
        let editor = BearerEditor::new(Arc::new(StaticTokenSource::new(AccessToken::new(
            "abc\r\nX-Injected: 1",
        ))));
        let mut request = http::Request::new(Bytes::new());
        let err = editor.edit(&mut request).await.unwrap_err();
        assert_eq!(err.editor(), "bearer");
        let inner = err.downcast_ref::<BearerError>().unwrap();
        assert!(matches!(inner, BearerError::InvalidHeaderValue(_)));
        assert!(!format!("{inner} {inner:?}").contains("abc"));
        assert!(request.headers().is_empty());
    }
}
