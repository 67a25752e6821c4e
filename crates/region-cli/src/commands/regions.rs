//! `region regions list`.

use std::io::Write;

use anyhow::Context as _;
use core_client::reference::ResourceReference;

use crate::{
    cli::{CallerArgs, Format},
    render::{self, Table},
};

use super::caller;

/// Lists the regions of `caller`'s organization.
pub(super) async fn list(
    region: &region_client::Client,
    kube: &kube::Client,
    caller: &CallerArgs,
    resource: Option<&ResourceReference>,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let organization = caller
        .organization_id
        .context("listing regions needs --organization-id")?;
    let client = caller::client(region, kube, caller, resource).await?;
    let regions = client.list_regions(organization).await?.into_result()?;
    if format != Format::Text {
        return render::structured(format, &regions, out);
    }
    let mut table = Table::new(&["ID", "NAME", "TYPE", "STATUS", "HEALTH"]);
    for region in regions.iter() {
        let metadata = &region.metadata;
        table.row(vec![
            metadata.id.clone(),
            metadata.name.to_string(),
            region.spec.type_.to_string(),
            metadata.provisioning_status.to_string(),
            metadata.health_status.to_string(),
        ]);
    }
    table.write(out)?;
    Ok(())
}
