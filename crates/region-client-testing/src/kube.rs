//! An in-process Kubernetes API fake: a real HTTPS server on 127.0.0.1 that speaks the
//! Kubernetes REST API for Secrets, so tests use a real `kube::Client`.
//!
//! Supported: `GET /api/v1/namespaces/{ns}/secrets/{name}` answering the Secret (with a
//! `resourceVersion` that changes on every write), a `Status` 404 when absent, and a `Status` 403
//! for Secrets marked forbidden. Every GET is counted per Secret. Faults can be injected: every
//! request answered with an error status ([`KubeApi::fail_with`]), requests accepted and never
//! answered ([`KubeApi::set_silent`]), or the server gone ([`KubeApi::stop`]).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

use base64::Engine;
use serde_json::{Value, json};

use tokio::sync::watch;

use crate::{
    pki::Ca,
    server::{RecordedRequest, TestServer, json_response},
    sync::lock,
};

type Key = (String, String);

#[derive(Default)]
struct State {
    secrets: BTreeMap<Key, Value>,
    forbidden: BTreeSet<Key>,
    failing: Option<u16>,
    gets: HashMap<Key, usize>,
    version: u64,
}

/// Every read so far, for tests waiting on one.
type Reads = watch::Sender<HashMap<Key, usize>>;

/// A running Kubernetes API fake; stops when dropped.
pub struct KubeApi {
    server: Option<TestServer>,
    url: String,
    ca: Ca,
    state: Arc<Mutex<State>>,
    reads: Arc<Reads>,
}

impl KubeApi {
    /// Starts the fake with its own CA and no Secrets.
    pub async fn start() -> Self {
        let ca = Ca::new("kube-api-ca");
        let state = Arc::new(Mutex::new(State::default()));
        let reads = Arc::new(Reads::new(HashMap::new()));
        let (handler_state, handler_reads) = (state.clone(), reads.clone());
        let server = TestServer::builder(&ca.server_cert(&["127.0.0.1", "localhost"]))
            .handler(move |request| handle(&handler_state, &handler_reads, request))
            .start()
            .await;
        Self {
            url: server.url(),
            server: Some(server),
            ca,
            state,
            reads,
        }
    }

    /// The API server URL.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Answers every request from now on with `status` (e.g. 500) as a Kubernetes `Status`, or
    /// serves normally again with `None`.
    pub fn fail_with(&self, status: Option<u16>) {
        lock(&self.state).failing = status;
    }

    /// Makes the API silent (`true`) or answering again (`false`): while silent, connections
    /// and requests are accepted and never answered, as an API server that hangs (kube's client
    /// sets no read timeout of its own). Requests that arrived while silent are never answered,
    /// nor counted by [`KubeApi::get_count`]; [`KubeApi::unanswered`] counts them.
    pub fn set_silent(&self, silent: bool) {
        if let Some(server) = &self.server {
            server.set_silent(silent);
        }
    }

    /// How many requests arrived while the API was silent.
    pub fn unanswered(&self) -> usize {
        self.server.as_ref().map_or(0, TestServer::unanswered)
    }

    /// Stops the server: connections are closed and new ones refused, as when the API server is
    /// down.
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// A `kube::Config` for this fake (as a kubeconfig with `certificate-authority-data` would
    /// give).
    pub fn config(&self) -> kube::Config {
        let url = http::Uri::try_from(self.url())
            .unwrap_or_else(|error| panic!("the fake's URL {} is a URI: {error}", self.url()));
        let mut config = kube::Config::new(url);
        config.root_cert = Some(vec![self.ca.cert_der.to_vec()]);
        config
    }

    /// A real `kube::Client` talking to this fake.
    ///
    /// # Panics
    /// When kube cannot build a client for it (it always can: a TLS client with one root).
    pub fn client(&self) -> kube::Client {
        kube::Client::try_from(self.config())
            .unwrap_or_else(|error| panic!("a kube client for the Kubernetes API fake: {error}"))
    }

