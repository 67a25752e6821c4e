//! Without a propagator installed, traces silently break at every service boundary:
//! identity-client says so through `tracing`, once per process for inbound requests and once
//! for outbound ones.
//!
//! Its own test binary: the warnings are once per process, and nothing here may install a
//! global propagator.

mod capture;

use bytes::Bytes;
use capture::Warnings;
use core_client::RequestEditor;
use identity_client::{RequestContext, editor::TraceContextEditor};
use opentelemetry::{
    Context,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState},
};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A context continuing the trace of `TRACEPARENT`.
fn traced() -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ))
}

async fn send(context: Option<Context>) -> http::Request<Bytes> {
    let mut request = http::Request::new(Bytes::new());
    TraceContextEditor::new(context)
        .edit(&mut request)
        .await
        .unwrap();
    request
}

#[tokio::test]
async fn a_missing_propagator_is_reported_once_per_direction() {
    let warnings = Warnings::default();
    let _default = tracing::subscriber::set_default(warnings.subscriber());

    // No trace to lose: nothing to say.
    let ctx = RequestContext::from_headers(&http::HeaderMap::new());
    assert!(ctx.otel_context().is_none());
    let request = send(None).await;
    assert!(request.headers().get("traceparent").is_none());
    let request = send(Some(Context::new())).await;
    assert!(request.headers().get("traceparent").is_none());
    assert_eq!(warnings.messages(), Vec::<String>::new());

    // An inbound trace nobody reads.
    let mut inbound = http::HeaderMap::new();
    inbound.insert("traceparent", http::HeaderValue::from_static(TRACEPARENT));
    for _ in 0..3 {
        let ctx = RequestContext::from_headers(&inbound);
        assert!(ctx.otel_context().is_none(), "the trace is not continued");
    }
    let messages = warnings.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("inbound request"), "{messages:?}");
    assert!(
        messages[0].contains("identity_client::install_trace_propagator()"),
        "{messages:?}"
    );

    // An outbound request inside a trace, sent without it.
    for _ in 0..3 {
        let request = send(Some(traced())).await;
        assert!(request.headers().get("traceparent").is_none());
    }
    let messages = warnings.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[1].contains("wrote no `traceparent`"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("identity_client::install_trace_propagator()"),
        "{messages:?}"
    );
}
