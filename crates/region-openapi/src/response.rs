//! [`ResponseValue`], what every method returns, and [`ApiResponse`], what every operation's
//! response enum has in common.

use std::{fmt, ops::Deref};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::{Error, OperationSpec, error::StatusError, redact, types};

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
///
/// `pub` but in a private module, so it cannot be named (or implemented) outside this crate:
/// it seals [`DecodeResponse`], whose supertrait it is.
pub trait Decode: ApiResponse {
    /// The operation these are the answers of: how the client sends its requests.
    fn spec() -> &'static OperationSpec;

    /// Decodes the answer with `status` and `body`; `is_json` says whether its `Content-Type`
    /// mentions JSON (only then is a body decoded).
    fn decode(status: StatusCode, is_json: bool, body: Bytes) -> Result<Self, Error>;

    /// `body`, an answer with `status`, parsed as a `T`. On failure the error keeps the status
    /// and what [`redact`] lets it show of the body and of the JSON error.
    fn parse<T: DeserializeOwned>(status: StatusCode, body: &Bytes) -> Result<T, Error> {
        serde_json::from_slice(body).map_err(|source| Error::Decode {
            operation: Self::OPERATION,
            status,
            excerpt: redact::excerpt(Self::SENSITIVE, body),
            source: redact::decode_error(Self::SENSITIVE, source),
        })
    }
}

/// An operation's response enum that [`ResponseValue::from_parts`] can decode an answer into:
/// every generated `...Response` enum (`ListRegionsResponse`, `GetRegionDetailResponse`, ...).
///
/// Sealed: only this crate's generated code implements it; use it as a bound to write code
/// generic over operations.
///
/// ```
/// use region_openapi::{DecodeResponse, Error, ResponseValue};
///
/// /// Any operation's answer to a bare 503, as an ingress might give it.
/// fn unavailable<R: DecodeResponse>() -> Result<ResponseValue<R>, Error> {
///     ResponseValue::from_parts(http::StatusCode::SERVICE_UNAVAILABLE, http::HeaderMap::new(), "")
/// }
///
/// let answer = unavailable::<region_openapi::ListRegionsResponse>()?;
/// assert!(answer.into_result().unwrap_err().status() == Some(http::StatusCode::SERVICE_UNAVAILABLE));
/// # Ok::<(), region_openapi::Error>(())
/// ```
pub trait DecodeResponse: Decode {}

impl<R: Decode> DecodeResponse for R {}

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
    /// How many times the request was sent for this answer ([`core_client::Attempts`]).
    attempts: u32,
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
            attempts: 1,
        }
    }

    fn with_raw(mut self, raw: Bytes) -> Self {
        self.raw = raw;
        self
    }

    /// This answer, which came after `attempts` sends of the request.
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// How many times the request was sent for this answer, the first included: more than 1
    /// when the transport retried it (after a `502`/`503`/`504` or a dropped connection; see
    /// [`core_client::RetryConfig`]), so an earlier attempt may have taken effect on the server
    /// even though this answer says otherwise. 1 for an answer that did not come from a call.
    pub fn attempts(&self) -> u32 {
        self.attempts
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

impl<R: DecodeResponse> ResponseValue<R> {
    /// Decodes an answer to `R`'s operation from its status, headers and body, exactly as the
    /// client decodes what a server sends: a documented status whose `Content-Type` mentions
    /// `json` is decoded into its variant, anything else becomes `Unexpected` with the raw body.
    ///
    /// Useful wherever an answer does not come from [`Client`](crate::Client): a mock or a
    /// recorded answer in a test, a proxy, a cache. Fails only as a call does, with
    /// [`Error::Decode`] when a JSON body does not match its schema (the excerpt withheld
    /// when the operation's answers may hold credentials).
    ///
    /// ```
    /// use http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
    /// use region_openapi::{GetNetworkV2Response, ResponseValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(CONTENT_TYPE, "application/json".parse()?);
    /// let body = r#"{"error":"not_found","error_description":"no such network"}"#;
    /// let answer =
    ///     ResponseValue::<GetNetworkV2Response>::from_parts(StatusCode::NOT_FOUND, headers, body)?;
    /// assert!(matches!(&*answer, GetNetworkV2Response::NotFound(e) if e.error_description == "no such network"));
    /// let error = answer.into_result().unwrap_err();
    /// assert!(error.is_not_found());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_parts(
        status: StatusCode,
        headers: HeaderMap,
        body: impl Into<Bytes>,
    ) -> Result<Self, Error> {
        let body = body.into();
        // A success body lives decoded in `inner`; any other is kept for the excerpt of a
        // `StatusError`.
        let raw = if status.is_success() {
            Bytes::new()
        } else {
            body.clone()
        };
        let inner = R::decode(status, is_json(&headers), body)?;
        Ok(Self::new(status, headers, inner).with_raw(raw))
    }
}

