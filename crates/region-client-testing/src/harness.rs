//! [`Platform`]: the platform in a box. One call starts, on loopback, a run-time PKI, the
//! Kubernetes API fake holding the region CA and the service's client-certificate Secrets,
//! and the region API behind the platform's ingress and middleware; it hands back a ready
//! [`region_client::Client`], and everything needed to build one by hand.

use std::{future::Future, sync::Mutex};

use bytes::Bytes;
use core_client::{HttpClientOptions, HttpOptions, SecretRef};
use identity_client::Principal;
use k8s_openapi::api::core::v1::ConfigMap;
use uuid::Uuid;

use crate::{
    kube::KubeApi,
    pki::{Ca, KeyEncoding, KeyKind, Leaf, RSA_KEY_SLOTS},
    region::RegionApi,
    resource::persist_principal,
    server::Protocol,
    service::Service,
    sync::lock,
};

/// The namespace of the Secrets, unless [`PlatformBuilder::namespace`] says otherwise.
pub const NAMESPACE: &str = "unikorn";
/// The calling service's name (its client certificate's CN), unless
/// [`PlatformBuilder::service`] says otherwise.
pub const SERVICE: &str = "my-service";
/// The organization of [`Platform::principal`].
pub const ORGANIZATION_ID: Uuid = Uuid::from_u128(0x9a3f1c2e_5b7d_4e0a_8c6f_1d2e3f4a5b6c);
/// The project of [`Platform::principal`].
pub const PROJECT_ID: Uuid = Uuid::from_u128(0x77b0d4aa_1c2d_4e5f_8a9b_0c1d2e3f4a5b);
/// The actor of [`Platform::principal`].
pub const ACTOR: &str = "alice@example.com";
/// The name of the Secret holding the region API's CA (type `kubernetes.io/tls`, `tls.crt`).
pub const CA_SECRET: &str = "region-ca";

/// Options of a [`Platform`]; [`start`](Self::start) starts it.
///
/// ```no_run
/// # async fn demo() {
/// use region_client_testing::{KeyKind, Platform};
///
/// let platform = Platform::builder()
///     .service("compute")
///     .client_key(KeyKind::EcdsaP256)
///     .http1_only()
///     .start()
///     .await;
/// # let _ = platform;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct PlatformBuilder {
    service: String,
    namespace: String,
    key: KeyKind,
    protocol: Protocol,
}

impl Default for PlatformBuilder {
    fn default() -> Self {
        Self {
            service: SERVICE.to_owned(),
            namespace: NAMESPACE.to_owned(),
            key: KeyKind::Rsa,
            protocol: Protocol::Both,
        }
    }
}

impl PlatformBuilder {
    /// The calling service's name: the CN of its client certificate, which the platform takes
    /// as the caller (default [`SERVICE`]); its Secret is `{service}-client`.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = name.into();
        self
    }

    /// The namespace of the Secrets (default [`NAMESPACE`]).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The key type of the service's client certificate (default RSA, the only one the
    /// controller path can sign with: with another, `controller_client` fails with
    /// `UnsupportedKeyType`, as on the platform).
    pub fn client_key(mut self, kind: KeyKind) -> Self {
        self.key = kind;
        self
    }

    /// An ingress that speaks HTTP/1.1 only (the default offers `h2` and `http/1.1`).
    pub fn http1_only(mut self) -> Self {
        self.protocol = Protocol::Http1;
        self
    }

    /// Starts the platform; see [`Platform`].
    ///
    /// # Panics
    /// When a loopback port cannot be bound, or the client cannot be made ready (neither
    /// happens on a machine that runs tests).
    pub async fn start(self) -> Platform {
        let platform_ca = Ca::new("platform-ca");
        let clients_ca = Ca::new("clients-ca");
        let kube = KubeApi::start().await;
        let region = RegionApi::start_with(
            &platform_ca.server_cert(&["127.0.0.1", "localhost"]),
            &clients_ca,
            self.protocol,
        )
        .await;
        kube.put_tls_secret(&self.namespace, CA_SECRET, &platform_ca.cert_pem, None);
        let mut next_rsa_slot = 0;
        let client_secret = format!("{}-client", self.service);
        let certificate = issue(&clients_ca, &mut next_rsa_slot, &self.service, self.key);
        store(&kube, &self.namespace, &client_secret, &certificate);
        let identity = Identity {
            certificate,
            next_rsa_slot,
            revoked: Vec::new(),
        };
        let client = region_client::Client::new(
            kube.client(),
            region_client::options()
                .with_host(region.url())
                .with_ca_secret(&self.namespace, CA_SECRET),
            HttpClientOptions::new().with_certificate(&self.namespace, &client_secret),
        );
        if let Err(error) = client.ready().await {
            panic!("the platform's region client is not ready: {error}");
        }
        Platform {
            region,
            kube,
            platform_ca,
            clients_ca,
            service: self.service,
            namespace: self.namespace,
            client_secret,
            identity: Mutex::new(identity),
            client,
        }
    }
}

