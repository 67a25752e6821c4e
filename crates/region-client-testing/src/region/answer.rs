//! What a stub answers: an [`Answer`] of the platform (a success body, an error body), a
//! [`Fault`] of the network or of what stands in front of the platform, or nothing, to let
//! the call through to older stubs and the model.

use std::{fmt, time::Duration};

use bytes::Bytes;
use region_openapi::OperationSpec;
use serde::Serialize;

/// A fault a stub inflicts instead of the platform's answer: what the network, the ingress or
/// a load balancer in front of the platform do to calls.
///
/// ```
/// use std::time::Duration;
/// use region_client_testing::region::Fault;
///
/// let unavailable = Fault::status(503).with_retry_after(Duration::from_secs(1));
/// assert_eq!(unavailable.to_string(), "503 from in front of the platform, Retry-After 1 s");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// An answer with `status` from in front of the platform (the ingress or a load
    /// balancer: `502`, `503`, `504`, ...): nginx's HTML error page, no platform error body,
    /// and `Retry-After` in whole seconds when set.
    Status {
        /// The status, 400 or above.
        status: u16,
        /// The `Retry-After` to send (rounded up to whole seconds).
        retry_after: Option<Duration>,
    },
    /// The answer comes this much later: the call then goes on to older stubs and the
    /// model, as if this stub were not there.
    Delay(Duration),
    /// The connection is closed under the request, without an answer (over HTTP/2 this
    /// closes every call on the connection).
    Drop,
    /// The answer's head and the first half of its body arrive, then the connection is reset.
    /// The answer is the one older stubs or the model give.
    CutBody,
}

impl Fault {
    /// An answer with `status` from in front of the platform; see [`Fault::Status`].
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
        }
    }

    /// Sends `Retry-After` with a [`Fault::Status`] (rounded up to whole seconds); other
    /// faults stay as they are.
    pub fn with_retry_after(self, after: Duration) -> Self {
        match self {
            Self::Status { status, .. } => Self::Status {
                status,
                retry_after: Some(after),
            },
            other => other,
        }
    }

    /// Why this fault cannot be, if it cannot.
    pub(super) fn problem(&self) -> Option<String> {
        match self {
            Self::Status { status, .. } if !(400..=599).contains(status) => Some(format!(
                "Fault::status({status}): a fault's status is an error, 400 to 599"
            )),
            _ => None,
        }
    }

    /// The answer of a [`Fault::Status`], as nginx writes it.
    pub(super) fn status_response(
        status: u16,
        retry_after: Option<Duration>,
    ) -> http::Response<Bytes> {
        let code = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
        let line = format!(
            "{} {}",
            code.as_u16(),
            code.canonical_reason().unwrap_or_default()
        );
        let page = format!(
            "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        );
        let mut response = http::Response::new(Bytes::from(page));
        *response.status_mut() = code;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/html"),
        );
        if let Some(after) = retry_after {
            let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status {
                status,
                retry_after: None,
            } => write!(f, "{status} from in front of the platform"),
            Self::Status {
                status,
                retry_after: Some(after),
            } => write!(
                f,
                "{status} from in front of the platform, Retry-After {} s",
                after.as_secs() + u64::from(after.subsec_nanos() > 0)
            ),
            Self::Delay(delay) => write!(f, "delayed {delay:?}"),
            Self::Drop => f.write_str("connection dropped"),
            Self::CutBody => f.write_str("answer cut half-way"),
        }
    }
}

/// The platform's error code for an error status (core `pkg/server/errors`); `None` for a
/// status the platform never answers with its error body.
pub(super) fn error_code(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "invalid_request",
        401 => "access_denied",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "request_entity_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable_content",
        500 => "server_error",
        _ => return None,
    })
}

