//! The default behaviour of a few operations: the release, one region, networks that exist,
//! and the references on them, answered as region v1.19.0's handlers do (`UPSTREAM.md` §6).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use region_openapi::OperationId;
use serde_json::json;
use uuid::Uuid;

use super::call::Call;
use crate::{platform::error_response, server::json_response};

/// The ID of the region every fake serves.
pub const REGION_ID: &str = "c7568e2d-f9ab-453d-9a3a-51375f78426b";

/// The release `getVersion` reports (its name is `region`).
pub const VERSION: &str = "v1.19.0";

struct Network {
    organization_id: Uuid,
    project_id: Uuid,
    deleting: bool,
    references: BTreeSet<String>,
}

/// The networks (and their references) the fake knows.
#[derive(Default)]
pub(super) struct Model {
    networks: BTreeMap<Uuid, Network>,
}

impl Model {
    pub fn add_network(&mut self, id: Uuid, organization_id: Uuid, project_id: Uuid) {
        self.networks.insert(
            id,
            Network {
                organization_id,
                project_id,
                deleting: false,
                references: BTreeSet::new(),
            },
        );
    }

    pub fn mark_deleting(&mut self, id: Uuid) {
        if let Some(network) = self.networks.get_mut(&id) {
            network.deleting = true;
        }
    }

    pub fn references(&self, id: Uuid) -> Vec<String> {
        self.networks
            .get(&id)
            .map(|n| n.references.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The model's answer to `call` (an accepted call), or `None` where it has none.
    pub fn answer(&mut self, call: &Call, trace: &str) -> Option<http::Response<Bytes>> {
        let network_id = call.uuid("networkID");
        let not_found = || error_response(404, "not_found", "resource not found", trace);
        match call.operation? {
            OperationId::GetVersion => Some(json_response(
                200,
                &json!({ "name": "region", "version": VERSION }),
            )),
            OperationId::ListRegions => {
                Some(json_response(200, &json!([region(REGION_ID, "openstack")])))
            }
            OperationId::GetNetworkV2 => {
                let (id, network) = self.networks.get_key_value(&network_id?)?;
                let read = network_json(
                    *id,
                    network.organization_id,
                    network.project_id,
                    network.deleting,
                );
                Some(json_response(200, &read))
            }
            operation
            @ (OperationId::AddNetworkReference | OperationId::RemoveNetworkReference) => {
                let Some(network) = network_id.and_then(|id| self.networks.get_mut(&id)) else {
                    return Some(not_found());
                };
                let reference = call.param("reference").unwrap_or_default().to_owned();
                Some(if operation == OperationId::AddNetworkReference {
                    if network.deleting {
                        error_response(
                            400,
                            "invalid_request",
                            "unable to add reference, resource is being deleted",
                            trace,
                        )
                    } else {
                        network.references.insert(reference);
                        uncacheable(201)
                    }
                } else {
                    network.references.remove(&reference);
                    uncacheable(204)
                })
            }
            _ => None,
        }
    }
}

/// An empty answer marked uncacheable, as the region handlers write successes without a body.
fn uncacheable(status: u16) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    response
}

/// A region as v1.19.0 describes it (`regionRead`), with `id` and provider `kind`.
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

/// A network as v1.19.0 reads it back (`networkV2Read`).
pub(crate) fn network_json(
    id: Uuid,
    organization_id: Uuid,
    project_id: Uuid,
    deleting: bool,
) -> serde_json::Value {
    json!({
        "metadata": {
            "id": id.to_string(),
            "name": "network-a",
            "creationTime": "2026-01-01T00:00:00Z",
            "provisioningStatus": if deleting { "deprovisioning" } else { "provisioned" },
            "healthStatus": "healthy",
            "organizationId": organization_id.to_string(),
            "projectId": project_id.to_string(),
        },
        "spec": { "dnsNameservers": ["8.8.8.8"] },
        "status": { "regionId": REGION_ID, "prefix": "192.168.0.0/24" },
    })
}
