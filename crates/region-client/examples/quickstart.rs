//! The whole outbound stack at work, on this machine, with no cluster and no network.
//!
//! ```sh
//! cargo run -p unikorn-region-client --example quickstart
//! ```
//!
//! It starts, on 127.0.0.1, a Kubernetes API fake holding the CA and client-certificate
//! Secrets, and a region API fake behind the platform's ingress, which authenticates every call
//! exactly as the platform's Go middleware does. Then, as the service "compute" would, it calls
//! the region API on the API path (principal of an inbound request), on the controller path
//! (principal persisted on a resource, signed PS512), shows a controller client refused for an
//! EC key, and adds and removes a network reference, printing what went on the wire and what
//! the platform made of it. It exits 0 only if every step succeeded.
//!
//! With `--region-host` it makes the same calls against a real region API, reading the Secrets
//! named by `--region-ca-secret-*` and `--client-certificate-*` through the current kubeconfig;
//! `--network-id` names the network to reference. It exits 1, with the platform's error body,
//! when the platform refuses a step.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail, ensure};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::{Args as _, FromArgMatches as _, Parser};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use opentelemetry::trace::{SpanId, TraceContextExt, TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use region_client::{
    Client, HttpClientOptions, Principal, References, ReferencesError, RequestContext,
    ResourceReference,
    identity_client::{Error as ClientError, principal::Caller},
    region_openapi::{ApiResponse, ResponseValue, uuid::Uuid},
};
use region_client_testing::{Call, KeyKind, Platform};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

const NS: &str = "unikorn";

/// What to act as; the endpoint and Secret flags are added from the options types.
#[derive(Parser, Debug)]
#[command(
    name = "quickstart",
    about = "Runs the outbound client stack end to end"
)]
struct Args {
    /// Organization (a UUID) of the principal the calls act for.
    #[arg(long, default_value = "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c")]
    organization_id: String,
    /// Project (a UUID) of the principal.
    #[arg(long, default_value = "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b")]
    project_id: String,
    /// The end user the calls act for.
    #[arg(long, default_value = "alice@example.com")]
    actor: String,
    /// The network (a UUID) to add and remove a reference on (required with --region-host).
    #[arg(long)]
    network_id: Option<String>,
}

/// Everything the steps need, local or remote.
struct Stack {
    args: Args,
    /// Every span finished so far.
    spans: InMemorySpanExporter,
    /// `args.organization_id`, parsed.
    organization: Uuid,
    region: Client,
    network_id: String,
    local: Option<Local>,
}

/// The in-process platform of a local run (the testing kit's), and the client certificate
/// Secret with an EC key.
struct Local {
    platform: Platform,
    ec: HttpClientOptions,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The platform's only propagator: W3C trace context.
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    // Spans (ours, the client's and the local region API's) go to memory, to be printed.
    let spans = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(spans.clone())
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("quickstart")))
            // Spans at INFO and above: the client spans, not the HTTP libraries' internals.
            .with(tracing_subscriber::filter::LevelFilter::INFO),
    )?;
    let stack = Stack {
        spans,
        ..stack().await?
    };
    let mut failures = 0;
    heading("1. API path: a request handled for alice calls the region API");
    failures += report(step_api_path(&stack, false).await);
    heading("2. API path, asking the region API to authorize as alice (X-Impersonate)");
    failures += report(step_api_path(&stack, true).await);
    heading("3. Controller path: the principal persisted on a resource, signed PS512");
    failures += report(step_controller_path(&stack).await);
    if stack.local.is_some() {
        heading("4. Controller path with an EC client key: refused before sending");
        failures += report(step_ec_key(&stack).await);
    }
    heading("5. References: a resource depends on a network");
    failures += report(step_references(&stack).await);
    println!();
    if failures > 0 {
        bail!("{failures} step(s) failed");
    }
    println!("All steps succeeded.");
    Ok(())
}

