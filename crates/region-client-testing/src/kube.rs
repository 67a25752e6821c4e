//! An in-process Kubernetes API fake: a real HTTPS server on 127.0.0.1 that speaks the
//! Kubernetes REST API for Secrets, so tests use a real `kube::Client`.
//!
//! Supported: `GET /api/v1/namespaces/{ns}/secrets/{name}` answering the Secret (with a
//! `resourceVersion` that changes on every write), a `Status` 404 when absent, and a `Status` 403
//! for Secrets marked forbidden. Every GET is counted per Secret. Faults can be injected: every
//! request answered with an error status ([`KubeApi::fail_with`]), requests accepted and never
//! answered ([`KubeApi::set_silent`]), or the server gone ([`KubeApi::stop`]).
//!
//! Also, for programs that ask the API more than Secrets (an operator's tool such as
//! `region doctor`):
//!
//! - `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`, answering who the client is
//!   ([`KubeApi::set_user`]; a refused Secret read names that user too);
//! - objects of namespaced custom resources ([`KubeApi::put_object`]), with the discovery a
//!   client finds them by (`GET /apis`, `GET /apis/{group}/{version}`) and
//!   `GET /apis/{group}/{version}/namespaces/{ns}/{plural}/{name}`;
//! - a kubeconfig file's text for the fake ([`KubeApi::kubeconfig`]).
//!
//! ```
//! # #[tokio::main]
//! # async fn main() {
//! use k8s_openapi::api::authentication::v1::SelfSubjectReview;
//! use kube::{Api, api::PostParams};
//! use region_client_testing::kube::KubeApi;
//!
//! let kube = KubeApi::start().await;
//! kube.set_user("system:serviceaccount:unikorn:compute");
//! let reviews: Api<SelfSubjectReview> = Api::all(kube.client());
//! let review = reviews
//!     .create(&PostParams::default(), &SelfSubjectReview::default())
//!     .await
//!     .unwrap();
//! let user = review.status.and_then(|s| s.user_info).and_then(|u| u.username);
//! assert_eq!(user.as_deref(), Some("system:serviceaccount:unikorn:compute"));
//! # }
//! ```

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

/// The user every client of the fake is, unless [`KubeApi::set_user`] says otherwise.
pub const DEFAULT_USER: &str = "system:serviceaccount:test:test";

/// A custom resource served by the fake: `(group, version, plural)`.
type ResourceKey = (String, String, String);

struct State {
    secrets: BTreeMap<Key, Value>,
    forbidden: BTreeSet<Key>,
    failing: Option<u16>,
    gets: HashMap<Key, usize>,
    version: u64,
    /// Who the clients are.
    user: String,
    /// The kind of each custom resource.
    kinds: BTreeMap<ResourceKey, String>,
    /// Objects of custom resources, by resource and `(namespace, name)`.
    objects: BTreeMap<(ResourceKey, Key), Value>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            secrets: BTreeMap::new(),
            forbidden: BTreeSet::new(),
            failing: None,
            gets: HashMap::new(),
            version: 0,
            user: DEFAULT_USER.to_owned(),
            kinds: BTreeMap::new(),
            objects: BTreeMap::new(),
        }
    }
}

/// Every read so far, for tests waiting on one.
type Reads = watch::Sender<HashMap<Key, usize>>;

