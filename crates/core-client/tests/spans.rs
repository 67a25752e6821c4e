//! The client span of each request, exported through `tracing-opentelemetry` to an in-memory
//! exporter: its name and attributes, its place in the trace, errors and retries.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use core_client::{HttpClient, HttpConfig, Operation, TelemetryConfig, TraceParent};
use opentelemetry::{
    Context, Value,
    trace::{
        SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
        TracerProvider as _,
    },
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use region_client_testing::{Ca, TestServer, server::client_tls_config, server::json_response};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

const TEMPLATE: &str = "/api/v2/networks/{networkID}";

/// Spans of this test go to the returned exporter (the subscriber is this thread's).
fn export() -> (InMemorySpanExporter, tracing::subscriber::DefaultGuard) {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    (exporter, tracing::subscriber::set_default(subscriber))
}

async fn server(statuses: &'static [u16]) -> (Ca, TestServer) {
    let ca = Ca::new("ca");
    let calls = Arc::new(AtomicUsize::new(0));
    let server = TestServer::builder(&ca.server_cert(&["127.0.0.1"]))
        .handler(move |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            json_response(statuses[n.min(statuses.len() - 1)], &serde_json::json!({}))
        })
        .start()
        .await;
    (ca, server)
}

fn client(ca: &Ca, config: HttpConfig) -> HttpClient {
    HttpClient::from_tls_config(client_tls_config(ca, None), None, config)
}

/// A request as the generated client makes it: with its operation.
fn request(url: &str) -> http::Request<Bytes> {
    let mut request = http::Request::get(format!(
        "{url}/api/v2/networks/c0a80101-0000-4000-8000-00000000000a"
    ))
    .body(Bytes::new())
    .unwrap();
    request
        .extensions_mut()
        .insert(Operation::new("getNetworkV2", TEMPLATE));
    request
}

fn attributes(span: &SpanData) -> BTreeMap<String, Value> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.clone()))
        .collect()
}

fn client_spans(exporter: &InMemorySpanExporter) -> Vec<SpanData> {
    exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect()
}

