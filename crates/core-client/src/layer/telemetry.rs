//! A client span and metrics for each attempt of a request, after the OpenTelemetry HTTP client
//! semantic conventions: [`TelemetryLayer`]. Spans go through `tracing` (exported with
//! `tracing-opentelemetry`), metrics through the global OpenTelemetry meter.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use opentelemetry::{
    InstrumentationScope, KeyValue, Value, global,
    metrics::{Histogram, UpDownCounter},
    trace::TraceContextExt,
};
use opentelemetry_http::HeaderInjector;
use tokio::time::Instant;
use tracing::{Instrument, Level, Span, field::Empty, instrument::Instrumented};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{deadline::Deadline, retry::ResendCount};
use crate::{HttpError, Operation, TelemetryConfig};

/// The OpenTelemetry context a request continues, as a request extension: set by whoever chose
/// it (the identity layer's trace-context editor, from an inbound request) so that the client
/// span is its child. Without it the span's parent is the current `tracing` span.
#[derive(Clone, Debug)]
pub struct TraceParent(pub opentelemetry::Context);

/// How many of an attempt's first attributes `http.client.active_requests` carries: method,
/// address, port and scheme (the conventions give it no status, template or error).
const ACTIVE_ATTRIBUTES: usize = 4;

/// Bucket boundaries of `http.client.request.duration`, in seconds, from the semantic
/// conventions.
const DURATION_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The instruments every attempt records to.
pub(crate) struct Instruments {
    duration: Histogram<f64>,
    active: UpDownCounter<i64>,
}

impl Instruments {
    /// The instruments of the global meter provider as it is now.
    fn from_global_meter() -> Self {
        let scope = InstrumentationScope::builder("core-client")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        Self::new(&global::meter_with_scope(scope))
    }

    /// The instruments of `meter`.
    fn new(meter: &opentelemetry::metrics::Meter) -> Self {
        Self {
            duration: meter
                .f64_histogram("http.client.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP client requests.")
                .with_boundaries(DURATION_BOUNDARIES.to_vec())
                .build(),
            active: meter
                .i64_up_down_counter("http.client.active_requests")
                .with_unit("{request}")
                .with_description("Number of active HTTP requests.")
                .build(),
        }
    }
}

/// Wraps each attempt of a request in a client span and records its metrics, as
/// [`TelemetryConfig`] says. Placed below a [`RetryLayer`](super::RetryLayer), it sees every
/// attempt; the span of a resend records which resend it is. With spans on, the
/// `traceparent` sent is the span's, so the server's span is its child.
///
/// ```
/// use core_client::{TelemetryConfig, layer::TelemetryLayer};
///
/// let stack = tower::ServiceBuilder::new().layer(TelemetryLayer::new(TelemetryConfig::default()));
/// # let _ = stack;
/// ```
#[derive(Clone)]
pub struct TelemetryLayer {
    config: TelemetryConfig,
    instruments: Option<Arc<Instruments>>,
}

impl TelemetryLayer {
    /// Spans and metrics as `config` says; the metrics' instruments are those of the global
    /// meter provider as it is now.
    pub fn new(config: TelemetryConfig) -> Self {
        Self {
            config,
            instruments: config
                .metrics
                .then(|| Arc::new(Instruments::from_global_meter())),
        }
    }
}

impl std::fmt::Debug for TelemetryLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryLayer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S> tower::Layer<S> for TelemetryLayer {
    type Service = TelemetryService<S>;

    fn layer(&self, inner: S) -> TelemetryService<S> {
        let layer = self.clone();
        TelemetryService { inner, layer }
    }
}

/// The service of a [`TelemetryLayer`].
#[derive(Clone)]
pub struct TelemetryService<S> {
    inner: S,
    /// The settings and instruments.
    layer: TelemetryLayer,
}

impl<S: std::fmt::Debug> std::fmt::Debug for TelemetryService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryService")
            .field("inner", &self.inner)
            .field("config", &self.layer.config)
            .finish_non_exhaustive()
    }
}