/// Whether `headers` declare a JSON body: the `Content-Type` mentions `json`
/// (`application/json`, `application/problem+json`, ...), case-insensitively. The platform's
/// Go client decodes a body on the same condition.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        // Without a lower-cased copy of the value: this runs on every answer.
        .is_some_and(|value| {
            value
                .as_bytes()
                .windows(4)
                .any(|window| window.eq_ignore_ascii_case(b"json"))
        })
}

impl<R: ApiResponse> ResponseValue<R> {
    /// The body of the documented success answer (`()` when it has none); any other answer
    /// (a documented error, an undocumented status, a body that is not JSON) becomes
    /// [`Error::Status`], which keeps the status, the headers, the platform's error body when
    /// there is one, and an excerpt of the raw body.
    ///
    /// The platform's error body (`{"error", "error_description", "trace_id"}`) is kept for
    /// every 4xx and 5xx answer with a JSON `Content-Type` whose body has that shape, whether
    /// or not the spec documents the status for the operation: every secured route can answer
    /// 400, 401 or 403 from the platform's middleware. It is kept for operations whose answers
    /// may hold credentials too: its schema has no credential, and the platform writes it from
    /// its own messages. The raw excerpt of those operations stays withheld.
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
            attempts,
        } = self;
        let inner = match inner.into_success() {
            Ok(body) => return Ok(body),
            Err(inner) => inner,
        };
        let body = inner.unexpected_body().unwrap_or(&raw);
        let error_body = match inner.error_body() {
            Some(error) => Some(error.clone()),
            None => platform_error(status, &headers, body),
        };
        Err(Error::Status(Box::new(StatusError {
            operation: R::OPERATION,
            status,
            headers,
            error_body,
            excerpt: redact::excerpt(R::SENSITIVE, body),
            attempts,
        })))
    }
}

