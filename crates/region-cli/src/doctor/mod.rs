//! `region doctor`: every check of a service's trust setup for the region API, in order, each
//! decided by the libraries' own rules (see [`catalogue`] for the list and [`hints`] for what
//! each failure says).
//!
//! A check that cannot run because one it depends on did not pass is skipped, naming that one.

mod catalogue;
mod cluster;
mod handshake;
mod hints;
mod platform;
mod report;
mod secrets;
mod x509;

use std::{io::Write, process::ExitCode, time::Duration};

use crate::{
    cli::{DoctorArgs, Format, Invocation},
    render,
};
use catalogue::{
    KUBERNETES_API, REGION_CLIENT_CA, REGION_DNS, REGION_SERVER_CERTIFICATE, REGION_TCP,
    REGION_TLS, Spec,
};
use report::{Report, Status};

/// How long each call of the doctor to the region API may take, retries included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs every check and prints the report on `out`; exit status 1 when a check failed.
pub(crate) async fn run(
    invocation: &Invocation,
    args: &DoctorArgs,
    out: &mut dyn Write,
) -> ExitCode {
    let report = diagnose(invocation, args).await;
    let written = match invocation.cli.output {
        Format::Text => report.write_text(out).map_err(anyhow::Error::from),
        format => render::structured(format, &report, out),
    };
    match (written, report.healthy()) {
        (Ok(()), true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// The first of `specs` that did not pass (failed or was skipped), if any.
fn first_not_passed(report: &Report, specs: &[Spec]) -> Option<Spec> {
    specs
        .iter()
        .copied()
        .find(|spec| !matches!(report.status(*spec), Some(Status::Pass | Status::Warn)))
}

async fn diagnose(invocation: &Invocation, args: &DoctorArgs) -> Report {
    let host = invocation.region.host();
    let mut report = Report::new(host);
    let cli = &invocation.cli;
    let cluster = cluster::check(
        &mut report,
        cli.kubeconfig.as_deref(),
        cli.context.as_deref(),
    )
    .await;
    let context = secrets::Context {
        cluster: cluster.as_ref(),
        timeout: invocation.client.secret_read_timeout(),
        warn_days: args.warn_days,
    };
    let roots = secrets::ca(&mut report, &context, invocation.region.ca_secret()).await;
    let client = secrets::client(&mut report, &context, invocation.client.certificate()).await;

    let title = if host.is_empty() {
        "Region API (no --region-host)".to_owned()
    } else {
        format!("Region API {host}")
    };
    report.section("region", title);
    let handshake = match handshake::resolve(&mut report, host).await {
        None => None,
        Some((target, addresses)) => match handshake::connect(&mut report, &addresses).await {
            None => None,
            Some(stream) => match &roots {
                Ok(roots) => {
                    let trusted = match invocation.region.ca_secret() {
                        Some(secret) => format!("the CA Secret {secret}"),
                        None => "the web PKI roots".to_owned(),
                    };
                    let client = client.as_ref().ok();
                    Some(
                        handshake::handshake(&mut report, stream, &target, roots, &trusted, client)
                            .await,
                    )
                }
                Err(blocker) => {
                    report.skip(REGION_TLS, *blocker);
                    report.skip(REGION_SERVER_CERTIFICATE, *blocker);
                    None
                }
            },
        },
    };
    // What the network checks did not reach is skipped, naming the first that failed.
    let network = [
        REGION_DNS,
        REGION_TCP,
        REGION_TLS,
        REGION_SERVER_CERTIFICATE,
    ];
    for spec in network {
        if report.status(spec).is_none() {
            let blocker = first_not_passed(&report, &network).unwrap_or(REGION_DNS);
            report.skip(spec, blocker);
        }
    }
    let roots_blocker = roots.as_ref().err().copied();
    let client_blocker = client.as_ref().err().copied();
    let mut before_client_ca: Vec<Spec> = roots_blocker.into_iter().collect();
    before_client_ca.extend(&network);
    let blocker = first_not_passed(&report, &before_client_ca).or(client_blocker);
    handshake::client_ca(
        &mut report,
        handshake.as_ref(),
        client.as_ref().ok(),
        blocker.unwrap_or(REGION_TLS),
    );

    before_client_ca.push(REGION_CLIENT_CA);
    let blocker = client_blocker
        .or_else(|| first_not_passed(&report, &before_client_ca))
        .or_else(|| cluster.is_none().then_some(KUBERNETES_API));
    let options = invocation.region.clone().with_config(
        invocation
            .region
            .config()
            .clone()
            .with_request_timeout(REQUEST_TIMEOUT),
    );
    let region = cluster.as_ref().map(|cluster| {
        region_client::Client::new(cluster.client.clone(), options, invocation.client.clone())
    });
    match &region {
        Some(region) => {
            let calls = platform::Calls {
                region,
                organization: args.organization_id,
                project: args.project_id,
                actor: &args.actor,
                max_skew: args.max_clock_skew,
            };
            platform::check(&mut report, &calls, blocker).await;
        }
        None => {
            let unchecked: Vec<Spec> = catalogue::ALL
                .iter()
                .copied()
                .filter(|spec| report.status(*spec).is_none())
                .collect();
            for spec in unchecked {
                report.skip(spec, blocker.unwrap_or(KUBERNETES_API));
            }
        }
    }
    report
}
