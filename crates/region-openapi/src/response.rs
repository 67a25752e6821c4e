//! [`ApiResponse`]: what every operation's response enum has in common.

use bytes::Bytes;

use crate::types;

/// Implemented by every operation's response enum, so that callers can handle failures of
/// different operations alike.
///
/// ```
/// use region_openapi::{ApiResponse, RemoveNetworkReferenceResponse};
///
/// /// `Ok` for a success, else the status and the API's error description.
/// fn settle<R: ApiResponse>(response: R) -> Result<R, String> {
///     if response.status().is_success() {
///         return Ok(response);
///     }
///     let description = response
///         .error_body()
///         .map(|e| e.error_description.clone())
///         .unwrap_or_default();
///     Err(format!("{}: {description}", response.status()))
/// }
///
/// assert!(settle(RemoveNetworkReferenceResponse::NoContent).is_ok());
/// ```
pub trait ApiResponse {
    /// The HTTP status of the answer.
    fn status(&self) -> http::StatusCode;

    /// The platform's error body of a documented error answer (4xx, 5xx), if this is one.
    fn error_body(&self) -> Option<&types::Error>;

    /// The undecoded body of an answer with an undocumented status, if this is one.
    fn unexpected_body(&self) -> Option<&Bytes>;
}
