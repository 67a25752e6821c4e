//! Finding the object a reference names in the cluster (discovery, then a `DynamicObject`), for
//! calls on the controller path, whose principal is read from it.

use anyhow::{Context as _, anyhow};
use core_client::reference::ResourceReference;
use kube::{
    Api,
    api::DynamicObject,
    discovery::{self, Scope},
};

/// The object `reference` names, in `namespace` when its resource is namespaced. Its group is
/// the one it is served under ([`ResourceReference::api_group`]: a reference's
/// `kubernetes.unikorn-cloud.org` is the legacy group `unikorn-cloud.org`).
pub(crate) async fn find(
    kube: &kube::Client,
    reference: &ResourceReference,
    namespace: &str,
) -> anyhow::Result<DynamicObject> {
    let group = reference.api_group();
    let shown = if group.is_empty() { "core" } else { group };
    let served = discovery::group(kube, group)
        .await
        .with_context(|| format!("looking up the API group {shown} of {reference}"))?;
    let (resource, capabilities) = served
        .recommended_resources()
        .into_iter()
        .find(|(resource, _)| resource.plural == reference.plural())
        .ok_or_else(|| {
            anyhow!(
                "the API group {shown} serves no resource {:?} (reference {reference})",
                reference.plural()
            )
        })?;
    let api: Api<DynamicObject> = match capabilities.scope {
        Scope::Namespaced => Api::namespaced_with(kube.clone(), namespace, &resource),
        Scope::Cluster => Api::all_with(kube.clone(), &resource),
    };
    let object = api
        .get(reference.name())
        .await
        .with_context(|| match capabilities.scope {
            Scope::Namespaced => format!("reading {reference} in namespace {namespace}"),
            Scope::Cluster => format!("reading {reference}"),
        })?;
    Ok(object)
}
