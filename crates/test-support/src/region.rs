//! A region API fake that answers as the platform's region server v1.19.0 does, behind the
//! platform's ingress.
//!
//! Each request goes through the Go server's pipeline, in its order:
//!
//! 1. the [ingress](crate::ingress): TLS (client certificates from the trusted CA; a client may
//!    also present none), client-sent `Ssl-Client-*` dropped, its own set;
//! 2. route resolution on the once-decoded path (Go's `URL.Path`): an unknown path, or a known
//!    path under another method, is `404 not_found`; so a reference escaped once (`%2F`)
//!    becomes an extra path segment and is not found, while `%252F` is one segment;
//! 3. path parameter binding (decoded once more): a non-UUID ID is
//!    `400 invalid_request "invalid path/query element"`, before authentication;
//! 4. authentication and the principal ([`platform::authenticate`], i.e.
//!    [`identity_client::principal::extract`]): 400, 401 or 500 as the middleware answers;
//! 5. RBAC (actors made [forbidden](RegionApi::forbid) get `403 forbidden`), then the handler.
//!
//! | request | answers |
//! |---|---|
//! | `GET /api/v1/organizations/{organizationID}/regions` | 200 the regions |
//! | `GET /api/v2/networks/{networkID}` | 200 the network, 404 |
//! | `PUT /api/v2/networks/{networkID}/references/{reference}` | 201 (also when already there), 400 when the network is being deleted, 404 |
//! | `DELETE /api/v2/networks/{networkID}/references/{reference}` | 204 (also when absent or being deleted), 404 |

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use identity_client::principal::Authenticated;
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    ingress::ingress_view,
    pki::{Ca, Leaf},
    platform::{self, Tokens, error_response},
    server::{RecordedRequest, TestServer, json_response},
};

/// The ID of the region every fake serves.
pub const REGION_ID: &str = "c7568e2d-f9ab-453d-9a3a-51375f78426b";

/// A request as the region server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The request behind the ingress: `Ssl-Client-*` as the ingress set them.
    pub request: RecordedRequest,
    /// The path as Go's `URL.Path` holds it (decoded once).
    pub path: String,
    /// Who called and for whom, when the request got past authentication.
    pub authenticated: Option<Authenticated>,
    /// The status answered.
    pub status: u16,
}

struct Network {
    organization_id: Uuid,
    project_id: Uuid,
    deleting: bool,
    references: BTreeSet<String>,
}

#[derive(Default)]
struct State {
    networks: BTreeMap<Uuid, Network>,
    forbidden: BTreeSet<String>,
    tokens: Tokens,
    seen: Vec<Seen>,
}

/// How many requests the fake has seen, for tests waiting on it.
type Arrivals = Arc<watch::Sender<usize>>;

/// A running region API fake; stops when dropped.
pub struct RegionApi {
    server: TestServer,
    state: Arc<Mutex<State>>,
    arrivals: Arrivals,
}

impl RegionApi {
    /// Starts the fake presenting `certificate`; its ingress accepts client certificates
    /// issued by `client_ca` (and clients with none, which the middleware then refuses).
    pub async fn start(certificate: &Leaf, client_ca: &Ca) -> Self {
        Self::start_with(certificate, client_ca, false).await
    }

    /// Like [`RegionApi::start`], offering HTTP/1.1 only (an ingress that does not speak h2).
    pub async fn start_http1(certificate: &Leaf, client_ca: &Ca) -> Self {
        Self::start_with(certificate, client_ca, true).await
    }