/// Parses the flags and sets up either the local servers or the real cluster's clients.
async fn stack() -> anyhow::Result<Stack> {
    let mut region_options = region_client::options();
    let command = Args::augment_args(clap::Command::new("quickstart"));
    let command = region_options.augment_args(command);
    let command = <HttpClientOptions as clap::Args>::augment_args(command);
    let matches = command.get_matches();
    let args = Args::from_arg_matches(&matches)?;
    region_options.update_from_arg_matches(&matches)?;
    let client_options = HttpClientOptions::from_arg_matches(&matches)?;

    if !region_options.host().is_empty() {
        let network_id = args
            .network_id
            .clone()
            .context("--network-id is required with --region-host")?;
        println!("Against the region API at {}", region_options.host());
        let kube = kube::Client::try_default()
            .await
            .context("reading the current kubeconfig")?;
        return Ok(Stack {
            spans: InMemorySpanExporter::default(),
            region: Client::new(kube, region_options, client_options),
            organization: args.organization_id.parse()?,
            args,
            network_id,
            local: None,
        });
    }

    println!("Starting a Kubernetes API and a region API (behind its ingress) on 127.0.0.1...");
    let organization: Uuid = args.organization_id.parse()?;
    let project: Uuid = args.project_id.parse()?;
    // The testing kit's platform in a box. The service's identity: an RSA certificate (the
    // controller path signs with its key); and one with an EC key, for step 4.
    let platform = Platform::builder().service("compute").start().await;
    let ec = platform.add_client_certificate("compute-ec", "compute", KeyKind::EcdsaP256);
    let network_id = "c0a80101-0000-4000-8000-00000000000a".to_owned();
    platform
        .region()
        .add_network(&network_id, organization, project);
    println!("    kubernetes {}", platform.kube().url());
    println!("    region     {}", platform.region().url());
    println!(
        "    Secrets    {} (CA), {} (RSA), {NS}/compute-ec (P-256)",
        platform.ca_secret(),
        platform.client_secret(),
    );
    Ok(Stack {
        spans: InMemorySpanExporter::default(),
        organization,
        region: platform.client(),
        args,
        network_id,
        local: Some(Local { platform, ec }),
    })
}

fn principal(args: &Args) -> Principal {
    Principal::new(&args.organization_id, &args.project_id, &args.actor)
}

async fn step_api_path(stack: &Stack, impersonate: bool) -> anyhow::Result<()> {
    // The span of the inbound request this service is handling.
    let inbound = tracing::info_span!("inbound request", otel.kind = "server");
    let otel = inbound.context();
    let trace_id = otel.span().span_context().trace_id();

    let mut ctx = RequestContext::new()
        .with_principal(principal(&stack.args))
        .with_otel_context(otel);
    if impersonate {
        ctx = ctx.impersonating();
    }
    let api = stack.region.api_client(&ctx).await?;
    let answer = api.list_regions(stack.organization).await?;
    show_call(stack, &answer, trace_id, inbound)?;
    if let Some(call) = last_call(stack)? {
        ensure!(call.principal() == Some(&principal(&stack.args)));
        ensure!(call.impersonated() == impersonate);
    }
    Ok(())
}

async fn step_controller_path(stack: &Stack) -> anyhow::Result<()> {
    let cluster = cluster(&stack.args);
    println!(
        "    resource labels {:?}",
        cluster.metadata.labels.clone().unwrap_or_default()
    );
    let api = stack.region.controller_client(&cluster).await?;
    // A controller's calls continue the trace of the reconcile they belong to.
    let reconcile = tracing::info_span!("reconcile");
    let trace_id = reconcile.context().span().span_context().trace_id();
    let answer = api
        .list_regions(stack.organization)
        .instrument(reconcile.clone())
        .await?;
    show_call(stack, &answer, trace_id, reconcile)?;
    if let Some(call) = last_call(stack)? {
        ensure!(call.principal() == Some(&principal(&stack.args)));
    }
    Ok(())
}

/// Prints a `listRegions` answer, what went on the wire and what the platform made of it,
/// then, once `span` (the inbound request's, the reconcile's) has ended, its trace.
fn show_call<R: ApiResponse>(
    stack: &Stack,
    answer: &ResponseValue<R>,
    trace_id: TraceId,
    span: tracing::Span,
) -> anyhow::Result<()> {
    settle("list regions", answer)?;
    println!("    GET regions -> {} (trace {trace_id})", answer.status());
    show_last(stack)?;
    drop(span);
    show_trace(stack, trace_id)
}

