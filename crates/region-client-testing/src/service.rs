//! A Rust service behind the platform's ingress, built the way this project tells services to
//! be built: the [ingress](crate::ingress) verifies the caller's certificate and hands it on in
//! `Ssl-Client-*`; an authentication middleware runs
//! [`identity_client::principal::extract`] and stores the [`Authenticated`] it returned in the
//! request's extensions (a refusal is answered as the platform's middleware answers it); then
//! the handler runs, typically calling another service for the same principal with
//! `RequestContext::from_parts`.

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use identity_client::principal::Authenticated;

use crate::{
    ingress::ingress_view,
    pki::{Ca, Leaf},
    platform::{self, Tokens},
    server::{RecordedRequest, TestServer},
    sync::lock,
};

/// A running service behind the ingress; stops when dropped.
///
/// ```no_run
/// # async fn demo(certificate: region_client_testing::Leaf, clients: region_client_testing::Ca) {
/// use identity_client::principal::Authenticated;
/// use region_client_testing::{server::json_response, service::Service};
///
/// let service = Service::start(&certificate, &clients, |request: http::Request<bytes::Bytes>| async move {
///     let authenticated = request.extensions().get::<Authenticated>().cloned();
///     let actor = authenticated.and_then(|a| a.principal).map(|p| p.actor);
///     json_response(200, &serde_json::json!({ "actor": actor }))
/// })
/// .await;
/// # let _ = service;
/// # }
/// ```
pub struct Service {
    server: TestServer,
    authenticated: Arc<Mutex<Vec<Authenticated>>>,
}

impl Service {
    /// Starts the service presenting `certificate`; its ingress accepts client certificates
    /// issued by `client_ca` (and clients with none, which the middleware then refuses). Every
    /// request the middleware accepts goes to `handler`, with the [`Authenticated`] in its
    /// extensions and the headers as the ingress passed them on.
    ///
    /// Bearer tokens are refused (401): there is no identity service to validate them.
    pub async fn start<H, F>(certificate: &Leaf, client_ca: &Ca, handler: H) -> Self
    where
        H: Fn(http::Request<Bytes>) -> F + Send + Sync + 'static,
        F: Future<Output = http::Response<Bytes>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let authenticated = Arc::new(Mutex::new(Vec::new()));
        let seen = authenticated.clone();
        let server = TestServer::builder(certificate)
            .optional_client_cert(client_ca)
            .async_handler(move |raw| {
                let handler = handler.clone();
                let seen = seen.clone();
                async move {
                    match authenticate(&raw) {
                        Ok(request) => {
                            if let Some(authenticated) = request.extensions().get::<Authenticated>()
                            {
                                lock(&seen).push(authenticated.clone());
                            }
                            handler(request).await
                        }
                        Err(refusal) => *refusal,
                    }
                }
            })
            .start()
            .await;
        Self {
            server,
            authenticated,
        }
    }

    /// The base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The TLS server in front (requests as they arrived on the wire).
    pub fn server(&self) -> &TestServer {
        &self.server
    }

    /// What the middleware established for every request it accepted, in order.
    pub fn authenticated(&self) -> Vec<Authenticated> {
        lock(&self.authenticated).clone()
    }
}

/// The ingress and the authentication middleware: `raw` (as it arrived on the wire) as the
/// handler gets it, with the [`Authenticated`] that
/// [`extract`](identity_client::principal::extract) returned in its extensions; or the
/// platform's answer to a refused authentication.
pub fn authenticate(
    raw: &RecordedRequest,
) -> Result<http::Request<Bytes>, Box<http::Response<Bytes>>> {
    let view = ingress_view(raw);
    let authenticated = platform::authenticate(&view, &Tokens::new(), None, None)?;
    let mut request = http::Request::new(view.body);
    *request.method_mut() = view.method;
    *request.uri_mut() = view.uri;
    *request.version_mut() = view.version;
    *request.headers_mut() = view.headers;
    request.extensions_mut().insert(authenticated);
    Ok(request)
}