impl<S> tower::Service<http::Request<Bytes>> for TelemetryService<S>
where
    S: tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>, Error = HttpError>,
{
    type Response = http::Response<Bytes>;
    type Error = HttpError;
    type Future = TelemetryFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> Self::Future {
        let TelemetryLayer {
            config,
            instruments,
        } = &self.layer;
        if !config.spans && instruments.is_none() {
            return TelemetryFuture {
                inner: Inner::Unmeasured {
                    call: self.inner.call(request),
                },
            };
        }
        let attempt = Attempt::start(&mut request, config, instruments.clone());
        let span = attempt.span.clone();
        TelemetryFuture {
            inner: Inner::Measured {
                call: self.inner.call(request).instrument(span),
                attempt: Some(attempt),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`TelemetryService`] call.
    pub struct TelemetryFuture<F> {
        #[pin]
        inner: Inner<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = InnerProjection]
    enum Inner<F> {
        Unmeasured {
            #[pin]
            call: F,
        },
        Measured {
            #[pin]
            call: Instrumented<F>,
            // Taken when the attempt is over; recorded as cut short if dropped before.
            attempt: Option<Attempt>,
        },
    }
}

impl<F> Future for TelemetryFuture<F>
where
    F: Future<Output = Result<http::Response<Bytes>, HttpError>>,
{
    type Output = Result<http::Response<Bytes>, HttpError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().inner.project() {
            InnerProjection::Unmeasured { call } => call.poll(cx),
            InnerProjection::Measured { call, attempt } => {
                let result = std::task::ready!(call.poll(cx));
                if let Some(attempt) = attempt.take() {
                    attempt.finish(&result);
                }
                Poll::Ready(result)
            }
        }
    }
}

/// One attempt being measured; records it as failed if dropped before finishing (the call was
/// cancelled, or cut by its deadline).
struct Attempt {
    span: Span,
    instruments: Option<Arc<Instruments>>,
    attributes: Vec<KeyValue>,
    started: Instant,
    deadline: Option<Instant>,
    finished: bool,
}

impl Attempt {
    fn start(
        request: &mut http::Request<Bytes>,
        config: &TelemetryConfig,
        instruments: Option<Arc<Instruments>>,
    ) -> Self {
        let method = method(request.method());
        let uri = request.uri();
        let host = uri.host().unwrap_or_default();
        // The usual schemes need no copy.
        let scheme: Value = match uri.scheme_str() {
            Some("http") => "http".into(),
            Some("https") | None => "https".into(),
            Some(other) => other.to_owned().into(),
        };
        let port = i64::from(
            uri.port_u16()
                .unwrap_or(if uri.scheme_str() == Some("http") {
                    80
                } else {
                    443
                }),
        );
        let operation = request.extensions().get::<Operation>().copied();
        let template = operation.map(|o| o.path_template());
        // Every attribute an attempt may get, without growing.
        let mut attributes = Vec::with_capacity(ACTIVE_ATTRIBUTES + 4);
        attributes.extend([
            KeyValue::new("http.request.method", method),
            KeyValue::new("server.address", host.to_owned()),
            KeyValue::new("server.port", port),
            KeyValue::new("url.scheme", scheme),
        ]);
        if let Some(template) = template {
            attributes.push(KeyValue::new("url.template", template));
        }

        let span = if config.spans {
            let fields = SpanFields {
                name: SpanName { method, template },
                method,
                host,
                port,
                uri,
                template,
                operation_id: operation.map(|o| o.id()),
                resend_count: request
                    .extensions()
                    .get::<ResendCount>()
                    .map(|ResendCount(resends)| i64::from(*resends)),
            };
            client_span(config.span_level, &fields)
        } else {
            Span::none()
        };
        // Nobody listens (no subscriber, or not at this level): nothing more to do for the span,
        // and an empty one costs nothing to enter.
        let span = if span.is_disabled() {
            Span::none()
        } else {
            if let Some(TraceParent(parent)) = request.extensions().get::<TraceParent>() {
                // Only fails when no OpenTelemetry layer is installed: then there is no span
                // to parent, and the caller's trace context is already in the headers.
                let _ = span.set_parent(parent.clone());
            }
            // The server's span is the child of this one.
            let context = span.context();
            if context.has_active_span() {
                global::get_text_map_propagator(|propagator| {
                    propagator.inject_context(&context, &mut HeaderInjector(request.headers_mut()));
                });
            }
            span
        };

        if let Some(instruments) = &instruments {
            instruments.active.add(1, &attributes[..ACTIVE_ATTRIBUTES]);
        }
        Self {
            span,
            instruments,
            attributes,
            started: Instant::now(),
            deadline: request.extensions().get::<Deadline>().map(Deadline::at),
            finished: false,
        }
    }

    fn finish(mut self, result: &Result<http::Response<Bytes>, HttpError>) {
        match result {
            Ok(response) => {
                let status = response.status();
                self.span
                    .record("http.response.status_code", i64::from(status.as_u16()));
                self.attributes.push(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                ));
                let version = protocol_version(response.version());
                if let Some(version) = version {
                    self.span.record("network.protocol.version", version);
                    self.attributes
                        .push(KeyValue::new("network.protocol.version", version));
                }
                if status.as_u16() >= 400 {
                    // For a client, every 4xx and 5xx answer is an error.
                    self.error(status.as_str().to_owned().into());
                }
            }
            Err(error) => self.error(error.kind().into()),
        }
        self.record();
    }

    fn error(&mut self, kind: std::borrow::Cow<'static, str>) {
        self.span.record("error.type", &*kind);
        self.span.record("otel.status_code", "ERROR");
        self.attributes.push(KeyValue::new("error.type", kind));
    }

    fn record(&mut self) {
        self.finished = true;
        if let Some(instruments) = &self.instruments {
            instruments
                .duration
                .record(self.started.elapsed().as_secs_f64(), &self.attributes);
            instruments
                .active
                .add(-1, &self.attributes[..ACTIVE_ATTRIBUTES]);
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.finished {
            let cut = self.deadline.is_some_and(|d| Instant::now() >= d);
            self.error(if cut { "timeout" } else { "cancelled" }.into());
            self.record();
        }
    }
}

/// What the span of an attempt starts with.
struct SpanFields<'a> {
    name: SpanName,
    method: &'static str,
    host: &'a str,
    port: i64,
    uri: &'a http::Uri,
    template: Option<&'static str>,
    operation_id: Option<&'static str>,
    resend_count: Option<i64>,
}