/// The last call the local region API saw; none against a real one.
fn last_call(stack: &Stack) -> anyhow::Result<Option<Call>> {
    let Some(local) = &stack.local else {
        return Ok(None);
    };
    let call = local.platform.region().calls().pop();
    call.context("a request arrived").map(Some)
}

async fn step_ec_key(stack: &Stack) -> anyhow::Result<()> {
    let local = stack.local.as_ref().context("local only")?;
    let ec = Client::new(
        local.platform.kube_client(),
        local.platform.region_options(),
        local.ec.clone(),
    );
    match ec.controller_client(&cluster(&stack.args)).await {
        Err(error @ ClientError::Signer { .. }) => {
            // The cause says why: the key type.
            println!("    typed error: {:#}", anyhow::Error::from(error));
            // The API path needs no signature: it works with the same certificate.
            let ctx = RequestContext::new().with_principal(principal(&stack.args));
            let answer = ec
                .api_client(&ctx)
                .await?
                .list_regions(stack.organization)
                .await?;
            settle("list regions", &answer)?;
            println!(
                "    the API path with the same EC certificate -> {}",
                answer.status()
            );
            Ok(())
        }
        Err(other) => Err(other.into()),
        Ok(_) => bail!("an EC key was accepted for signing"),
    }
}

async fn step_references(stack: &Stack) -> anyhow::Result<()> {
    let cluster = cluster(&stack.args);
    let references = References::new(stack.region.controller_client(&cluster).await?);
    let reference = ResourceReference::for_resource_with(&cluster, &cluster_resource())?;
    let network = &stack.network_id;
    println!("    reference {reference} on network {network}");
    for _ in 0..2 {
        references
            .add_network_reference(network, &reference)
            .await?;
    }
    println!("    added twice (201 each: adding is idempotent)");
    if let Some(local) = &stack.local {
        ensure!(local.platform.region().references(network) == [reference.as_str()]);
        let put = local
            .platform
            .region()
            .server()
            .requests()
            .pop()
            .context("a request")?;
        println!("    on the wire: {} {}", put.method, put.uri.path());
    }
    for _ in 0..2 {
        references
            .remove_network_reference(network, &reference)
            .await?;
    }
    println!("    removed twice (204 each)");
    if let Some(local) = &stack.local {
        ensure!(local.platform.region().references(network).is_empty());
        let unknown = "c0a80101-0000-4000-8000-0000000000ff";
        let error = references
            .add_network_reference(unknown, &reference)
            .await
            .expect_err("an unknown network");
        ensure!(error.is_not_found(), "{error}");
        println!("    unknown network -> typed error: {error}");
        local.platform.region().mark_deleting(network);
        let error = references
            .add_network_reference(network, &reference)
            .await
            .expect_err("a network being deleted");
        ensure!(error.is_being_deleted(), "{error}");
        println!("    network being deleted -> typed error: {error}");
    }
    Ok(())
}

/// The kind of resource the kubernetes service reconciles (in the platform's legacy group).
fn cluster_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("unikorn-cloud.org", "v1alpha1", "KubernetesCluster"),
        "kubernetesclusters",
    )
}

/// A resource as a controller reconciles it: organization, project and creator persisted in its
/// labels and annotations.
fn cluster(args: &Args) -> DynamicObject {
    let mut cluster = DynamicObject::new("quickstart-cluster", &cluster_resource()).within(NS);
    cluster.metadata.labels = Some(BTreeMap::from([
        (
            "unikorn-cloud.org/organization".to_owned(),
            args.organization_id.clone(),
        ),
        (
            "unikorn-cloud.org/project".to_owned(),
            args.project_id.clone(),
        ),
    ]));
    cluster.metadata.annotations = Some(BTreeMap::from([(
        "unikorn-cloud.org/creator".to_owned(),
        args.actor.clone(),
    )]));
    cluster
}

