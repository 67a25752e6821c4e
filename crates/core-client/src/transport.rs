//! The innermost service of an [`HttpClient`](crate::HttpClient)'s stack: one attempt of a
//! request over the client's TLS material (the material a request was [`SignedWith`], else the
//! current one), its whole body read within the size limit.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

use crate::{
    Attempts, HttpError, SignedWith, error::refused_certificate_alert, rotation::Rotation,
};

/// The future of one attempt: the only box below the top of the stack, as an `async` block's
/// type cannot be named.
pub(crate) type AttemptFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, HttpError>> + Send>>;

/// Sends one attempt: over the material a request was [`SignedWith`], else the current one;
/// adds the default `User-Agent`; reads the whole body. Every response carries
/// [`Attempts`]`(1)` and every error an attempt count of 1; the retry layer counts the others.
#[derive(Clone)]
pub(crate) struct Transport {
    rotation: Arc<Rotation>,
}

impl Transport {
    pub(crate) fn new(rotation: Arc<Rotation>) -> Self {
        Self { rotation }
    }
}

impl tower::Service<http::Request<Bytes>> for Transport {
    type Response = http::Response<Bytes>;
    type Error = HttpError;
    type Future = AttemptFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        // hyper's client queues requests in its pool: always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> AttemptFuture {
        let config = self.rotation.config();
        let limit = config.max_response_body;
        if !request.headers().contains_key(http::header::USER_AGENT) {
            request
                .headers_mut()
                .insert(http::header::USER_AGENT, config.user_agent.clone());
        }
        let material = match request.extensions().get::<SignedWith>() {
            Some(signer) => signer.material().clone(),
            None => self.rotation.current(),
        };
        Box::pin(async move {
            let uri = request.uri().clone();
            let response = material.send(request).await.map_err(|source| {
                match refused_certificate_alert(&source) {
                    Some(alert) => HttpError::CertificateRefused {
                        uri: uri.clone(),
                        secret: material.certificate_secret().cloned().map(Box::new),
                        alert,
                        attempts: 1,
                        source: Box::new(source),
                    },
                    None => HttpError::Transport {
                        uri: uri.clone(),
                        attempts: 1,
                        source: Box::new(source),
                    },
                }
            })?;
            let (parts, body) = response.into_parts();
            let status = parts.status;
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|source| {
                    if source.is::<http_body_util::LengthLimitError>() {
                        HttpError::BodyTooLarge {
                            uri: uri.clone(),
                            status,
                            limit,
                            attempts: 1,
                        }
                    } else {
                        HttpError::Body {
                            uri: uri.clone(),
                            status,
                            attempts: 1,
                            source,
                        }
                    }
                })?
                .to_bytes();
            let mut response = http::Response::from_parts(parts, body);
            response.extensions_mut().insert(Attempts(1));
            Ok(response)
        })
    }
}
