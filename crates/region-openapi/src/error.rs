//! [`Error`]: why a region API call produced no response value.

use core_client::{EditorError, HttpError};

/// How many bytes of an undecodable body [`Error::Decode`] keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// A region API call failed before a documented (or unexpected) answer could be returned.
///
/// A server answering with an error status is *not* an `Error`: it is a variant of the
/// operation's response enum.
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
    /// The server answered with a documented status, but its body does not match the schema
    /// (likely a server/spec version mismatch).
    #[error("{operation}: the {status} answer does not match the API schema")]
    Decode {
        /// The `operationId`.
        operation: &'static str,
        /// The status the server answered with.
        status: http::StatusCode,
        /// The start of the body (at most [`EXCERPT_LIMIT`] bytes, lossily UTF-8), or a note
        /// that it was withheld when the answer's schema holds credentials.
        excerpt: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// The status the server answered with, when the failure came after an answer.
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            Self::Decode { status, .. } => Some(*status),
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
            _ => None,
        }
    }

    /// Whether the server's answer could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode { .. })
    }
}

impl From<HttpError> for Error {
    fn from(error: HttpError) -> Self {
        Self::Http(Box::new(error))
    }
}

/// The first [`EXCERPT_LIMIT`] bytes of `body`, lossily decoded.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let end = body.len().min(EXCERPT_LIMIT);
    String::from_utf8_lossy(&body[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_lossy() {
        let body = vec![b'a'; 2 * EXCERPT_LIMIT];
        assert_eq!(excerpt(&body).len(), EXCERPT_LIMIT);
        assert_eq!(excerpt(&[0x66, 0xff, 0x6f]), "f\u{fffd}o");
    }
}
