//! The whole outbound stack at work, on this machine, with no cluster and no network.
//!
//! ```sh
//! cargo run -p region-client --example quickstart
//! ```
//!
//! It starts, on 127.0.0.1: a Kubernetes API fake holding the CA and client-certificate
//! Secrets, an OIDC issuer (the identity service) and a region API, both requiring mTLS. Then,
//! as the service "compute" would, it issues a service token, calls the region API on the API
//! path (principal from an inbound request) and on the controller path (principal from a
//! resource's labels), and adds, lists and removes a network reference, printing what the
//! servers received. It exits 0 only if every step succeeded.
//!
//! With `--region-host` (and `--identity-host`, the CA and client-certificate Secret flags) it
//! makes the same calls against a real region API, reading Secrets from the cluster of the
//! current kubeconfig.

use std::{collections::BTreeMap, sync::Arc};

use anyhow::{Context as _, bail, ensure};
use clap::{Args as _, FromArgMatches as _, Parser};
use opentelemetry::{
    Context,
    trace::{TraceContextExt, Tracer, TracerProvider as _},
};
use region_client::{
    AccessTokenSource, BaseClient, Client, HttpClientOptions, HttpOptions, Principal, References,
    RequestContext, ResourceReference, TokenIssuer, core_client::ClientCache,
    identity_client::principal, region_openapi::ListRegionsResponse,
};
use test_support::{
    Ca, KeyKind, RecordedRequest, kube::KubeApi, oidc::OidcIssuer, region::RegionApi,
};

const NS: &str = "unikorn";

/// What to act as; the endpoint and Secret flags are added from the options types.
#[derive(Parser, Debug)]
#[command(
    name = "quickstart",
    about = "Runs the outbound client stack end to end"
)]
struct Args {
    /// Organization of the principal the calls act for.
    #[arg(long, default_value = "org-1")]
    organization_id: String,
    /// Project of the principal.
    #[arg(long, default_value = "proj-1")]
    project_id: String,
    /// The end user the calls act for.
    #[arg(long, default_value = "alice@example.com")]
    actor: String,
    /// Network to add, list and remove a reference on (required with --region-host).
    #[arg(long)]
    network_id: Option<String>,
}

/// Everything the steps need, local or remote.
struct Stack {
    args: Args,
    kube: kube::Client,
    region_options: HttpOptions,
    identity_options: HttpOptions,
    client_options: HttpClientOptions,
    local: Option<Local>,
}

/// The in-process servers of a local run.
struct Local {
    _kube: KubeApi,
    identity: OidcIssuer,
    region: RegionApi,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let stack = stack().await?;
    let mut failures = 0;
    let region = Client::from_base(BaseClient::with_cache(
        ClientCache::new(stack.kube.clone()),
        stack.region_options.clone(),
        stack.client_options.clone(),
    ));

    heading("1. Service token: OIDC discovery + client_credentials grant over mTLS");
    let identity = BaseClient::with_cache(
        region.base().cache().clone(),
        stack.identity_options.clone(),
        stack.client_options.clone(),
    );
    let tokens: Arc<dyn AccessTokenSource> =
        Arc::new(TokenIssuer::new(identity, "compute", env!("CARGO_PKG_VERSION")).token_source());
    failures += report(step_token(&stack, &tokens).await);

    heading("2. API path: acting for the principal of an inbound request");
    failures += report(step_api_path(&stack, &region, &tokens).await);

    heading("3. Controller path: acting for the principal persisted on a resource");
    failures += report(step_controller_path(&stack, &region, &tokens).await);

    heading("4. Network references: add (twice), list, remove");
    failures += report(step_references(&stack, &region, &tokens).await);

    println!();
    if failures > 0 {
        bail!("{failures} step(s) failed");
    }
    println!("All steps succeeded.");
    Ok(())
}