/// The service's current client certificate, and the RSA key the next one takes.
struct Identity {
    certificate: Leaf,
    next_rsa_slot: usize,
    /// The certificates revoked so far.
    revoked: Vec<Leaf>,
}

/// A client certificate with CN `service` and a key of `kind`, from `ca`: RSA keys are the
/// kit's [`RSA_KEY_SLOTS`] in turn, from `next_rsa_slot`.
fn issue(ca: &Ca, next_rsa_slot: &mut usize, service: &str, kind: KeyKind) -> Leaf {
    if kind != KeyKind::Rsa {
        return ca.client_cert(service, kind);
    }
    let slot = *next_rsa_slot % RSA_KEY_SLOTS;
    *next_rsa_slot += 1;
    ca.client_cert_rsa(service, slot)
}

/// Stores `certificate` (its chain and PKCS#8 key) as the `kubernetes.io/tls` Secret
/// `namespace/name`.
fn store(kube: &KubeApi, namespace: &str, name: &str, certificate: &Leaf) {
    kube.put_tls_secret(
        namespace,
        name,
        &certificate.chain_pem(),
        Some(&certificate.key_pem_as(KeyEncoding::Pkcs8)),
    );
}

/// The platform in a box, on loopback: the region API behind the platform's ingress and
/// middleware, and the Kubernetes API holding the service's Secrets. It stops when dropped,
/// and then checks the expectations set on the region API's stubs.
///
/// The region API refuses exactly what the platform refuses (a call without a principal, a
/// principal signed with another key than the certificate presented, an ID that is not a
/// UUID, a reference escaped once, a body that does not match its schema, ...) before any stub
/// sees the call, so a test that passes against it makes calls the platform accepts.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use region_client::RequestContext;
/// use region_client_testing::{OperationId, Platform};
///
/// let platform = Platform::start().await;
/// platform
///     .region()
///     .on(OperationId::ListRegions)
///     .respond(200, &serde_json::json!([]))
///     .expect(1);
///
/// let ctx = RequestContext::new().with_principal(platform.principal());
/// let api = platform.client().api_client(&ctx).await?;
/// let regions = api.list_regions(platform.organization_id()).await?.into_result()?;
/// assert!(regions.is_empty());
///
/// let call = &platform.region().calls()[0];
/// assert_eq!(call.caller(), Some("my-service"));
/// assert_eq!(call.principal(), Some(&platform.principal()));
/// # Ok(())
/// # }
/// ```
pub struct Platform {
    // The region API first: dropped (and its expectations checked) before the rest.
    region: RegionApi,
    kube: KubeApi,
    platform_ca: Ca,
    clients_ca: Ca,
    service: String,
    namespace: String,
    client_secret: String,
    identity: Mutex<Identity>,
    client: region_client::Client,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("region", &self.region.url())
            .field("kube", &self.kube.url())
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Starts the platform with the defaults: service [`SERVICE`] with an RSA client
    /// certificate, Secrets in [`NAMESPACE`], an ingress speaking HTTP/2 and HTTP/1.1.
    ///
    /// # Panics
    /// See [`PlatformBuilder::start`].
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// Options for a platform other than the default.
    pub fn builder() -> PlatformBuilder {
        PlatformBuilder::default()
    }

