//! Shared fixtures: the testing kit's platform (the region API behind the platform's ingress,
//! authenticating each call as the platform's middleware does, and the Kubernetes API holding
//! the TLS Secrets), with client-certificate Secrets of every key type and encoding, and base
//! clients over them. The generated region client is the API client the editors go on.
#![allow(dead_code, missing_docs)]

use identity_client::BaseClient;
use region_client_testing::{
    Ca, Call, KeyEncoding, KeyKind, Leaf, Platform, RecordedRequest, harness, kube::KubeApi,
};
use region_openapi::uuid::Uuid;

pub const NAMESPACE: &str = harness::NAMESPACE;
pub const CA_SECRET: &str = harness::CA_SECRET;
/// The organization in the path of `listRegions`, the operation the tests call.
pub const ORGANIZATION: Uuid = harness::ORGANIZATION_ID;
/// The token the fake identity service accepts, for user `alice@example.com`.
pub const USER_TOKEN: &str = "alice-token";

pub struct Fixture {
    pub platform: Platform,
}

impl Fixture {
    /// The platform, with [`USER_TOKEN`] valid.
    pub async fn start() -> Self {
        let platform = Platform::start().await;
        platform
            .region()
            .accept_token(USER_TOKEN, "alice@example.com");
        Self { platform }
    }

    /// The CA the ingress trusts for client certificates.
    pub fn ca(&self) -> &Ca {
        self.platform.clients_ca()
    }

    pub fn kube(&self) -> &KubeApi {
        self.platform.kube()
    }

    /// Every request as it arrived on the wire, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.platform.region().server().requests()
    }

    /// What the platform made of the last call.
    pub fn last_call(&self) -> Call {
        let call = self.platform.region().calls().pop();
        call.expect("a call reached the region API")
    }

    /// Issues a client certificate of `kind` (CN `compute`), stores it as Secret `name` with
    /// its key in `encoding`, and returns it.
    pub fn client_secret(&self, name: &str, kind: KeyKind, encoding: KeyEncoding) -> Leaf {
        let leaf = self.ca().client_cert("compute", kind);
        self.store(name, &leaf, encoding);
        leaf
    }

    /// Stores `leaf` as Secret `name`, its key in `encoding`.
    pub fn store(&self, name: &str, leaf: &Leaf, encoding: KeyEncoding) {
        self.kube().put_tls_secret(
            NAMESPACE,
            name,
            &leaf.chain_pem(),
            Some(&leaf.key_pem_as(encoding)),
        );
    }

    /// The usual caller's base client: Secret `compute-client` (CN `compute`, ECDSA P-256,
    /// PKCS#8), presented.
    pub fn compute(&self) -> BaseClient {
        self.client_secret("compute-client", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
        self.base(Some("compute-client"))
    }

    /// A base client for the region API, presenting the certificate in Secret
    /// `client_secret` (none when `None`).
    pub fn base(&self, client_secret: Option<&str>) -> BaseClient {
        let client_options = match client_secret {
            Some(name) => core_client::HttpClientOptions::new().with_certificate(NAMESPACE, name),
            None => core_client::HttpClientOptions::new(),
        };
        BaseClient::new(
            self.platform.kube_client(),
            self.platform.region_options(),
            client_options,
        )
    }
}

/// The region client of the API path over `base`, for `ctx`.
pub async fn api_path(
    base: &BaseClient,
    ctx: &identity_client::RequestContext,
) -> region_openapi::Client {
    let builder = region_openapi::Client::builder();
    identity_client::api_client(base, builder, ctx)
        .await
        .unwrap()
}

/// Whether the platform authenticated `call` by its bearer token.
pub fn by_bearer(call: &Call) -> bool {
    matches!(
        call.authenticated.as_ref().map(|a| &a.caller),
        Some(identity_client::principal::Caller::Bearer { .. })
    )
}

/// A request editor from a closure: a test's own last edit of a request (forged headers, a
/// header removed), after the identity editors made theirs.
pub struct Edit<F>(pub F);

impl<F> core_client::RequestEditor for Edit<F>
where
    F: Fn(&mut http::Request<bytes::Bytes>) + Send + Sync,
{
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<bytes::Bytes>,
    ) -> core_client::BoxFuture<'a, Result<(), core_client::EditorError>> {
        (self.0)(request);
        Box::pin(async { Ok(()) })
    }
}

/// A request editor that holds each request, once the editors before it made their edits
/// (a principal signed, say), until the test opens it: what happens between editing a request
/// and sending it.
#[derive(Default)]
pub struct Gate {
    arrived: tokio::sync::Notify,
    open: tokio::sync::Notify,
}

impl Gate {
    /// Waits until a request is held at the gate.
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    /// Lets the held request (or the next one) through.
    pub fn open(&self) {
        self.open.notify_one();
    }
}

impl core_client::RequestEditor for Gate {
    fn edit<'a>(
        &'a self,
        _: &'a mut http::Request<bytes::Bytes>,
    ) -> core_client::BoxFuture<'a, Result<(), core_client::EditorError>> {
        Box::pin(async move {
            self.arrived.notify_one();
            self.open.notified().await;
            Ok(())
        })
    }
}