/// Parses the flags and, without `--region-host`, starts the local servers.
async fn stack() -> anyhow::Result<Stack> {
    let mut region_options = region_client::options();
    let mut identity_options = HttpOptions::new("identity");
    let command = Args::augment_args(clap::Command::new("quickstart"));
    let command = region_options.augment_args(command);
    let command = identity_options.augment_args(command);
    let command = HttpClientOptions::augment_args(command);
    let matches = command.get_matches();
    let args = Args::from_arg_matches(&matches)?;
    region_options.update_from_arg_matches(&matches)?;
    identity_options.update_from_arg_matches(&matches)?;
    let client_options = HttpClientOptions::from_arg_matches(&matches)?;

    if !region_options.host().is_empty() {
        heading("0. Remote mode: the real region API and cluster");
        ensure!(
            !identity_options.host().is_empty(),
            "--identity-host is needed to issue a service token"
        );
        ensure!(
            args.network_id.is_some(),
            "--network-id is needed to add, list and remove a reference"
        );
        let kube = kube::Client::try_default()
            .await
            .context("no usable kubeconfig")?;
        println!("    region   {}", region_options.host());
        println!("    identity {}", identity_options.host());
        return Ok(Stack {
            args,
            kube,
            region_options,
            identity_options,
            client_options,
            local: None,
        });
    }

    heading("0. Local stack on 127.0.0.1 (PKI generated now)");
    let platform = Ca::new("platform-ca");
    let clients = Ca::new("clients-ca");
    let me = clients.client_cert("compute", KeyKind::EcdsaP256);
    let kube = KubeApi::start().await;
    kube.put_tls_secret(NS, "platform-ca", &platform.cert_pem, None);
    kube.put_tls_secret(NS, "compute-client", &me.chain_pem(), Some(&me.key_pem()));
    let server_cert = platform.server_cert(&["127.0.0.1", "localhost"]);
    let identity = OidcIssuer::start(&server_cert, &clients).await;
    let region = RegionApi::start(&server_cert, &clients).await;
    let network = "9a2c7c64-2e1c-4a4b-8f0e-5d1f3b6e7a10";
    region.add_network(network);
    println!(
        "    Kubernetes API  {}  Secrets {NS}/platform-ca, {NS}/compute-client",
        kube.url()
    );
    println!(
        "    identity (OIDC) {}  requires a client certificate",
        identity.url()
    );
    println!(
        "    region API      {}  requires a client certificate",
        region.url()
    );
    println!("    network         {network}");

    let region_options = region_options
        .with_host(region.url())
        .with_ca_secret(NS, "platform-ca");
    let identity_options = identity_options
        .with_host(identity.url())
        .with_ca_secret(NS, "platform-ca");
    let client_options = client_options.with_certificate(NS, "compute-client");
    let mut args = args;
    args.network_id.get_or_insert_with(|| network.to_owned());
    Ok(Stack {
        args,
        kube: kube.client(),
        region_options,
        identity_options,
        client_options,
        local: Some(Local {
            _kube: kube,
            identity,
            region,
        }),
    })
}

async fn step_token(stack: &Stack, tokens: &Arc<dyn AccessTokenSource>) -> anyhow::Result<()> {
    let token = tokens.token().await.context("issuing a service token")?;
    println!("    issued a token ({:?})", token);
    if let Some(local) = &stack.local {
        let seen = local
            .identity
            .requests()
            .pop()
            .context("the identity service saw no request")?;
        println!(
            "    the identity service saw: {} {} from {}",
            seen.method,
            seen.uri,
            subject(&seen)?
        );
        // A second call is served from the cache.
        tokens.token().await?;
        ensure!(
            local.identity.token_calls() == 1,
            "the token was not cached"
        );
        println!("    a second token() call was served from the cache (1 grant in total)");
    }
    Ok(())
}

