//! [`References`]: register and release dependencies on region networks.

use bytes::Bytes;
use core_client::reference::{ReferenceError, ResourceReference};
use http::StatusCode;
use region_openapi::{ApiResponse, ListNetworkReferencesResponse, types};

/// A reference operation did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferencesError {
    /// The region API answered with a status other than success. `body` is its error body
    /// when it sent one in the platform's format.
    #[error("region API answered {status} to {operation} on network {network_id}{}", describe(.body))]
    Status {
        /// The operation (`addNetworkReference`, ...).
        operation: &'static str,
        /// The network.
        network_id: String,
        /// The status: 404 for an unknown network, 409 when it is being deleted, ...
        status: StatusCode,
        /// The error body, when the API sent one.
        body: Option<types::Error>,
        /// The raw body of an undocumented answer.
        raw: Bytes,
    },
    /// The request could not be made or its answer decoded.
    #[error(transparent)]
    Request(#[from] region_openapi::Error),
    /// The resource cannot be referenced (no name, or not a valid qualified name), or the API
    /// listed a reference that is not one.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
}

fn describe(body: &Option<types::Error>) -> String {
    body.as_ref()
        .map(|b| format!(": {}", b.error_description))
        .unwrap_or_default()
}

impl ReferencesError {
    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the network does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the network is being deleted and takes no new references (409).
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }
}

/// Adds, removes and lists the references other services hold on region networks.
///
/// A network with references is protected from deletion; a service adds a reference for each
/// of its resources that uses the network, and removes it when that resource goes. Both are
/// idempotent, so they suit convergent reconcile loops. Success is any 2xx answer of the region
/// API (it documents `204`); anything else is a [`ReferencesError`].
///
/// ```no_run
/// # async fn demo(
/// #     region: region_client::Client,
/// #     token: std::sync::Arc<dyn region_client::AccessTokenSource>,
/// #     cluster: k8s_openapi::api::core::v1::ConfigMap,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// use region_client::References;
///
/// let references = References::new(region.controller_client(token, &cluster).await?);
/// references.add_network_reference_for("net-1", &cluster).await?;
/// for reference in references.network_references("net-1").await? {
///     println!("{reference}");
/// }
/// references.remove_network_reference_for("net-1", &cluster).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct References {
    client: region_openapi::Client,
}

impl References {
    /// References through `client` (from [`Client::api_client`](crate::Client::api_client) or
    /// [`Client::controller_client`](crate::Client::controller_client)).
    pub fn new(client: region_openapi::Client) -> Self {
        Self { client }
    }

    /// Records that `reference` depends on network `network_id`. Adding it again is a no-op.
    /// A network being deleted refuses new references ([`ReferencesError::is_conflict`]).
    pub async fn add_network_reference(
        &self,
        network_id: &str,
        reference: &ResourceReference,
    ) -> Result<(), ReferencesError> {
        let response = self
            .client
            .add_network_reference(network_id, reference.as_str())
            .await?;
        settle("addNetworkReference", network_id, response).map(drop)
    }

    /// Records that `reference` no longer depends on network `network_id`. Removing an absent
    /// reference is a no-op.
    pub async fn remove_network_reference(
        &self,
        network_id: &str,
        reference: &ResourceReference,
    ) -> Result<(), ReferencesError> {
        let response = self
            .client
            .remove_network_reference(network_id, reference.as_str())
            .await?;
        settle("removeNetworkReference", network_id, response).map(drop)
    }

    /// The references network `network_id` holds.
    pub async fn network_references(
        &self,
        network_id: &str,
    ) -> Result<Vec<ResourceReference>, ReferencesError> {
        let response = self.client.list_network_references(network_id).await?;
        match settle("listNetworkReferences", network_id, response)? {
            ListNetworkReferencesResponse::Ok(list) => Ok(list
                .references
                .iter()
                .map(|r| r.parse())
                .collect::<Result<_, _>>()?),
            other => Err(failure("listNetworkReferences", network_id, &other)),
        }
    }

    /// [`References::add_network_reference`] for the reference of `resource` (see
    /// [`ResourceReference::for_resource`]).
    pub async fn add_network_reference_for<K>(
        &self,
        network_id: &str,
        resource: &K,
    ) -> Result<(), ReferencesError>
    where
        K: kube::Resource,
        K::DynamicType: Default,
    {
        let reference = ResourceReference::for_resource(resource)?;
        self.add_network_reference(network_id, &reference).await
    }

    /// [`References::remove_network_reference`] for the reference of `resource`.
    pub async fn remove_network_reference_for<K>(
        &self,
        network_id: &str,
        resource: &K,
    ) -> Result<(), ReferencesError>
    where
        K: kube::Resource,
        K::DynamicType: Default,
    {
        let reference = ResourceReference::for_resource(resource)?;
        self.remove_network_reference(network_id, &reference).await
    }
}

/// `response` when the region API answered 2xx, else the [`ReferencesError`] describing it.
fn settle<R: ApiResponse>(
    operation: &'static str,
    network_id: &str,
    response: R,
) -> Result<R, ReferencesError> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(failure(operation, network_id, &response))
    }
}

/// The error for an answer that is not the operation's success. An undocumented answer keeps
/// its raw body, decoded as the platform's error body when it is one.
fn failure(
    operation: &'static str,
    network_id: &str,
    response: &impl ApiResponse,
) -> ReferencesError {
    let raw = response.unexpected_body().cloned().unwrap_or_default();
    let body = match response.error_body() {
        Some(body) => Some(body.clone()),
        None => serde_json::from_slice(&raw).ok(),
    };
    ReferencesError::Status {
        operation,
        network_id: network_id.to_owned(),
        status: response.status(),
        body,
        raw,
    }
}
