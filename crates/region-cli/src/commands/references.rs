//! `region references add|remove`.

use std::io::Write;

use anyhow::Context as _;
use region_client::References;
use serde::Serialize;

use crate::{
    cli::{Format, ReferenceArgs},
    render,
};

use super::caller;

/// What was done, for automation.
#[derive(Serialize)]
struct Done<'a> {
    network_id: String,
    reference: &'a str,
    /// `added` or `removed`.
    result: &'static str,
}

/// Adds (`add`) or removes the reference of `arguments` on its network, exactly as the
/// platform's Go helper does on the wire.
pub(super) async fn change(
    region: &region_client::Client,
    kube: &kube::Client,
    add: bool,
    arguments: &ReferenceArgs,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let reference = &arguments.reference;
    let client = caller::client(region, kube, &arguments.caller, Some(reference)).await?;
    let references = References::new(client);
    let network = arguments.network_id;
    let result = if add {
        references
            .add_network_reference(network, reference)
            .await
            .with_context(|| format!("adding reference {reference}"))?;
        "added"
    } else {
        references
            .remove_network_reference(network, reference)
            .await
            .with_context(|| format!("removing reference {reference}"))?;
        "removed"
    };
    if format != Format::Text {
        let done = Done {
            network_id: network.to_string(),
            reference: reference.as_str(),
            result,
        };
        return render::structured(format, &done, out);
    }
    let preposition = if add { "to" } else { "from" };
    writeln!(
        out,
        "reference {reference} {result} {preposition} network {network}"
    )?;
    Ok(())
}
