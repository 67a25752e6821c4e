//! How the platform's Go servers answer: error bodies (`core` `pkg/server/errors`) and the
//! authentication step of the OpenAPI middleware (`identity` `pkg/middleware/openapi`), through
//! [`identity_client::principal::extract`].

use std::collections::BTreeMap;

use bytes::Bytes;
use identity_client::principal::{Authenticated, Caller, CertificateSource, ExtractError, extract};
use opentelemetry::{
    KeyValue, global,
    trace::{Span as _, SpanKind, Tracer as _},
};
use opentelemetry_http::HeaderExtractor;
use serde_json::json;

use crate::server::RecordedRequest;

/// The platform's error answer: `{"error", "error_description", "trace_id"}` with
/// `Cache-Control: no-cache` and `Content-Type: application/json`.
pub fn error_response(
    status: u16,
    code: &str,
    description: &str,
    trace_id: &str,
) -> http::Response<Bytes> {
    let body = json!({ "error": code, "error_description": description, "trace_id": trace_id });
    http::Response::builder()
        .status(status)
        .header(http::header::CACHE_CONTROL, "no-cache")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap_or_else(|_| {
            // Only a status outside 100..=999 gets here: answer it as the server error it is.
            let mut response = http::Response::new(Bytes::new());
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            response
        })
}

/// The trace ID the server's span has: the caller's when it sent a `traceparent`, else a new
/// one (32 hex digits either way, as the platform's error bodies carry it).
pub fn trace_id(request: &RecordedRequest) -> String {
    caller_trace_id(request)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

/// The trace ID of the `traceparent` a request carried (32 hex digits), if any.
pub fn caller_trace_id(request: &RecordedRequest) -> Option<&str> {
    request
        .header("traceparent")
        .and_then(|value| value.split('-').nth(1))
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Bearer tokens the fake identity service knows, and the subject each one is for.
pub type Tokens = BTreeMap<String, String>;

/// The middleware's authentication of a request (as the ingress passed it on) for an operation
/// that requires it: the platform's refusal as an answer (boxed), or who called and for whom.
///
/// A bearer token is valid when it is in `tokens` (standing in for the identity service's token
/// exchange); the principal of a call without a client certificate is then built from the
/// token's subject and the organization and project in the path, as the platform does.
pub fn authenticate(
    request: &RecordedRequest,
    tokens: &Tokens,
    path_organization: Option<&str>,
    path_project: Option<&str>,
) -> Result<Authenticated, Box<http::Response<Bytes>>> {
    let trace = trace_id(request);
    let mut authenticated = extract(&request.headers, CertificateSource::Ingress)
        .map_err(|error| Box::new(refusal(&error, request, &trace)))?;
    if let Caller::Bearer { token } = &authenticated.caller {
        let Some(subject) = tokens.get(token.expose_secret()) else {
            return Err(Box::new(error_response(
                401,
                "access_denied",
                "token is invalid or has expired",
                &trace,
            )));
        };
        if authenticated.principal.is_none() {
            let principal = identity_client::Principal::new(
                path_organization.unwrap_or_default(),
                path_project.unwrap_or_default(),
                subject.clone(),
            )
            .with_account_type(identity_client::AccountType::User);
            authenticated.principal = Some(principal);
        }
    }
    Ok(authenticated)
}

/// The platform's answer to a refused authentication, with `WWW-Authenticate` on a 401.
fn refusal(error: &ExtractError, request: &RecordedRequest, trace: &str) -> http::Response<Bytes> {
    let mut response = error_response(
        error.status().as_u16(),
        error.error_code(),
        error.description(),
        trace,
    );
    let host = request
        .header("host")
        .map(str::to_owned)
        .or_else(|| request.uri.authority().map(ToString::to_string))
        .unwrap_or_default();
    if let Some(challenge) = error.www_authenticate(&host)
        && let Ok(value) = http::HeaderValue::from_str(&challenge)
    {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The server span of a request, as the platform's servers record one (their `otel`
/// middleware): a child of the `traceparent` the request carried, through the global tracer
/// provider (a no-op until an application installs one).
pub fn server_span(request: &RecordedRequest, service: &'static str) -> global::BoxedSpan {
    let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(&request.headers)));
    global::tracer(service)
        .span_builder(request.method.to_string())
        .with_kind(SpanKind::Server)
        .start_with_context(&global::tracer(service), &parent)
}

/// Names `span` after the route it matched and ends it with the answer's status (none when
/// the connection was dropped instead).
pub fn end_server_span(
    span: &mut global::BoxedSpan,
    request: &RecordedRequest,
    route: Option<&str>,
    status: Option<http::StatusCode>,
) {
    if let Some(route) = route {
        span.update_name(format!("{} {route}", request.method));
        span.set_attribute(KeyValue::new("http.route", route.to_owned()));
    }
    if let Some(status) = status {
        span.set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(status.as_u16()),
        ));
    }
    span.end();
}
