//! Shared fixtures: a PKI, the Kubernetes API fake holding the TLS Secrets, a server behind the
//! platform's ingress that authenticates each request as the platform's middleware does, and a
//! minimal generated-style API client implementing `ClientBuilder`.
#![allow(dead_code, missing_docs)]

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use core_client::{
    BaseUrl, BuildError, ClientBuilder, HttpClient, HttpClientOptions, HttpOptions, RequestEditor,
    apply_editors,
};
use identity_client::{
    BaseClient, Principal,
    principal::{Authenticated, Caller},
};
use test_support::{
    Ca, KeyEncoding, KeyKind, Leaf, TestServer,
    ingress::ingress_view,
    kube::KubeApi,
    platform::{self, Tokens},
    server::json_response,
};

pub const NAMESPACE: &str = "unikorn";
pub const CA_SECRET: &str = "region-ca";
/// The token the fake identity service accepts, for user `alice@example.com`.
pub const USER_TOKEN: &str = "alice-token";

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
    /// The request for `path` with every editor applied, not yet sent.
    pub async fn prepare(&self, path: &str) -> anyhow::Result<http::Request<Bytes>> {
        let mut request = http::Request::get(self.base.join(path)?).body(Bytes::new())?;
        apply_editors(&self.editors, &mut request).await?;
        Ok(request)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<http::Response<Bytes>> {
        let request = self.prepare(path).await?;
        Ok(self.http.send(request).await?)
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }
}

/// What the platform's middleware made of a request.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub status: u16,
    pub authenticated: Option<Authenticated>,
}

impl Verdict {
    /// The principal the platform accepted.
    pub fn principal(&self) -> Principal {
        self.authenticated
            .as_ref()
            .and_then(|a| a.principal.clone())
            .unwrap_or_else(|| panic!("the platform refused the request: {self:?}"))
    }

    /// The calling service's name (certificate CN), or `bearer`.
    pub fn caller(&self) -> String {
        match self.authenticated.as_ref().map(|a| &a.caller) {
            Some(Caller::System { common_name }) => common_name.clone(),
            Some(Caller::Bearer { .. }) => "bearer".to_owned(),
            Some(_) | None => panic!("the platform refused the request: {self:?}"),
        }
    }

    pub fn impersonate(&self) -> bool {
        self.authenticated.as_ref().is_some_and(|a| a.impersonate)
    }
}

pub struct Fixture {
    pub ca: Ca,
    pub kube: KubeApi,
    /// Behind the ingress; answers 200, or the platform's refusal.
    pub server: TestServer,
    verdicts: Arc<Mutex<Vec<Verdict>>>,
}

impl Fixture {
    /// A server behind the platform's ingress accepting certificates from `ca` (and clients
    /// with none), and the CA in a Secret.
    pub async fn start() -> Self {
        let ca = Ca::new("platform-ca");
        let kube = KubeApi::start().await;
        kube.put_tls_secret(NAMESPACE, CA_SECRET, &ca.cert_pem, None);
        let verdicts = Arc::new(Mutex::new(Vec::new()));
        let record = verdicts.clone();
        let tokens: Tokens = [(USER_TOKEN.to_owned(), "alice@example.com".to_owned())].into();
        let server = TestServer::builder(&ca.server_cert(&["localhost", "127.0.0.1"]))
            .optional_client_cert(&ca)
            .handler(move |raw| {
                let view = ingress_view(raw);
                let (response, authenticated) =
                    match platform::authenticate(&view, &tokens, None, None) {
                        Ok(authenticated) => (
                            json_response(200, &serde_json::json!({})),
                            Some(authenticated),
                        ),
                        Err(refusal) => (*refusal, None),
                    };
                record.lock().unwrap().push(Verdict {
                    status: response.status().as_u16(),
                    authenticated,
                });
                response
            })
            .start()
            .await;
        Self {
            ca,
            kube,
            server,
            verdicts,
        }
    }

    /// What the platform made of each request, in order.
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.verdicts.lock().unwrap().clone()
    }

    /// What the platform made of the last request.
    pub fn last_verdict(&self) -> Verdict {
        self.verdicts().pop().expect("a request reached the server")
    }

    /// Issues a client certificate of `kind` (CN `compute`), stores it as Secret `name` with
    /// its key in `encoding`, and returns it.
    pub fn client_secret(&self, name: &str, kind: KeyKind, encoding: KeyEncoding) -> Leaf {
        let leaf = self.ca.client_cert("compute", kind);
        self.store(name, &leaf, encoding);
        leaf
    }

    /// Stores `leaf` as Secret `name`, its key in `encoding`.
    pub fn store(&self, name: &str, leaf: &Leaf, encoding: KeyEncoding) {
        self.kube.put_tls_secret(
            NAMESPACE,
            name,
            &leaf.chain_pem(),
            Some(&leaf.key_pem_as(encoding)),
        );
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