    /// Stores (or replaces) a `kubernetes.io/tls` Secret.
    pub fn put_tls_secret(
        &self,
        namespace: &str,
        name: &str,
        cert_pem: &str,
        key_pem: Option<&str>,
    ) {
        let mut data = vec![("tls.crt", cert_pem.as_bytes())];
        if let Some(key) = key_pem {
            data.push(("tls.key", key.as_bytes()));
        }
        self.put_secret(namespace, name, "kubernetes.io/tls", &data);
    }

    /// Stores (or replaces) a Secret of type `type_` with `data`; bumps its `resourceVersion`.
    pub fn put_secret(&self, namespace: &str, name: &str, type_: &str, data: &[(&str, &[u8])]) {
        let data: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    Value::String(base64::engine::general_purpose::STANDARD.encode(v)),
                )
            })
            .collect();
        let mut state = lock(&self.state);
        state.version += 1;
        let secret = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "resourceVersion": state.version.to_string(),
            },
            "type": type_,
            "data": data,
        });
        state
            .secrets
            .insert((namespace.to_owned(), name.to_owned()), secret);
    }

    /// Removes a Secret.
    pub fn delete_secret(&self, namespace: &str, name: &str) {
        let mut state = lock(&self.state);
        state
            .secrets
            .remove(&(namespace.to_owned(), name.to_owned()));
    }

    /// Makes reads of `namespace/name` answer 403 Forbidden.
    pub fn forbid(&self, namespace: &str, name: &str) {
        let mut state = lock(&self.state);
        state
            .forbidden
            .insert((namespace.to_owned(), name.to_owned()));
    }

    /// How many times `namespace/name` was read.
    pub fn get_count(&self, namespace: &str, name: &str) -> usize {
        let state = lock(&self.state);
        state
            .gets
            .get(&(namespace.to_owned(), name.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Waits until `namespace/name` was read at least `count` times (the test's own timeout
    /// bounds the wait): a reload happened, without sleeping for it.
    pub async fn wait_for_reads(&self, namespace: &str, name: &str, count: usize) {
        let key = (namespace.to_owned(), name.to_owned());
        let mut reads = self.reads.subscribe();
        // The sender lives as long as `self`, so the wait ends only by reaching `count`.
        let _ = reads
            .wait_for(|reads| reads.get(&key).copied().unwrap_or(0) >= count)
            .await;
    }
}

fn status(code: u16, reason: &str, message: String) -> http::Response<bytes::Bytes> {
    json_response(
        code,
        &json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }),
    )
}

fn handle(
    state: &Mutex<State>,
    reads: &Reads,
    request: &RecordedRequest,
) -> http::Response<bytes::Bytes> {
    let path = request.uri.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["api", "v1", "namespaces", namespace, "secrets", name] = segments.as_slice() else {
        return status(404, "NotFound", format!("the server could not find {path}"));
    };
    if request.method != http::Method::GET {
        return status(
            405,
            "MethodNotAllowed",
            format!("{} is not supported", request.method),
        );
    }
    let key = ((*namespace).to_owned(), (*name).to_owned());
    let mut state = lock(state);
    *state.gets.entry(key.clone()).or_default() += 1;
    reads.send_replace(state.gets.clone());
    if let Some(code) = state.failing {
        return status(code, "InternalError", "injected failure".to_owned());
    }
    if state.forbidden.contains(&key) {
        return status(
            403,
            "Forbidden",
            format!(
                "secrets \"{name}\" is forbidden: User \"system:serviceaccount:test:test\" cannot get resource \"secrets\" in the namespace \"{namespace}\""
            ),
        );
    }
    match state.secrets.get(&key) {
        Some(secret) => json_response(200, secret),
        None => status(404, "NotFound", format!("secrets \"{name}\" not found")),
    }
}
