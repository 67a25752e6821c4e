//! The commands that drive the region API by hand: listing regions, showing a network, adding
//! and removing a network's references, on the API path or the controller path.

mod caller;
mod failure;
mod networks;
mod references;
mod regions;

use std::{io::Write, process::ExitCode};

use crate::{
    cli::{Command, Invocation, NetworksCommand, ReferencesCommand, RegionsCommand},
    kubeconfig,
};

/// Runs the command of `invocation` (any but `doctor`): its result on `out`, a failure on
/// `err` (or, with `--output json|yaml`, as a document on `out`). Exit status 1 on failure.
pub(crate) async fn run(
    invocation: Invocation,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let format = invocation.cli.output;
    match execute(invocation, out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Nothing more can be said when the streams are gone.
            let _ = failure::report(&error, format, out, err);
            ExitCode::FAILURE
        }
    }
}

async fn execute(invocation: Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let Invocation {
        cli,
        region,
        client,
    } = invocation;
    let kube = kubeconfig::connect(cli.kubeconfig.as_deref(), cli.context.as_deref())
        .await?
        .client;
    let region = region_client::Client::new(kube.clone(), region, client);
    let format = cli.output;
    match cli.command {
        Command::Regions(RegionsCommand::List { caller, resource }) => {
            let resource = resource.resource.as_ref();
            regions::list(&region, &kube, &caller, resource, format, out).await
        }
        Command::Networks(NetworksCommand::Get {
            network_id,
            caller,
            resource,
        }) => {
            let resource = resource.resource.as_ref();
            networks::get(&region, &kube, network_id, &caller, resource, format, out).await
        }
        Command::References(command) => {
            let (add, arguments) = match command {
                ReferencesCommand::Add(arguments) => (true, arguments),
                ReferencesCommand::Remove(arguments) => (false, arguments),
            };
            references::change(&region, &kube, add, &arguments, format, out).await
        }
        Command::Doctor(_) => anyhow::bail!("`doctor` is not one of these commands"),
    }
}
