//! One deadline for a whole call, retries and their waits included.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use tokio::time::Instant;

use crate::{HttpError, transport::ResponseFuture};

/// The request extension saying when the call must be over, for the layers below (a retry is
/// not started, nor a wait begun, that would end after it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(pub(crate) Instant);

/// The request extension counting how many times the call's request has been sent (the retry
/// layer raises it before each resend), so that a [`HttpError::Timeout`] can say.
#[derive(Clone, Debug)]
pub(crate) struct Sends(pub(crate) Arc<AtomicU32>);

impl Sends {
    /// Records that the request is being sent for the `sends`th time.
    pub(crate) fn set(&self, sends: u32) {
        self.0.store(sends, Ordering::Relaxed);
    }
}

/// Fails a call with [`HttpError::Timeout`] once `timeout` has passed since it began.
#[derive(Clone)]
pub(crate) struct DeadlineService<S> {
    pub(crate) inner: S,
    pub(crate) timeout: Duration,
}

impl<S> tower::Service<http::Request<Bytes>> for DeadlineService<S>
where
    S: tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>, Error = HttpError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Bytes>;
    type Error = HttpError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> ResponseFuture {
        let timeout = self.timeout;
        // A timeout too large to add to the clock is no deadline at all.
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Box::pin(self.inner.call(request));
        };
        request.extensions_mut().insert(Deadline(deadline));
        let sends = Arc::new(AtomicU32::new(1));
        request.extensions_mut().insert(Sends(sends.clone()));
        let uri = request.uri().clone();
        let call = self.inner.call(request);
        Box::pin(async move {
            tokio::time::timeout_at(deadline, call)
                .await
                .unwrap_or_else(|_| {
                    Err(HttpError::Timeout {
                        uri,
                        timeout,
                        attempts: sends.load(Ordering::Relaxed),
                    })
                })
        })
    }
}
