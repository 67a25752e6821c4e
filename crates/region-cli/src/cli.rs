//! The command line: the flags a service takes (through core-client's clap glue, with the same
//! environment fallbacks), how to reach the Kubernetes API, the output format, and the
//! commands with their own flags.

use std::{ffi::OsString, path::PathBuf, time::Duration};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use core_client::{HttpClientOptions, HttpOptions, reference::ResourceReference};
use region_openapi::uuid::Uuid;

/// The operator's command for the platform's region API.
///
/// It takes the flags and environment variables a service takes (`--region-host`, the CA and
/// client-certificate Secret flags), so it runs with a service's own settings: in its pod
/// (`kubectl exec`) or locally with a kubeconfig.
#[derive(Parser, Debug)]
#[command(name = "region", version, propagate_version = true)]
pub(crate) struct Cli {
    /// The kubeconfig to read (default: $KUBECONFIG, ~/.kube/config, or the pod's service
    /// account when in a cluster).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) context: Option<String>,
    /// How to print what the command found.
    #[arg(long, short, global = true, value_enum, default_value_t = Format::Text)]
    pub(crate) output: Format,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Lines and tables for people.
    Text,
    /// JSON, for automation.
    Json,
    /// YAML, for automation.
    Yaml,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Checks the trust setup of a service end to end: the Kubernetes API, each Secret, the
    /// host, TLS, mTLS, the platform's acceptance of a call on each path, and the clock.
    /// Exits 1 when a check fails.
    Doctor(DoctorArgs),
    /// Regions.
    #[command(subcommand)]
    Regions(RegionsCommand),
    /// Networks.
    #[command(subcommand)]
    Networks(NetworksCommand),
    /// References other resources hold on networks (a network with references cannot be
    /// deleted).
    #[command(subcommand)]
    References(ReferencesCommand),
}

/// `region doctor`.
#[derive(Args, Debug)]
pub(crate) struct DoctorArgs {
    /// Organization (a UUID) to make an API-path and a controller-path call in: without it,
    /// those two checks are skipped.
    #[arg(long, value_name = "UUID")]
    pub(crate) organization_id: Option<Uuid>,
    /// Project (a UUID) of the principal the test calls are made for.
    #[arg(long, value_name = "UUID")]
    pub(crate) project_id: Option<Uuid>,
    /// The actor of the principal the test calls are made for.
    #[arg(long, default_value = "region-doctor")]
    pub(crate) actor: String,
    /// Warn when a certificate has fewer days left than this.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub(crate) warn_days: u64,
    /// The largest difference between this machine's clock and the region API's accepted
    /// (Go durations: 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration)]
    pub(crate) max_clock_skew: Duration,
}

/// `region regions ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum RegionsCommand {
    /// Lists the regions of an organization.
    List {
        /// The caller and the path.
        #[command(flatten)]
        caller: CallerArgs,
        /// With `--as-controller`: the resource the principal is read from.
        #[command(flatten)]
        resource: ResourceArg,
    },
}

/// `region networks ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum NetworksCommand {
    /// Shows a network (API v2).
    Get {
        /// The network's ID.
        #[arg(value_name = "NETWORK_ID")]
        network_id: Uuid,
        /// The caller and the path.
        #[command(flatten)]
        caller: CallerArgs,
        /// With `--as-controller`: the resource the principal is read from.
        #[command(flatten)]
        resource: ResourceArg,
    },
}

/// `region references ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum ReferencesCommand {
    /// Adds REFERENCE to the network (adding it again succeeds).
    Add(ReferenceArgs),
    /// Removes REFERENCE from the network (removing an absent one succeeds).
    Remove(ReferenceArgs),
}

/// A network and a reference.
#[derive(Args, Debug)]
pub(crate) struct ReferenceArgs {
    /// The network's ID.
    #[arg(value_name = "NETWORK_ID")]
    pub(crate) network_id: Uuid,
    /// `{plural}.{group}/{name}`, e.g. `kubernetesclusters.kubernetes.unikorn-cloud.org/abc`;
    /// with `--as-controller`, that resource in `--namespace` is the one the principal is
    /// read from.
    #[arg(value_name = "REFERENCE")]
    pub(crate) reference: ResourceReference,
    /// The caller and the path.
    #[command(flatten)]
    pub(crate) caller: CallerArgs,
}

/// Who the call is made for, on which path.
#[derive(Args, Debug)]
pub(crate) struct CallerArgs {
    /// Organization (a UUID) of the principal (API path).
    #[arg(long, value_name = "UUID")]
    pub(crate) organization_id: Option<Uuid>,
    /// Project (a UUID) of the principal (API path).
    #[arg(long, value_name = "UUID")]
    pub(crate) project_id: Option<Uuid>,
    /// The end user the call is made for (API path).
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Asks the region API to authorize the call as the actor rather than as this service
    /// (`X-Impersonate: true`; API path).
    #[arg(long, conflicts_with = "as_controller")]
    pub(crate) impersonate: bool,
    /// Calls on the controller path: the principal is read from the labels and annotations
    /// of a resource in the cluster, and signed with the client certificate's RSA key.
    #[arg(long, conflicts_with_all = ["project_id", "actor"])]
    pub(crate) as_controller: bool,
    /// Namespace of the resource (controller path).
    #[arg(long, short, default_value = "default")]
    pub(crate) namespace: String,
}

/// The resource a controller-path call is made for, when the command has no reference.
#[derive(Args, Debug)]
pub(crate) struct ResourceArg {
    /// The resource the principal is read from, `{plural}.{group}/{name}` in `--namespace`
    /// (controller path).
    #[arg(long, value_name = "REFERENCE", requires = "as_controller")]
    pub(crate) resource: Option<ResourceReference>,
}

/// What the command line says: the parsed flags, and the service's endpoint and
/// client-certificate options as core-client reads them.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub(crate) cli: Cli,
    pub(crate) region: HttpOptions,
    pub(crate) client: HttpClientOptions,
}

/// Parses `args` (the program name first). Errors are clap's: usage, `--help`, `--version`.
pub(crate) fn parse<I, T>(args: I) -> Result<Invocation, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut region = region_client::options();
    let command = region.augment_args(Cli::command());
    let command = <HttpClientOptions as Args>::augment_args(command)
        // The service's flags go anywhere on the line, like the command's own.
        .mut_args(|arg| {
            let id = arg.get_id().as_str();
            if id.starts_with("region-") || id.starts_with("client-certificate-") {
                arg.global(true)
            } else {
                arg
            }
        })
        // Listing regions needs the organization in the path.
        .mut_subcommand("regions", |regions| {
            regions.mut_subcommand("list", |list| {
                list.mut_arg("organization_id", |arg| arg.required(true))
            })
        });
    let matches = command.try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    region.update_from_arg_matches(&matches).map_err(|e| {
        clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{e}\n"))
    })?;
    let client = HttpClientOptions::from_arg_matches(&matches)?;
    Ok(Invocation {
        cli,
        region,
        client,
    })
}

fn parse_duration(value: &str) -> Result<Duration, core_client::InvalidDuration> {
    core_client::parse_duration(value)
}
