//! The README's "normal service path": a service handling an inbound request calls the
//! region API for the principal of that request.

use region_client::{
    Client, HttpClientOptions, RequestContext, http,
    identity_client::principal::{self, CertificateSource, ExtractError},
    kube,
    region_openapi::uuid::Uuid,
};

use crate::Result;

/// Built once at start-up, shared by every request handler.
pub struct Outbound {
    /// The region API client: Secrets read once, connections pooled.
    pub region: Client,
}

impl Outbound {
    /// Installs the W3C trace propagator and builds the region client from the current
    /// kubeconfig (or the in-cluster service account).
    pub async fn new() -> Result<Self> {
        // Once per process: traces continue across services (W3C `traceparent`).
        region_client::install_trace_propagator();
        let kube = kube::Client::try_default().await?;
        let region = Client::new(
            kube,
            region_client::options()
                .with_host("https://region.example.com")
                .with_ca_secret("unikorn", "region-ca"),
            // The service's identity: its client certificate.
            HttpClientOptions::new().with_certificate("unikorn", "compute-client"),
        );
        // Read the Secrets and build the TLS stack now: a missing or bad Secret fails
        // start-up with its typed error, naming it, instead of the first request.
        region.ready().await?;
        Ok(Self { region })
    }

    /// Per inbound request (`organization` from its path), for the principal its
    /// authentication established.
    pub async fn count_regions(
        &self,
        inbound: &http::request::Parts,
        organization: Uuid,
    ) -> Result<usize> {
        let ctx = RequestContext::from_parts(inbound);
        let api = self.region.api_client(&ctx).await?;
        // The documented success body, or a typed error with the platform's error body.
        let regions = api.list_regions(organization).await?.into_result()?;
        Ok(regions.len())
    }
}

/// The authentication middleware, in front of every handler: refuses what the platform's
/// middleware refuses (answer with `error.status()`, `error.error_code()` and
/// `error.description()`), and stores who called and for whom.
pub fn authenticate(inbound: &mut http::request::Parts) -> Result<(), ExtractError> {
    // Behind the platform's ingress, which verified the caller's certificate.
    let authenticated = principal::extract(&inbound.headers, CertificateSource::Ingress)?;
    inbound.extensions.insert(authenticated);
    Ok(())
}
