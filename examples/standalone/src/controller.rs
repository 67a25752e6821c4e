//! The README's "controller path and References": the principal comes from the resource being
//! reconciled.

use region_client::{Client, References, k8s_openapi::api::core::v1::ConfigMap};

use crate::Result;

/// Records that `cluster` depends on the region network `network_id`.
pub async fn reconcile(
    region: &Client,
    cluster: &ConfigMap, // any kube::Resource: typed, custom or DynamicObject
    network_id: &str,
) -> Result<()> {
    let references = References::new(region.controller_client(cluster).await?);
    match references
        .add_network_reference_for(network_id, cluster)
        .await
    {
        Ok(()) => Ok(()),
        // Sent more than once (e.g. 504, then 400): an earlier attempt may have added it.
        // Leave no finalizer behind on a network that may be going away.
        Err(e) if e.may_have_been_applied() => {
            references
                .remove_network_reference_for(network_id, cluster)
                .await?;
            Err(e.into())
        }
        Err(e) if e.is_being_deleted() => {
            Err(format!("network {network_id} is being deleted").into())
        }
        Err(e) if e.is_not_found() => Err(format!("network {network_id} does not exist").into()),
        Err(e) => Err(e.into()),
    }
}
