//! The clients compared, each making the same call: `GET` the organization's regions, read the
//! whole body, decode it into the generated `types::Regions`.

use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use core_client::{
    HttpClientOptions, HttpConfig, HttpVersion, RetryConfig, TelemetryConfig,
    tls::{ClientIdentity, Roots},
};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client as HyperClient, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};
use identity_client::{
    Principal, RequestContext,
    editor::{PrincipalEditor, TraceContextEditor},
};
use k8s_openapi::api::core::v1::ConfigMap;
use region_client_testing::{Ca, Leaf, kube::KubeApi};
use region_openapi::{types, uuid::Uuid};

use crate::server::Protocol;

/// The organization every call lists the regions of.
const ORGANIZATION: &str = "9a1a2f3c-6d4e-4b5a-8c7d-0e1f2a3b4c5d";
const PROJECT: &str = "2b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e";

/// One of the compared clients, as the command line names it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum, serde::Serialize,
)]
pub enum Variant {
    /// A: bare hyper-util (legacy client) + hyper-rustls, default settings.
    #[value(name = "A")]
    A,
    /// A2: bare hyper with the connector and pool settings core-client uses (TCP_NODELAY, connect
    /// timeout, pool idle timeout and timer; HTTP/2-only once the host is known to speak it).
    #[value(name = "A2")]
    A2,
    /// B: `region_client::Client::api_client` built once, every call through it.
    #[value(name = "B")]
    B,
    /// B': `controller_client` built once (the PS512 signature comes from the cache).
    #[value(name = "B'")]
    #[serde(rename = "B'")]
    BController,
    /// C: `api_client` built for every call from one `region_client::Client`.
    #[value(name = "C")]
    C,
    /// D: reqwest (rustls, the same TLS configuration).
    #[value(name = "D")]
    D,
}

impl Variant {
    /// Every variant, in the order of the report.
    pub const ALL: [Self; 6] = [
        Self::A,
        Self::A2,
        Self::B,
        Self::BController,
        Self::C,
        Self::D,
    ];

    /// The short name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::A2 => "A2",
            Self::B => "B",
            Self::BController => "B'",
            Self::C => "C",
            Self::D => "D",
        }
    }

    /// What the variant is, for the report's legend.
    pub fn describe(self) -> &'static str {
        match self {
            Self::A => "bare hyper-util + hyper-rustls (same TLS config, pool warm)",
            Self::A2 => "bare hyper with core-client's connector and pool settings",
            Self::B => "region_client::Client::api_client built once",
            Self::BController => "controller_client built once (signature cached)",
            Self::C => "api_client built per request from one region_client::Client",
            Self::D => "reqwest 0.12 (rustls, same TLS config)",
        }
    }
}

/// What to take out of the stack, to locate a regression.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Ablation {
    /// `RetryConfig::disabled()`.
    pub no_retries: bool,
    /// `TelemetryConfig::disabled()`: no client span, no metrics.
    pub no_telemetry: bool,
    /// B and C without the trace-context editor.
    pub no_trace_editor: bool,
    /// B and C without the principal editor.
    pub no_principal_editor: bool,
    /// B, B' and C with the HTTP version fixed to the server's (`HttpVersion::Http1` or
    /// `Http2`) instead of learned per host.
    pub no_discovery: bool,
}

impl Ablation {
    fn editors_changed(self) -> bool {
        self.no_trace_editor || self.no_principal_editor
    }

    fn config(self, protocol: Protocol) -> HttpConfig {
        let mut config = HttpConfig::default();
        if self.no_discovery {
            config = config.with_http_version(match protocol {
                Protocol::Http1 => HttpVersion::Http1,
                Protocol::Http2 => HttpVersion::Http2,
            });
        }
        if self.no_retries {
            config = config.with_retry(RetryConfig::disabled());
        }
        if self.no_telemetry {
            config = config.with_telemetry(TelemetryConfig::disabled());
        }
        config
    }
}

/// The PKI, the Kubernetes API fake with the Secrets, and what every client needs.
pub struct Fixture {
    /// Issues the server's certificate.
    pub platform: Ca,
    /// Issues the client's certificate (the server requires one from it).
    pub clients: Ca,
    /// The client certificate (RSA: the controller path signs with it).
    pub me: Leaf,
    kube: KubeApi,
}

impl Fixture {
    /// A run-time PKI and a Kubernetes API fake serving the CA and client-certificate Secrets.
    pub async fn new() -> Self {
        let platform = Ca::new("platform");
        let clients = Ca::new("clients");
        let me = clients.client_cert_rsa("bench", 0);
        let kube = KubeApi::start().await;
        kube.put_tls_secret("ns", "region-ca", &platform.cert_pem, None);
        kube.put_tls_secret("ns", "me", &me.chain_pem(), Some(&me.key_pem()));
        Self {
            platform,
            clients,
            me,
            kube,
        }
    }

    /// The TLS configuration A, A2 and D use: what core-client builds from the same Secrets.
    fn tls(&self) -> anyhow::Result<rustls::ClientConfig> {
        let identity =
            ClientIdentity::from_pem(self.me.chain_pem().as_bytes(), self.me.key_pem().as_bytes())?;
        let roots = Roots::Private(vec![self.platform.cert_der.clone()]);
        Ok(core_client::tls::client_config(&roots, Some(&identity))?)
    }

    /// A `region_client::Client` for the server at `url`, reading the Secrets from the fake.
    fn region(&self, url: &str, protocol: Protocol, ablation: Ablation) -> region_client::Client {
        let options = region_client::options()
            .with_host(url)
            .with_ca_secret("ns", "region-ca")
            .with_config(ablation.config(protocol));
        let me = HttpClientOptions::new().with_certificate("ns", "me");
        region_client::Client::new(self.kube.client(), options, me)
    }
}

