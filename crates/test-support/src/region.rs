//! A region API fake over mTLS: the network references endpoints (stateful) and a few read
//! endpoints, answering with the platform's error bodies.
//!
//! It checks what a real region API would check before serving: a client certificate from
//! the trusted CA (the TLS layer) and an `Authorization: Bearer` header (401 otherwise). It does
//! not verify `X-Principal`: tests and the quickstart do that on the recorded requests, with the
//! identity layer's verifier.
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/v1/organizations/{org}/regions` | 200, the configured regions |
//! | `GET /api/v1/organizations/{org}/regions/{region}/externalnetworks` | 200 |
//! | `GET /api/v2/networks/{id}/references` | 200 `{"references": [...]}`, 404 |
//! | `PUT /api/v2/networks/{id}/references/{reference}` | 204 (idempotent), 400, 404, 409 when the network is being deleted |
//! | `DELETE /api/v2/networks/{id}/references/{reference}` | 204 (idempotent), 400, 404 |

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use serde_json::json;

use crate::{
    pki::{Ca, Leaf},
    server::{RecordedRequest, TestServer, empty_response, json_response},
};

/// The ID of the region every fake serves.
pub const REGION_ID: &str = "c7568e2d-f9ab-453d-9a3a-51375f78426b";

#[derive(Default)]
struct Network {
    deleting: bool,
    references: BTreeSet<String>,
}

#[derive(Default)]
struct State {
    networks: BTreeMap<String, Network>,
}

/// A running region API fake; stops when dropped.
pub struct RegionApi {
    server: TestServer,
    state: Arc<Mutex<State>>,
}

impl RegionApi {
    /// Starts the fake presenting `certificate` and requiring client certificates issued by
    /// `client_ca`.
    pub async fn start(certificate: &Leaf, client_ca: &Ca) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let handler_state = state.clone();
        let server = TestServer::builder(certificate)
            .require_client_cert(client_ca)
            .handler(move |request| handle(&handler_state, request))
            .start()
            .await;
        Self { server, state }
    }

    /// The base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The underlying server (requests, handshakes).
    pub fn server(&self) -> &TestServer {
        &self.server
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Creates network `id` with no references.
    pub fn add_network(&self, id: &str) {
        let mut state = self.state.lock().expect("state lock");
        state.networks.entry(id.to_owned()).or_default();
    }

    /// Marks network `id` as being deleted: adding references is then refused with 409.
    pub fn mark_deleting(&self, id: &str) {
        let mut state = self.state.lock().expect("state lock");
        if let Some(network) = state.networks.get_mut(id) {
            network.deleting = true;
        }
    }

    /// The references held on network `id`, sorted.
    pub fn references(&self, id: &str) -> Vec<String> {
        let state = self.state.lock().expect("state lock");
        state
            .networks
            .get(id)
            .map(|n| n.references.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// The platform's error body.
pub fn error(status: u16, code: &str, description: &str) -> http::Response<Bytes> {
    json_response(
        status,
        &json!({ "error": code, "error_description": description }),
    )
}

fn handle(state: &Mutex<State>, request: &RecordedRequest) -> http::Response<Bytes> {
    let authorized = request
        .header("authorization")
        .is_some_and(|v| v.starts_with("Bearer ") && v.len() > "Bearer ".len());
    if !authorized {
        return error(401, "access_denied", "a bearer token is required");
    }
    let segments: Vec<&str> = request
        .uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .collect();
    let method = &request.method;
    match (method, segments.as_slice()) {
        (&http::Method::GET, ["api", "v1", "organizations", _org, "regions"]) => {
            json_response(200, &json!([region()]))
        }
        (
            &http::Method::GET,
            [
                "api",
                "v1",
                "organizations",
                _org,
                "regions",
                region,
                "externalnetworks",
            ],
        ) if *region == REGION_ID => json_response(
            200,
            &json!([{ "id": "f5e3b4b0-4a6e-4f5e-9d53-0bb1d1c1b2a1", "name": "public" }]),
        ),
        (&http::Method::GET, ["api", "v2", "networks", id, "references"]) => {
            let state = state.lock().expect("state lock");
            match state.networks.get(*id) {
                Some(network) => json_response(
                    200,
                    &json!({ "references": network.references.iter().collect::<Vec<_>>() }),
                ),
                None => not_found(id),
            }
        }
        (
            &http::Method::PUT | &http::Method::DELETE,
            ["api", "v2", "networks", id, "references", reference],
        ) => {
            let Some(reference) = decode(reference).filter(|r| valid_reference(r)) else {
                return error(400, "invalid_request", "malformed reference");
            };
            let mut state = state.lock().expect("state lock");
            let Some(network) = state.networks.get_mut(*id) else {
                return not_found(id);
            };
            if method == http::Method::PUT {
                if network.deleting {
                    return error(409, "conflict", "network is being deleted");
                }
                network.references.insert(reference);
            } else {
                network.references.remove(&reference);
            }
            empty_response(204)
        }
        _ => error(404, "not_found", "no such endpoint"),
    }
}

fn not_found(id: &str) -> http::Response<Bytes> {
    error(404, "not_found", &format!("network {id} not found"))
}

fn region() -> serde_json::Value {
    json!({
        "metadata": {
            "id": REGION_ID,
            "name": "uk-west-1",
            "description": "a local region",
            "creationTime": "2026-01-01T00:00:00Z",
            "provisioningStatus": "provisioned",
            "healthStatus": "healthy",
        },
        "spec": { "type": "openstack", "features": { "physicalNetworks": false } },
    })
}

/// Percent-decodes one path segment.
fn decode(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// `{prefix}/{name}`: the shape of a Kubernetes qualified name, as a finalizer must be.
fn valid_reference(reference: &str) -> bool {
    let Some((prefix, name)) = reference.split_once('/') else {
        return false;
    };
    let edge_ok = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
    };
    !prefix.is_empty()
        && prefix.len() <= 253
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && edge_ok(prefix)
        && !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && edge_ok(name)
}
