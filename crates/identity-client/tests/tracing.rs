//! Tracing: the trace context of the active span travels.
//!
//! These tests install thread-local subscribers; they live in their own test binary so that no
//! other test registers the same callsites while no subscriber is listening.

mod common;

use common::{Fixture, ORGANIZATION, api_path};
use identity_client::{Principal, RequestContext};
use opentelemetry::trace::{TraceContextExt, TraceId};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

fn tracer() -> opentelemetry_sdk::trace::Tracer {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    opentelemetry::trace::TracerProvider::tracer(&provider, "identity-client-test")
}

#[tokio::test]
async fn traceparent_carries_the_active_span() {
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer()));
    let _default = tracing::subscriber::set_default(subscriber);

    let fixture = Fixture::start().await;
    let base = fixture.compute();
    // No captured context: the editor takes the span active when the request is made.
    let ctx = RequestContext::new().with_principal(Principal::new("o", "p", "a"));
    let api = api_path(&base, &ctx).await;
    let span = tracing::info_span!("reconcile");
    let trace_id = span.context().span().span_context().trace_id();
    assert_ne!(trace_id, TraceId::INVALID);
    api.list_regions(ORGANIZATION)
        .instrument(span)
        .await
        .unwrap();

    let other = tracing::info_span!("another");
    let other_id = other.context().span().span_context().trace_id();
    api.list_regions(ORGANIZATION)
        .instrument(other)
        .await
        .unwrap();

    let requests = fixture.requests();
    let trace_of = |i: usize| {
        let value = requests[i].header("traceparent").unwrap().to_owned();
        let fields: Vec<String> = value.split('-').map(str::to_owned).collect();
        assert_eq!(fields.len(), 4, "{value}");
        assert_eq!(fields[0], "00");
        fields[1].clone()
    };
    assert_eq!(trace_of(0), trace_id.to_string());
    assert_eq!(trace_of(1), other_id.to_string());
}
