//! The request metrics, recorded through the global OpenTelemetry meter into an in-memory
//! exporter. One test in this binary: it installs the process's meter provider.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use core_client::{HttpClient, HttpConfig, Operation, TelemetryConfig};
use opentelemetry_sdk::metrics::{
    InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
    data::{AggregatedMetrics, MetricData, ResourceMetrics},
};
use region_client_testing::{Ca, TestServer, server::client_tls_config, server::json_response};

/// Every attribute a duration point may carry: all bounded (no URL, no ID).
const ALLOWED: &[&str] = &[
    "http.request.method",
    "server.address",
    "server.port",
    "url.scheme",
    "url.template",
    "http.response.status_code",
    "error.type",
    "network.protocol.version",
];

fn request(url: &str, id: usize) -> http::Request<Bytes> {
    let mut request = http::Request::get(format!("{url}/api/v2/networks/{id}"))
        .body(Bytes::new())
        .unwrap();
    request.extensions_mut().insert(Operation::new(
        "getNetworkV2",
        "/api/v2/networks/{networkID}",
    ));
    request
}

/// The duration points: (count, attributes) each.
fn durations(metrics: &[ResourceMetrics]) -> Vec<(u64, Vec<(String, String)>)> {
    let mut points = Vec::new();
    for resource in metrics {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() != "http.client.request.duration" {
                    continue;
                }
                assert_eq!(metric.unit(), "s");
                let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = metric.data() else {
                    panic!("a histogram of seconds");
                };
                for point in histogram.data_points() {
                    let bounds: Vec<f64> = point.bounds().collect();
                    assert_eq!(bounds.first(), Some(&0.005));
                    assert_eq!(bounds.last(), Some(&10.0));
                    let attributes = point
                        .attributes()
                        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
                        .collect();
                    points.push((point.count(), attributes));
                }
            }
        }
    }
    points
}

/// The latest value of `http.client.active_requests` per attribute set.
fn active(metrics: &[ResourceMetrics]) -> Vec<i64> {
    let mut values = Vec::new();
    for resource in metrics {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() == "http.client.active_requests"
                    && let AggregatedMetrics::I64(MetricData::Sum(sum)) = metric.data()
                {
                    values.extend(sum.data_points().map(|p| p.value()));
                }
            }
        }
    }
    values
}

#[tokio::test]
async fn one_duration_point_per_request_with_bounded_attributes() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());

    let ca = Ca::new("ca");
    let calls = Arc::new(AtomicUsize::new(0));
    let server = TestServer::builder(&ca.server_cert(&["127.0.0.1"]))
        .handler(move |_| {
            let status = if calls.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                200
            } else {
                404
            };
            json_response(status, &serde_json::json!({}))
        })
        .start()
        .await;
    // Built after the meter provider is installed: instruments come from the global meter.
    let http =
        HttpClient::from_tls_config(client_tls_config(&ca, None), None, HttpConfig::default());
    for id in 0..6 {
        http.send(request(&server.url(), id)).await.unwrap();
    }
    // A client with metrics off records nothing.
    let quiet = HttpClient::from_tls_config(
        client_tls_config(&ca, None),
        None,
        HttpConfig::default().with_telemetry(TelemetryConfig::disabled()),
    );
    for id in 0..4 {
        quiet.send(request(&server.url(), id)).await.unwrap();
    }
    provider.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();

    let points = durations(&metrics);
    let total: u64 = points.iter().map(|(count, _)| count).sum();
    assert_eq!(total, 6, "one point per request of the client with metrics");
    // Two series (200 and 404): the request paths and IDs did not multiply them.
    assert_eq!(points.len(), 2, "{points:?}");
    let mut statuses = BTreeSet::new();
    for (_, attributes) in &points {
        for (key, value) in attributes {
            assert!(ALLOWED.contains(&key.as_str()), "unbounded attribute {key}");
            if key == "http.response.status_code" {
                statuses.insert(value.clone());
            }
            if key == "url.template" {
                assert_eq!(value, "/api/v2/networks/{networkID}");
            }
        }
    }
    assert_eq!(
        statuses,
        BTreeSet::from(["200".to_owned(), "404".to_owned()])
    );
    // Nothing in flight any more.
    assert!(
        active(&metrics).iter().all(|v| *v == 0),
        "{:?}",
        active(&metrics)
    );
}