/// `{method} {template}`, or the method alone: formatted only when a subscriber records it.
struct SpanName {
    method: &'static str,
    template: Option<&'static str>,
}

impl std::fmt::Display for SpanName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.template {
            Some(template) => write!(f, "{} {template}", self.method),
            None => f.write_str(self.method),
        }
    }
}

/// The span of one attempt, at `level`, with every attribute it may get declared up front
/// (disabled, and so costing nothing more, when no subscriber wants it).
fn client_span(level: Level, fields: &SpanFields<'_>) -> Span {
    macro_rules! span_at {
        ($level:expr) => {
            tracing::span!(
                $level,
                "http.client.request",
                otel.name = %fields.name,
                otel.kind = "client",
                otel.status_code = Empty,
                http.request.method = fields.method,
                server.address = fields.host,
                server.port = fields.port,
                url.full = %fields.uri,
                url.template = fields.template,
                openapi.operation.id = fields.operation_id,
                http.request.resend_count = fields.resend_count,
                http.response.status_code = Empty,
                network.protocol.version = Empty,
                error.type = Empty,
            )
        };
    }
    match level {
        Level::TRACE => span_at!(Level::TRACE),
        Level::DEBUG => span_at!(Level::DEBUG),
        Level::INFO => span_at!(Level::INFO),
        Level::WARN => span_at!(Level::WARN),
        _ => span_at!(Level::ERROR),
    }
}

