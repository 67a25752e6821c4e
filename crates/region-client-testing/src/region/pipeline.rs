//! A request through the region server's pipeline, in the Go server's order (`UPSTREAM.md`
//! §5):
//!
//! 1. the [ingress](crate::ingress): client-sent `Ssl-Client-*` dropped, its own set;
//! 2. route resolution on the once-decoded path (Go's `URL.Path`), by the operation table
//!    ([`OperationId::resolve`]): no operation with this path and method is `404 not_found`;
//! 3. path parameter binding (decoded once more): a parameter the spec types `format: uuid`
//!    that is not one is `400 invalid_request "invalid path/query element"`, before
//!    authentication;
//! 4. authentication and the principal ([`platform::authenticate`]), for every operation but
//!    the unauthenticated [`OperationId::GetOpenidProtectedResource`];
//! 5. the request body checked against its schema ([`body`](super::body));
//! 6. RBAC: actors made [forbidden](super::RegionApi::forbid) get `403 forbidden`, on every
//!    operation but `getVersion` (`x-no-authorization`: its handler checks no permission);
//! 7. the answer: the newest stub that takes the call, else the model, else `404 not_found`
//!    naming the operation and how to stub it; dated by the server's
//!    [clock](super::RegionApi::set_clock_offset).

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::Arc,
};

use bytes::Bytes;
use region_openapi::{OperationId, types};

use super::{
    AnsweredBy, Call,
    answer::{Answer, Fault, Kind, error_code},
    body,
    registered::StubState,
    state::Shared,
};
use crate::{
    ingress::ingress_view,
    platform::{self, error_response},
    server::{RecordedRequest, Reply, empty_response},
    sync::lock,
};

/// Answers `raw` (as it arrived on the wire) and records the call.
pub(super) async fn serve(shared: Arc<Shared>, raw: RecordedRequest) -> Reply {
    let request = ingress_view(&raw);
    let trace = platform::trace_id(&request);
    let path = percent_decode(raw.uri.path()).unwrap_or_else(|| raw.uri.path().to_owned());
    let mut span = platform::server_span(&request, "region-api");
    let mut call = Call::new(request, path);
    let (reply, took) = match admit(&shared, &mut call, &trace) {
        Ok(()) => answer(&shared, &mut call, &trace).await,
        Err(refusal) => (
            finish(&mut call, AnsweredBy::Platform, *refusal),
            Vec::new(),
        ),
    };
    platform::end_server_span(
        &mut span,
        &call.request,
        call.operation.map(|operation| operation.spec().path),
        call.status
            .and_then(|status| http::StatusCode::from_u16(status).ok()),
    );
    for stub in took {
        lock(&stub.calls).push(call.clone());
    }
    shared.record(call);
    let offset = shared.state().clock_offset;
    super::clock::stamp(reply, offset)
}

/// Steps 2 to 6: the call's operation, parameters, authentication and body, or the
/// platform's refusal.
fn admit(shared: &Shared, call: &mut Call, trace: &str) -> Result<(), Box<http::Response<Bytes>>> {
    let refuse = |status: u16, code: &str, description: &str| {
        Box::new(error_response(status, code, description, trace))
    };
    // 2. Route resolution on the once-decoded path; other methods do not match either.
    let Some((operation, params)) = OperationId::resolve(&call.request.method, &call.path) else {
        return Err(refuse(404, "not_found", "resource not found"));
    };
    let params: Vec<_> = params
        .iter()
        .map(|(param, value)| (param.name, param.uuid, value.to_owned()))
        .collect();
    call.operation = Some(operation);
    // 3. Binding: each parameter decoded once more; UUIDs parsed.
    for (name, uuid, value) in params {
        let bound = percent_decode(&value).filter(|v| !uuid || v.parse::<uuid::Uuid>().is_ok());
        let Some(bound) = bound else {
            return Err(refuse(400, "invalid_request", "invalid path/query element"));
        };
        call.params.insert(name.to_owned(), bound);
    }
    // 4. Authentication and the principal, for every operation that declares security.
    if operation != OperationId::GetOpenidProtectedResource {
        let tokens = shared.state().tokens.clone();
        let authenticated = platform::authenticate(
            &call.request,
            &tokens,
            call.param("organizationID"),
            call.param("projectID"),
        )?;
        call.authenticated = Some(authenticated);
    }
    // 5. The request body, against its schema.
    if let Some(name) = operation.spec().body {
        let content_type = call.request.header("content-type");
        match body::validate(name, content_type, &call.request.body) {
            Ok(value) => call.body = Some(value),
            Err(refusal) => return Err(refuse(400, "invalid_request", &refusal)),
        }
    }
    // 6. RBAC, in every handler but the version's.
    if operation == OperationId::GetVersion {
        return Ok(());
    }
    let actor = call
        .principal()
        .map(|p| p.actor.as_str())
        .unwrap_or_default();
    if shared.state().forbidden.contains(actor) {
        return Err(refuse(
            403,
            "forbidden",
            "operation is not allowed by rbac: operation is not permitted",
        ));
    }
    Ok(())
}

