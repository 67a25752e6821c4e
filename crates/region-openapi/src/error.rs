//! [`Error`]: why a region API call gave no usable answer, and [`StatusError`]: an answer that
//! was not the operation's documented success.

use std::fmt;

use core_client::{EditorError, HttpError};
use http::{HeaderMap, StatusCode};

use crate::types;

/// A region API call failed.
///
/// A method fails only when no answer could be read and decoded: the request was refused
/// before sending, the transport failed, or a documented body does not match its schema.
/// Every answer the server gives (documented error statuses included) comes back as a
/// [`ResponseValue`](crate::ResponseValue); its
/// [`into_result`](crate::ResponseValue::into_result) turns anything but the documented
/// success into [`Error::Status`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A path parameter was empty, `.` or `..`: each would address a different resource once
    /// the path is normalised (by a proxy or the server's router). Nothing was sent.
    #[error("{operation}: path parameter `{parameter}` is {reason}")]
    InvalidPathParameter {
        /// The `operationId`.
        operation: &'static str,
        /// The parameter's name in the spec.
        parameter: &'static str,
        /// What is wrong: `"empty"` or `"a dot segment"`.
        reason: &'static str,
    },
    /// The request body could not be serialized. Nothing was sent.
    #[error("{operation}: encoding the request body failed")]
    Encode {
        /// The `operationId`.
        operation: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The request could not be assembled (e.g. the joined URL is invalid). Nothing was sent.
    #[error("{operation}: building the request failed")]
    InvalidRequest {
        /// The `operationId`.
        operation: &'static str,
        /// The cause.
        #[source]
        source: http::Error,
    },
    /// A request editor (access token, trace context, principal, ...) refused the request.
    /// Nothing was sent.
    #[error(transparent)]
    Editor(#[from] EditorError),
    /// Sending the request or reading the answer failed (connection, TLS, timeout, size limit).
    /// Boxed: the transport error is large and this is the uncommon path.
    #[error(transparent)]
    Http(Box<HttpError>),
    /// The server answered with a documented status and a JSON body, but the body does not
    /// match the schema (a required field missing, a wrong type, ...): likely a server whose
    /// contract changed incompatibly. Unknown fields and unknown enum values are not errors.
    #[error("{operation}: the {status} answer does not match the API schema")]
    Decode {
        /// The `operationId`.
        operation: &'static str,
        /// The status the server answered with.
        status: StatusCode,
        /// The start of the body (at most [`EXCERPT_LIMIT`](crate::EXCERPT_LIMIT) bytes,
        /// lossily UTF-8), or a note that it was withheld when the operation's answers may
        /// hold credentials.
        excerpt: String,
        /// The JSON error. When the operation's answers may hold credentials, only its kind,
        /// its position and a missing field's name are kept: serde's own messages quote the
        /// offending value.
        #[source]
        source: serde_json::Error,
    },
    /// The server answered, but not with the operation's documented success: a documented
    /// error status, an undocumented status, or a body that is not JSON. Only
    /// [`ResponseValue::into_result`](crate::ResponseValue::into_result) returns it.
    #[error(transparent)]
    Status(Box<StatusError>),
}

impl Error {
    /// The status the server answered with, when the failure came after an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Decode { status, .. } => Some(*status),
            Self::Status(error) => Some(error.status),
            Self::Http(error) => match error.as_ref() {
                HttpError::Body { status, .. } | HttpError::BodyTooLarge { status, .. } => {
                    Some(*status)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The `operationId` of the failed call, when known.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Self::InvalidPathParameter { operation, .. }
            | Self::Encode { operation, .. }
            | Self::InvalidRequest { operation, .. }
            | Self::Decode { operation, .. } => Some(*operation),
            Self::Status(error) => Some(error.operation),
            _ => None,
        }
    }

    /// Whether the server answered `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the server's answer could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode { .. })
    }

    /// The platform's error body (`{"error", "error_description", "trace_id"}`), when the
    /// server answered with one.
    pub fn error_body(&self) -> Option<&types::Error> {
        match self {
            Self::Status(error) => error.error_body(),
            _ => None,
        }
    }
}

impl From<HttpError> for Error {
    fn from(error: HttpError) -> Self {
        Self::Http(Box::new(error))
    }
}

/// An answer that was not the operation's documented success, as
/// [`ResponseValue::into_result`](crate::ResponseValue::into_result) reports it.
///
/// The excerpt of the raw body is withheld (replaced by a note) when the operation's answers
/// may hold credentials, so `Debug` and `Display` never show them.
#[derive(Debug)]
pub struct StatusError {
    pub(crate) operation: &'static str,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) error_body: Option<types::Error>,
    pub(crate) excerpt: String,
    pub(crate) attempts: u32,
}

impl StatusError {
    /// The `operationId` of the call.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The status the server answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers (e.g. `WWW-Authenticate` on a 401, `Retry-After`).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The platform's error body (`{"error", "error_description", "trace_id"}`), when the
    /// answer carried one: a 4xx or 5xx answer with a JSON body of that shape, documented for
    /// the operation or not (the platform's middleware answers 400, 401 and 403 on every
    /// secured route).
    pub fn error_body(&self) -> Option<&types::Error> {
        self.error_body.as_ref()
    }

    /// The start of the raw body (at most [`EXCERPT_LIMIT`](crate::EXCERPT_LIMIT) bytes,
    /// lossily UTF-8), or a note that it was withheld.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }

    /// Whether the server answered `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// How many times the request was sent, the first included (see
    /// [`ResponseValue::attempts`](crate::ResponseValue::attempts)): more than 1 means an
    /// earlier attempt may have taken effect although this answer is an error.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: the server answered {}", self.operation, self.status)?;
        if let Some(body) = &self.error_body {
            write!(f, " ({}: {})", body.error, body.error_description)?;
        }
        Ok(())
    }
}

impl std::error::Error for StatusError {}
