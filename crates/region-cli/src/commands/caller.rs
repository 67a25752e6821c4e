//! The region API client a command calls with: on the API path for the principal of the
//! command line, or on the controller path for the principal persisted on a resource of the
//! cluster. Which headers go out, and what is refused before sending, is the libraries'.

use anyhow::Context as _;
use core_client::reference::ResourceReference;
use identity_client::{Principal, RequestContext};

use crate::{cli::CallerArgs, resource};

/// A client for `caller`'s path; `resource` is the object a controller-path call is made for.
pub(crate) async fn client(
    region: &region_client::Client,
    kube: &kube::Client,
    caller: &CallerArgs,
    resource: Option<&ResourceReference>,
) -> anyhow::Result<region_openapi::Client> {
    if caller.as_controller {
        let reference = resource.context(
            "--as-controller needs the resource whose labels and annotations give the \
             principal: --resource {plural}.{group}/{name}",
        )?;
        let object = resource::find(kube, reference, &caller.namespace).await?;
        return region
            .controller_client(&object)
            .await
            .with_context(|| format!("calling on the controller path for {reference}"));
    }
    let text =
        |id: Option<region_openapi::uuid::Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    let principal = Principal::new(
        text(caller.organization_id),
        text(caller.project_id),
        caller.actor.clone().unwrap_or_default(),
    );
    let mut context = RequestContext::new().with_principal(principal);
    if caller.impersonate {
        context = context.impersonating();
    }
    region.api_client(&context).await.context(
        "calling on the API path (principal from --organization-id, --project-id, --actor)",
    )
}