#[tokio::test]
async fn each_request_has_a_client_span_whose_child_is_the_server() {
    let (exporter, _guard) = export();
    let (ca, server) = server(&[200]).await;
    let http = client(&ca, HttpConfig::default());
    let handler = tracing::info_span!("handler");
    let response = http
        .send(request(&server.url()))
        .instrument(handler.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(handler);

    let spans = exporter.get_finished_spans().unwrap();
    let parent = spans.iter().find(|s| s.name == "handler").unwrap();
    let client = client_spans(&exporter);
    assert_eq!(client.len(), 1, "one span per request");
    let span = &client[0];
    assert_eq!(span.name, format!("GET {TEMPLATE}"));
    assert_eq!(span.parent_span_id, parent.span_context.span_id());
    assert_eq!(span.span_context.trace_id(), parent.span_context.trace_id());
    assert_eq!(span.status, Status::Unset);

    let port = i64::from(server.addr().port());
    let attributes = attributes(span);
    let expected: BTreeMap<String, Value> = [
        ("http.request.method", Value::from("GET")),
        ("server.address", Value::from("127.0.0.1")),
        ("server.port", Value::from(port)),
        (
            "url.full",
            Value::from(request(&server.url()).uri().to_string()),
        ),
        ("url.template", Value::from(TEMPLATE)),
        ("openapi.operation.id", Value::from("getNetworkV2")),
        ("http.response.status_code", Value::from(200i64)),
        ("network.protocol.version", Value::from("2")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (key, value) in &expected {
        assert_eq!(attributes.get(key), Some(value), "{key}");
    }
    assert!(!attributes.contains_key("error.type"));
    assert!(!attributes.contains_key("http.request.resend_count"));

    // The server's parent is the client span: its span ID is in the traceparent sent.
    let sent = server.requests().pop().unwrap();
    assert_eq!(
        sent.header("traceparent").unwrap(),
        format!(
            "00-{}-{}-01",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    );
}

#[tokio::test]
async fn a_captured_trace_parent_is_continued() {
    let (exporter, _guard) = export();
    let (ca, server) = server(&[200]).await;
    let http = client(&ca, HttpConfig::default());
    // The context an inbound request carried (the identity layer hands it over like this).
    let inbound = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let mut request = request(&server.url());
    request.extensions_mut().insert(TraceParent(
        Context::new().with_remote_span_context(inbound.clone()),
    ));
    http.send(request).await.unwrap();
    let span = client_spans(&exporter).pop().unwrap();
    assert_eq!(span.span_context.trace_id(), inbound.trace_id());
    assert_eq!(span.parent_span_id, inbound.span_id());
    let sent = server.requests().pop().unwrap();
    assert_eq!(
        sent.header("traceparent").unwrap(),
        format!(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01",
            span.span_context.span_id()
        )
    );
}

#[tokio::test]
async fn failures_have_an_error_type_and_an_error_status() {
    let (exporter, _guard) = export();
    let (ca, server) = server(&[404]).await;
    let http = client(&ca, HttpConfig::default());
    assert_eq!(
        http.send(request(&server.url())).await.unwrap().status(),
        404
    );
    let span = client_spans(&exporter).pop().unwrap();
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );
    assert_eq!(
        attributes(&span).get("error.type"),
        Some(&Value::from("404"))
    );

    // Nothing listens: the error kind is the type, and no status code is recorded.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let error = http
        .send(request(&format!("https://127.0.0.1:{closed}")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "connect_error");
    // A GET that cannot connect is retried: every attempt has its span.
    let spans = client_spans(&exporter);
    let failed: Vec<_> = spans
        .iter()
        .filter(|s| attributes(s).get("error.type") == Some(&Value::from("connect_error")))
        .collect();
    assert_eq!(failed.len(), 3);
    for span in failed {
        assert!(matches!(span.status, Status::Error { .. }));
        assert!(!attributes(span).contains_key("http.response.status_code"));
    }
}

#[tokio::test]
async fn a_retried_request_has_a_span_per_attempt_with_the_resend_count() {
    let (exporter, _guard) = export();
    let (ca, server) = server(&[503, 200]).await;
    let http = client(&ca, HttpConfig::default());
    assert_eq!(
        http.send(request(&server.url())).await.unwrap().status(),
        200
    );
    let spans = client_spans(&exporter);
    assert_eq!(spans.len(), 2);
    let first = attributes(&spans[0]);
    assert_eq!(
        first.get("http.response.status_code"),
        Some(&Value::from(503i64))
    );
    assert!(!first.contains_key("http.request.resend_count"));
    let second = attributes(&spans[1]);
    assert_eq!(
        second.get("http.request.resend_count"),
        Some(&Value::from(1i64))
    );
    assert_eq!(
        second.get("http.response.status_code"),
        Some(&Value::from(200i64))
    );
    // Both attempts belong to the same trace, each the parent of what its server saw.
    let sent = server.requests();
    for (span, request) in spans.iter().zip(&sent) {
        assert!(
            request
                .header("traceparent")
                .unwrap()
                .contains(&span.span_context.span_id().to_string())
        );
    }
}

#[tokio::test]
async fn nothing_is_emitted_when_disabled() {
    let (exporter, _guard) = export();
    let (ca, server) = server(&[200]).await;
    let http = client(
        &ca,
        HttpConfig::default().with_telemetry(TelemetryConfig::disabled()),
    );
    let handler = tracing::info_span!("handler");
    http.send(request(&server.url()))
        .instrument(handler.clone())
        .await
        .unwrap();
    drop(handler);
    assert!(client_spans(&exporter).is_empty());
    // And no traceparent of its own: only what an editor would have set.
    assert!(server.requests()[0].header("traceparent").is_none());
}