/// Step 7: the answer to an accepted call, and the stubs that took it.
async fn answer(shared: &Shared, call: &mut Call, trace: &str) -> (Reply, Vec<Arc<StubState>>) {
    let Some(operation) = call.operation else {
        let refusal = error_response(404, "not_found", "resource not found", trace);
        return (finish(call, AnsweredBy::Platform, refusal), Vec::new());
    };
    let spec = operation.spec();
    let mut took = Vec::new();
    let mut cut = false;
    for stub in shared.stubs_newest_first() {
        let by = AnsweredBy::Stub(stub.number);
        let answer = match guarded(|| stub.take(call).then(|| stub.answer(call))) {
            Ok(None) => continue,
            Ok(Some(answer)) => answer,
            Err(panic) => Answer(Kind::Problem(format!("panicked: {panic}"))),
        };
        took.push(stub.clone());
        let kind = match answer.problem(spec) {
            Some(problem) => Kind::Problem(problem),
            None => answer.0,
        };
        let response = match kind {
            Kind::Problem(problem) => {
                shared
                    .state()
                    .problems
                    .push(format!("stub #{} {}: {problem}", stub.number, stub.label));
                let response = error_response(500, "server_error", &problem, trace);
                return (finish(call, by, response), took);
            }
            Kind::Success { status, body } => success(status, body),
            Kind::Error {
                status,
                description,
            } => error_response(
                status,
                error_code(status).unwrap_or("server_error"),
                &description,
                trace,
            ),
            Kind::Fault(fault) => {
                call.fault = Some(fault.clone());
                match fault {
                    Fault::Status {
                        status,
                        retry_after,
                    } => Fault::status_response(status, retry_after),
                    Fault::Delay(delay) => {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    Fault::Drop => {
                        call.answered_by = by;
                        return (Reply::Close, took);
                    }
                    Fault::CutBody => {
                        cut = true;
                        continue;
                    }
                }
            }
            Kind::FallThrough => continue,
        };
        return (cut_if(cut, finish(call, by, response)), took);
    }
    let modelled = shared.state().model.answer(call, trace);
    let (by, response) = match modelled {
        Some(response) => (AnsweredBy::Model, response),
        None => (AnsweredBy::NotStubbed, not_stubbed(operation, trace)),
    };
    (cut_if(cut, finish(call, by, response)), took)
}

fn cut_if(cut: bool, reply: Reply) -> Reply {
    match reply {
        Reply::Respond(response) if cut => Reply::CutBody(response),
        other => other,
    }
}

/// A success of a stub, as the region handlers write one.
fn success(status: u16, body: Option<Bytes>) -> http::Response<Bytes> {
    let mut response = empty_response(status);
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    if let Some(body) = body {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        *response.body_mut() = body;
    }
    response
}

/// The answer to an operation nothing answers: the platform's `404 not_found`, saying so.
fn not_stubbed(operation: OperationId, trace: &str) -> http::Response<Bytes> {
    let spec = operation.spec();
    let success = spec.success().map_or(200, |status| status.as_u16());
    let description = format!(
        "no stub answers {operation} ({} {}) and the kit has no model of it: stub it with \
         platform.region().on(OperationId::{operation:?}).respond({success}, &body)",
        spec.method, spec.path
    );
    error_response(404, "not_found", &description, trace)
}

/// Records on `call` what `response` answered, and who did.
fn finish(call: &mut Call, by: AnsweredBy, response: http::Response<Bytes>) -> Reply {
    call.answered_by = by;
    call.status = Some(response.status().as_u16());
    call.error = (response.status().is_client_error() || response.status().is_server_error())
        .then(|| serde_json::from_slice::<types::Error>(response.body()).ok())
        .flatten();
    Reply::Respond(response)
}

/// Runs a test's code (a stub's predicate or closure), turning a panic into its message.
fn guarded<T>(run: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(run)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|message| (*message).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a panic without a message)".to_owned())
    })
}

/// Go's `url.PathUnescape`: `None` for a `%` not followed by two hex digits or for non-UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let valid = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !valid {
        return None;
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_gos() {
        assert_eq!(percent_decode("a.b%252Fc").as_deref(), Some("a.b%2Fc"));
        assert_eq!(percent_decode("a.b%2Fc").as_deref(), Some("a.b/c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
    }
}