    /// The region API: stubs ([`RegionApi::on`]), the calls it received
    /// ([`RegionApi::calls`]), its model of networks and references, and its ingress
    /// ([`RegionApi::server`]).
    pub fn region(&self) -> &RegionApi {
        &self.region
    }

    /// The Kubernetes API, holding the Secrets: to rotate, delete or forbid them, make the API
    /// fail, and count reads.
    pub fn kube(&self) -> &KubeApi {
        &self.kube
    }

    /// The service's region client, ready (its Secrets read, its transport built), as a
    /// service builds it at start-up from [`kube_client`](Self::kube_client),
    /// [`region_options`](Self::region_options) and [`client_options`](Self::client_options).
    /// Cheap to clone; every clone shares one transport.
    pub fn client(&self) -> region_client::Client {
        self.client.clone()
    }

    /// A Kubernetes client for the Kubernetes API fake.
    pub fn kube_client(&self) -> kube::Client {
        self.kube.client()
    }

    /// The region service's options: its URL and the CA Secret ([`CA_SECRET`]), as the flags
    /// `--region-host`, `--region-ca-secret-namespace` and `--region-ca-secret-name` give them.
    pub fn region_options(&self) -> HttpOptions {
        region_client::options()
            .with_host(self.region.url())
            .with_ca_secret(&self.namespace, CA_SECRET)
    }

    /// The service's client-certificate options (Secret `{service}-client`), as the flags
    /// `--client-certificate-namespace` and `--client-certificate-name` give them.
    pub fn client_options(&self) -> HttpClientOptions {
        HttpClientOptions::new().with_certificate(&self.namespace, &self.client_secret)
    }

    /// The Secret holding the region API's CA.
    pub fn ca_secret(&self) -> SecretRef {
        SecretRef::new(&self.namespace, CA_SECRET)
    }

    /// The Secret holding the service's client certificate and key.
    pub fn client_secret(&self) -> SecretRef {
        SecretRef::new(&self.namespace, &self.client_secret)
    }

    /// The calling service's name: the CN the platform authenticates its calls as.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The service's current client certificate (and its key).
    pub fn client_certificate(&self) -> Leaf {
        lock(&self.identity).certificate.clone()
    }

    /// The organization of [`principal`](Self::principal) ([`ORGANIZATION_ID`]).
    pub fn organization_id(&self) -> Uuid {
        ORGANIZATION_ID
    }

    /// The project of [`principal`](Self::principal) ([`PROJECT_ID`]).
    pub fn project_id(&self) -> Uuid {
        PROJECT_ID
    }

    /// A user of the platform ([`ACTOR`], in [`ORGANIZATION_ID`] and [`PROJECT_ID`]), for
    /// the API path's `RequestContext::with_principal`.
    pub fn principal(&self) -> Principal {
        Principal::new(ORGANIZATION_ID, PROJECT_ID, ACTOR)
    }

    /// A resource as a controller reconciles it: a ConfigMap `name` in the Secrets' namespace,
    /// created by [`principal`](Self::principal) (its labels and annotation, see
    /// [`persist_principal`]), for the controller path's
    /// `controller_client(&resource)`.
    pub fn resource(&self, name: &str) -> ConfigMap {
        let mut resource = ConfigMap::default();
        resource.metadata.name = Some(name.to_owned());
        resource.metadata.namespace = Some(self.namespace.clone());
        persist_principal(&mut resource.metadata, &self.principal());
        resource
    }

    /// Rotates the service's client certificate, as cert-manager does: a new certificate with
    /// a new key of the same type in its Secret; then makes [`client`](Self::client) pick it up
    /// now (as its next reload would). A client built by hand picks it up at its own reload
    /// (`HttpClientOptions::reload_interval`, or `HttpClient::reload`).
    pub async fn rotate_client_certificate(&self) -> Leaf {
        let kind = self.client_certificate().kind;
        self.rotate_client_certificate_to(kind).await
    }