/// The platform's error body of an answer whose variant does not carry one (an undocumented
/// status): decoded from a 4xx or 5xx answer with a JSON `Content-Type`, the only answers the
/// platform writes it on; `None` for any other answer, or a body without its required fields.
fn platform_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<types::Error> {
    let error_status = status.is_client_error() || status.is_server_error();
    if !error_status || !is_json(headers) {
        return None;
    }
    serde_json::from_slice(body).ok()
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
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GetNetworkV2Response, GetRegionDetailResponse};

    fn json() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        headers
    }

    /// `Debug` and `Display` of `error` and of every error in its source chain.
    fn rendered(error: &(dyn std::error::Error + 'static)) -> String {
        let mut out = format!("{error:?}");
        let mut current = Some(error);
        while let Some(e) = current {
            out.push('\n');
            out.push_str(&e.to_string());
            current = e.source();
        }
        out
    }

    /// Found by fuzzing (`response_decode`, the body below with `@SECRET@` where `top-secret`
    /// is): the excerpt was withheld, but the JSON error of an answer that may hold
    /// credentials quoted the body (`invalid type: string "top-secret", expected struct
    /// ResourceReadMetadata`) in `Debug` and in the source chain.
    #[test]
    fn decoding_errors_of_credential_bearing_answers_quote_nothing() {
        let body = r#"{"metadata":"top-secret","spec":{"kubernetes":{"kubeconfig":"top-secret"}}}"#;
        let error =
            ResponseValue::<GetRegionDetailResponse>::from_parts(StatusCode::OK, json(), body)
                .unwrap_err();
        let shown = rendered(&error);
        assert!(!shown.contains("top-secret"), "{shown}");
        let Error::Decode { source, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(
            source.to_string(),
            "a value that does not match the schema at line 1 column 24 (details withheld: \
             this operation's answers may hold credentials)"
        );

        // A missing field keeps its name: it comes from the schema.
        let body = r#"{"spec":{"type":"kubernetes","kubernetes":{"kubeconfig":"top-secret"},"features":{"physicalNetworks":false}}}"#;
        let error =
            ResponseValue::<GetRegionDetailResponse>::from_parts(StatusCode::OK, json(), body)
                .unwrap_err();
        let shown = rendered(&error);
        assert!(!shown.contains("top-secret"), "{shown}");
        assert!(shown.contains("missing field `metadata`"), "{shown}");

        // Invalid JSON says so, without quoting.
        let error = ResponseValue::<GetRegionDetailResponse>::from_parts(
            StatusCode::OK,
            json(),
            r#"{"metadata": top-secret}"#,
        )
        .unwrap_err();
        let shown = rendered(&error);
        assert!(!shown.contains("top-secret"), "{shown}");
        assert!(
            shown.contains("invalid JSON at line 1 column 15"),
            "{shown}"
        );
    }

    #[test]
    fn decoding_errors_of_other_answers_keep_serdes_message() {
        let error = ResponseValue::<GetNetworkV2Response>::from_parts(
            StatusCode::OK,
            json(),
            r#"{"metadata":"visible"}"#,
        )
        .unwrap_err();
        let Error::Decode {
            source, excerpt, ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert!(
            source.to_string().contains(r#"string "visible""#),
            "{source}"
        );
        assert_eq!(excerpt, r#"{"metadata":"visible"}"#);
    }

    #[test]
    fn from_parts_decodes_as_a_call_does() {
        // A documented status with JSON: its variant.
        let answer = ResponseValue::<GetNetworkV2Response>::from_parts(
            StatusCode::NOT_FOUND,
            json(),
            r#"{"error":"not_found","error_description":"gone"}"#,
        )
        .unwrap();
        assert!(
            matches!(&*answer, GetNetworkV2Response::NotFound(e) if e.error_description == "gone")
        );
        let error = answer.into_result().unwrap_err();
        let Error::Status(status) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(
            status.excerpt(),
            r#"{"error":"not_found","error_description":"gone"}"#
        );
        // Without a JSON Content-Type, or with an undocumented status: Unexpected, body kept.
        for (status, headers) in [
            (StatusCode::NOT_FOUND, HeaderMap::new()),
            (StatusCode::IM_A_TEAPOT, json()),
        ] {
            let answer =
                ResponseValue::<GetNetworkV2Response>::from_parts(status, headers, "<html>")
                    .unwrap();
            assert_eq!(answer.status(), status);
            assert_eq!(
                answer.unexpected_body().map(|b| &b[..]),
                Some(&b"<html>"[..])
            );
        }
    }

    #[test]
    fn only_json_content_types_are_decoded() {
        let with = |value: &'static str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(value),
            );
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("Application/JSON"));
        assert!(with("application/problem+json"));
        assert!(!with("text/html"));
        assert!(!with("text/plain; charset=utf-8"));
        assert!(!with("jso"));
        assert!(with("JSON"));
        assert!(!is_json(&http::HeaderMap::new()));
    }
}
