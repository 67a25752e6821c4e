//! `install_trace_propagator` makes traces cross service boundaries both ways, and then
//! nothing warns.
//!
//! Its own test binary: it installs the global propagator.

mod capture;

use bytes::Bytes;
use capture::Warnings;
use core_client::RequestEditor;
use identity_client::{RequestContext, editor::TraceContextEditor};
use opentelemetry::trace::TraceContextExt;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[tokio::test]
async fn the_w3c_propagator_continues_the_inbound_trace() {
    let warnings = Warnings::default();
    let _default = tracing::subscriber::set_default(warnings.subscriber());
    identity_client::install_trace_propagator();

    let mut inbound = http::HeaderMap::new();
    inbound.insert("traceparent", http::HeaderValue::from_static(TRACEPARENT));
    let ctx = RequestContext::from_headers(&inbound);
    let otel = ctx.otel_context().expect("the inbound trace is continued");
    assert_eq!(
        otel.span().span_context().trace_id().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );

    let mut request = http::Request::new(Bytes::new());
    TraceContextEditor::new(Some(otel.clone()))
        .edit(&mut request)
        .await
        .unwrap();
    assert_eq!(request.headers()["traceparent"], TRACEPARENT);
    assert_eq!(warnings.messages(), Vec::<String>::new());
}