/// A client ready to make the call, its pool warm.
pub enum Caller {
    /// A and A2.
    Hyper {
        client: Box<HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>>,
        url: http::Uri,
    },
    /// B and B'.
    Built {
        api: region_openapi::Client,
        organization: Uuid,
    },
    /// C.
    PerRequest {
        region: Box<region_client::Client>,
        ctx: Box<RequestContext>,
        organization: Uuid,
    },
    /// D.
    Reqwest {
        client: reqwest::Client,
        url: String,
    },
}

/// The request context of the API path: a principal, the trace context of the caller.
fn context() -> RequestContext {
    RequestContext::new().with_principal(Principal::new(ORGANIZATION, PROJECT, "bench@example.com"))
}

/// The resource a controller reconciles, labelled and annotated as the platform does.
fn resource() -> ConfigMap {
    let mut resource = ConfigMap::default();
    resource.metadata.name = Some("cluster-a".into());
    resource.metadata.namespace = Some("ns".into());
    resource.metadata.labels = Some(
        [
            (
                "unikorn-cloud.org/organization".to_owned(),
                ORGANIZATION.to_owned(),
            ),
            ("unikorn-cloud.org/project".to_owned(), PROJECT.to_owned()),
        ]
        .into(),
    );
    resource.metadata.annotations = Some(
        [(
            "unikorn-cloud.org/creator".to_owned(),
            "bench@example.com".to_owned(),
        )]
        .into(),
    );
    resource
}

impl Caller {
    /// `variant` set up for the server at `url` speaking `protocol`.
    pub async fn new(
        variant: Variant,
        fixture: &Fixture,
        url: &str,
        protocol: Protocol,
        ablation: Ablation,
    ) -> anyhow::Result<Self> {
        let organization = Uuid::parse_str(ORGANIZATION)?;
        let list = format!("{url}/api/v1/organizations/{ORGANIZATION}/regions");
        Ok(match variant {
            Variant::A => {
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(fixture.tls()?)
                    .https_only()
                    .enable_all_versions()
                    .build();
                Self::Hyper {
                    client: Box::new(HyperClient::builder(TokioExecutor::new()).build(connector)),
                    url: list.parse()?,
                }
            }
            Variant::A2 => {
                let config = HttpConfig::default();
                let mut http = HttpConnector::new();
                http.enforce_http(false);
                http.set_connect_timeout(Some(config.connect_timeout));
                http.set_nodelay(true);
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(fixture.tls()?)
                    .https_or_http();
                let http2 = protocol == Protocol::Http2;
                let connector = if http2 {
                    connector.enable_http2().wrap_connector(http)
                } else {
                    connector.enable_all_versions().wrap_connector(http)
                };
                let client = HyperClient::builder(TokioExecutor::new())
                    .pool_idle_timeout(config.pool_idle_timeout)
                    .pool_timer(TokioTimer::new())
                    .timer(TokioTimer::new())
                    .http2_only(http2)
                    .build(connector);
                Self::Hyper {
                    client: Box::new(client),
                    url: list.parse()?,
                }
            }
            Variant::B if ablation.editors_changed() => {
                let region = fixture.region(url, protocol, ablation);
                let mut api =
                    identity_client::plain_client(region.base(), region_openapi::Client::builder())
                        .await?;
                if !ablation.no_trace_editor {
                    api = api.with_request_editor(Arc::new(TraceContextEditor::new(None)));
                }
                if !ablation.no_principal_editor {
                    let principal = context().principal().cloned().context("principal")?;
                    api =
                        api.with_request_editor(Arc::new(PrincipalEditor::new(&principal, false)?));
                }
                Self::Built { api, organization }
            }
            Variant::B => {
                let region = fixture.region(url, protocol, ablation);
                Self::Built {
                    api: region.api_client(&context()).await?,
                    organization,
                }
            }
            Variant::BController => {
                let region = fixture.region(url, protocol, ablation);
                Self::Built {
                    api: region.controller_client(&resource()).await?,
                    organization,
                }
            }
            Variant::C => {
                if ablation.editors_changed() {
                    bail!("the editor ablations apply to B only");
                }
                Self::PerRequest {
                    region: Box::new(fixture.region(url, protocol, ablation)),
                    ctx: Box::new(context()),
                    organization,
                }
            }
            Variant::D => {
                let mut tls = fixture.tls()?;
                tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
                Self::Reqwest {
                    client: reqwest::Client::builder()
                        .use_preconfigured_tls(tls)
                        .build()?,
                    url: list,
                }
            }
        })
    }

    /// One call: the number of regions decoded.
    pub async fn call(&self) -> anyhow::Result<usize> {
        let regions: types::Regions = match self {
            Self::Hyper { client, url } => {
                let request = http::Request::get(url.clone())
                    .header(http::header::ACCEPT, "application/json")
                    .body(Full::new(Bytes::new()))?;
                let response = client.request(request).await?;
                if !response.status().is_success() {
                    bail!("the server answered {}", response.status());
                }
                let body = response.into_body().collect().await?.to_bytes();
                serde_json::from_slice(&body)?
            }
            Self::Built { api, organization } => {
                api.list_regions(*organization).await?.into_result()?
            }
            Self::PerRequest {
                region,
                ctx,
                organization,
            } => {
                let api = region.api_client(ctx).await?;
                api.list_regions(*organization).await?.into_result()?
            }
            Self::Reqwest { client, url } => {
                let body = client
                    .get(url)
                    .header(http::header::ACCEPT, "application/json")
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                serde_json::from_slice(&body)?
            }
        };
        Ok(regions.len())
    }
}
