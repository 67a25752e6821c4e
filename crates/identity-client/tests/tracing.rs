//! Tracing: the trace context of the active span travels, and the issuer runs in its span.
//!
//! These tests install thread-local subscribers; they live in their own test binary so that no
//! other test registers the same callsites while no subscriber is listening.

mod common;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use common::{Fixture, TestApiBuilder, issuer, issuer_fixture};
use identity_client::{AccessToken, Principal, RequestContext, StaticTokenSource, api_client};
use opentelemetry::trace::{TraceContextExt, TraceId};
use test_support::{KeyEncoding, KeyKind};
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
    fixture.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("compute-client"));
    // No captured context: the editor takes the span active when the request is made.
    let ctx = RequestContext::new().with_principal(Principal::new("o", "p", "a"));
    let api = api_client(
        &base,
        TestApiBuilder::default(),
        Arc::new(StaticTokenSource::new(AccessToken::new("t"))),
        &ctx,
    )
    .await
    .unwrap();
    let span = tracing::info_span!("reconcile");
    let trace_id = span.context().span().span_context().trace_id();
    assert_ne!(trace_id, TraceId::INVALID);
    api.get("/x").instrument(span).await.unwrap();

    let other = tracing::info_span!("another");
    let other_id = other.context().span().span_context().trace_id();
    api.get("/y").instrument(other).await.unwrap();

    let requests = fixture.server.requests();
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

/// Records the spans created and their fields.
#[derive(Clone, Default)]
struct SpanRecorder(Arc<Mutex<Vec<RecordedSpan>>>);

/// A span's name and its fields, formatted.
type RecordedSpan = (String, BTreeMap<String, String>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanRecorder {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Visitor<'a>(&'a mut BTreeMap<String, String>);
        impl tracing::field::Visit for Visitor<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.insert(field.name().to_owned(), format!("{value:?}"));
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.insert(field.name().to_owned(), value.to_owned());
            }
        }
        let mut fields = BTreeMap::new();
        attrs.record(&mut Visitor(&mut fields));
        self.0
            .lock()
            .unwrap()
            .push((attrs.metadata().name().to_owned(), fields));
    }
}

#[tokio::test]
async fn issuing_runs_in_a_span_and_propagates_the_trace() {
    let recorder = SpanRecorder::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(tracer()))
        .with(recorder.clone());
    let _default = tracing::subscriber::set_default(subscriber);

    let f = issuer_fixture().await;
    let parent = tracing::info_span!("startup");
    let trace_id = parent.context().span().span_context().trace_id();
    issuer(&f).issue().instrument(parent).await.unwrap();

    let spans = recorder.0.lock().unwrap().clone();
    let (_, fields) = spans
        .iter()
        .find(|(name, _)| name == "identity.issue_token")
        .expect("an identity.issue_token span");
    assert_eq!(fields["service.name"], "compute");
    assert_eq!(fields["service.version"], "1.2.3");

    for request in f.issuer.requests() {
        let traceparent = request.header("traceparent").unwrap();
        assert!(
            traceparent.starts_with(&format!("00-{trace_id}-")),
            "{traceparent}"
        );
    }
}
