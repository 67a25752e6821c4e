//! Shared fixtures: a PKI, the Kubernetes API fake holding the TLS Secrets, an mTLS server,
//! and a minimal generated-style API client implementing `ClientBuilder`.
#![allow(dead_code, missing_docs)]

use std::sync::Arc;

use bytes::Bytes;
use core_client::{
    BaseUrl, BuildError, ClientBuilder, HttpClient, HttpClientOptions, HttpOptions, RequestEditor,
    apply_editors,
};
use identity_client::{BaseClient, TokenIssuer};
use test_support::{Ca, KeyEncoding, KeyKind, Leaf, TestServer, kube::KubeApi, oidc::OidcIssuer};

pub const NAMESPACE: &str = "unikorn";
pub const CA_SECRET: &str = "region-ca";

/// What a generated client does: join the path, run every editor, send.
pub struct TestApi {
    http: HttpClient,
    editors: Vec<Arc<dyn RequestEditor>>,
    base: BaseUrl,
}

#[derive(Default)]
pub struct TestApiBuilder {
    http: Option<HttpClient>,
    editors: Vec<Arc<dyn RequestEditor>>,
}

impl ClientBuilder for TestApiBuilder {
    type Client = TestApi;

    fn with_http_client(mut self, client: HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    fn with_request_editor(mut self, editor: Arc<dyn RequestEditor>) -> Self {
        self.editors.push(editor);
        self
    }

    fn build(self, base_url: &str) -> Result<TestApi, BuildError> {
        Ok(TestApi {
            http: self.http.ok_or(BuildError::MissingHttpClient)?,
            editors: self.editors,
            base: BaseUrl::parse(base_url)?,
        })
    }
}

impl TestApi {
    pub async fn get(&self, path: &str) -> anyhow::Result<http::Response<Bytes>> {
        let mut request = http::Request::get(self.base.join(path)?).body(Bytes::new())?;
        apply_editors(&self.editors, &mut request).await?;
        Ok(self.http.send(request).await?)
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }
}

pub struct Fixture {
    pub ca: Ca,
    pub kube: KubeApi,
    pub server: TestServer,
}

impl Fixture {
    /// An mTLS server requiring certificates from `ca`, and the CA in a Secret.
    pub async fn start() -> Self {
        let ca = Ca::new("platform-ca");
        let kube = KubeApi::start().await;
        kube.put_tls_secret(NAMESPACE, CA_SECRET, &ca.cert_pem, None);
        let server = TestServer::builder(&ca.server_cert(&["localhost", "127.0.0.1"]))
            .require_client_cert(&ca)
            .start()
            .await;
        Self { ca, kube, server }
    }

    /// Issues a client certificate of `kind`, stores it as Secret `name` with its key in
    /// `encoding`, and returns it.
    pub fn client_secret(&self, name: &str, kind: KeyKind, encoding: KeyEncoding) -> Leaf {
        let leaf = self.ca.client_cert("compute", kind);
        self.kube.put_tls_secret(
            NAMESPACE,
            name,
            &leaf.chain_pem(),
            Some(&leaf.key_pem_as(encoding)),
        );
        leaf
    }

    /// A base client for the server, presenting the certificate in Secret `client_secret`
    /// (none when `None`).
    pub fn base(&self, client_secret: Option<&str>) -> BaseClient {
        let options = HttpOptions::new("region")
            .with_host(self.server.url())
            .with_ca_secret(NAMESPACE, CA_SECRET);
        let client_options = match client_secret {
            Some(name) => HttpClientOptions::new().with_certificate(NAMESPACE, name),
            None => HttpClientOptions::new(),
        };
        BaseClient::new(self.kube.client(), options, client_options)
    }
}

/// An OIDC issuer over mTLS and a base client for it.
pub struct IssuerFixture {
    pub kube: KubeApi,
    pub issuer: OidcIssuer,
    pub base: BaseClient,
}

pub async fn issuer_fixture() -> IssuerFixture {
    let ca = Ca::new("identity-ca");
    let kube = KubeApi::start().await;
    kube.put_tls_secret("unikorn", "identity-ca", &ca.cert_pem, None);
    let leaf = ca.client_cert("compute", KeyKind::EcdsaP256);
    kube.put_tls_secret(
        "unikorn",
        "compute-client",
        &leaf.chain_pem(),
        Some(&leaf.key_pem_as(KeyEncoding::Sec1)),
    );
    let issuer = OidcIssuer::start(&ca.server_cert(&["localhost", "127.0.0.1"]), &ca).await;
    let base = BaseClient::new(
        kube.client(),
        HttpOptions::new("identity")
            .with_host(format!("{}/", issuer.url()))
            .with_ca_secret("unikorn", "identity-ca"),
        HttpClientOptions::new().with_certificate("unikorn", "compute-client"),
    );
    IssuerFixture { kube, issuer, base }
}

pub fn issuer(f: &IssuerFixture) -> TokenIssuer {
    TokenIssuer::new(f.base.clone(), "compute", "1.2.3")
}
