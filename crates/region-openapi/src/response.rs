//! [`ResponseValue`], what every method returns, and [`ApiResponse`], what every operation's
//! response enum has in common.

use std::{fmt, ops::Deref};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::{
    Error,
    error::{StatusError, excerpt, withheld},
    types,
};

/// Implemented by every operation's response enum (`ListRegionsResponse`, ...): one variant per
/// documented status with its decoded body, plus `Unexpected { status, body }`.
///
/// It lets code handle the answers of different operations alike, and is what
/// [`ResponseValue::into_result`] builds on.
///
/// ```
/// use region_openapi::{ApiResponse, RemoveNetworkReferenceResponse};
///
/// /// The status and the platform's error description of an answer that is not a success.
/// fn describe<R: ApiResponse>(response: &R) -> Option<String> {
///     if response.status().is_success() {
///         return None;
///     }
///     let description = response
///         .error_body()
///         .map(|e| e.error_description.clone())
///         .unwrap_or_default();
///     Some(format!("{} answered {}: {description}", R::OPERATION, response.status()))
/// }
///
/// assert_eq!(describe(&RemoveNetworkReferenceResponse::NoContent), None);
/// ```
pub trait ApiResponse: Sized {
    /// The body of the operation's documented success answer; `()` when it has none.
    type Success;

    /// The operation's `operationId`.
    const OPERATION: &'static str;

    /// Whether a documented answer of the operation may hold credentials (a schema with an
    /// `x-sensitive` property). Raw bodies of such operations are never shown: not in `Debug`,
    /// not in error excerpts.
    const SENSITIVE: bool;

    /// The HTTP status of the answer.
    fn status(&self) -> StatusCode;

    /// The platform's error body (`{"error", "error_description", "trace_id"}`) of a documented
    /// error answer, if this is one.
    fn error_body(&self) -> Option<&types::Error>;

    /// The undecoded body of an answer the spec does not document, if this is one.
    fn unexpected_body(&self) -> Option<&Bytes>;

    /// The body of the documented success answer, or the answer itself when it is any other.
    fn into_success(self) -> Result<Self::Success, Self>;
}

/// Decoding an answer into an operation's response enum. Implemented by the generated code.
pub(crate) trait Decode: ApiResponse {
    /// Decodes the answer with `status` and `body`; `is_json` says whether its `Content-Type`
    /// mentions JSON (only then is a body decoded).
    fn decode(status: StatusCode, is_json: bool, body: Bytes) -> Result<Self, Error>;

    /// `body` parsed as a `T`; see [`crate::client::decode`].
    fn parse<T: DeserializeOwned>(status: StatusCode, body: &Bytes) -> Result<T, Error> {
        crate::client::decode::<Self, T>(status, body)
    }
}

/// The answer to a call: its status, its headers (`Location`, `Retry-After`, ...) and the
/// operation's response enum `R`, which it dereferences to.
///
/// [`into_result`](Self::into_result) turns it into the documented success body or an
/// [`Error::Status`], so that the usual path is `client.list_regions(org).await?.into_result()?`.
pub struct ResponseValue<R> {
    status: StatusCode,
    headers: HeaderMap,
    inner: R,
    /// The body of an answer that is not a 2xx, for the excerpt of a [`StatusError`]; empty
    /// otherwise (a success body lives decoded in `inner`).
    raw: Bytes,
}

impl<R> ResponseValue<R> {
    /// An answer with `status`, `headers` and the decoded `inner` value, e.g. to stand in for
    /// the server in a test.
    pub fn new(status: StatusCode, headers: HeaderMap, inner: R) -> Self {
        Self {
            status,
            headers,
            inner,
            raw: Bytes::new(),
        }
    }

    pub(crate) fn with_raw(mut self, raw: Bytes) -> Self {
        self.raw = raw;
        self
    }

    /// The HTTP status the server answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The decoded answer, without status and headers.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Status, headers and decoded answer.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, R) {
        (self.status, self.headers, self.inner)
    }
}

impl<R: ApiResponse> ResponseValue<R> {
    /// The body of the documented success answer (`()` when it has none); any other answer
    /// (a documented error, an undocumented status, a body that is not JSON) becomes
    /// [`Error::Status`], which keeps the status, the headers, the platform's error body when
    /// there is one, and an excerpt of the raw body.
    ///
    /// ```no_run
    /// # async fn demo(client: region_openapi::Client, network: uuid::Uuid) -> Result<(), region_openapi::Error> {
    /// match client.get_network_v2(network).await?.into_result() {
    ///     Ok(network) => println!("{} has prefix {}", *network.metadata.name, network.status.prefix),
    ///     Err(error) if error.is_not_found() => println!("no such network"),
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_result(self) -> Result<R::Success, Error> {
        let Self {
            status,
            headers,
            inner,
            raw,
        } = self;
        let inner = match inner.into_success() {
            Ok(body) => return Ok(body),
            Err(inner) => inner,
        };
        let body = inner.unexpected_body().unwrap_or(&raw);
        let excerpt = if R::SENSITIVE {
            withheld(body.len())
        } else {
            excerpt(body)
        };
        Err(Error::Status(Box::new(StatusError {
            operation: R::OPERATION,
            status,
            headers,
            error_body: inner.error_body().cloned(),
            excerpt,
        })))
    }
}

impl<R> Deref for ResponseValue<R> {
    type Target = R;

    fn deref(&self) -> &R {
        &self.inner
    }
}

impl<R: fmt::Debug> fmt::Debug for ResponseValue<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The raw body is left out: `inner` shows what was decoded (redacted where it holds
        // credentials), and the raw bytes of a credential-bearing answer must not be printed.
        f.debug_struct("ResponseValue")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}