async fn step_api_path(
    stack: &Stack,
    region: &Client,
    tokens: &Arc<dyn AccessTokenSource>,
) -> anyhow::Result<()> {
    let a = &stack.args;
    let principal = Principal::new(&a.organization_id, &a.project_id, &a.actor);
    // What inbound middleware would capture: the caller's certificate from TLS termination
    // and the trace the inbound request belongs to.
    let tracer = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .build()
        .tracer("quickstart");
    let span = tracer.start("handle inbound request");
    let otel = Context::current_with_span(span);
    let trace_id = otel.span().span_context().trace_id();
    let mut inbound = http::HeaderMap::new();
    inbound.insert(
        "unikorn-client-certificate",
        http::HeaderValue::from_static("MIIB-inbound-user-certificate"),
    );
    let ctx = RequestContext::from_headers(&inbound)
        .with_principal(principal.clone())
        .with_otel_context(otel);
    println!("    acting for {principal:?}, trace {trace_id}");

    let api = region.api_client(&ctx, tokens.clone()).await?;
    match api.list_regions(&a.organization_id).await? {
        ListRegionsResponse::Ok(regions) => {
            let names: Vec<_> = regions
                .iter()
                .map(|r| r.metadata.name.to_string())
                .collect();
            println!("    GET regions -> 200: {names:?}");
        }
        other => bail!("GET regions answered {}", other.status()),
    }
    if let Some(local) = &stack.local {
        let seen = local.region.requests().pop().context("no request seen")?;
        let verified = show_received(&seen)?;
        ensure!(
            verified == principal,
            "the region API saw another principal"
        );
        let traceparent = seen.header("traceparent").unwrap_or_default();
        ensure!(
            traceparent.contains(&trace_id.to_string()),
            "traceparent does not carry the inbound trace"
        );
    }
    Ok(())
}

async fn step_controller_path(
    stack: &Stack,
    region: &Client,
    tokens: &Arc<dyn AccessTokenSource>,
) -> anyhow::Result<()> {
    let cluster = cluster(&stack.args);
    println!(
        "    reconciling KubernetesCluster {}",
        cluster.metadata.name.as_deref().unwrap_or_default()
    );
    println!(
        "      labels {:?}",
        cluster.metadata.labels.clone().unwrap_or_default()
    );
    println!(
        "      annotations {:?}",
        cluster.metadata.annotations.clone().unwrap_or_default()
    );
    // A controller has no inbound request; the trace context is whatever is current when the
    // request is sent, here the reconcile loop's span.
    let tracer = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .build()
        .tracer("quickstart");
    let reconcile = Context::current_with_span(tracer.start("reconcile"));
    let trace_id = reconcile.span().span_context().trace_id();
    let _attached = reconcile.attach();
    let expected = Principal::from_resource(&cluster.metadata)?;
    println!("    principal from the resource: {expected:?}");
    let api = region.controller_client(tokens.clone(), &cluster).await?;
    let organization = &stack.args.organization_id;
    let ListRegionsResponse::Ok(regions) = api.list_regions(organization).await? else {
        bail!("listing regions failed");
    };
    let Some(first) = regions.first() else {
        println!("    no regions in {organization}");
        return Ok(());
    };
    let answer = api
        .list_external_networks(organization, &first.metadata.id)
        .await?;
    println!(
        "    GET regions/{}/externalnetworks -> {}",
        first.metadata.name.as_str(),
        answer.status()
    );
    ensure!(answer.status().is_success(), "unexpected answer");
    if let Some(local) = &stack.local {
        let seen = local.region.requests().pop().context("no request seen")?;
        let verified = show_received(&seen)?;
        ensure!(verified == expected, "the region API saw another principal");
        let traceparent = seen.header("traceparent").unwrap_or_default();
        ensure!(
            traceparent.contains(&trace_id.to_string()),
            "traceparent does not carry the reconcile trace"
        );
    }
    Ok(())
}

