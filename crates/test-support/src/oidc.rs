//! An in-process OIDC issuer over mTLS: a discovery document at
//! `/.well-known/openid-configuration` and a `client_credentials` token endpoint at
//! `/oauth2/v2/token`, with switchable failure modes and call counters.
//!
//! ```no_run
//! # async fn demo() {
//! use test_support::{Ca, oidc::{OidcIssuer, TokenMode}};
//!
//! let ca = Ca::new("test-ca");
//! let issuer = OidcIssuer::start(&ca.server_cert(&["localhost", "127.0.0.1"]), &ca).await;
//! issuer.set_token_mode(TokenMode::Success { expires_in: 3600 });
//! // ... point a client at issuer.url() ...
//! assert_eq!(issuer.token_calls(), 0);
//! # }
//! ```

use std::sync::{
    Arc, Mutex, OnceLock,
    atomic::{AtomicUsize, Ordering},
};

use bytes::Bytes;

use crate::{
    pki::{Ca, Leaf},
    server::{RecordedRequest, TestServer, json_response},
};

/// Path of the discovery document.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v2/token";

/// How the token endpoint answers a valid `client_credentials` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenMode {
    /// `200` with `access_token` `issued-token-{n}` (n = 1, 2, ... per token call),
    /// `token_type` `Bearer` and this `expires_in`.
    Success {
        /// Seconds the token is valid.
        expires_in: u64,
    },
    /// `401` with an OAuth2 error body (`invalid_client`).
    Unauthorized,
    /// This status with an OAuth2 error body (`server_error`).
    Status(u16),
    /// `200` whose body is not JSON.
    MalformedJson,
    /// `200` JSON without `access_token` (only `token_type` and `expires_in`).
    MissingAccessToken,
    /// `200` JSON without `expires_in`.
    MissingExpiresIn,
}

/// How the discovery document is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiscoveryMode {
    /// A document naming this server's token endpoint.
    Normal,
    /// A document without `token_endpoint`.
    MissingTokenEndpoint,
    /// This status with an error body.
    Status(u16),
}

struct State {
    url: OnceLock<String>,
    token_mode: Mutex<TokenMode>,
    discovery_mode: Mutex<DiscoveryMode>,
    token_calls: AtomicUsize,
    discovery_calls: AtomicUsize,
}

/// An OIDC issuer on 127.0.0.1 requiring client certificates from a given CA. Stops when
/// dropped.
pub struct OidcIssuer {
    server: TestServer,
    state: Arc<State>,
}

impl std::fmt::Debug for OidcIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcIssuer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl OidcIssuer {
    /// Starts an issuer presenting `certificate` and requiring a client certificate issued by
    /// `client_ca`. Tokens succeed with `expires_in` 3600 until told otherwise.
    pub async fn start(certificate: &Leaf, client_ca: &Ca) -> Self {
        let state = Arc::new(State {
            url: OnceLock::new(),
            token_mode: Mutex::new(TokenMode::Success { expires_in: 3600 }),
            discovery_mode: Mutex::new(DiscoveryMode::Normal),
            token_calls: AtomicUsize::new(0),
            discovery_calls: AtomicUsize::new(0),
        });
        let handler_state = state.clone();
        let server = TestServer::builder(certificate)
            .require_client_cert(client_ca)
            .handler(move |request| handle(&handler_state, request))
            .start()
            .await;
        let _ = state.url.set(server.url());
        Self { server, state }
    }

    /// The issuer URL (`https://127.0.0.1:{port}`), i.e. the identity host.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The token endpoint URL the discovery document names.
    pub fn token_endpoint(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.url())
    }

    /// Changes how the token endpoint answers from the next request on.
    pub fn set_token_mode(&self, mode: TokenMode) {
        *self.state.token_mode.lock().expect("mode lock") = mode;
    }

    /// Changes how the discovery document is served from the next request on.
    pub fn set_discovery_mode(&self, mode: DiscoveryMode) {
        *self.state.discovery_mode.lock().expect("mode lock") = mode;
    }

    /// How many requests reached the token endpoint.
    pub fn token_calls(&self) -> usize {
        self.state.token_calls.load(Ordering::SeqCst)
    }

    /// How many requests fetched the discovery document.
    pub fn discovery_calls(&self) -> usize {
        self.state.discovery_calls.load(Ordering::SeqCst)
    }

    /// Every request received, in order (headers, body and the client certificate presented).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> http::Response<Bytes> {
    json_response(
        status,
        &serde_json::json!({"error": error, "error_description": description}),
    )
}

fn handle(state: &State, request: &RecordedRequest) -> http::Response<Bytes> {
    let url = state.url.get().cloned().unwrap_or_default();
    match (request.method.as_str(), request.uri.path()) {
        ("GET", DISCOVERY_PATH) => {
            state.discovery_calls.fetch_add(1, Ordering::SeqCst);
            let mode = state.discovery_mode.lock().expect("mode lock").clone();
            match mode {
                DiscoveryMode::Normal => json_response(
                    200,
                    &serde_json::json!({
                        "issuer": url,
                        "token_endpoint": format!("{url}{TOKEN_PATH}"),
                        "grant_types_supported": ["client_credentials"],
                        "token_endpoint_auth_methods_supported": ["tls_client_auth"],
                    }),
                ),
                DiscoveryMode::MissingTokenEndpoint => {
                    json_response(200, &serde_json::json!({ "issuer": url }))
                }
                DiscoveryMode::Status(status) => {
                    oauth_error(status, "server_error", "discovery is unavailable")
                }
            }
        }
        ("POST", TOKEN_PATH) => {
            let n = state.token_calls.fetch_add(1, Ordering::SeqCst) + 1;
            let form_ok = request
                .header("content-type")
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let grant_ok = std::str::from_utf8(&request.body)
                .unwrap_or("")
                .split('&')
                .any(|pair| pair == "grant_type=client_credentials");
            if !form_ok || !grant_ok {
                return oauth_error(
                    400,
                    "unsupported_grant_type",
                    "expected a form-encoded client_credentials grant",
                );
            }
            if request.peer_certificates.is_empty() {
                return oauth_error(401, "invalid_client", "no client certificate");
            }
            let mode = state.token_mode.lock().expect("mode lock").clone();
            let token = format!("issued-token-{n}");
            match mode {
                TokenMode::Success { expires_in } => json_response(
                    200,
                    &serde_json::json!({
                        "access_token": token,
                        "token_type": "Bearer",
                        "expires_in": expires_in,
                    }),
                ),
                TokenMode::Unauthorized => {
                    oauth_error(401, "invalid_client", "client certificate not recognised")
                }
                TokenMode::Status(status) => oauth_error(status, "server_error", "token failure"),
                TokenMode::MalformedJson => http::Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(Bytes::from_static(b"{\"access_token\": oops"))
                    .expect("static response parts are valid"),
                TokenMode::MissingAccessToken => json_response(
                    200,
                    &serde_json::json!({"token_type": "Bearer", "expires_in": 3600}),
                ),
                TokenMode::MissingExpiresIn => json_response(
                    200,
                    &serde_json::json!({"access_token": token, "token_type": "Bearer"}),
                ),
            }
        }
        _ => oauth_error(404, "not_found", "no such endpoint"),
    }
}
