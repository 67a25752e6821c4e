//! `region networks get`.

use std::io::Write;

use core_client::reference::ResourceReference;
use region_openapi::uuid::Uuid;

use crate::{
    cli::{CallerArgs, Format},
    render::{self, Table},
};

use super::caller;

/// Shows network `network_id` (API v2).
pub(super) async fn get(
    region: &region_client::Client,
    kube: &kube::Client,
    network_id: Uuid,
    caller: &CallerArgs,
    resource: Option<&ResourceReference>,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let client = caller::client(region, kube, caller, resource).await?;
    let network = client.get_network_v2(network_id).await?.into_result()?;
    if format != Format::Text {
        return render::structured(format, &network, out);
    }
    let metadata = &network.metadata;
    let mut table = Table::new(&[
        "ID",
        "NAME",
        "PREFIX",
        "REGION",
        "ORGANIZATION",
        "PROJECT",
        "STATUS",
        "HEALTH",
    ]);
    table.row(vec![
        metadata.id.clone(),
        metadata.name.to_string(),
        network.status.prefix.clone(),
        network.status.region_id.clone(),
        metadata.organization_id.clone(),
        metadata.project_id.clone(),
        metadata.provisioning_status.to_string(),
        metadata.health_status.to_string(),
    ]);
    table.write(out)?;
    Ok(())
}