/// The method as the conventions name it: the known ones, else `_OTHER` (bounded).
fn method(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "_OTHER",
    }
}

fn protocol_version(version: http::Version) -> Option<&'static str> {
    match version {
        http::Version::HTTP_10 => Some("1.0"),
        http::Version::HTTP_11 => Some("1.1"),
        http::Version::HTTP_2 => Some("2"),
        http::Version::HTTP_3 => Some("3"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, time::Duration};

    use opentelemetry::{metrics::MeterProvider as _, trace::TracerProvider as _};
    use opentelemetry_sdk::{
        metrics::{
            InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
            data::{AggregatedMetrics, MetricData},
        },
        trace::{InMemorySpanExporter, SdkTracerProvider},
    };
    use tower::{Layer, Service, ServiceExt};
    use tower_test::mock;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    type Request = http::Request<Bytes>;
    type Response = http::Response<Bytes>;
    /// The mock's errors are the ones its handle sends, boxed: unboxed again.
    type Inner =
        tower::util::MapErr<mock::Mock<Request, Response>, fn(tower::BoxError) -> HttpError>;

    fn over_mock(
        layer: &TelemetryLayer,
    ) -> (TelemetryService<Inner>, mock::Handle<Request, Response>) {
        let (mock, handle) = mock::pair();
        let inner: Inner = mock.map_err(HttpError::from_layer);
        (layer.layer(inner), handle)
    }

    const OPERATION: Operation = Operation::new("getNetworkV2", "/api/v2/networks/{networkID}");

    /// A `GET` of the generated client's: with its operation.
    fn get() -> Request {
        let mut get = Request::new(Bytes::new());
        *get.uri_mut() = http::Uri::from_static("https://region.example.com/api/v2/networks/1");
        get.extensions_mut().insert(OPERATION);
        get
    }

    /// The method and `error.type` of every duration point, and the last value of every
    /// active-requests series.
    fn recorded(exporter: &InMemoryMetricExporter) -> (Vec<(String, String)>, Vec<i64>) {
        let (mut errors, mut active) = (Vec::new(), Vec::new());
        for resource in exporter.get_finished_metrics().unwrap() {
            for scope in resource.scope_metrics() {
                for metric in scope.metrics() {
                    match metric.data() {
                        AggregatedMetrics::F64(MetricData::Histogram(histogram)) => {
                            for point in histogram.data_points() {
                                let attribute = |key: &str| {
                                    point
                                        .attributes()
                                        .find(|kv| kv.key.as_str() == key)
                                        .map(|kv| kv.value.to_string())
                                        .unwrap_or_default()
                                };
                                errors.push((
                                    attribute("http.request.method"),
                                    attribute("error.type"),
                                ));
                            }
                        }
                        AggregatedMetrics::I64(MetricData::Sum(sum)) => {
                            active.extend(sum.data_points().map(|p| p.value()));
                        }
                        _ => {}
                    }
                }
            }
        }
        errors.sort();
        (errors, active)
    }

    /// An attempt that never finishes is still measured: as `timeout` when its deadline had
    /// passed when it was dropped, else as `cancelled`; and it is no longer active.
    #[tokio::test(start_paused = true)]
    async fn an_attempt_cut_short_is_recorded_as_a_timeout_or_cancelled() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let layer = TelemetryLayer {
            config: TelemetryConfig {
                spans: false,
                ..TelemetryConfig::default()
            },
            instruments: Some(Arc::new(Instruments::new(&provider.meter("test")))),
        };
        let (mut service, mut handle) = over_mock(&layer);

        // Cut by its deadline: the deadline layer drops it once the deadline is past.
        let mut cut = get();
        *cut.method_mut() = http::Method::PUT;
        cut.extensions_mut()
            .insert(Deadline::new(Instant::now() + Duration::from_secs(1)));
        let call = service.ready().await.unwrap().call(cut);
        let _sent = handle.next_request().await.unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        drop(call);

        // Dropped by its caller.
        let mut dropped = get();
        *dropped.method_mut() = http::Method::DELETE;
        let call = service.ready().await.unwrap().call(dropped);
        let _sent = handle.next_request().await.unwrap();
        drop(call);

        // Answered: a 4xx or 5xx is an error for a client.
        let call = service.ready().await.unwrap().call(get());
        let (_, answer) = handle.next_request().await.unwrap();
        answer.send_response(
            http::Response::builder()
                .status(503)
                .body(Bytes::new())
                .unwrap(),
        );
        assert_eq!(call.await.unwrap().status(), 503);

        // Failed.
        let call = service.ready().await.unwrap().call(get());
        let (_, answer) = handle.next_request().await.unwrap();
        answer.send_error(HttpError::BodyTooLarge {
            uri: "https://region.example.com/api/v2/networks/1"
                .parse()
                .unwrap(),
            status: http::StatusCode::OK,
            limit: 1,
            attempts: 1,
        });
        assert!(call.await.is_err());

        provider.force_flush().unwrap();
        let (errors, active) = recorded(&exporter);
        let expected = [
            ("DELETE", "cancelled"),
            ("GET", "503"),
            ("GET", "body_too_large"),
            ("PUT", "timeout"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(method, error)| ((*method).to_owned(), (*error).to_owned()))
            .collect();
        assert_eq!(errors, expected);
        assert!(
            !active.is_empty() && active.iter().all(|v| *v == 0),
            "{active:?}"
        );
    }

    /// The attempt's client span is the parent the request carries to the server, and records
    /// the operation, the resend and the answer; with spans and metrics off, the request goes
    /// on untouched.
    #[tokio::test]
    async fn the_span_of_an_attempt_is_the_server_s_parent() {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let exporter = InMemorySpanExporter::default();
        let tracer = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build()
            .tracer("unit");
        let otel = tracing_opentelemetry::layer().with_tracer(tracer);
        let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(otel));
        let handler = tracing::info_span!("handler");
        let _entered = handler.enter();

        let layer = TelemetryLayer::new(TelemetryConfig {
            metrics: false,
            ..TelemetryConfig::default()
        });
        let (mut service, mut handle) = over_mock(&layer);
        let mut resend = get();
        resend.extensions_mut().insert(ResendCount(1));
        let call = service.ready().await.unwrap().call(resend);
        let (sent, answer) = handle.next_request().await.unwrap();
        answer.send_response(http::Response::new(Bytes::new()));
        assert_eq!(call.await.unwrap().status(), 200);

        let spans = exporter.get_finished_spans().unwrap();
        let [span] = spans.as_slice() else {
            panic!("one client span: {spans:?}");
        };
        assert_eq!(span.name, "GET /api/v2/networks/{networkID}");
        let attributes: BTreeMap<String, String> = span
            .attributes
            .iter()
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect();
        assert_eq!(attributes["openapi.operation.id"], "getNetworkV2");
        assert_eq!(attributes["http.request.resend_count"], "1");
        assert_eq!(attributes["http.response.status_code"], "200");
        let traceparent = sent.headers()["traceparent"].to_str().unwrap();
        assert_eq!(
            traceparent,
            format!(
                "00-{}-{}-01",
                span.span_context.trace_id(),
                span.span_context.span_id()
            )
        );

        let (mut quiet, mut handle) = over_mock(&TelemetryLayer::new(TelemetryConfig::disabled()));
        let call = quiet.ready().await.unwrap().call(get());
        let (sent, answer) = handle.next_request().await.unwrap();
        answer.send_response(http::Response::new(Bytes::new()));
        call.await.unwrap();
        assert!(sent.headers().get("traceparent").is_none());
        assert_eq!(exporter.get_finished_spans().unwrap().len(), 1);
    }
}
