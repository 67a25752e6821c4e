//! The platform's trust model for calls between services, both ways.
//!
//! `identity-client` sits on [`core_client`] (TLS 1.3, mTLS, pooled transport). A platform
//! service is identified by its **client certificate** in the TLS handshake (the ingress in
//! front of every service verifies it and passes it on); on top of that, every call says on
//! whose behalf it is made, the **delegated principal**, and carries the trace context.
//!
//! Outbound, two paths, with editors applied in the platform's order:
//!
//! - [`api_client`]: serving an inbound request, for the principal of its [`RequestContext`].
//!   Headers: `traceparent`/`tracestate`; `Unikorn-Client-Certificate` only when set
//!   explicitly; `X-Principal` = base64url JSON of the principal, and `X-Impersonate: true`
//!   when [asked](RequestContext::impersonating);
//! - [`controller_client`]: reconciling a Kubernetes resource, for the principal persisted on
//!   it ([`Principal::from_resource`]). Headers: `traceparent`/`tracestate`; `X-Principal` = a
//!   compact JWS `{"alg":"PS512"}` signed with the client certificate's RSA key, sent over a
//!   connection presenting that certificate.
//!
//! No `Authorization` header is sent, unless a caller acting directly as a user attaches its
//! token ([`RequestContext::with_bearer`]).
//!
//! Inbound, [`principal::extract`] does what the platform's middleware does with a request's
//! headers: who called (certificate CN or bearer token) and for whom (the principal).
//!
//! ```no_run
//! # async fn demo<B: core_client::ClientBuilder>(
//! #     builder: B,
//! #     mut inbound: http::request::Parts,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use core_client::{HttpClientOptions, HttpOptions};
//! use identity_client::{
//!     BaseClient, RequestContext, api_client,
//!     principal::{self, CertificateSource},
//! };
//!
//! // At start-up, once: Secrets are read once, connections pooled.
//! let region = BaseClient::new(
//!     kube::Client::try_default().await?,
//!     HttpOptions::new("region").with_host("https://region.example.com"),
//!     HttpClientOptions::new().with_certificate("unikorn", "compute-client"),
//! );
//!
//! // Per inbound request, the authentication middleware (behind the platform's ingress)
//! // stores who called and for whom...
//! let authenticated = principal::extract(&inbound.headers, CertificateSource::Ingress)?;
//! inbound.extensions.insert(authenticated);
//! // ...and the handler's outbound calls act for that principal, impersonating it when the
//! // inbound call did.
//! let ctx = RequestContext::from_parts(&inbound);
//! let client = api_client(&region, builder, &ctx).await?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod base;
mod clients;
mod context;
pub mod editor;
mod error;
pub mod headers;
mod id;
pub mod principal;
mod propagation;
#[cfg(test)]
mod test_fixtures;
mod token;

pub use base::BaseClient;
pub use clients::{api_client, controller_client, plain_client};
pub use context::RequestContext;
pub use core_client::BoxFuture;
pub use error::Error;
pub use id::{Id, InvalidId};
pub use principal::{AccountType, ForwardedCertificate, Principal, PrincipalError};
pub use propagation::install_trace_propagator;
pub use token::{AccessToken, AccessTokenSource, StaticTokenSource, TokenError};