/// An error naming the platform's answer when `answer` is not a success.
fn settle<R: ApiResponse>(what: &str, answer: &ResponseValue<R>) -> anyhow::Result<()> {
    if answer.status().is_success() {
        return Ok(());
    }
    let body = answer
        .error_body()
        .map(|e| format!("{e:?}"))
        .unwrap_or_default();
    bail!(
        "{what}: the region API answered {}: {body}",
        answer.status()
    )
}

/// Prints the last request: the headers the client sent, what the ingress passed on, and what
/// the platform's middleware concluded (local runs only).
fn show_last(stack: &Stack) -> anyhow::Result<()> {
    let Some(seen) = last_call(stack)? else {
        return Ok(());
    };
    let request = &seen.request;
    println!("    sent:");
    for name in ["traceparent", "x-impersonate", "authorization"] {
        println!(
            "      {name}: {}",
            request.header(name).unwrap_or("(absent)")
        );
    }
    let value = request.header("x-principal").context("X-Principal")?;
    match value.split('.').collect::<Vec<_>>()[..] {
        [header, payload, signature] => {
            println!("      x-principal: a compact JWS");
            println!("        header  {}", decoded(header)?);
            println!("        payload {}", decoded(payload)?);
            println!(
                "        signature {} bytes (RSASSA-PSS SHA-512)",
                URL_SAFE_NO_PAD.decode(signature)?.len()
            );
        }
        _ => {
            println!("      x-principal: {value}");
            println!("        = base64url of {}", decoded(value)?);
        }
    }
    println!("    the ingress passed on:");
    let certificate = request.header("ssl-client-cert").unwrap_or("(absent)");
    println!(
        "      ssl-client-cert: {}... ({} bytes)",
        &certificate[..certificate.len().min(40)],
        certificate.len()
    );
    println!(
        "      ssl-client-verify: {}",
        request.header("ssl-client-verify").unwrap_or("(absent)")
    );
    let authenticated = seen
        .authenticated
        .context("the platform refused the call")?;
    let caller = match &authenticated.caller {
        Caller::System { common_name } => format!("service {common_name} (certificate CN)"),
        Caller::Bearer { .. } => "a bearer token".to_owned(),
        _ => "someone else".to_owned(),
    };
    println!("    the platform's middleware:");
    println!("      caller      {caller}");
    let principal = authenticated
        .principal
        .as_ref()
        .map(|p| String::from_utf8_lossy(&p.to_json()).into_owned());
    println!(
        "      principal   {}",
        principal.as_deref().unwrap_or("(none)")
    );
    println!("      impersonate {}", authenticated.impersonate);
    Ok(())
}

/// Prints the spans of `trace` as a tree: who called whom.
fn show_trace(stack: &Stack, trace: TraceId) -> anyhow::Result<()> {
    let spans: Vec<SpanData> = stack
        .spans
        .get_finished_spans()?
        .into_iter()
        .filter(|s| s.span_context.trace_id() == trace)
        .collect();
    let ids: Vec<SpanId> = spans.iter().map(|s| s.span_context.span_id()).collect();
    println!("    the trace:");
    fn print(spans: &[SpanData], parent: SpanId, depth: usize) {
        for span in spans.iter().filter(|s| s.parent_span_id == parent) {
            let status = span
                .attributes
                .iter()
                .find(|kv| kv.key.as_str() == "http.response.status_code")
                .map(|kv| format!(" -> {}", kv.value))
                .unwrap_or_default();
            println!(
                "      {}{} [{:?}]{status}",
                "  ".repeat(depth),
                span.name,
                span.span_kind
            );
            print(spans, span.span_context.span_id(), depth + 1);
        }
    }
    for root in spans.iter().filter(|s| !ids.contains(&s.parent_span_id)) {
        print(std::slice::from_ref(root), root.parent_span_id, 0);
        print(&spans, root.span_context.span_id(), 1);
    }
    Ok(())
}

fn decoded(part: &str) -> anyhow::Result<String> {
    Ok(String::from_utf8(URL_SAFE_NO_PAD.decode(part)?)?)
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
            if let Some(references) = error.downcast_ref::<ReferencesError>()
                && let Some(body) = references.error_body()
            {
                println!("    the platform answered: {body:?}");
            }
            println!("    FAILED: {error:#}");
            1
        }
    }
}