async fn step_references(
    stack: &Stack,
    region: &Client,
    tokens: &Arc<dyn AccessTokenSource>,
) -> anyhow::Result<()> {
    let network = stack
        .args
        .network_id
        .as_deref()
        .context("no network to reference")?;
    let cluster = cluster(&stack.args);
    let (group, kind) = ("unikorn-cloud.org", "KubernetesCluster");
    let resource = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        group, "v1alpha1", kind,
    ));
    let reference = ResourceReference::for_resource_with(&cluster, &resource)?;
    println!("    reference {reference} (legacy group {group} is rewritten)");
    let references = References::new(region.controller_client(tokens.clone(), &cluster).await?);
    references
        .add_network_reference(network, &reference)
        .await?;
    references
        .add_network_reference(network, &reference)
        .await?;
    let listed = references.network_references(network).await?;
    println!(
        "    added twice, listed: {:?}",
        listed.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    ensure!(
        listed.iter().filter(|r| **r == reference).count() == 1,
        "adding twice should hold one reference"
    );
    references
        .remove_network_reference(network, &reference)
        .await?;
    let listed = references.network_references(network).await?;
    ensure!(!listed.contains(&reference), "the reference is still held");
    println!("    removed, listed: {} reference(s) left", listed.len());
    if let Some(local) = &stack.local {
        let put = local
            .region
            .requests()
            .into_iter()
            .find(|r| r.method == http::Method::PUT)
            .context("no PUT seen")?;
        println!("    on the wire: {} {}", put.method, put.uri.path());
        let error = references
            .add_network_reference("no-such-network", &reference)
            .await
            .err()
            .context("adding to an unknown network succeeded")?;
        println!("    unknown network -> typed error: {error}");
        ensure!(error.is_not_found(), "expected a 404");
    }
    Ok(())
}

/// A resource as a controller would hold it, with the principal persisted on it.
fn cluster(args: &Args) -> kube::api::DynamicObject {
    let resource = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "unikorn-cloud.org",
        "v1alpha1",
        "KubernetesCluster",
    ));
    let mut object = kube::api::DynamicObject::new("quickstart-cluster", &resource);
    object.metadata.labels = Some(BTreeMap::from([
        (
            "unikorn-cloud.org/organization".to_owned(),
            args.organization_id.clone(),
        ),
        (
            "unikorn-cloud.org/project".to_owned(),
            args.project_id.clone(),
        ),
    ]));
    object.metadata.annotations = Some(BTreeMap::from([(
        "unikorn-cloud.org/creator".to_owned(),
        "provisioner@compute".to_owned(),
    )]));
    object
}

/// Prints the headers the server received and returns the principal, verified against the
/// certificate the client presented in the handshake.
fn show_received(seen: &RecordedRequest) -> anyhow::Result<Principal> {
    println!("    the region API received {} {}:", seen.method, seen.uri);
    let bearer = seen.header("authorization").unwrap_or_default();
    println!(
        "      authorization: Bearer <{} characters, not printed>",
        bearer.len().saturating_sub("Bearer ".len())
    );
    for name in ["traceparent", "unikorn-client-certificate"] {
        println!("      {name}: {}", seen.header(name).unwrap_or("(absent)"));
    }
    let jws = seen
        .header("x-principal")
        .context("no X-Principal header")?;
    println!("      x-principal: {}...", &jws[..jws.len().min(48)]);
    let peer = seen
        .peer_certificates
        .first()
        .context("no client certificate")?;
    let verified = principal::verify(jws, peer)?;
    println!(
        "      verified: {} signature by the presented certificate ({}), thumbprint {}",
        verified.algorithm.name(),
        subject(seen)?,
        principal::thumbprint(peer)
    );
    println!("      principal: {:?}", verified.principal);
    Ok(verified.principal)
}

/// The subject of the client certificate presented in the handshake.
fn subject(seen: &RecordedRequest) -> anyhow::Result<String> {
    let peer = seen
        .peer_certificates
        .first()
        .context("no client certificate")?;
    let (_, certificate) = x509_parser::parse_x509_certificate(peer)?;
    Ok(certificate.subject().to_string())
}

fn heading(text: &str) {
    println!("\n==> {text}");
}

fn report(result: anyhow::Result<()>) -> usize {
    match result {
        Ok(()) => {
            println!("    ok");
            0
        }
        Err(error) => {
            println!("    FAILED: {error:#}");
            1
        }
    }
}
