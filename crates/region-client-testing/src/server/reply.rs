//! [`Reply`]: what a [`TestServer`](super::TestServer) does with a request, from a plain
//! answer to the faults a real network and ingress inflict (a connection closed under the
//! request, an answer cut half-way, a body that never ends).

use std::{convert::Infallible, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;

/// What the server does with one request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Reply {
    /// Answers with this response.
    Respond(http::Response<Bytes>),
    /// Reads the request, then closes its connection without answering (over HTTP/2 this
    /// closes every stream of the connection), as a server or proxy going away does.
    Close,
    /// Sends the head of this response and the first half of its body, then fails the body
    /// (the connection or stream is reset): an answer cut half-way.
    CutBody(http::Response<Bytes>),
    /// Sends a `200` head, then one body byte every interval, forever.
    Drip(Duration),
}

impl From<http::Response<Bytes>> for Reply {
    fn from(response: http::Response<Bytes>) -> Self {
        Self::Respond(response)
    }
}

/// A JSON response with `status`.
pub fn json_response(status: u16, body: &serde_json::Value) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap_or_else(|_| status_response(status))
}

/// An empty response with `status`.
pub fn empty_response(status: u16) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .body(Bytes::new())
        .unwrap_or_else(|_| status_response(status))
}

/// An empty response with `status`, or `500` when `status` is not one (below 100 or above
/// 999): the server answers something rather than panicking on a test's typo.
fn status_response(status: u16) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

/// The body type the server sends.
pub(super) type Body = BoxBody<Bytes, std::io::Error>;

/// How long a cut answer waits between its first bytes and the failure, so that the head and
/// those bytes are flushed to the client before the reset (a failing body aborts the
/// connection at once, dropping what is still buffered).
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(50);

/// A whole body.
pub(super) fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(never).boxed()
}

/// `response` with its body cut after its first half (at least one byte when it has any).
pub(super) fn cut(response: http::Response<Bytes>) -> http::Response<Body> {
    response.map(|body| {
        let sent = body.slice(..body.len().div_ceil(2));
        let frames = futures_util::stream::unfold(0, move |step| {
            let sent = sent.clone();
            async move {
                match step {
                    0 => Some((Ok(Frame::data(sent)), 1)),
                    1 => {
                        tokio::time::sleep(FLUSH_BEFORE_CUT).await;
                        Some((
                            Err(std::io::Error::other("answer cut by the test server")),
                            2,
                        ))
                    }
                    _ => None,
                }
            }
        });
        StreamBody::new(frames).boxed()
    })
}

/// A `200` whose body is a byte every `interval`, forever.
pub(super) fn drip(interval: Duration) -> http::Response<Body> {
    let drip = futures_util::stream::unfold((), move |()| async move {
        tokio::time::sleep(interval).await;
        Some((Ok(Frame::data(Bytes::from_static(b" "))), ()))
    });
    http::Response::new(StreamBody::new(drip).boxed())
}

fn never(never: Infallible) -> std::io::Error {
    match never {}
}