    async fn start_with(certificate: &Leaf, client_ca: &Ca, http1_only: bool) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let arrivals = Arrivals::default();
        let (handler_state, handler_arrivals) = (state.clone(), arrivals.clone());
        let mut builder = TestServer::builder(certificate)
            .optional_client_cert(client_ca)
            .handler(move |request| serve(&handler_state, &handler_arrivals, request));
        if http1_only {
            builder = builder.http1_only();
        }
        let server = builder.start().await;
        Self {
            server,
            state,
            arrivals,
        }
    }

    /// The base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The TLS server in front (requests as they arrived on the wire, handshakes).
    pub fn server(&self) -> &TestServer {
        &self.server
    }

    /// Every request as the region server saw it, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Waits until the fake has seen at least `count` requests (answered or refused), for a
    /// test that acts at a point of its traffic (rotates a certificate, drops connections)
    /// without sleeping.
    pub async fn wait_for_seen(&self, count: usize) {
        let mut arrivals = self.arrivals.subscribe();
        // The sender lives as long as `self`, so the wait ends only by reaching `count`.
        let _ = arrivals.wait_for(|seen| *seen >= count).await;
    }

    /// Creates network `id` (a UUID) in organization `organization_id` and project
    /// `project_id`, with no references.
    ///
    /// # Panics
    /// When an ID is not a UUID.
    pub fn add_network(&self, id: &str, organization_id: &str, project_id: &str) {
        let parse = |id: &str| Uuid::parse_str(id).expect("network IDs are UUIDs");
        self.lock().networks.insert(
            parse(id),
            Network {
                organization_id: parse(organization_id),
                project_id: parse(project_id),
                deleting: false,
                references: BTreeSet::new(),
            },
        );
    }

    /// Marks network `id` as being deleted: adding references is then refused with 400.
    pub fn mark_deleting(&self, id: &str) {
        let id = Uuid::parse_str(id).expect("network IDs are UUIDs");
        if let Some(network) = self.lock().networks.get_mut(&id) {
            network.deleting = true;
        }
    }

    /// The references held on network `id`, sorted, as the handler decoded them.
    pub fn references(&self, id: &str) -> Vec<String> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Vec::new();
        };
        self.lock()
            .networks
            .get(&id)
            .map(|n| n.references.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Makes RBAC deny every operation to principals whose actor is `actor` (403).
    pub fn forbid(&self, actor: &str) {
        self.lock().forbidden.insert(actor.to_owned());
    }

    /// Makes the bearer token `token` valid, for the user `subject`.
    pub fn accept_token(&self, token: &str, subject: &str) {
        self.lock()
            .tokens
            .insert(token.to_owned(), subject.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state lock")
    }
}

/// The routes this fake serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    ListRegions,
    GetNetwork,
    AddReference,
    RemoveReference,
}

const ROUTES: &[(http::Method, &str, Route)] = &[
    (
        http::Method::GET,
        "/api/v1/organizations/{organizationID}/regions",
        Route::ListRegions,
    ),
    (
        http::Method::GET,
        "/api/v2/networks/{networkID}",
        Route::GetNetwork,
    ),
    (
        http::Method::PUT,
        "/api/v2/networks/{networkID}/references/{reference}",
        Route::AddReference,
    ),
    (
        http::Method::DELETE,
        "/api/v2/networks/{networkID}/references/{reference}",
        Route::RemoveReference,
    ),
];

/// Path parameters typed `format: uuid` in the spec.
const UUID_PARAMETERS: &[&str] = &["organizationID", "projectID", "networkID"];

fn serve(
    state: &Mutex<State>,
    arrivals: &Arrivals,
    raw: &RecordedRequest,
) -> http::Response<Bytes> {
    let request = ingress_view(raw);
    let trace = platform::trace_id(&request);
    let path = percent_decode(raw.uri.path()).unwrap_or_else(|| raw.uri.path().to_owned());
    let mut span = platform::server_span(&request, "region-api");
    let (response, authenticated, template) = pipeline(state, &request, &path, &trace);
    platform::end_server_span(&mut span, &request, template, response.status());
    let mut state = state.lock().expect("state lock");
    state.seen.push(Seen {
        request,
        path,
        authenticated,
        status: response.status().as_u16(),
    });
    arrivals.send_replace(state.seen.len());
    response
}

fn pipeline(
    state: &Mutex<State>,
    request: &RecordedRequest,
    path: &str,
    trace: &str,
) -> (
    http::Response<Bytes>,
    Option<Authenticated>,
    Option<&'static str>,
) {
    let not_found = || error_response(404, "not_found", "resource not found", trace);
    // 2. Route resolution on the once-decoded path; other methods do not match either.
    let Some(Resolved {
        route,
        template,
        params: raw_params,
    }) = resolve(&request.method, path)
    else {
        return (not_found(), None, None);
    };
    // 3. Binding: each parameter decoded once more; UUIDs parsed.
    let mut params = BTreeMap::new();
    for (name, value) in raw_params {
        let bound = percent_decode(&value)
            .filter(|v| !UUID_PARAMETERS.contains(&name.as_str()) || Uuid::parse_str(v).is_ok());
        let Some(bound) = bound else {
            let bad = error_response(400, "invalid_request", "invalid path/query element", trace);
            return (bad, None, Some(template));
        };
        params.insert(name, bound);
    }
    // 4. Authentication and the principal.
    let tokens = state.lock().expect("state lock").tokens.clone();
    let authenticated = match platform::authenticate(
        request,
        &tokens,
        params.get("organizationID").map(String::as_str),
        params.get("projectID").map(String::as_str),
    ) {
        Ok(authenticated) => authenticated,
        Err(refusal) => return (*refusal, None, Some(template)),
    };
    // 5. RBAC and the handler.
    let mut state = state.lock().expect("state lock");
    let actor = authenticated
        .principal
        .as_ref()
        .map(|p| p.actor.as_str())
        .unwrap_or_default();
    let response = if state.forbidden.contains(actor) {
        error_response(
            403,
            "forbidden",
            "operation is not allowed by rbac: operation is not permitted",
            trace,
        )
    } else {
        handle(&mut state, route, &params, trace)
    };
    (response, Some(authenticated), Some(template))
}