/// A running Kubernetes API fake; stops when dropped.
pub struct KubeApi {
    /// `None` once [stopped](KubeApi::stop).
    server: Mutex<Option<TestServer>>,
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
            server: Mutex::new(Some(server)),
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
        if let Some(server) = lock(&self.server).as_ref() {
            server.set_silent(silent);
        }
    }

    /// How many requests arrived while the API was silent.
    pub fn unanswered(&self) -> usize {
        lock(&self.server)
            .as_ref()
            .map_or(0, TestServer::unanswered)
    }

    /// Stops the server: connections are closed and new ones refused, as when the API server is
    /// down (also through a shared [`Platform`](crate::Platform)'s `kube()`).
    pub fn stop(&self) {
        lock(&self.server).take();
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

    /// A kubeconfig file's text for this fake (cluster, user and context `fake`, the server's
    /// CA as `certificate-authority-data`, no credentials), for programs that read one
    /// (`--kubeconfig`, `$KUBECONFIG`).
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// let kube = region_client_testing::kube::KubeApi::start().await;
    /// let file = kube::config::Kubeconfig::from_yaml(&kube.kubeconfig()).unwrap();
    /// assert_eq!(file.current_context.as_deref(), Some("fake"));
    /// # }
    /// ```
    pub fn kubeconfig(&self) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca.cert_pem.as_bytes());
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n    \
             certificate-authority-data: {ca}\nusers:\n- name: fake\n  user: {{}}\ncontexts:\n\
             - name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\n",
            self.url()
        )
    }

    /// Makes clients of the fake be `username`: what a `SelfSubjectReview` answers, and the
    /// user a refused Secret read names ([`DEFAULT_USER`] until called).
    pub fn set_user(&self, username: &str) {
        lock(&self.state).user = username.to_owned();
    }

    /// Stores (or replaces) `object`, of the namespaced custom resource `plural` (of `kind`) in
    /// `group`/`version`; the resource is served, with its discovery, from then on. `object`
    /// holds at least `metadata.name` and `metadata.namespace`; its `apiVersion`, `kind` and
    /// `metadata.resourceVersion` are set here.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() {
    /// use kube::{Api, api::{ApiResource, DynamicObject}, discovery};
    /// use region_client_testing::kube::KubeApi;
    ///
    /// let kube = KubeApi::start().await;
    /// kube.put_object(
    ///     "unikorn-cloud.org",
    ///     "v1alpha1",
    ///     "KubernetesCluster",
    ///     "kubernetesclusters",
    ///     serde_json::json!({ "metadata": { "name": "abc", "namespace": "team-a" } }),
    /// );
    /// let group = discovery::group(&kube.client(), "unikorn-cloud.org").await.unwrap();
    /// let (resource, _) = group.recommended_kind("KubernetesCluster").unwrap();
    /// let api: Api<DynamicObject> = Api::namespaced_with(kube.client(), "team-a", &resource);
    /// assert_eq!(api.get("abc").await.unwrap().metadata.name.as_deref(), Some("abc"));
    /// # }
    /// ```
    ///
    /// # Panics
    /// When `object` has no `metadata.name` or `metadata.namespace`.
    #[track_caller]
    pub fn put_object(&self, group: &str, version: &str, kind: &str, plural: &str, object: Value) {
        let mut object = object;
        let text = |field: &str| match object["metadata"][field].as_str() {
            Some(text) => text.to_owned(),
            None => panic!("objects have a metadata.{field}"),
        };
        let key = (text("namespace"), text("name"));
        let resource = (group.to_owned(), version.to_owned(), plural.to_owned());
        let mut state = lock(&self.state);
        state.version += 1;
        object["apiVersion"] = Value::String(format!("{group}/{version}"));
        object["kind"] = Value::String(kind.to_owned());
        object["metadata"]["resourceVersion"] = Value::String(state.version.to_string());
        state.kinds.insert(resource.clone(), kind.to_owned());
        state.objects.insert((resource, key), object);
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
    let get = request.method == http::Method::GET;
    let mut state = lock(state);
    if let ["api", "v1", "namespaces", namespace, "secrets", name] = segments.as_slice() {
        if !get {
            return status(
                405,
                "MethodNotAllowed",
                format!("{} is not supported", request.method),
            );
        }
        return secret(&mut state, reads, namespace, name);
    }
    if let Some(code) = state.failing {
        return status(code, "InternalError", "injected failure".to_owned());
    }
    let not_found = || status(404, "NotFound", format!("the server could not find {path}"));
    match (segments.as_slice(), get) {
        (["apis", "authentication.k8s.io", "v1", "selfsubjectreviews"], false)
            if request.method == http::Method::POST =>
        {
            json_response(
                201,
                &json!({
                    "apiVersion": "authentication.k8s.io/v1",
                    "kind": "SelfSubjectReview",
                    "metadata": {},
                    "status": { "userInfo": {
                        "username": state.user,
                        "groups": ["system:authenticated"],
                    } },
                }),
            )
        }
        (["apis"], true) => json_response(200, &api_groups(&state)),
        (["apis", group, version], true) => api_resources(&state, group, version)
            .map_or_else(not_found, |list| json_response(200, &list)),
        (
            [
                "apis",
                group,
                version,
                "namespaces",
                namespace,
                plural,
                name,
            ],
            true,
        ) => {
            let resource = (
                (*group).to_owned(),
                (*version).to_owned(),
                (*plural).to_owned(),
            );
            let key = (resource, ((*namespace).to_owned(), (*name).to_owned()));
            match state.objects.get(&key) {
                Some(object) => json_response(200, object),
                None => status(
                    404,
                    "NotFound",
                    format!("{plural}.{group} \"{name}\" not found"),
                ),
            }
        }
        (_, false) => status(
            405,
            "MethodNotAllowed",
            format!("{} is not supported", request.method),
        ),
        _ => not_found(),
    }
}

/// The answer to reading Secret `namespace/name`, counted.
fn secret(
    state: &mut State,
    reads: &Reads,
    namespace: &str,
    name: &str,
) -> http::Response<bytes::Bytes> {
    let key = (namespace.to_owned(), name.to_owned());
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
                "secrets \"{name}\" is forbidden: User \"{}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"{namespace}\"",
                state.user
            ),
        );
    }
    match state.secrets.get(&key) {
        Some(secret) => json_response(200, secret),
        None => status(404, "NotFound", format!("secrets \"{name}\" not found")),
    }
}

/// `APIGroupList`: every group with a custom resource, each at the versions it has.
fn api_groups(state: &State) -> Value {
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (group, version, _) in state.kinds.keys() {
        versions.entry(group).or_default().insert(version);
    }
    let groups: Vec<Value> = versions
        .into_iter()
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .into_iter()
                .map(|v| json!({ "groupVersion": format!("{group}/{v}"), "version": v }))
                .collect();
            json!({ "name": group, "versions": versions, "preferredVersion": versions[0] })
        })
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `APIResourceList` of `group`/`version`, when it has any resource.
fn api_resources(state: &State, group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = state
        .kinds
        .iter()
        .filter(|((g, v, _), _)| g == group && v == version)
        .map(|((_, _, plural), kind)| {
            json!({
                "name": plural,
                "singularName": "",
                "namespaced": true,
                "kind": kind,
                "verbs": ["get", "list"],
            })
        })
        .collect();
    (!resources.is_empty()).then(|| {
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": format!("{group}/{version}"),
            "resources": resources,
        })
    })
}