    /// Rotates the service's client certificate to one with a key of `kind` (see
    /// [`rotate_client_certificate`](Self::rotate_client_certificate)): switching to an EC or
    /// Ed25519 key makes the controller path fail with `UnsupportedKeyType`, as on the
    /// platform.
    ///
    /// # Panics
    /// When the client cannot re-read its Secrets (the kit's own Secrets always read).
    pub async fn rotate_client_certificate_to(&self, kind: KeyKind) -> Leaf {
        let certificate = {
            let mut identity = lock(&self.identity);
            let certificate = issue(
                &self.clients_ca,
                &mut identity.next_rsa_slot,
                &self.service,
                kind,
            );
            identity.certificate = certificate.clone();
            certificate
        };
        store(
            &self.kube,
            &self.namespace,
            &self.client_secret,
            &certificate,
        );
        let reloaded = match self.client().base().http_client().await {
            Ok(http) => http.reload().await.map(drop),
            Err(error) => Err(error),
        };
        if let Err(error) = reloaded {
            panic!("the platform's client did not pick up its rotated certificate: {error}");
        }
        certificate
    }

    /// Issues a client certificate for another service (CN `service`, a key of `kind`) from
    /// the CA the ingress trusts, stores it in Secret `secret` of the namespace, and returns
    /// the options that present it: a second caller, or the same service with another key.
    pub fn add_client_certificate(
        &self,
        secret: &str,
        service: &str,
        kind: KeyKind,
    ) -> HttpClientOptions {
        let certificate = issue(
            &self.clients_ca,
            &mut lock(&self.identity).next_rsa_slot,
            service,
            kind,
        );
        store(&self.kube, &self.namespace, secret, &certificate);
        HttpClientOptions::new().with_certificate(&self.namespace, secret)
    }

    /// Makes the ingress refuse the service's current client certificate as revoked (a
    /// revocation list of the clients' CA naming it, as nginx's `ssl_crl`): new connections
    /// fail their handshake (`HttpError::CertificateRefused`, naming the Secret
    /// and the `certificate_revoked` alert), and open ones are closed. A certificate rotated to
    /// afterwards is accepted.
    pub fn revoke_client_certificate(&self) {
        let revoked = {
            let mut identity = lock(&self.identity);
            let certificate = identity.certificate.clone();
            identity.revoked.push(certificate);
            identity.revoked.clone()
        };
        let revoked: Vec<&Leaf> = revoked.iter().collect();
        let list = self.clients_ca.revocation_list(&revoked);
        self.region.server().set_revocation_lists(vec![list]);
    }

    /// Makes the ingress stop trusting the CA that issued the service's client certificates:
    /// new handshakes fail with an unknown CA (`HttpError::CertificateRefused`), open
    /// connections are closed.
    pub fn distrust_client_ca(&self) {
        self.region
            .server()
            .set_client_ca(Some(&Ca::new("another-clients-ca")));
    }

    /// The CA of the platform's servers: it issued the region API's certificate, and its
    /// certificate is in the CA Secret ([`ca_secret`](Self::ca_secret)).
    pub fn server_ca(&self) -> &Ca {
        &self.platform_ca
    }

    /// The CA the ingress trusts for client certificates, to issue certificates of one's own
    /// (an expired one, one in another encoding) and store them with
    /// [`KubeApi::put_tls_secret`].
    pub fn clients_ca(&self) -> &Ca {
        &self.clients_ca
    }

    /// Starts a Rust service behind the platform's ingress, answering with `handler` (see
    /// [`Service`]): its certificate is from [`server_ca`](Self::server_ca), so clients built
    /// with the CA Secret trust it, and its ingress takes the client certificates the region
    /// API takes. For testing a service's inbound side, or a call that crosses a hop.
    pub async fn start_service<H, F>(&self, handler: H) -> Service
    where
        H: Fn(http::Request<Bytes>) -> F + Send + Sync + 'static,
        F: Future<Output = http::Response<Bytes>> + Send + 'static,
    {
        let certificate = self.platform_ca.server_cert(&["127.0.0.1", "localhost"]);
        Service::start(&certificate, &self.clients_ca, handler).await
    }

    /// Checks the region API's stub expectations now, as dropping the platform does; see
    /// [`RegionApi::verify`].
    ///
    /// # Panics
    /// With a report of what was expected and what came, when they are not met.
    #[track_caller]
    pub fn verify(&self) {
        self.region.verify();
    }
}