fn handle(
    state: &mut State,
    route: Route,
    params: &BTreeMap<String, String>,
    trace: &str,
) -> http::Response<Bytes> {
    let network_id = params
        .get("networkID")
        .and_then(|id| Uuid::parse_str(id).ok());
    let not_found = || error_response(404, "not_found", "resource not found", trace);
    match route {
        Route::ListRegions => json_response(200, &json!([region(REGION_ID, "openstack")])),
        Route::GetNetwork => {
            let Some((id, network)) = network_id.and_then(|id| state.networks.get_key_value(&id))
            else {
                return not_found();
            };
            json_response(200, &network_read(id, network))
        }
        Route::AddReference | Route::RemoveReference => {
            let Some(network) = network_id.and_then(|id| state.networks.get_mut(&id)) else {
                return not_found();
            };
            let reference = params.get("reference").cloned().unwrap_or_default();
            if route == Route::AddReference {
                if network.deleting {
                    return error_response(
                        400,
                        "invalid_request",
                        "unable to add reference, resource is being deleted",
                        trace,
                    );
                }
                network.references.insert(reference);
                uncacheable(201)
            } else {
                network.references.remove(&reference);
                uncacheable(204)
            }
        }
    }
}

/// A request's route, as resolution found it.
struct Resolved {
    route: Route,
    template: &'static str,
    /// The path parameters, still escaped once.
    params: Vec<(String, String)>,
}

/// The route of `method` and `path`.
fn resolve(method: &http::Method, path: &str) -> Option<Resolved> {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES.iter().find_map(|(route_method, template, route)| {
        let pattern: Vec<&str> = template.split('/').collect();
        if route_method != method || pattern.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (want, have) in pattern.iter().zip(&segments) {
            match want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) if !have.is_empty() => {
                    params.push((name.to_owned(), (*have).to_owned()));
                }
                Some(_) => return None,
                None if want == have => {}
                None => return None,
            }
        }
        Some(Resolved {
            route: *route,
            template,
            params,
        })
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

/// An empty answer marked uncacheable, as the region handlers write successes without a body.
fn uncacheable(status: u16) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CACHE_CONTROL, "no-cache")
        .body(Bytes::new())
        .expect("static response parts are valid")
}

/// A region as v1.19.0 describes it (`regionRead`).
pub fn region(id: &str, kind: &str) -> serde_json::Value {
    json!({
        "metadata": {
            "id": id,
            "name": "uk-west-1",
            "description": "a local region",
            "creationTime": "2026-01-01T00:00:00Z",
            "provisioningStatus": "provisioned",
            "healthStatus": "healthy",
        },
        "spec": { "type": kind, "features": { "physicalNetworks": false } },
    })
}

fn network_read(id: &Uuid, network: &Network) -> serde_json::Value {
    json!({
        "metadata": {
            "id": id.to_string(),
            "name": "network-a",
            "creationTime": "2026-01-01T00:00:00Z",
            "provisioningStatus": if network.deleting { "deprovisioning" } else { "provisioned" },
            "healthStatus": "healthy",
            "organizationId": network.organization_id.to_string(),
            "projectId": network.project_id.to_string(),
        },
        "spec": { "dnsNameservers": ["8.8.8.8"] },
        "status": { "regionId": REGION_ID, "prefix": "192.168.0.0/24" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_the_once_decoded_path_only() {
        let put = http::Method::PUT;
        let twice = percent_decode("/api/v2/networks/n/references/a.b%252Fc").unwrap();
        let Resolved { route, params, .. } = resolve(&put, &twice).unwrap();
        assert_eq!(route, Route::AddReference);
        assert_eq!(
            percent_decode(&params[1].1).unwrap(),
            "a.b/c",
            "binding decodes once more"
        );
        let once = percent_decode("/api/v2/networks/n/references/a.b%2Fc").unwrap();
        assert!(resolve(&put, &once).is_none(), "an extra segment: 404");
        assert!(resolve(&http::Method::POST, &twice).is_none());
        assert_eq!(percent_decode("%zz"), None);
    }
}