/// What a stub's closure ([`Stub::respond_with`](super::Stub::respond_with)) answers a call
/// with: the platform's answer (the operation's success, or an error body), a [`Fault`], or
/// [`Answer::fall_through`] to let the call go on to older stubs and the model.
///
/// The platform answers only what its spec and its error package allow, and so does the kit:
/// a success must be the operation's documented success status, an error one of the
/// platform's error statuses (400, 401, 403, 404, 405, 409, 413, 415, 422, 500). Anything else
/// is answered `500` and reported when the expectations are checked.
///
/// ```
/// use region_client_testing::region::{Answer, Fault};
///
/// let created = Answer::json(201, &serde_json::json!({ "metadata": {} }));
/// let conflict = Answer::error(409, "a network of this name exists");
/// let dropped = Answer::fault(Fault::Drop);
/// # let _ = (created, conflict, dropped);
/// ```
#[derive(Clone, Debug)]
pub struct Answer(pub(super) Kind);

#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// A success: status and JSON body (none for an empty answer).
    Success {
        status: u16,
        body: Option<Bytes>,
    },
    /// The platform's error body.
    Error {
        status: u16,
        description: String,
    },
    Fault(Fault),
    FallThrough,
    /// What a stub got wrong, answered 500 and reported.
    Problem(String),
}

impl Answer {
    /// The operation's success with `body` as JSON (`Content-Type: application/json`).
    pub fn json(status: u16, body: &impl Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(body) => Self(Kind::Success {
                status,
                body: Some(Bytes::from(body)),
            }),
            Err(error) => Self(Kind::Problem(format!(
                "the answer's body does not serialize to JSON: {error}"
            ))),
        }
    }

    /// The operation's success without a body (a `201`, `202` or `204` of the platform).
    pub fn empty(status: u16) -> Self {
        Self(Kind::Success { status, body: None })
    }

    /// The platform's error answer: `{"error", "error_description", "trace_id"}`, the code
    /// from the status (`404` is `not_found`, `409` is `conflict`, ...) and the call's trace.
    pub fn error(status: u16, description: impl Into<String>) -> Self {
        Self(Kind::Error {
            status,
            description: description.into(),
        })
    }

    /// A fault instead of an answer.
    pub fn fault(fault: Fault) -> Self {
        Self(Kind::Fault(fault))
    }

    /// No answer from this stub: the call goes on to older stubs and the model, as if this
    /// stub did not match it (it still counts as one of this stub's calls).
    pub fn fall_through() -> Self {
        Self(Kind::FallThrough)
    }

    /// Why this answer cannot be the platform's to a call of `spec`, if it cannot.
    pub(super) fn problem(&self, spec: &OperationSpec) -> Option<String> {
        match &self.0 {
            Kind::Success { status, .. } if spec.success().map(|s| s.as_u16()) != Some(*status) => {
                Some(format!(
                    "{} answers {} on success, not {status}; errors are Answer::error / respond_error, \
                     statuses from in front of the platform Fault::status",
                    spec.id,
                    spec.success()
                        .map_or_else(|| "nothing".to_owned(), |s| s.as_u16().to_string()),
                ))
            }
            Kind::Error { status, .. } if error_code(*status).is_none() => Some(format!(
                "the platform has no error body for status {status} (it answers 400, 401, 403, 404, \
                 405, 409, 413, 415, 422 or 500); a status from in front of it is Fault::status({status})"
            )),
            Kind::Fault(fault) => fault.problem(),
            Kind::Problem(problem) => Some(problem.clone()),
            _ => None,
        }
    }

    /// A short description, for reports: `respond(200)`, `fail(connection dropped)`, ...
    pub(super) fn label(&self) -> String {
        match &self.0 {
            Kind::Success {
                status,
                body: Some(_),
            } => format!("respond({status}, body)"),
            Kind::Success { status, body: None } => format!("respond_empty({status})"),
            Kind::Error { status, .. } => format!("respond_error({status})"),
            Kind::Fault(fault) => format!("fail({fault})"),
            Kind::FallThrough => "fall through".to_owned(),
            Kind::Problem(_) => "(invalid)".to_owned(),
        }
    }
}
